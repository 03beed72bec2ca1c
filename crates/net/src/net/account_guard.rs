//! [`AccountGuard`]: failed logins per *account name*, whatever the address, so that guesses
//! spread over many addresses (a botnet) still slow down on the account they target.
//!
//! The design keeps a stranger from locking a player out for long:
//! - The first [`FREE_FAILURES`] failures within the window cost nothing. After that each
//!   attempt must wait a delay that doubles with every further failure (1 s, 2 s, 4 s ...), at
//!   most [`MAX_DELAY`]: guessing becomes slow, and the owner waits at most a minute.
//! - An address (IPv6: its /64) that logged in to the account successfully since the server
//!   started is exempt: a player at home is not slowed by someone guessing elsewhere (the
//!   per-address throttle still applies to them).
//! - A success resets the account's failures.
//! - Names are counted whether an account exists or not, so the answer does not reveal which
//!   accounts exist. At most [`TRACKED_NAMES`] names are remembered (the quietest go first).
//!
//! An attempt counts as a failure when it begins and is forgiven when it succeeds, so parallel
//! guesses cannot all pass before one is recorded.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failures per account within the window before delays begin.
pub const FREE_FAILURES: u32 = 5;
/// The longest delay between two attempts on one account.
pub const MAX_DELAY: Duration = Duration::from_secs(60);
/// Names whose failures are remembered.
pub const TRACKED_NAMES: usize = 16_384;
/// Addresses remembered per account as having logged in to it.
const GOOD_ADDRESSES: usize = 8;

/// Failed logins per account name.
#[derive(Debug)]
pub struct AccountGuard {
    window: Duration,
    names: HashMap<String, Record>,
}

#[derive(Debug, Default)]
struct Record {
    /// Failures (attempts begun and not yet successful) since the window began.
    failures: u32,
    /// When the last one began.
    last: Option<Instant>,
    /// Address keys that logged in to this account.
    good: Vec<IpAddr>,
}

impl AccountGuard {
    /// A guard whose failures are forgotten `window` after the last one.
    pub fn new(window: Duration) -> Self {
        AccountGuard {
            window,
            names: HashMap::new(),
        }
    }

    /// The delay after `failures` failures.
    pub fn delay(failures: u32) -> Duration {
        if failures < FREE_FAILURES {
            return Duration::ZERO;
        }
        let doublings = (failures - FREE_FAILURES).min(16);
        Duration::from_secs(1u64 << doublings).min(MAX_DELAY)
    }

    /// Begins an attempt on `name` from `ip` at `now`: `Err(wait)` while the account is in a
    /// delay, else counted as a failure until [`AccountGuard::succeeded`].
    ///
    /// # Errors
    /// How long to wait before the next attempt on this account.
    pub fn begin(&mut self, name: &str, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let key = crate::throttle::address_key(ip);
        let name = name.to_lowercase();
        if !self.names.contains_key(&name) && self.names.len() >= TRACKED_NAMES {
            self.make_room(now);
        }
        let window = self.window;
        let record = self.names.entry(name).or_default();
        if record.good.contains(&key) {
            return Ok(());
        }
        if record
            .last
            .is_some_and(|last| now.saturating_duration_since(last) >= window)
        {
            record.failures = 0;
        }
        if let Some(last) = record.last {
            let ready = last + Self::delay(record.failures);
            if now < ready {
                return Err(ready - now);
            }
        }
        record.failures += 1;
        record.last = Some(now);
        Ok(())
    }

    /// The attempt on `name` from `ip` succeeded: the account's failures are forgiven and the
    /// address is remembered as the owner's.
    pub fn succeeded(&mut self, name: &str, ip: IpAddr) {
        let key = crate::throttle::address_key(ip);
        let record = self.names.entry(name.to_lowercase()).or_default();
        record.failures = 0;
        record.last = None;
        if !record.good.contains(&key) {
            if record.good.len() >= GOOD_ADDRESSES {
                record.good.remove(0);
            }
            record.good.push(key);
        }
    }

    /// Forgets names whose window has passed (and that no address is remembered for), then if
    /// need be an eighth: first names no owner's address is remembered for, the fewest and
    /// oldest failures first (amortised: a flood of new names does not rescan the record on
    /// every attempt, nor make the guard forget where owners log in from before the rest).
    fn make_room(&mut self, now: Instant) {
        let window = self.window;
        self.names.retain(|_, r| {
            !r.good.is_empty()
                || r.last
                    .is_some_and(|l| now.saturating_duration_since(l) < window)
        });
        if self.names.len() >= TRACKED_NAMES {
            crate::evict::evict_eighth(&mut self.names, |r| {
                Some((!r.good.is_empty(), r.failures, r.last))
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn guesses_from_many_addresses_slow_down_and_the_owner_waits_at_most_a_minute() {
        let (mut g, t0) = (AccountGuard::new(Duration::from_secs(300)), Instant::now());
        // A botnet: every guess from a new address, as fast as allowed.
        let mut now = t0;
        let mut guesses = 0;
        for i in 0..10_000u32 {
            let a = IpAddr::from((0x0a00_0000 + i).to_be_bytes());
            match g.begin("Alice", a, now) {
                Ok(()) => guesses += 1,
                Err(wait) => {
                    assert!(wait <= MAX_DELAY);
                    now += wait;
                }
            }
            if now > t0 + Duration::from_secs(600) {
                break;
            }
        }
        // 5 free, then 1+2+4+8+16+32 s, then one a minute: about 20 in ten minutes.
        assert!(
            (15..=25).contains(&guesses),
            "{guesses} guesses in ten minutes"
        );
        // The owner, from an address that never logged in, right after a guess, waits at
        // most a minute ...
        assert_eq!(g.begin("alice", ip("10.200.0.1"), now), Ok(()));
        let home = ip("192.0.2.7");
        let wait = g.begin("alice", home, now).unwrap_err();
        assert!(wait <= MAX_DELAY);
        assert_eq!(g.begin("alice", home, now + wait), Ok(()));
        g.succeeded("alice", home);
        // ... and once logged in from it, that address is never delayed by the guessing.
        for _ in 0..10 {
            g.begin("alice", ip("10.9.9.9"), now + wait).ok();
        }
        assert_eq!(g.begin("ALICE", home, now + wait), Ok(()));
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        let delays: Vec<u64> = (0..14).map(|n| AccountGuard::delay(n).as_secs()).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn the_record_stays_bounded() {
        let (mut g, t0) = (AccountGuard::new(Duration::from_secs(300)), Instant::now());
        g.succeeded("owner", ip("192.0.2.1"));
        for i in 0..2 * TRACKED_NAMES {
            let _ = g.begin(&format!("name{i}"), ip("10.0.0.1"), t0);
            assert!(g.names.len() <= TRACKED_NAMES);
        }
        // A flood of names does not make the guard forget where an owner logs in from.
        assert!(g.names["owner"].good.contains(&ip("192.0.2.1")));
    }
}
