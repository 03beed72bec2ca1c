//! [`LoginThrottle`]: failures per address within a sliding window, then the address is refused
//! for a window. The admin port counts wrong tokens with it, the player ports failed logins and
//! account creations. Plain state driven by the caller's clock (`now` is a parameter), so it is
//! tested without sockets or sleeping.
//!
//! What an attacker would try, and what holds:
//! - A success in between never forgives failures: every failure counts for a whole window.
//! - Parallel attempts: an attempt whose check takes a while is counted as in flight before it
//!   is checked ([`LoginThrottle::begin`]), so parallel guesses cannot all pass first.
//! - Many addresses of one IPv6 network: an IPv6 address counts under its /64 (the limit) and
//!   under its /48 (four times the limit): a /48 holds 65,536 /64s.
//!
//! Failures per *account* are [`crate::net::account_guard`]'s.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

/// How many times the per-address limit a whole IPv6 /48 may fail.
const NETWORK_FACTOR: u32 = 4;

/// The outcome of one login attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The token was right.
    Accepted,
    /// The token was wrong; `now_blocked` if this failure got the address refused.
    Rejected {
        /// Whether this failure started a block.
        now_blocked: bool,
    },
    /// The address is refused for now; its token was not checked.
    Throttled {
        /// When the next attempt may come.
        retry_in: Duration,
    },
}

/// Why [`LoginThrottle::begin`] refused an attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Too many failures within the window: refused for `retry_in`.
    Blocked {
        /// When the block ends.
        retry_in: Duration,
    },
    /// As many attempts as the limit are being checked right now (parallel logins from one
    /// address): try again in a moment.
    Busy,
}

/// What failures are counted under: an IPv4 address, an IPv6 /64 or an IPv6 /48.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    network: IpAddr,
    prefix: u8,
}

/// Failed attempts per address (see the module docs).
#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    capacity: usize,
    records: HashMap<Key, Failures>,
}

/// The failures of one key.
#[derive(Debug, Default)]
struct Failures {
    /// When the last failures happened, oldest first (at most the limit's worth).
    times: VecDeque<Instant>,
    /// Attempts begun and not finished.
    in_flight: u32,
    /// Refused until then.
    blocked_until: Option<Instant>,
}

impl Failures {
    /// Forgets failures older than `window`; true if nothing is left to remember.
    fn expire(&mut self, now: Instant, window: Duration) -> bool {
        while self
            .times
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= window)
        {
            self.times.pop_front();
        }
        if self.blocked_until.is_some_and(|until| now >= until) {
            self.blocked_until = None;
        }
        self.times.is_empty() && self.in_flight == 0 && self.blocked_until.is_none()
    }

    fn newest(&self) -> Option<Instant> {
        self.times.back().copied()
    }
}

impl LoginThrottle {
    /// An empty record: `max_failures` failures within `window` refuse an address for
    /// `window`; at most `capacity` addresses are remembered.
    pub fn new(max_failures: u32, window: Duration, capacity: usize) -> Self {
        LoginThrottle {
            max_failures: max_failures.max(1),
            window,
            capacity: capacity.max(1),
            records: HashMap::new(),
        }
    }

    /// The keys `ip` counts under, each with its limit.
    fn keys(&self, ip: IpAddr) -> Vec<(Key, u32)> {
        match ip.to_canonical() {
            IpAddr::V6(v6) => vec![
                (key_v6(v6, 64), self.max_failures),
                (
                    key_v6(v6, 48),
                    self.max_failures.saturating_mul(NETWORK_FACTOR),
                ),
            ],
            v4 => vec![(
                Key {
                    network: v4,
                    prefix: 32,
                },
                self.max_failures,
            )],
        }
    }

    /// Why an attempt from `ip` at `now` would be refused, if it would.
    fn refusal(&mut self, ip: IpAddr, now: Instant) -> Option<Refusal> {
        let window = self.window;
        let mut busy = false;
        for (key, limit) in self.keys(ip) {
            let Some(record) = self.records.get_mut(&key) else {
                continue;
            };
            if record.expire(now, window) {
                self.records.remove(&key);
                continue;
            }
            if let Some(until) = record.blocked_until {
                return Some(Refusal::Blocked {
                    retry_in: until - now,
                });
            }
            busy |= record.times.len() as u64 + u64::from(record.in_flight) >= u64::from(limit);
        }
        busy.then_some(Refusal::Busy)
    }

    /// How long `ip` is still refused at `now`, if it is.
    pub fn blocked(&mut self, ip: IpAddr, now: Instant) -> Option<Duration> {
        match self.refusal(ip, now)? {
            Refusal::Blocked { retry_in } => Some(retry_in),
            Refusal::Busy => None,
        }
    }

    /// Starts an attempt from `ip` whose check takes a while: refused while the address is
    /// blocked or has as many attempts in flight as failures left, else counted as in flight
    /// until [`LoginThrottle::finish`].
    pub fn begin(&mut self, ip: IpAddr, now: Instant) -> Result<(), Refusal> {
        if let Some(refusal) = self.refusal(ip, now) {
            return Err(refusal);
        }
        for (key, _) in self.keys(ip) {
            self.make_room(key, now);
            self.records.entry(key).or_default().in_flight += 1;
        }
        Ok(())
    }

