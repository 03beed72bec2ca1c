//! [`LoginThrottle`]: failures per address (IPv6 per /64) within a window, then the address is
//! refused for a window. The admin port counts wrong tokens with it, the player ports failed
//! logins and account creations. Plain state driven by the caller's clock (`now` is a
//! parameter), so it is tested without sockets or sleeping.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

/// The outcome of one login attempt.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The token was right.
    Accepted,
    /// The token was wrong; `now_blocked` if this failure got the address refused.
    Rejected { now_blocked: bool },
    /// The address is refused for now; its token was not checked.
    Throttled { retry_in: Duration },
}

/// Failed logins per address (IPv6 per /64, which one host usually has whole).
#[derive(Debug)]
pub(crate) struct LoginThrottle {
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
    /// An empty record: `max_failures` failures within `window` refuse an address for
    /// `window`; at most `capacity` addresses are remembered.
    pub(crate) fn new(max_failures: u32, window: Duration, capacity: usize) -> Self {
        LoginThrottle {
            max_failures: max_failures.max(1),
            window,
            capacity: capacity.max(1),
            records: HashMap::new(),
        }
    }

    /// How long `ip` is still refused at `now`, if it is (forgets an expired record).
    pub(crate) fn blocked(&mut self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let key = address_key(ip);
        let record = self.records.get(&key)?;
        if let Some(until) = record.blocked_until.filter(|&until| now < until) {
            return Some(until - now);
        }
        if record.expired(now, self.window) {
            self.records.remove(&key);
        }
        None
    }

    /// Starts an attempt from `ip` whose check takes a while: refused (how long for) while the
    /// address is blocked, else counted as a failure at once, to be forgiven with
    /// `record(ip, now, true)` if it succeeds. Parallel attempts from one address cannot then
    /// all pass before any of them is recorded.
    pub(crate) fn begin(&mut self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let blocked = self.blocked(ip, now);
        if blocked.is_none() {
            self.record(ip, now, false);
        }
        blocked
    }

    /// Records the outcome of an attempt from `ip` (a success forgets its failures); true if
    /// this failure got the address refused. (Callers whose check takes a while count the
    /// attempt as a failure *before* checking and record the success after, so parallel
    /// attempts cannot all pass a `blocked` test first.)
    pub(crate) fn record(&mut self, ip: IpAddr, now: Instant, success: bool) -> bool {
        let key = address_key(ip);
        if success {
            self.records.remove(&key);
            return false;
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
        now_blocked
    }

    /// One login from `ip` at `now`: refused outright while the address is blocked, else
    /// `check` decides and a failure is recorded.
    pub(crate) fn attempt(
        &mut self,
        ip: IpAddr,
        now: Instant,
        check: impl FnOnce() -> bool,
    ) -> Verdict {
        if let Some(retry_in) = self.blocked(ip, now) {
            return Verdict::Throttled { retry_in };
        }
        if check() {
            self.record(ip, now, true);
            return Verdict::Accepted;
        }
        Verdict::Rejected {
            now_blocked: self.record(ip, now, false),
        }
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
pub(crate) fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(Ipv6Addr::from(segments))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: Duration = Duration::from_secs(1);
    const CAPACITY: usize = 4096;

    fn throttle() -> LoginThrottle {
        LoginThrottle::new(5, Duration::from_secs(60), CAPACITY)
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
        for i in 0..3 * CAPACITY as u32 {
            let a = IpAddr::from(i.to_be_bytes());
            t.attempt(a, t0 + Duration::from_millis(i.into()), || false);
            assert!(t.records.len() <= CAPACITY);
        }
        // The newest addresses are the ones remembered.
        let newest = IpAddr::from((3 * CAPACITY as u32 - 1).to_be_bytes());
        assert!(t.records.contains_key(&newest));
    }
}
