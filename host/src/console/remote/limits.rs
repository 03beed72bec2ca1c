//! What bounds the admin port: [`ConsoleLimits`] (connections, the `AUTH` deadline, failed
//! logins; the per-address login throttle itself is `crate::throttle`'s) and the pause after
//! failed accepts.
//!
//! Everything here is plain state driven by the caller's clock (`now` is a parameter), so it is
//! tested without sockets or sleeping.

use std::time::{Duration, Instant};

pub(super) use crate::throttle::{LoginThrottle, Verdict};

/// Most admin connections open at once. Bounds the file descriptors and tasks a flood of
/// connections can take (each one holds a socket until it authenticates or times out).
pub const MAX_CONNECTIONS: usize = 32;
/// How long a new connection has to send its `AUTH` line. Bounds how long a silent or slow
/// client holds one of the [`MAX_CONNECTIONS`] slots.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
/// Wrong tokens from one address within [`FAILED_LOGIN_WINDOW`] before it is refused. Makes
/// guessing the token from one address cost a window per few guesses, not microseconds.
pub const MAX_FAILED_LOGINS: u32 = 5;
/// The window over which failed logins count, and how long an address is then refused.
pub const FAILED_LOGIN_WINDOW: Duration = Duration::from_secs(60);
/// Most addresses whose failed logins are remembered: the record cannot grow without bound
/// under a flood from many addresses (expired entries go first, then the oldest).
pub const TRACKED_ADDRESSES: usize = 4096;
/// Overrides [`AUTH_TIMEOUT`] (milliseconds), e.g. for tests.
pub const AUTH_TIMEOUT_ENV: &str = "WASMUD_CONSOLE_AUTH_TIMEOUT_MS";
/// Overrides [`MAX_CONNECTIONS`].
pub const MAX_CONNECTIONS_ENV: &str = "WASMUD_CONSOLE_MAX_CONNECTIONS";

/// First pause after a failed `accept`; it doubles on each failure in a row.
const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(10);
/// Longest pause after a failed `accept`; also the least time between two warnings about it.
/// Bounds the CPU and log volume of an accept loop that keeps failing (e.g. out of file
/// descriptors).
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The limits of the admin port (see [`console::remote`](crate::console::remote)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsoleLimits {
    /// Most connections open at once.
    pub max_connections: usize,
    /// How long a connection has to authenticate.
    pub auth_timeout: Duration,
    /// Wrong tokens from one address within `failure_window` before it is refused.
    pub max_failures: u32,
    /// The window over which failures count, and how long an address is then refused.
    pub failure_window: Duration,
    /// Most addresses whose failures are remembered.
    pub tracked_addresses: usize,
}

impl Default for ConsoleLimits {
    fn default() -> Self {
        ConsoleLimits {
            max_connections: MAX_CONNECTIONS,
            auth_timeout: AUTH_TIMEOUT,
            max_failures: MAX_FAILED_LOGINS,
            failure_window: FAILED_LOGIN_WINDOW,
            tracked_addresses: TRACKED_ADDRESSES,
        }
    }
}

impl ConsoleLimits {
    /// The login throttle these limits describe.
    pub(super) fn login_throttle(&self) -> LoginThrottle {
        LoginThrottle::new(
            self.max_failures,
            self.failure_window,
            self.tracked_addresses,
        )
    }

    /// The defaults, with [`AUTH_TIMEOUT_ENV`] and [`MAX_CONNECTIONS_ENV`] applied if set.
    pub fn from_env() -> Self {
        let mut limits = ConsoleLimits::default();
        if let Some(ms) = env_number(AUTH_TIMEOUT_ENV) {
            limits.auth_timeout = Duration::from_millis(ms);
        }
        if let Some(n) = env_number(MAX_CONNECTIONS_ENV) {
            limits.max_connections = usize::try_from(n).unwrap_or(usize::MAX).max(1);
        }
        limits
    }
}

/// The whole number in the environment variable `name`, if set (a warning if it is not one).
fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    match text.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => {
            tracing::warn!("ignoring {name}={text:?}: not a whole number");
            None
        }
    }
}

/// The pause after failed accepts: doubling from [`ACCEPT_BACKOFF_FIRST`] to
/// [`ACCEPT_BACKOFF_MAX`], reset by a success, and at most one warning per
/// [`ACCEPT_BACKOFF_MAX`].
#[derive(Debug, Default)]
pub(super) struct AcceptBackoff {
    /// Failures in a row.
    failures: u64,
    /// When a warning was last logged in this run of failures.
    logged_at: Option<Instant>,
    /// Failures since that warning.
    unlogged: u64,
}

impl AcceptBackoff {
    /// A failure at `now`: how long to pause, and `Some(failures not logged since the last
    /// warning)` if this one should be logged.
    pub(super) fn failed(&mut self, now: Instant) -> (Duration, Option<u64>) {
        let delay = ACCEPT_BACKOFF_FIRST
            .saturating_mul(1 << self.failures.min(16))
            .min(ACCEPT_BACKOFF_MAX);
        self.failures += 1;
        let log = match self.logged_at {
            Some(at) if now.saturating_duration_since(at) < ACCEPT_BACKOFF_MAX => {
                self.unlogged += 1;
                None
            }
            _ => {
                self.logged_at = Some(now);
                Some(std::mem::take(&mut self.unlogged))
            }
        };
        (delay, log)
    }

    /// An accept succeeded: the pause starts over. `Some(failures in a row)` if any.
    pub(super) fn succeeded(&mut self) -> Option<u64> {
        let failures = std::mem::take(self).failures;
        (failures > 0).then_some(failures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_backoff_doubles_to_a_second_logs_once_per_second_and_resets() {
        let (mut b, t0) = (AcceptBackoff::default(), Instant::now());
        let mut now = t0;
        let mut delays = Vec::new();
        let mut logged = 0;
        for _ in 0..12 {
            let (delay, log) = b.failed(now);
            delays.push(delay.as_millis());
            logged += usize::from(log.is_some());
            now += delay;
        }
        assert_eq!(
            delays,
            [10, 20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000, 1000]
        );
        // 12 failures over ~7.3 s: the first, then at most one warning a second.
        assert!((2..=8).contains(&logged), "{logged} warnings");
        // A burst of failures at one instant logs once.
        let (mut burst, mut burst_logs) = (AcceptBackoff::default(), 0);
        for _ in 0..1000 {
            burst_logs += usize::from(burst.failed(t0).1.is_some());
        }
        assert_eq!(burst_logs, 1);
        assert_eq!(b.succeeded(), Some(12));
        assert_eq!(
            b.failed(now).0,
            ACCEPT_BACKOFF_FIRST,
            "a success resets the pause"
        );
        assert_eq!(AcceptBackoff::default().succeeded(), None);
    }

    #[test]
    fn limits_come_from_the_defaults() {
        let limits = ConsoleLimits::default();
        assert_eq!(limits.max_connections, 32);
        assert_eq!(limits.auth_timeout, Duration::from_secs(10));
        assert_eq!(
            (limits.max_failures, limits.failure_window.as_secs()),
            (5, 60)
        );
    }
}
