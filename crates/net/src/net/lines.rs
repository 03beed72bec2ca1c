//! Input lines from a byte stream, whatever the protocol: split on any newline, control
//! characters dropped, and a line over the limit dropped with a warning instead of buffered.

/// Splits received bytes into lines (`\n`, `\r\n` or a lone `\r`), dropping any line longer
/// than the limit with a warning instead of buffering it.
pub struct LineBuffer {
    line: Vec<u8>,
    max_chars: usize,
    /// The line being read is over the limit: its bytes are skipped to the next newline.
    skipping: bool,
    /// The last byte was `\r` (a following `\n` belongs to it).
    after_cr: bool,
}

impl LineBuffer {
    /// A buffer for lines of at most `max_chars` characters.
    pub fn new(max_chars: usize) -> Self {
        LineBuffer {
            line: Vec::new(),
            max_chars,
            skipping: false,
            after_cr: false,
        }
    }

    /// The lines completed by `data`: each the text, or the warning that replaced it.
    pub fn push(&mut self, data: &[u8]) -> Vec<Result<String, String>> {
        let mut done = Vec::new();
        for &byte in data {
            let after_cr = std::mem::replace(&mut self.after_cr, byte == b'\r');
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => done.push(self.finish()),
                0 => {}
                _ if self.skipping => {}
                _ => {
                    self.line.push(byte);
                    // A character is at most 4 bytes: past that the line is surely too long.
                    if self.line.len() > 4 * self.max_chars {
                        self.line.clear();
                        self.skipping = true;
                    }
                }
            }
        }
        done
    }

    fn finish(&mut self) -> Result<String, String> {
        // Control characters (escape sequences, bells, backspaces) are not passed on: a line
        // typed by one player is shown to others.
        let line: String = String::from_utf8_lossy(&std::mem::take(&mut self.line))
            .chars()
            .filter(|&c| c == '\t' || !c.is_control())
            .collect();
        let skipped = std::mem::take(&mut self.skipping);
        if skipped || line.chars().count() > self.max_chars {
            Err(format!(
                "That line was longer than {} characters and was dropped.",
                self.max_chars
            ))
        } else {
            Ok(line)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_on_any_newline_and_long_ones_are_dropped() {
        let mut b = LineBuffer::new(8);
        assert_eq!(
            b.push(b"look\r\nsay hi\n"),
            [Ok("look".into()), Ok("say hi".into())]
        );
        assert_eq!(b.push(b"a\rb"), [Ok("a".into())]);
        assert_eq!(b.push(b"c\r\n"), [Ok("bc".into())]);
        let long = b.push(&[b'x'; 64]);
        assert!(long.is_empty());
        assert!(b.push(b"yy\nok\n")[0].is_err());
        assert_eq!(b.push(b"fine\n"), [Ok("fine".into())]);
        assert_eq!(b.push(b"a\x1b[2Jb\x07\tc\n"), [Ok("a[2Jb\tc".into())]);
    }
}
