//! Reading the store: [`StoreView`] (objects, attributes, indexes, ids), [`TimerView`] and
//! [`AccountView`], shared by snapshots and write transactions of every backend.

use wasmud_common::{ObjectId, Value};

use crate::StoreError;
use crate::records::{AccountRecord, ObjectRecord, TimerRecord};

/// A stored object: its record and its persistent attributes, sorted by name.
pub type LoadedObject = (ObjectRecord, Vec<(Box<str>, Value)>);

/// A timer as listed: its object, its name and its record.
pub type TimerRow = (ObjectId, Box<str>, TimerRecord);

/// A callback a scan calls once per row; an error stops the scan and is returned by it.
pub type Visit<'a, T> = &'a mut dyn FnMut(T) -> Result<(), StoreError>;

/// Read access to objects, shared by snapshots and write transactions (timers and accounts
/// included). Every listing is in ascending order of its key.
pub trait StoreView: TimerView + AccountView {
    /// Loads an object and its attributes.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or an undecodable record.
    fn load(&self, id: ObjectId) -> Result<Option<LoadedObject>, StoreError>;
    /// An object's record alone (no attributes).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or an undecodable record.
    fn record(&self, id: ObjectId) -> Result<Option<ObjectRecord>, StoreError>;
    /// The ids of the objects located in `location`, ascending.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn contents(&self, location: ObjectId) -> Result<Vec<ObjectId>, StoreError>;
    /// The ids of the objects whose key folds (ASCII case) to `key`, ascending.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn search(&self, key: &str) -> Result<Vec<ObjectId>, StoreError>;
    /// True if an object with this id is stored.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn exists(&self, id: ObjectId) -> Result<bool, StoreError>;
    /// True if `id` was deleted.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn is_deleted(&self, id: ObjectId) -> Result<bool, StoreError>;
    /// The next id the sequence will hand out.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn next_id(&self) -> Result<ObjectId, StoreError>;
    /// The number of stored objects.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn object_count(&self) -> Result<u64, StoreError>;
    /// Every object with its attributes, by id (copies, checks).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure, an undecodable record, or the visitor's error.
    fn scan_objects(&self, visit: Visit<'_, (ObjectId, LoadedObject)>) -> Result<(), StoreError>;
    /// Every deleted id, ascending.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or the visitor's error.
    fn scan_tombstones(&self, visit: Visit<'_, ObjectId>) -> Result<(), StoreError>;
    /// Every (folded key, id) pair of the key index, by key then id (`find`).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or the visitor's error.
    fn scan_keys(
        &self,
        visit: &mut dyn FnMut(&str, ObjectId) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// Every object's attribute called `name`, by id (`find` reads the aliases).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure, an undecodable value or the visitor's error.
    fn scan_attr(&self, name: &str, visit: Visit<'_, (ObjectId, Value)>) -> Result<(), StoreError>;
}

/// Reading timers, shared by snapshots and write transactions.
pub trait TimerView {
    /// Timer `name` of `object`.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or an undecodable record.
    fn timer(&self, object: ObjectId, name: &str) -> Result<Option<TimerRecord>, StoreError>;
    /// The timers of `object`, sorted by name.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or an undecodable record.
    fn timers_of(&self, object: ObjectId) -> Result<Vec<TimerRow>, StoreError>;
    /// How many timers `object` has.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn timer_count_of(&self, object: ObjectId) -> Result<usize, StoreError>;
    /// The first `limit` timers in (object, name) order.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or an undecodable record.
    fn first_timers(&self, limit: usize) -> Result<Vec<TimerRow>, StoreError>;
    /// The next timer to fire: (due ms, object, name) of the first active timer by due time
    /// (then object, then name); parked timers are never listed.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn next_timer(&self) -> Result<Option<(u64, ObjectId, Box<str>)>, StoreError>;
    /// How many timers there are (parked ones included).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn timer_count(&self) -> Result<u64, StoreError>;
    /// Every timer, in (object, name) order.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure, an undecodable record or the visitor's error.
    fn scan_timers(&self, visit: Visit<'_, TimerRow>) -> Result<(), StoreError>;
}

/// Reading accounts, shared by snapshots and write transactions.
pub trait AccountView {
    /// The account called `name` (any case).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or an undecodable record.
    fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError>;

    /// Every account, by lower-cased name.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or an undecodable record.
    fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError>;
}
