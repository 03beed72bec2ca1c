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
    ndb: Option<Box<Ndb>>,
    _census: Census,
}

/// The CLOCK reference bit in [`Entry::touched`].
const REFERENCED: u32 = 1 << 31;
/// A scratch mark in [`Entry::touched`] used while compacting the ring.
const RINGED: u32 = 1 << 30;
/// The bits of [`Entry::touched`] that hold the world second.
const SECONDS: u32 = !(REFERENCED | RINGED);

/// The `ndb` attributes of one entry and the bytes they hold (for the `ndb` budgets).
#[derive(Debug, Default)]
struct Ndb {
    attrs: AttrList,
    bytes: usize,
}

/// Bytes one attribute counts against the `ndb` budgets: its slot and its value's heap data.
pub fn attr_cost(value: &Value) -> usize {
    size_of::<(Symbol, Value)>() + value.heap_bytes()
}

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
        self.ndb.as_deref().is_some_and(|n| !n.attrs.is_empty())
    }

    /// Bytes of `ndb` data the entry holds (as the budgets count them).
    pub fn ndb_bytes(&self) -> usize {
        self.ndb.as_deref().map_or(0, |n| n.bytes)
    }

    /// The world second of the last access.
    pub fn last_touched(&self) -> u32 {
        self.touched & SECONDS
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
                .map_or(0, |n| size_of::<Ndb>() + attrs(&n.attrs))
    }

    /// The attributes of one kind.
    pub fn attrs(&self, kind: AttrKind) -> &[(Symbol, Value)] {
        match kind {
            AttrKind::Db => &self.db,
            AttrKind::Ndb => self.ndb.as_deref().map_or(&[], |n| n.attrs.as_slice()),
        }
    }

    /// Sets attribute `name` of one kind and returns its previous value (allocating the `ndb`
    /// list on first use). Use [`IdentityMap::set_attr`] for cached entries: it keeps the
    /// map's `ndb` total.
    fn set_attr(&mut self, kind: AttrKind, name: Symbol, value: Value) -> Option<Value> {
        match kind {
            AttrKind::Db => attr_set(&mut self.db, name, value),
            AttrKind::Ndb => {
                let ndb = self.ndb.get_or_insert_with(Default::default);
                ndb.bytes += attr_cost(&value);
                let old = attr_set(&mut ndb.attrs, name, value);
                ndb.bytes -= old.as_ref().map_or(0, attr_cost);
                old
            }
        }
    }

    /// Removes attribute `name` of one kind and returns its value, if it was set.
    fn remove_attr(&mut self, kind: AttrKind, name: Symbol) -> Option<Value> {
        match kind {
            AttrKind::Db => attr_remove(&mut self.db, name),
            AttrKind::Ndb => {
                let ndb = self.ndb.as_deref_mut()?;
                let old = attr_remove(&mut ndb.attrs, name)?;
                ndb.bytes -= attr_cost(&old);
                if ndb.attrs.is_empty() {
                    self.ndb = None;
                }
                Some(old)
            }
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
    /// Bytes of `ndb` data held by cached entries.
    pub ndb_bytes: usize,
    /// Ids on the CLOCK ring (live entries plus stale ids not yet dropped).
    pub ring: usize,
}

/// The identity map: object id → the one live entry.
#[derive(Default)]
pub struct IdentityMap {
    entries: IdIndex,
    /// Ids in CLOCK order; may hold ids no longer cached (skipped and dropped by the hand, and
    /// compacted away when they outnumber the live ones).
    ring: VecDeque<ObjectId>,
    /// Bytes of `ndb` data held by the entries in the map.
    ndb_bytes: usize,
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
        self.now = seconds.min(SECONDS);
    }

    /// Bytes of `ndb` data held by cached entries.
    pub fn ndb_bytes(&self) -> usize {
        self.ndb_bytes
    }

    /// Sets attribute `name` of one kind on the cached entry `id` and returns its previous
    /// value (`None` outside if `id` is not cached).
    pub fn set_attr(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
        name: Symbol,
        value: Value,
    ) -> Option<Option<Value>> {
        let entry = self.entries.get_mut(id)?;
        let before = entry.ndb_bytes();
        let old = entry.set_attr(kind, name, value);
        self.ndb_bytes = self.ndb_bytes + entry.ndb_bytes() - before;
        Some(old)
    }

    /// Removes attribute `name` of one kind from the cached entry `id` and returns its value
    /// (`None` outside if `id` is not cached).
    pub fn remove_attr(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
        name: Symbol,
    ) -> Option<Option<Value>> {
        let entry = self.entries.get_mut(id)?;
        let before = entry.ndb_bytes();
        let old = entry.remove_attr(kind, name);
        self.ndb_bytes = self.ndb_bytes + entry.ndb_bytes() - before;
        Some(old)
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
        self.insert_boxed(id, Box::new(entry));
        self.entries.get_mut(id).expect("just inserted")
    }

    /// Puts back an entry taken out with [`IdentityMap::remove`].
    pub fn insert_boxed(&mut self, id: ObjectId, entry: Box<Entry>) {
        self.ndb_bytes += entry.ndb_bytes();
        let previous = self.entries.insert(id, entry);
        debug_assert!(previous.is_none(), "identity broken: #{id} inserted twice");
        if let Some(previous) = previous {
            self.ndb_bytes -= previous.ndb_bytes();
        }
        self.ring.push_back(id);
        self.compact_ring_if_stale();
    }

    /// Removes and returns the entry for `id` (its ring slot is dropped when the hand passes,
    /// or when the ring is compacted).
    pub fn remove(&mut self, id: ObjectId) -> Option<Box<Entry>> {
        let entry = self.entries.remove(id)?;
        self.ndb_bytes -= entry.ndb_bytes();
        self.compact_ring_if_stale();
        Some(entry)
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.entries = IdIndex::default();
        self.ring = VecDeque::new();
        self.ndb_bytes = 0;
    }

    /// Drops stale ids from the ring once they outnumber the live entries (ids of deleted,
    /// flushed or rolled-back objects would otherwise stay until the hand passes, which it
    /// never does without a budget): the ring stays within twice the live entries, plus
    /// slack. Amortised O(1) per insertion or removal.
    fn compact_ring_if_stale(&mut self) {
        if self.ring.len() <= 2 * self.entries.len() + 1024 {
            return;
        }
        let entries = &mut self.entries;
        // Keep the first occurrence of each live id (an id put back after a removal can be on
        // the ring twice); the scratch bit marks ids already kept.
        self.ring.retain(|&id| match entries.get_mut(id) {
            Some(e) if e.touched & RINGED == 0 => {
                e.touched |= RINGED;
                true
            }
            _ => false,
        });
        for &id in &self.ring {
            if let Some(e) = entries.get_mut(id) {
                e.touched &= !RINGED;
            }
        }
        self.ring.shrink_to(self.ring.len() * 2);
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
        Some(self.remove(id).map(|e| (id, e)))
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
            ndb_bytes: self.ndb_bytes,
            ring: self.ring.len(),
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
                ndb_bytes: 0,
                ring: 1,
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
    fn the_ring_does_not_keep_every_id_ever_inserted() {
        let mut map = IdentityMap::default();
        for id in 1..=100_000 {
            map.insert_new(id, entry());
            map.remove(id);
        }
        map.insert_new(7, entry());
        assert!(map.ring_len() <= 1024 + 3, "ring holds {}", map.ring_len());
        // A removed-and-restored id is kept once.
        let e = map.remove(7).unwrap();
        map.insert_boxed(7, e);
        for id in 200_000..201_100 {
            map.insert_new(id, entry());
            map.remove(id);
        }
        let sevens = std::iter::from_fn(|| map.hand_next())
            .filter(|n| *n == Some(7))
            .count();
        assert_eq!(sevens, 1);
    }

    #[test]
    fn the_map_counts_ndb_bytes_through_every_path() {
        let mut i = crate::symbol::Interner::default();
        let (a, b) = (i.intern("a"), i.intern("b"));
        let mut map = IdentityMap::default();
        map.insert_new(1, entry());
        map.set_attr(1, AttrKind::Ndb, a, Value::Text("x".repeat(100).into()));
        map.set_attr(1, AttrKind::Ndb, b, Value::Int(1));
        map.set_attr(1, AttrKind::Db, b, Value::Text("not counted".into()));
        let expected = 2 * size_of::<(Symbol, Value)>() + 100;
        assert_eq!(map.ndb_bytes(), expected);
        assert_eq!(map.peek(1).unwrap().ndb_bytes(), expected);
        map.set_attr(1, AttrKind::Ndb, a, Value::Int(2));
        assert_eq!(map.ndb_bytes(), 2 * size_of::<(Symbol, Value)>());
        let taken = map.remove(1).unwrap();
        assert_eq!(map.ndb_bytes(), 0);
        map.insert_boxed(1, taken);
        map.remove_attr(1, AttrKind::Ndb, a);
        map.remove_attr(1, AttrKind::Ndb, b);
        assert_eq!(map.ndb_bytes(), 0);
        assert!(!map.peek(1).unwrap().has_ndb());
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
