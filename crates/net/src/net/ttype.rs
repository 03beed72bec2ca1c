//! TTYPE (terminal type) and MTTS: how a telnet client says what it can show.
//!
//! The server asks `SEND` up to three times: a client answers with its name (`MUDLET`), then
//! its terminal type (`XTERM-256COLOR`), then `MTTS <bits>` (ANSI 1, VT100 2, UTF-8 4,
//! 256 colours 8, truecolor 256). A client that repeats an answer has no more to say. The
//! colour level is the MTTS one when given, else read from the names; a client that never
//! answers keeps no colour.

use super::markup::ColorLevel;

/// `IS`, the first byte of a client's TTYPE answer.
pub const IS: u8 = 0;
/// `SEND`, the byte of the server's TTYPE request.
pub const SEND: u8 = 1;
/// Requests made at most.
const ROUNDS: u8 = 3;

const MTTS_ANSI: u32 = 1;
const MTTS_UTF8: u32 = 4;
const MTTS_256: u32 = 8;
const MTTS_TRUECOLOR: u32 = 256;

/// What a client told over TTYPE so far.
#[derive(Debug, Default)]
pub struct Ttype {
    rounds: u8,
    last: String,
    /// The client's name (its first answer).
    pub client: String,
    /// The colour level decided so far.
    pub color: ColorLevel,
    /// False if MTTS said the client does not take UTF-8.
    pub utf8: bool,
}

impl Ttype {
    /// Counts a request about to be sent; false once enough were sent.
    pub fn ask(&mut self) -> bool {
        if self.rounds >= ROUNDS {
            return false;
        }
        self.rounds += 1;
        true
    }

    /// Takes one answer (the bytes after `IS`); true if the server should ask again.
    pub fn answer(&mut self, raw: &[u8]) -> bool {
        let name: String = String::from_utf8_lossy(raw)
            .chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect::<String>()
            .to_ascii_uppercase();
        if self.rounds == 1 || self.client.is_empty() {
            self.client.clone_from(&name);
            self.utf8 = true;
        }
        let repeated = name == self.last;
        if let Some(bits) = name
            .strip_prefix("MTTS ")
            .and_then(|b| b.trim().parse::<u32>().ok())
        {
            self.color = if bits & MTTS_TRUECOLOR != 0 {
                ColorLevel::TrueColor
            } else if bits & MTTS_256 != 0 {
                ColorLevel::Xterm256
            } else if bits & MTTS_ANSI != 0 {
                ColorLevel::Ansi16
            } else {
                ColorLevel::None
            };
            self.utf8 = bits & MTTS_UTF8 != 0;
            return false;
        }
        self.color = self.color.max(from_name(&name));
        self.last = name;
        !repeated && self.rounds < ROUNDS
    }
}

/// The colour a terminal name implies.
fn from_name(name: &str) -> ColorLevel {
    if name.contains("TRUECOLOR") || name.contains("24BIT") {
        ColorLevel::TrueColor
    } else if name.contains("256COLOR") || name == "MUDLET" || name.starts_with("TINTIN") {
        ColorLevel::Xterm256
    } else if name.is_empty() || name == "DUMB" || name == "UNKNOWN" {
        ColorLevel::None
    } else {
        ColorLevel::Ansi16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_rounds_and_mtts_decides() {
        let mut t = Ttype::default();
        assert!(t.ask());
        assert!(t.answer(b"Mudlet"));
        assert!(t.ask());
        assert!(t.answer(b"ANSI-256COLOR"));
        assert_eq!(t.color, ColorLevel::Xterm256);
        assert!(t.ask());
        assert!(!t.answer(b"MTTS 1"));
        assert_eq!((t.color, t.utf8), (ColorLevel::Ansi16, false));
        assert!(!t.ask(), "three rounds at most");
        assert_eq!(t.client, "MUDLET");
    }

    #[test]
    fn a_repeated_answer_ends_it_and_names_decide() {
        let mut t = Ttype::default();
        t.ask();
        assert!(t.answer(b"xterm"));
        t.ask();
        assert!(
            !t.answer(b"XTERM"),
            "the same answer twice: nothing more to learn"
        );
        assert_eq!((t.color, t.utf8), (ColorLevel::Ansi16, true));
        let mut dumb = Ttype::default();
        dumb.ask();
        dumb.answer(b"dumb");
        assert_eq!(dumb.color, ColorLevel::None);
    }
}
