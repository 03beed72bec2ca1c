//! Guest stdout/stderr: routed to the host log, line by line, with a rate limit.
//!
//! A guest's `println!` (or a Rust panic message) arrives as WASI output-stream writes. They are
//! split into lines and logged at `info` (stdout) or `warn` (stderr) with the typeclass name;
//! beyond [`super::Sandbox::output_lines_per_second`] lines per second an instance's output is
//! dropped and counted, so a chatty script cannot flood the log or the host's memory. The same
//! budget covers the `log` import. Control characters (newlines included) in guest text are
//! escaped, so a guest cannot forge log lines.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Longest line kept; the rest of a longer line is dropped.
const MAX_LINE: usize = 4096;

/// Guest log lines written and dropped, world-wide (shared by every instance's budget).
#[derive(Debug, Default)]
pub struct LogCounters {
    logged: AtomicU64,
    dropped: AtomicU64,
}

impl LogCounters {
    /// Guest lines written to the log so far.
    pub fn logged(&self) -> u64 {
        self.logged.load(Ordering::Relaxed)
    }

    /// Guest lines dropped by the rate limit so far.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Guest text made safe for one log line: control characters (newlines, escapes) are written
/// as Rust escapes, so a guest cannot forge a line or colour the operator's terminal.
pub(crate) fn escape_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out.into()
}

/// A per-instance budget of log lines, shared by its `log` import, stdout and stderr.
///
/// The `Mutex` is uncontended (one instance runs on one thread at a time); WASI's stream
/// traits need `Send + Sync` handles to it.
#[derive(Debug)]
pub(crate) struct LineBudget {
    per_second: u32,
    counters: Arc<LogCounters>,
    state: Mutex<BudgetState>,
}

#[derive(Debug)]
struct BudgetState {
    window: Instant,
    used: u32,
    dropped: u64,
}

impl LineBudget {
    pub(crate) fn new(per_second: u32, counters: Arc<LogCounters>) -> Arc<Self> {
        Arc::new(LineBudget {
            per_second,
            counters,
            state: Mutex::new(BudgetState {
                window: Instant::now(),
                used: 0,
                dropped: 0,
            }),
        })
    }

    /// True if one more line may be logged now (otherwise it is counted as dropped), and how
    /// many lines were dropped in the window that just ended (to report once).
    pub(crate) fn take(&self) -> (bool, u64) {
        let (allowed, dropped) = self.take_in_window();
        let counter = if allowed {
            &self.counters.logged
        } else {
            &self.counters.dropped
        };
        counter.fetch_add(1, Ordering::Relaxed);
        (allowed, dropped)
    }

    fn take_in_window(&self) -> (bool, u64) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if s.window.elapsed() >= Duration::from_secs(1) {
            let dropped = std::mem::take(&mut s.dropped);
            s.window = Instant::now();
            s.used = 0;
            s.used += 1;
            return (true, dropped);
        }
        if s.used < self.per_second {
            s.used += 1;
            (true, 0)
        } else {
            s.dropped += 1;
            (false, 0)
        }
    }
}

/// One of a guest's output streams.
#[derive(Clone)]
pub(crate) struct GuestOutput {
    typeclass: Arc<str>,
    stderr: bool,
    budget: Arc<LineBudget>,
    line: Arc<Mutex<Vec<u8>>>,
}

impl GuestOutput {
    pub(crate) fn new(typeclass: Arc<str>, stderr: bool, budget: Arc<LineBudget>) -> Self {
        GuestOutput {
            typeclass,
            stderr,
            budget,
            line: Arc::default(),
        }
    }

    fn accept(&self, bytes: &[u8]) {
        let mut line = self.line.lock().unwrap_or_else(|p| p.into_inner());
        for &b in bytes {
            if b == b'\n' {
                self.emit(&line);
                line.clear();
            } else if line.len() < MAX_LINE {
                line.push(b);
            }
        }
    }

    fn emit(&self, line: &[u8]) {
        let (allowed, dropped) = self.budget.take();
        let typeclass = &*self.typeclass;
        if dropped > 0 {
            tracing::warn!(target: "script", typeclass, dropped, "guest output rate-limited");
        }
        if !allowed {
            return;
        }
        let raw = String::from_utf8_lossy(line);
        let text = escape_line(&raw);
        if self.stderr {
            tracing::warn!(target: "script", typeclass, stream = "stderr", "{text}");
        } else {
            tracing::info!(target: "script", typeclass, stream = "stdout", "{text}");
        }
    }
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.accept(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 * 1024)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for GuestOutput {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.accept(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_text_cannot_forge_log_lines_or_colour_the_terminal() {
        assert_eq!(escape_line("plain text, ünïcode"), "plain text, ünïcode");
        let forged = "ok\n2026-11-26T00:00:00Z  INFO wasmud: admin logged in\r\x1b[31mred";
        let escaped = escape_line(forged);
        assert!(!escaped.chars().any(char::is_control), "{escaped}");
        assert_eq!(
            escaped,
            "ok\\n2026-11-26T00:00:00Z  INFO wasmud: admin logged in\\r\\u{1b}[31mred"
        );
    }

    #[test]
    fn the_line_budget_counts_what_it_drops() {
        let counters = Arc::new(LogCounters::default());
        let budget = LineBudget::new(50, counters.clone());
        let allowed = (0..1000).filter(|_| budget.take().0).count();
        assert!(allowed <= 100, "{allowed} lines allowed");
        assert_eq!(counters.logged() + counters.dropped(), 1000);
        assert_eq!(counters.logged(), allowed as u64);
    }
}
