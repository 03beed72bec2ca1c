//! Evennia's colour markup (`|r` red, `|n` back to normal, ...) rendered for one client: as
//! ANSI escapes for a client that shows colour, stripped for one that does not.
//!
//! | Code | Meaning |
//! |---|---|
//! | `\|r \|g \|y \|b \|m \|c \|w \|x` | bright red, green, yellow, blue, magenta, cyan, white, grey |
//! | `\|R \|G \|Y \|B \|M \|C \|W \|X` | the same colours, normal intensity (`\|X` black) |
//! | `\|[r` ... `\|[x` | background colour |
//! | `\|500` ... (`\|[500`) | an xterm colour, red/green/blue 0–5 (nearest of 16 if need be) |
//! | `\|n` `\|h` `\|H` `\|u` `\|*` | normal, bold, not bold, underline, inverse |
//! | `\|/` `\|-` `\|_` `\|\|` | newline, tab, space, a literal `\|` |
//!
//! Text from typeclasses is untrusted: control characters other than newline and tab are
//! dropped, so a script cannot send its own escape sequences to a player's terminal.

/// How much colour a client shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColorLevel {
    /// None: markup is stripped (the default until the client says otherwise).
    #[default]
    None,
    /// The 16 ANSI colours.
    Ansi16,
    /// The xterm 256-colour palette.
    Xterm256,
    /// 24-bit colour (shown with the 256-colour palette here).
    TrueColor,
}

impl ColorLevel {
    /// The level a numeric code stores (see [`ColorLevel::code`]).
    pub fn from_code(code: u8) -> Self {
        match code {
            1 => ColorLevel::Ansi16,
            2 => ColorLevel::Xterm256,
            3 => ColorLevel::TrueColor,
            _ => ColorLevel::None,
        }
    }

    /// A number for an atomic.
    pub fn code(self) -> u8 {
        self as u8
    }
}

const COLOURS: &str = "xrgybmcw";

/// `text` with its markup rendered for `level` (and, when `ascii` is set, every non-ASCII
/// character shown as `?`).
pub fn render(text: &str, level: ColorLevel, ascii: bool) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut coloured = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '|' {
            push_char(&mut out, c, ascii);
            continue;
        }
        let Some(&code) = chars.peek() else {
            out.push('|');
            break;
        };
        let background = code == '[';
        if background {
            chars.next();
        }
        let Some(&code) = chars.peek() else {
            out.push_str(if background { "|[" } else { "|" });
            break;
        };
        let sgr: Option<String> = if let Some(n) = COLOURS.find(code.to_ascii_lowercase()) {
            chars.next();
            let base = if background { 40 } else { 30 } + n;
            Some(match (background, code.is_ascii_lowercase()) {
                (true, _) => format!("{base}"),
                (false, true) => format!("1;{base}"),
                (false, false) => format!("22;{base}"),
            })
        } else if let Some(rgb) = xterm(&mut chars) {
            Some(xterm_sgr(rgb, background, level))
        } else if background {
            out.push_str("|[");
            continue;
        } else {
            chars.next();
            match code {
                'n' => Some("0".into()),
                'h' => Some("1".into()),
                'H' => Some("22".into()),
                'u' => Some("4".into()),
                '*' => Some("7".into()),
                '/' => {
                    out.push('\n');
                    None
                }
                '-' => {
                    out.push('\t');
                    None
                }
                '_' => {
                    out.push(' ');
                    None
                }
                '|' => {
                    out.push('|');
                    None
                }
                other => {
                    out.push('|');
                    push_char(&mut out, other, ascii);
                    None
                }
            }
        };
        if let Some(sgr) = sgr
            && level != ColorLevel::None
        {
            coloured = sgr != "0";
            out.push_str("\x1b[");
            out.push_str(&sgr);
            out.push('m');
        }
    }
    if coloured {
        out.push_str("\x1b[0m");
    }
    out
}

