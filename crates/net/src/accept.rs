//! [`AcceptBackoff`]: what an accept loop does when `accept` fails (out of file descriptors,
//! most often): it pauses, doubling from 10 ms to 1 s, and warns at most once a second, so a
//! loop that keeps failing costs neither CPU nor log lines. The admin console and both player
//! ports use it.

use std::time::{Duration, Instant};

/// First pause after a failed `accept`; it doubles on each failure in a row.
const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(10);
/// Longest pause after a failed `accept`; also the least time between two warnings about it.
/// Bounds the CPU and log volume of an accept loop that keeps failing (e.g. out of file
/// descriptors).
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The pause after failed accepts: doubling from [`ACCEPT_BACKOFF_FIRST`] to
/// [`ACCEPT_BACKOFF_MAX`], reset by a success, and at most one warning per
/// [`ACCEPT_BACKOFF_MAX`].
#[derive(Debug, Default)]
pub struct AcceptBackoff {
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
    pub fn failed(&mut self, now: Instant) -> (Duration, Option<u64>) {
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
    pub fn succeeded(&mut self) -> Option<u64> {
        let failures = std::mem::take(self).failures;
        (failures > 0).then_some(failures)
    }
}

impl AcceptBackoff {
    /// `accept` on `port` failed with `error`: logs (at most once a second) and pauses.
    pub async fn pause(&mut self, port: &str, error: &std::io::Error) {
        let (delay, log) = self.failed(Instant::now());
        if let Some(unlogged) = log {
            let quiet = if unlogged > 0 {
                format!(" ({unlogged} more failures since the last warning)")
            } else {
                String::new()
            };
            tracing::warn!(
                "{port} accept failed: {error}; retrying in {} ms{quiet}",
                delay.as_millis()
            );
        }
        tokio::time::sleep(delay).await;
    }

    /// `accept` on `port` succeeded: the pause starts over (and a recovery is logged).
    pub fn accepted(&mut self, port: &str) {
        if let Some(failures) = self.succeeded() {
            tracing::info!("{port} accepts again after {failures} failed accepts");
        }
    }
}

/// The next connection on a player port's `listener`, pausing after failed accepts.
pub async fn accept_tcp(
    listener: &tokio::net::TcpListener,
    backoff: &mut AcceptBackoff,
    port: &str,
) -> (tokio::net::TcpStream, std::net::SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => {
                backoff.accepted(port);
                return accepted;
            }
            Err(e) => backoff.pause(port, &e).await,
        }
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
}
