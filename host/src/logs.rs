//! The server's log: one line per event on stderr, as text (colours only on a terminal) or
//! as JSON objects for log shippers. A message that holds line breaks (an error with its
//! causes, a guest's output) stays on its line: breaks are written as `\n`, so a log reader
//! never takes the second half of a message for a new event.

use std::io::{IsTerminal as _, Write};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

pub use crate::config::LogFormat;

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