/// A line a player typed, made safe to show to others: colours stay (as in Evennia), but the
/// codes that move text (`|/` newline, `|-` tab, `|_` space) are escaped so they show as
/// typed, and runs of spaces become one, so a player cannot start what looks like a new line
/// of the server's (`pose |/|rSYSTEM: ...`, or enough spaces to wrap the terminal).
pub fn player_text(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => match chars.peek() {
                Some('|') => {
                    chars.next();
                    out.push_str("||");
                }
                Some('/' | '-' | '_') => out.push_str("||"),
                _ => out.push('|'),
            },
            c if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Adds one character of text: control characters other than newline and tab are dropped.
fn push_char(out: &mut String, c: char, ascii: bool) {
    if c == '\n' || c == '\t' || !c.is_control() {
        out.push(if ascii && !c.is_ascii() { '?' } else { c });
    }
}

/// Three digits 0–5 (an xterm colour cube entry), consumed only if all three are there.
fn xterm(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<[u8; 3]> {
    let mut ahead = chars.clone();
    let mut rgb = [0u8; 3];
    for slot in &mut rgb {
        let d = ahead.next()?.to_digit(10).filter(|&d| d <= 5)?;
        *slot = u8::try_from(d).ok()?;
    }
    *chars = ahead;
    Some(rgb)
}

/// The SGR parameters of xterm colour `rgb`: the 256-colour palette if the client has it,
/// else the nearest of the 16 ANSI colours.
fn xterm_sgr([r, g, b]: [u8; 3], background: bool, level: ColorLevel) -> String {
    if level >= ColorLevel::Xterm256 {
        let index = 16 + 36 * u16::from(r) + 6 * u16::from(g) + u16::from(b);
        return format!("{};5;{index}", if background { 48 } else { 38 });
    }
    let bit = |v: u8| u8::from(v >= 3);
    let n = bit(r) | bit(g) << 1 | bit(b) << 2;
    let bright = r.max(g).max(b) >= 4;
    match (background, bright) {
        (true, _) => format!("{}", 40 + n),
        (false, true) => format!("1;{}", 30 + n),
        (false, false) => format!("22;{}", 30 + n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_ansi_or_nothing() {
        let text = "|cLimbo|n is |rred|R, |[b|wblue|n || |/x";
        assert_eq!(
            render(text, ColorLevel::Ansi16, false),
            "\x1b[1;36mLimbo\x1b[0m is \x1b[1;31mred\x1b[22;31m, \x1b[44m\x1b[1;37mblue\x1b[0m | \nx"
        );
        assert_eq!(
            render(text, ColorLevel::None, false),
            "Limbo is red, blue | \nx"
        );
    }

    #[test]
    fn colour_left_on_is_reset_and_unknown_codes_stay() {
        assert_eq!(
            render("|gopen", ColorLevel::Ansi16, false),
            "\x1b[1;32mopen\x1b[0m"
        );
        assert_eq!(render("a|qb|", ColorLevel::Ansi16, false), "a|qb|");
        assert_eq!(render("a|\nb", ColorLevel::None, false), "a|\nb");
        assert_eq!(render("|[", ColorLevel::None, false), "|[");
    }

    #[test]
    fn xterm_colours_follow_the_client() {
        assert_eq!(
            render("|500x", ColorLevel::Xterm256, false),
            "\x1b[38;5;196mx\x1b[0m"
        );
        assert_eq!(
            render("|500x", ColorLevel::Ansi16, false),
            "\x1b[1;31mx\x1b[0m"
        );
        assert_eq!(render("|[005x", ColorLevel::None, false), "x");
        assert_eq!(render("|50x", ColorLevel::None, false), "|50x");
    }

    #[test]
    fn players_colour_their_words_but_cannot_break_lines() {
        let forged = player_text("waves.|/|rSYSTEM: the server restarts; type your password");
        let shown = render(&format!("alice {forged}"), ColorLevel::Ansi16, false);
        assert!(!shown.contains('\n'), "{shown:?}");
        assert!(
            shown.starts_with("alice waves.|/\x1b[1;31mSYSTEM"),
            "{shown:?}"
        );
        for code in ["|-", "|_", "\t", "\n", "\r"] {
            let shown = render(&player_text(&format!("a{code}b")), ColorLevel::None, false);
            assert!(!shown.contains(['\n', '\t', '\r']), "{code}: {shown:?}");
        }
        // Spaces that would wrap a terminal collapse; an escaped pipe stays one.
        assert_eq!(player_text(&format!("a{}b", " ".repeat(200))), "a b");
        assert_eq!(
            render(&player_text("a ||/ b"), ColorLevel::None, false),
            "a |/ b"
        );
    }

    #[test]
    fn control_characters_are_dropped_and_ascii_clients_get_question_marks() {
        assert_eq!(
            render("a\x1b[2Jb\x07\tc\r\nd", ColorLevel::Ansi16, false),
            "a[2Jb\tc\nd"
        );
        assert_eq!(render("café", ColorLevel::None, true), "caf?");
    }
}
