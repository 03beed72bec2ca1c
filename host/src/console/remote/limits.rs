//! What bounds the admin port: [`ConsoleLimits`] (connections, the `AUTH` deadline, failed
//! logins), the per-address login throttle and the pause after failed accepts.
//!
//! Everything here is plain state driven by the caller's clock (`now` is a parameter), so it is
//! tested without sockets or sleeping.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

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

/// The outcome of one login attempt.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The token was right.
    Accepted,
    /// The token was wrong; `now_blocked` if this failure got the address refused.
    Rejected { now_blocked: bool },
    /// The address is refused for now; its token was not checked.
    Throttled { retry_in: Duration },
}

/// Failed logins per address (IPv6 per /64, which one host usually has whole).
#[derive(Debug)]
pub(super) struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    capacity: usize,
    records: HashMap<IpAddr, Failures>,
}

/// The failed logins of one address.
#[derive(Debug)]
struct Failures {
    /// When the first failure of the current window happened.
    since: Instant,
    count: u32,
    /// Refused until then, once `count` reached the limit.
    blocked_until: Option<Instant>,
}

impl Failures {
    fn expired(&self, now: Instant, window: Duration) -> bool {
        match self.blocked_until {
            Some(until) => now >= until,
            None => now.saturating_duration_since(self.since) >= window,
        }
    }
}

impl LoginThrottle {
    /// An empty record that applies the failed-login part of `limits`.
    pub(super) fn new(limits: &ConsoleLimits) -> Self {
        LoginThrottle {
            max_failures: limits.max_failures.max(1),
            window: limits.failure_window,
            capacity: limits.tracked_addresses.max(1),
            records: HashMap::new(),
        }
    }

    /// One login from `ip` at `now`: refused outright while the address is blocked, else
    /// `check` decides and a failure is recorded.
    pub(super) fn attempt(
        &mut self,
        ip: IpAddr,
        now: Instant,
        check: impl FnOnce() -> bool,
    ) -> Verdict {
        let key = address_key(ip);
        if let Some(record) = self.records.get(&key) {
            if let Some(until) = record.blocked_until.filter(|&until| now < until) {
                return Verdict::Throttled {
                    retry_in: until - now,
                };
            }
            if record.expired(now, self.window) {
                self.records.remove(&key);
            }
        }
        if check() {
            self.records.remove(&key);
            return Verdict::Accepted;
        }
        if !self.records.contains_key(&key) && self.records.len() >= self.capacity {
            self.make_room(now);
        }
        let record = self.records.entry(key).or_insert(Failures {
            since: now,
            count: 0,
            blocked_until: None,
        });
        record.count += 1;
        let now_blocked = record.count >= self.max_failures;
        if now_blocked {
            record.blocked_until = Some(now + self.window);
        }
        Verdict::Rejected { now_blocked }
    }

    /// Forgets expired records, and if that is not enough, the oldest one.
    fn make_room(&mut self, now: Instant) {
        let window = self.window;
        self.records.retain(|_, r| !r.expired(now, window));
        if self.records.len() >= self.capacity
            && let Some(oldest) = self
                .records
                .iter()
                .min_by_key(|(_, r)| r.since)
                .map(|(k, _)| *k)
        {
            self.records.remove(&oldest);
        }
    }
}

/// The key failures are counted under: the address, or for IPv6 its /64.
fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(Ipv6Addr::from(segments))
        }
        v4 => v4,
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

    const SEC: Duration = Duration::from_secs(1);

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(&ConsoleLimits::default())
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_is_refused_after_five_failures_until_the_window_passes() {
        let (mut t, t0, a) = (throttle(), Instant::now(), ip("10.0.0.1"));
        for i in 0..4 {
            let v = t.attempt(a, t0 + SEC * i, || false);
            assert_eq!(v, Verdict::Rejected { now_blocked: false });
        }
        let v = t.attempt(a, t0 + SEC * 4, || false);
        assert_eq!(v, Verdict::Rejected { now_blocked: true });
        let mut checked = false;
        let v = t.attempt(a, t0 + SEC * 5, || {
            checked = true;
            true
        });
        assert!(matches!(v, Verdict::Throttled { retry_in } if retry_in == SEC * 59));
        assert!(!checked, "a refused address's token is not even compared");
        // Another address is unaffected; once the window has passed the right token works.
        assert_eq!(t.attempt(ip("10.0.0.2"), t0, || true), Verdict::Accepted);
        assert_eq!(t.attempt(a, t0 + SEC * 65, || true), Verdict::Accepted);
        assert!(t.records.is_empty(), "success forgets the failures");
    }

    #[test]
    fn failures_spread_over_more_than_a_window_are_not_blocked() {
        let (mut t, t0, a) = (throttle(), Instant::now(), ip("10.0.0.1"));
        for i in 0..20 {
            let v = t.attempt(a, t0 + SEC * 20 * i, || false);
            assert_eq!(v, Verdict::Rejected { now_blocked: false }, "attempt {i}");
        }
    }

    #[test]
    fn ipv6_neighbours_share_a_record_and_mapped_ipv4_is_ipv4() {
        let (mut t, t0) = (throttle(), Instant::now());
        for i in 0..5 {
            t.attempt(ip(&format!("2001:db8::{i}")), t0, || false);
        }
        let v = t.attempt(ip("2001:db8::ffff:1"), t0, || true);
        assert!(matches!(v, Verdict::Throttled { .. }), "{v:?}");
        assert_eq!(t.attempt(ip("2001:db9::1"), t0, || true), Verdict::Accepted);
        assert_eq!(address_key(ip("::ffff:10.1.2.3")), ip("10.1.2.3"));
    }

    #[test]
    fn the_record_stays_bounded_under_a_flood_of_addresses() {
        let (mut t, t0) = (throttle(), Instant::now());
        for i in 0..3 * TRACKED_ADDRESSES as u32 {
            let a = IpAddr::from(i.to_be_bytes());
            t.attempt(a, t0 + Duration::from_millis(i.into()), || false);
            assert!(t.records.len() <= TRACKED_ADDRESSES);
        }
        // The newest addresses are the ones remembered.
        let newest = IpAddr::from((3 * TRACKED_ADDRESSES as u32 - 1).to_be_bytes());
        assert!(t.records.contains_key(&newest));
    }

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
