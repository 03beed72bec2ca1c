//! [`evict_eighth`]: making room in a bounded record that a flood of new keys (addresses,
//! account names) fills, in amortised constant time: when full, the eighth least worth keeping
//! goes at once, so the next thousands of new keys do not each rescan the whole record.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash};

/// Removes from `map` about an eighth of its entries (at least one), those `rank` orders
/// first; entries ranked `None` are never removed.
pub(crate) fn evict_eighth<K, V, S, R>(map: &mut HashMap<K, V, S>, rank: impl Fn(&V) -> Option<R>)
where
    K: Clone + Eq + Hash,
    S: BuildHasher,
    R: Ord,
{
    let mut candidates: Vec<(R, K)> = (map.iter())
        .filter_map(|(k, v)| rank(v).map(|r| (r, k.clone())))
        .collect();
    if candidates.is_empty() {
        return;
    }
    let cut = (map.len() / 8).clamp(1, candidates.len());
    if cut < candidates.len() {
        candidates.select_nth_unstable_by(cut - 1, |a, b| a.0.cmp(&b.0));
    }
    for (_, key) in candidates.into_iter().take(cut) {
        map.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_eighth_goes_and_unranked_entries_stay() {
        let mut map: HashMap<u32, u32> = (0..64).map(|i| (i, i)).collect();
        evict_eighth(&mut map, |&v| (v != 0).then_some(v));
        assert_eq!(map.len(), 56);
        assert!(map.contains_key(&0), "unranked entries are kept");
        assert!((1..=8).all(|k| !map.contains_key(&k)));
        let mut one: HashMap<u32, u32> = HashMap::from([(1, 1)]);
        evict_eighth(&mut one, |&v| Some(v));
        assert!(one.is_empty());
    }
}