    /// Ends an attempt [`LoginThrottle::begin`] started; `failed` counts it as a failure (a
    /// success forgives nothing). True if it got the address refused.
    pub fn finish(&mut self, ip: IpAddr, now: Instant, failed: bool) -> bool {
        let mut now_blocked = false;
        for (key, limit) in self.keys(ip) {
            self.make_room(key, now);
            let record = self.records.entry(key).or_default();
            record.in_flight = record.in_flight.saturating_sub(1);
            if failed {
                now_blocked |= Self::fail(record, limit, now, self.window);
            }
        }
        now_blocked
    }

    /// Counts a failure on `record`; true if it is now refused.
    fn fail(record: &mut Failures, limit: u32, now: Instant, window: Duration) -> bool {
        record.times.push_back(now);
        while record.times.len() > limit as usize {
            record.times.pop_front();
        }
        let blocked = record.times.len() >= limit as usize && record.blocked_until.is_none();
        if blocked {
            record.blocked_until = Some(now + window);
        }
        blocked
    }

    /// One attempt from `ip` at `now` whose check is instant: refused outright while the
    /// address is blocked, else `check` decides and a failure is counted.
    pub fn attempt(&mut self, ip: IpAddr, now: Instant, check: impl FnOnce() -> bool) -> Verdict {
        if let Some(retry_in) = self.blocked(ip, now) {
            return Verdict::Throttled { retry_in };
        }
        if check() {
            return Verdict::Accepted;
        }
        let mut now_blocked = false;
        for (key, limit) in self.keys(ip) {
            self.make_room(key, now);
            let record = self.records.entry(key).or_default();
            now_blocked |= Self::fail(record, limit, now, self.window);
        }
        Verdict::Rejected { now_blocked }
    }

    /// Makes room for `key` if it is new and the record is full: expired records go, and if
    /// that is not enough, the eighth whose newest failure is oldest (never one with an
    /// attempt in flight).
    fn make_room(&mut self, key: Key, now: Instant) {
        if self.records.contains_key(&key) || self.records.len() < self.capacity {
            return;
        }
        let window = self.window;
        self.records.retain(|_, r| !r.expire(now, window));
        if self.records.len() >= self.capacity {
            crate::evict::evict_eighth(&mut self.records, |r| {
                (r.in_flight == 0).then(|| r.newest())
            });
        }
    }
}

fn key_v6(v6: Ipv6Addr, prefix: u8) -> Key {
    let mut segments = v6.segments();
    segments[usize::from(prefix / 16)..].fill(0);
    Key {
        network: IpAddr::V6(Ipv6Addr::from(segments)),
        prefix,
    }
}

/// The key connections are counted under: the address, or for IPv6 its /64.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => key_v6(v6, 64).network,
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
    }

    #[test]
    fn a_success_in_between_forgives_nothing() {
        // The reported bypass: four wrong guesses, one login to one's own account, again.
        let (mut t, t0, a) = (throttle(), Instant::now(), ip("10.0.0.1"));
        let mut guesses = 0;
        for round in 0..4u32 {
            for i in 0..4u32 {
                let now = t0 + SEC * (round * 5 + i);
                if t.begin(a, now).is_ok() {
                    guesses += 1;
                    t.finish(a, now, true);
                }
            }
            let now = t0 + SEC * (round * 5 + 4);
            if t.begin(a, now).is_ok() {
                t.finish(a, now, false);
            }
        }
        assert_eq!(
            guesses, 5,
            "five wrong guesses per window, successes or not"
        );
    }

    #[test]
    fn attempts_in_flight_count_and_say_busy() {
        let (mut t, t0, a) = (throttle(), Instant::now(), ip("10.0.0.1"));
        for _ in 0..5 {
            assert_eq!(t.begin(a, t0), Ok(()));
        }
        assert_eq!(t.begin(a, t0), Err(Refusal::Busy));
        // Successes free their places and forgive nothing else.
        for _ in 0..5 {
            assert!(!t.finish(a, t0, false));
        }
        assert_eq!(t.begin(a, t0), Ok(()));
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
    fn ipv6_neighbours_share_a_record_and_a_whole_48_is_bounded_too() {
        let (mut t, t0) = (throttle(), Instant::now());
        for i in 0..5 {
            t.attempt(ip(&format!("2001:db8::{i}")), t0, || false);
        }
        let v = t.attempt(ip("2001:db8::ffff:1"), t0, || true);
        assert!(matches!(v, Verdict::Throttled { .. }), "{v:?}");
        assert_eq!(t.attempt(ip("2001:db9::1"), t0, || true), Verdict::Accepted);
        assert_eq!(address_key(ip("::ffff:10.1.2.3")), ip("10.1.2.3"));
        // Hopping across the /64s of one /48: 4 per /64 stays under the /64 limit, but the
        // /48 as a whole is refused after 20.
        let (mut t, mut failures) = (throttle(), 0);
        'hop: for net in 0..100u32 {
            for host in 0..4 {
                let a = ip(&format!("2001:db8:1:{net:x}::{host}"));
                match t.attempt(a, t0, || false) {
                    Verdict::Throttled { .. } => break 'hop,
                    _ => failures += 1,
                }
            }
        }
        assert_eq!(failures, 20);
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
        assert!(t.records.contains_key(&Key {
            network: newest,
            prefix: 32
        }));
    }
}
