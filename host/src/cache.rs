//! The identity map: at most one live [`Entry`] per object id.
//!
//! The map is the only owner of entries. Nothing else (handles, attribute values, indexes,
//! queues) holds an entry: they hold ids and come back here, so dropping an entry from the map
//! really frees it (a thread-local census, [`live_entries`], lets tests prove it). The map
//! knows nothing of WIT or of the store; the world fills it and decides what may be flushed.
//!
//! # Replacement
//! Every entry is also on a FIFO *ring* of ids, walked by a CLOCK hand: an access sets the
//! entry's reference bit; the hand clears it or, if it is already clear, offers the entry for
//! eviction. CLOCK approximates LRU at O(1) per step, and the world runs it in bounded slices
//! (see `world::flush`), so neither flushing nor evicting ever stalls the world for long.

use std::cell::Cell;
use std::collections::VecDeque;
use std::hash::{BuildHasherDefault, Hasher};

use crate::id_index::IdIndex;
use crate::symbol::Symbol;
use crate::value::{ObjectId, Value};

/// Attributes of one kind (`db` or `ndb`) on one entry, unsorted, few per object.
pub type AttrList = Vec<(Symbol, Value)>;

/// One cached object. Kept small (72 bytes, boxed, so an index slot is 8): the identity map
/// holds millions of them.
#[derive(Debug)]
pub struct Entry {
    /// The object's key.
    pub key: Box<str>,
    /// Its typeclass name.
    pub typeclass: Symbol,
    /// Last access in world seconds (low 31 bits) and the CLOCK reference bit (top bit).
    touched: u32,
    /// Where it is.
    pub location: Option<ObjectId>,
    /// Persistent attributes (mirrored in the store).
    pub db: AttrList,
    /// Temporary attributes (memory only); boxed on first use, as most objects have none.
    pub ndb: Option<Box<AttrList>>,
    _census: Census,
}

/// The CLOCK reference bit in [`Entry::touched`].
const REFERENCED: u32 = 1 << 31;

thread_local! {
    static LIVE_ENTRIES: Cell<usize> = const { Cell::new(0) };
}

/// The number of [`Entry`] values alive on this thread (the world's thread). Counts every entry,
/// wherever it is held, so it shows whether anything outside the map keeps entries alive.
pub fn live_entries() -> usize {
    LIVE_ENTRIES.with(Cell::get)
}

/// Counts entries in and out of existence (zero-sized).
#[derive(Debug)]
struct Census;

impl Census {
    fn new() -> Self {
        LIVE_ENTRIES.with(|n| n.set(n.get() + 1));
        Census
    }
}

impl Drop for Census {
    fn drop(&mut self) {
        LIVE_ENTRIES.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

impl Entry {
    /// A new entry (not yet in a map).
    pub fn new(key: Box<str>, typeclass: Symbol, location: Option<ObjectId>, db: AttrList) -> Self {
        Entry {
            key,
            typeclass,
            touched: 0,
            location,
            db,
            ndb: None,
            _census: Census::new(),
        }
    }

    /// True if the entry holds `ndb` data.
    pub fn has_ndb(&self) -> bool {
        self.ndb.as_deref().is_some_and(|l| !l.is_empty())
    }

    /// The world second of the last access.
    pub fn last_touched(&self) -> u32 {
        self.touched & !REFERENCED
    }

    /// Approximate heap bytes owned by the entry, excluding the map slot.
    pub fn heap_bytes(&self) -> usize {
        let attrs = |l: &AttrList| {
            l.capacity() * size_of::<(Symbol, Value)>()
                + l.iter().map(|(_, v)| v.heap_bytes()).sum::<usize>()
        };
        size_of::<Entry>()
            + self.key.len()
            + attrs(&self.db)
            + self
                .ndb
                .as_deref()
                .map_or(0, |l| size_of::<AttrList>() + attrs(l))
    }

    /// The attributes of one kind.
    pub fn attrs(&self, kind: AttrKind) -> &[(Symbol, Value)] {
        match kind {
            AttrKind::Db => &self.db,
            AttrKind::Ndb => self.ndb.as_deref().map_or(&[], Vec::as_slice),
        }
    }

    /// The attributes of one kind, mutable (allocating the `ndb` list on first use).
    pub fn attrs_mut(&mut self, kind: AttrKind) -> &mut AttrList {
        match kind {
            AttrKind::Db => &mut self.db,
            AttrKind::Ndb => self.ndb.get_or_insert_with(Default::default),
        }
    }
}

/// Which attributes an operation addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrKind {
    /// Persistent attributes, mirrored in the store.
    Db,
    /// Temporary attributes, in memory only.
    Ndb,
}

/// Finds `name` in an attribute list.
pub fn attr_get(list: &[(Symbol, Value)], name: Symbol) -> Option<&Value> {
    list.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
}

/// Sets `name` in an attribute list and returns its previous value.
pub fn attr_set(list: &mut AttrList, name: Symbol, value: Value) -> Option<Value> {
    match list.iter_mut().find(|(n, _)| *n == name) {
        Some(slot) => Some(std::mem::replace(&mut slot.1, value)),
        None => {
            list.push((name, value));
            None
        }
    }
}

/// Removes `name` from an attribute list and returns its value, if it was set.
pub fn attr_remove(list: &mut AttrList, name: Symbol) -> Option<Value> {
    let i = list.iter().position(|(n, _)| *n == name)?;
    Some(list.swap_remove(i).1)
}

/// A hasher for object ids: ids are dense integers, so one multiply spreads them well.
#[derive(Default, Clone, Copy)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A set of object ids with the cheap id hasher.
pub type IdSet = std::collections::HashSet<ObjectId, BuildHasherDefault<IdHasher>>;

/// Counters of the identity map.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Live entries.
    pub entries: usize,
    /// Lookups answered from the map.
    pub hits: u64,
    /// Lookups that found no entry.
    pub misses: u64,
    /// Entries inserted after loading from the store.
    pub loads: u64,
    /// Entries evicted to stay within the memory budget.
    pub evictions: u64,
    /// Entries dropped by explicit flushes.
    pub flushed: u64,
}

