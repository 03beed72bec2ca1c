//! The server's log: one line per event on stderr, as text (colours only on a terminal) or
//! as JSON objects for log shippers. A message that holds line breaks (an error with its
//! causes, a guest's output) stays on its line: breaks are written as `\n`, so a log reader
//! never takes the second half of a message for a new event.

use std::collections::VecDeque;
use std::io::{IsTerminal as _, Write};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// The log format of `serve` (the `log_format` setting).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One line of text per event; colours only when stderr is a terminal.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the log for this process: `RUST_LOG` filters (default `info`).
///
/// # Errors
/// If a log was installed already.
pub fn init(format: LogFormat) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(OneLine);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    }
}

/// Lines the log keeps for the dashboard ([`recent`]).
pub const RECENT_LINES: usize = 200;
/// The longest line kept for it (longer ones are cut, with `…`).
pub const RECENT_LINE_BYTES: usize = 1024;

/// The last [`RECENT_LINES`] lines written, oldest first.
static RECENT: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// The last lines of the log (at most [`RECENT_LINES`], each at most [`RECENT_LINE_BYTES`]),
/// oldest first, without colour codes.
pub fn recent() -> Vec<String> {
    let recent = RECENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    recent.iter().cloned().collect()
}

/// Keeps `line` (one event, as written) among the recent ones.
fn keep_recent(line: &[u8]) {
    let text = String::from_utf8_lossy(line);
    let mut plain = String::with_capacity(text.len().min(RECENT_LINE_BYTES + 4));
    let mut chars = text.trim_end().chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // A colour code: ESC [ ... letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        if plain.len() + c.len_utf8() > RECENT_LINE_BYTES {
            plain.push('…');
            break;
        }
        plain.push(c);
    }
    let mut recent = RECENT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if recent.len() == RECENT_LINES {
        recent.pop_front();
    }
    recent.push_back(plain);
}

/// Makes one [`EventWriter`] per event.
struct OneLine;

impl<'a> MakeWriter<'a> for OneLine {
    type Writer = EventWriter;

    fn make_writer(&'a self) -> EventWriter {
        EventWriter(Vec::with_capacity(256))
    }
}

/// Gathers one event and writes it to stderr as one line when dropped.
struct EventWriter(Vec<u8>);

impl Write for EventWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        let line = one_line(&self.0);
        keep_recent(&line);
        // Nowhere to report a failed log write: stderr is the report.
        let _ = std::io::stderr().lock().write_all(&line);
    }
}

/// `event` with its line breaks (but the last) written as `\n` and `\r`, ending in one
/// newline.
fn one_line(event: &[u8]) -> Vec<u8> {
    let body = event.strip_suffix(b"\n").unwrap_or(event);
    let mut out = Vec::with_capacity(body.len() + 8);
    for &b in body {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
    out.push(b'\n');
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn recent_lines_are_bounded_and_plain() {
        for i in 0..super::RECENT_LINES + 5 {
            super::keep_recent(format!("\u{1b}[32mINFO\u{1b}[0m line {i}\n").as_bytes());
        }
        super::keep_recent("x".repeat(5000).as_bytes());
        let recent = super::recent();
        assert_eq!(recent.len(), super::RECENT_LINES);
        assert!(
            recent.iter().any(|l| l == "INFO line 204"),
            "{:?}",
            &recent[..3]
        );
        assert!(recent.iter().all(|l| !l.contains('\u{1b}')));
        let last = recent.last().unwrap();
        assert!(last.len() <= super::RECENT_LINE_BYTES + 3 && last.ends_with('…'));
    }

    use super::one_line;

    #[test]
    fn an_event_is_one_line_whatever_its_message_holds() {
        assert_eq!(one_line(b"plain\n"), b"plain\n");
        assert_eq!(
            one_line(b"error: a\n\nCaused by:\r\n  b\n"),
            b"error: a\\n\\nCaused by:\\r\\n  b\n"
        );
        assert_eq!(one_line(b""), b"\n");
    }
}
