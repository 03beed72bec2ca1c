//! What bounds the admin port: [`ConsoleLimits`] (connections, the `AUTH` deadline, failed
//! logins; the per-address login throttle itself is `wasmud_net::throttle`'s; the pause after failed
//! accepts is `wasmud_net::accept`'s).
//!
//! Everything here is plain state driven by the caller's clock (`now` is a parameter), so it is
//! tested without sockets or sleeping.

use std::time::Duration;

pub(super) use wasmud_net::throttle::{LoginThrottle, Verdict};

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

#[cfg(test)]
mod tests {
    use super::*;

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