/// The identity map: object id → the one live entry.
#[derive(Default)]
pub struct IdentityMap {
    entries: IdIndex,
    /// Ids in CLOCK order; may hold ids no longer cached (skipped and dropped by the hand).
    ring: VecDeque<ObjectId>,
    /// The current world second, stamped on every access.
    now: u32,
    hits: u64,
    misses: u64,
    loads: u64,
    evictions: u64,
    flushed: u64,
}

impl IdentityMap {
    /// Sets the world second stamped on accesses from now on.
    pub fn set_now(&mut self, seconds: u32) {
        self.now = seconds & !REFERENCED;
    }

    /// The current world second.
    pub fn now(&self) -> u32 {
        self.now
    }

    /// The entry for `id`, counting a hit (and marking it used) or a miss.
    #[inline]
    pub fn get(&mut self, id: ObjectId) -> Option<&mut Entry> {
        match self.entries.get_mut(id) {
            Some(e) => {
                self.hits += 1;
                e.touched = self.now | REFERENCED;
                Some(e)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// The entry for `id` without touching the counters.
    pub fn peek(&self, id: ObjectId) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// The entry for `id`, mutable, without touching the counters.
    pub fn peek_mut(&mut self, id: ObjectId) -> Option<&mut Entry> {
        self.entries.get_mut(id)
    }

    /// True if `id` has a live entry.
    pub fn contains(&self, id: ObjectId) -> bool {
        self.entries.get(id).is_some()
    }

    /// The number of live entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no entry is live.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Inserts an entry loaded from the store.
    ///
    /// # Panics
    /// In debug builds, if `id` already has an entry: that would break identity.
    pub fn insert_loaded(&mut self, id: ObjectId, entry: Entry) -> &mut Entry {
        self.loads += 1;
        self.insert_new(id, entry)
    }

    /// Inserts the entry of an object created just now.
    pub fn insert_new(&mut self, id: ObjectId, mut entry: Entry) -> &mut Entry {
        entry.touched = self.now | REFERENCED;
        let previous = self.entries.insert(id, Box::new(entry));
        debug_assert!(previous.is_none(), "identity broken: #{id} inserted twice");
        if previous.is_none() {
            self.ring.push_back(id);
        }
        self.entries.get_mut(id).expect("just inserted")
    }

    /// Puts back an entry taken out with [`IdentityMap::remove`].
    pub fn insert_boxed(&mut self, id: ObjectId, entry: Box<Entry>) {
        self.ring.push_back(id);
        let previous = self.entries.insert(id, entry);
        debug_assert!(previous.is_none(), "identity broken: #{id} inserted twice");
    }

    /// Removes and returns the entry for `id` (its ring slot is dropped when the hand passes).
    pub fn remove(&mut self, id: ObjectId) -> Option<Box<Entry>> {
        self.entries.remove(id)
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.entries = IdIndex::default();
        self.ring = VecDeque::new();
    }

    /// The length of the CLOCK ring (live entries plus stale ids not yet passed).
    pub fn ring_len(&self) -> usize {
        self.ring.len()
    }

    /// Moves the CLOCK hand one step: takes the next id off the ring. `None` if the ring is
    /// empty; `Some(None)` for a stale id (no longer cached, dropped from the ring).
    pub fn hand_next(&mut self) -> Option<Option<ObjectId>> {
        let id = self.ring.pop_front()?;
        Some(self.entries.get(id).is_some().then_some(id))
    }

    /// Moves the CLOCK hand one step and takes the entry there out of the map: `None` if the
    /// ring is empty, `Some(None)` for a stale id. Give a kept entry back with
    /// [`IdentityMap::put_back`].
    pub fn hand_take(&mut self) -> Option<Option<(ObjectId, Box<Entry>)>> {
        let id = self.ring.pop_front()?;
        Some(self.entries.remove(id).map(|e| (id, e)))
    }

    /// Puts back an entry taken with [`IdentityMap::hand_take`] or [`IdentityMap::remove`],
    /// at the end of the ring.
    pub fn put_back(&mut self, id: ObjectId, entry: Box<Entry>) {
        self.insert_boxed(id, entry);
    }

    /// Puts an id the hand took back at the end of the ring (the entry stays cached).
    pub fn hand_keep(&mut self, id: ObjectId) {
        self.ring.push_back(id);
    }

    /// Clears the reference bit of `id`; returns whether it was set (used since the hand last
    /// passed).
    pub fn take_reference(&mut self, id: ObjectId) -> bool {
        match self.entries.get_mut(id) {
            Some(e) if e.touched & REFERENCED != 0 => {
                e.touched &= !REFERENCED;
                true
            }
            _ => false,
        }
    }

    /// Counts entries removed by eviction or flush.
    pub fn count_removed(&mut self, evicted: u64, flushed: u64) {
        self.evictions += evicted;
        self.flushed += flushed;
    }

    /// Returns spare capacity to the allocator once most entries are gone.
    pub fn shrink_if_sparse(&mut self) {
        self.entries.shrink();
        if self.ring.len() < self.ring.capacity() / 4 {
            self.ring.shrink_to_fit();
        }
    }

    /// The live entries, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (ObjectId, &Entry)> {
        self.entries.iter()
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.entries.len(),
            hits: self.hits,
            misses: self.misses,
            loads: self.loads,
            evictions: self.evictions,
            flushed: self.flushed,
        }
    }

    /// Approximate bytes held by the map, its ring and its entries.
    pub fn approx_bytes(&self) -> usize {
        self.entries.slot_bytes()
            + self.ring.capacity() * size_of::<ObjectId>()
            + self
                .entries
                .iter()
                .map(|(_, e)| e.heap_bytes())
                .sum::<usize>()
    }
}

/// Approximate bytes an entry frees when dropped, map slot and ring slot included.
pub fn entry_footprint(entry: &Entry) -> usize {
    entry.heap_bytes() + size_of::<Box<Entry>>() + size_of::<ObjectId>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry::new(
            "x".into(),
            crate::symbol::Interner::default().intern("t"),
            None,
            Vec::new(),
        )
    }

