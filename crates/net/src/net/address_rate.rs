//! [`AddressRate`]: how fast one address may open connections, checked before anything else
//! (the global pace included), so one host connecting and closing in a loop is refused on its
//! own budget and never spends everyone's.
//!
//! The generic cell rate algorithm per address key (IPv6: per /64): `rate` a second after a
//! burst of [`BURST_SECONDS`] seconds' worth. At most [`TRACKED`] addresses are remembered; an
//! address whose budget is full again is forgotten first (it is the same as a new one), then
//! the eighth closest to it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The burst an address may open at once, in seconds of its rate.
pub const BURST_SECONDS: u32 = 10;
/// Addresses remembered.
const TRACKED: usize = 4096;

/// Connection rates per address.
#[derive(Debug)]
pub struct AddressRate {
    /// Connections a second per address (0: no limit).
    rate: u32,
    /// Per address key: when its budget is full again ("theoretical arrival time").
    next: HashMap<IpAddr, Instant>,
}

impl AddressRate {
    /// `rate` connections a second per address after a burst of [`BURST_SECONDS`] × `rate`.
    pub fn new(rate: u32) -> Self {
        AddressRate {
            rate,
            next: HashMap::new(),
        }
    }

    /// True if a new connection from `ip` at `now` is within its address's rate (it is then
    /// counted); false if it must be refused (nothing is counted).
    pub fn admit(&mut self, ip: IpAddr, now: Instant) -> bool {
        if self.rate == 0 {
            return true;
        }
        let interval = Duration::from_secs(1) / self.rate;
        let tolerance = interval * (self.rate.saturating_mul(BURST_SECONDS) - 1);
        let key = crate::throttle::address_key(ip);
        if !self.next.contains_key(&key) && self.next.len() >= TRACKED {
            self.next.retain(|_, &mut at| at > now);
            if self.next.len() >= TRACKED {
                // The eighth closest to a full budget (cheapest to forget), amortised.
                crate::evict::evict_eighth(&mut self.next, |&at| Some(at));
            }
        }
        let due = self.next.get(&key).map_or(now, |&at| at.max(now));
        if due.saturating_duration_since(now) > tolerance {
            return false;
        }
        self.next.insert(key, due + interval);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate_and_refusals_cost_nothing() {
        let (mut r, t0) = (AddressRate::new(2), Instant::now());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let admitted = (0..100).filter(|_| r.admit(a, t0)).count();
        assert_eq!(admitted, 20);
        // Refused attempts did not push the budget further out: half a second later, one more.
        assert!(r.admit(a, t0 + Duration::from_millis(500)));
        assert!(!r.admit(a, t0 + Duration::from_millis(500)));
        // Another address has its own budget.
        assert!(r.admit("10.0.0.2".parse().unwrap(), t0));
        assert!(AddressRate::new(0).admit(a, t0));
    }

    #[test]
    fn a_flood_of_addresses_stays_bounded_and_keeps_the_busiest() {
        let (mut r, t0) = (AddressRate::new(2), Instant::now());
        let busy: IpAddr = "10.0.0.1".parse().unwrap();
        assert_eq!((0..20).filter(|_| r.admit(busy, t0)).count(), 20);
        for i in 0..5 * TRACKED as u32 {
            assert!(r.admit(IpAddr::from((0x0b00_0000 + i).to_be_bytes()), t0));
            assert!(r.next.len() <= TRACKED);
        }
        // The address that spent its whole burst is still refused.
        assert!(!r.admit(busy, t0));
    }
}
