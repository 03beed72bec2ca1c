//! `wasmud:runtime/log`: guest log lines go to the host's `tracing` log, tagged with the
//! typeclass and object of the running hook. Lines share the instance's rate limit with its
//! stdout and stderr, and control characters are escaped (no forged lines).

use crate::runtime::bindings::wasmud::runtime::log::{Host, Level};
use crate::runtime::ctx::Ctx;
use crate::runtime::guest_output::escape_line;

/// Longest log line kept; longer lines are cut (a guest must not flood the host log).
const MAX_LOG_LINE: usize = 4096;

impl Host for Ctx {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let mut end = message.len().min(MAX_LOG_LINE);
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let (allowed, dropped) = self.log_budget.take();
        let (typeclass, object) = (&*self.typeclass, self.current);
        if dropped > 0 {
            tracing::warn!(target: "script", typeclass, dropped, "guest log rate-limited");
        }
        if !allowed {
            return Ok(());
        }
        let text = &*escape_line(&message[..end]);
        match level {
            Level::Trace => tracing::trace!(target: "script", typeclass, object, "{text}"),
            Level::Debug => tracing::debug!(target: "script", typeclass, object, "{text}"),
            Level::Info => tracing::info!(target: "script", typeclass, object, "{text}"),
            Level::Warn => tracing::warn!(target: "script", typeclass, object, "{text}"),
            Level::Error => tracing::error!(target: "script", typeclass, object, "{text}"),
        }
        Ok(())
    }
}
