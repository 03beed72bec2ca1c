//! The identity map: at most one live [`Entry`] per object id.
//!
//! The map is the only owner of entries. Nothing else (handles, attribute values, indexes,
//! queues) holds an entry: they hold ids and come back here, so dropping an entry from the map
//! really frees it. The map knows nothing of WIT or of the store; the world fills it.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::symbol::Symbol;
use crate::value::{ObjectId, Value};

/// Attributes of one kind (`db` or `ndb`) on one entry, unsorted, few per object.
pub type AttrList = Vec<(Symbol, Value)>;

/// One cached object. Kept small (72 bytes, boxed, so a map slot is 16): the identity map
/// holds millions of them.
#[derive(Debug)]
pub struct Entry {
    /// The object's key.
    pub key: Box<str>,
    /// Its typeclass name.
    pub typeclass: Symbol,
    /// Where it is.
    pub location: Option<ObjectId>,
    /// Persistent attributes (mirrored in the store).
    pub db: AttrList,
    /// Temporary attributes (memory only); boxed on first use, as most objects have none.
    pub ndb: Option<Box<AttrList>>,
}

impl Entry {
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
}

/// The identity map: object id → the one live entry.
#[derive(Default)]
pub struct IdentityMap {
    entries: HashMap<ObjectId, Box<Entry>, BuildHasherDefault<IdHasher>>,
    hits: u64,
    misses: u64,
    loads: u64,
}

impl IdentityMap {
    /// The entry for `id`, counting a hit or a miss.
    #[inline]
    pub fn get(&mut self, id: ObjectId) -> Option<&mut Entry> {
        match self.entries.get_mut(&id) {
            Some(e) => {
                self.hits += 1;
                Some(&mut **e)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// The entry for `id` without touching the counters.
    pub fn peek(&self, id: ObjectId) -> Option<&Entry> {
        self.entries.get(&id).map(|e| &**e)
    }

    /// The entry for `id`, mutable, without touching the counters.
    pub fn peek_mut(&mut self, id: ObjectId) -> Option<&mut Entry> {
        self.entries.get_mut(&id).map(|e| &mut **e)
    }

    /// True if `id` has a live entry.
    pub fn contains(&self, id: ObjectId) -> bool {
        self.entries.contains_key(&id)
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
    pub fn insert_new(&mut self, id: ObjectId, entry: Entry) -> &mut Entry {
        use std::collections::hash_map::Entry as Slot;
        match self.entries.entry(id) {
            Slot::Vacant(v) => v.insert(Box::new(entry)),
            Slot::Occupied(o) => {
                debug_assert!(false, "identity broken: #{id} inserted twice");
                let slot = o.into_mut();
                **slot = entry;
                slot
            }
        }
    }

    /// Puts back an entry taken out with [`IdentityMap::remove`].
    pub fn insert_boxed(&mut self, id: ObjectId, entry: Box<Entry>) {
        let previous = self.entries.insert(id, entry);
        debug_assert!(previous.is_none(), "identity broken: #{id} inserted twice");
    }

    /// Drops every entry.
    pub fn clear(&mut self) {
        self.entries = HashMap::default();
    }

    /// Removes and returns the entry for `id`.
    pub fn remove(&mut self, id: ObjectId) -> Option<Box<Entry>> {
        self.entries.remove(&id)
    }

    /// The counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.entries.len(),
            hits: self.hits,
            misses: self.misses,
            loads: self.loads,
        }
    }

    /// Approximate bytes held by the map and its entries.
    pub fn approx_bytes(&self) -> usize {
        self.entries.capacity() * (size_of::<(ObjectId, Box<Entry>)>() + 1)
            + self.entries.values().map(|e| e.heap_bytes()).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            key: "x".into(),
            typeclass: crate::symbol::Interner::default().intern("t"),
            location: None,
            db: Vec::new(),
            ndb: None,
        }
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
                loads: 1
            }
        );
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