    #[test]
    fn one_entry_per_id_and_counters() {
        let mut map = IdentityMap::default();
        assert!(map.get(1).is_none());
        map.insert_loaded(1, entry());
        map.get(1).unwrap().key = "renamed".into();
        assert_eq!(&*map.get(1).unwrap().key, "renamed");
        assert_eq!(
            map.stats(),
            CacheStats {
                entries: 1,
                hits: 2,
                misses: 1,
                loads: 1,
                evictions: 0,
                flushed: 0,
            }
        );
    }

    #[test]
    fn the_census_counts_entries_wherever_they_are() {
        let before = live_entries();
        let mut map = IdentityMap::default();
        map.insert_new(1, entry());
        map.insert_new(2, entry());
        let held = map.remove(1).unwrap();
        assert_eq!(live_entries(), before + 2);
        drop(held);
        assert_eq!(live_entries(), before + 1);
        map.clear();
        assert_eq!(live_entries(), before);
    }

    #[test]
    fn the_clock_hand_gives_used_entries_a_second_chance() {
        let mut map = IdentityMap::default();
        for id in 1..=3 {
            map.insert_new(id, entry());
        }
        map.remove(2);
        // New entries start referenced: the first pass only clears the bits.
        let mut seen = Vec::new();
        while let Some(next) = map.hand_next() {
            match next {
                Some(id) if map.take_reference(id) => map.hand_keep(id),
                Some(id) => {
                    seen.push(id);
                    break;
                }
                None => {}
            }
        }
        assert_eq!(
            seen,
            vec![1],
            "stale #2 skipped, #1 offered on the second pass"
        );
        assert_eq!(map.ring_len(), 1, "#3 kept, #1 taken, #2 dropped");
    }

    #[test]
    fn attribute_lists() {
        let mut i = crate::symbol::Interner::default();
        let (a, b) = (i.intern("a"), i.intern("b"));
        let mut l = AttrList::new();
        attr_set(&mut l, a, Value::Int(1));
        attr_set(&mut l, b, Value::Int(2));
        attr_set(&mut l, a, Value::Int(3));
        assert_eq!(attr_get(&l, a), Some(&Value::Int(3)));
        assert_eq!(attr_remove(&mut l, a), Some(Value::Int(3)));
        assert_eq!(attr_remove(&mut l, a), None);
        assert_eq!(l.len(), 1);
    }
}
