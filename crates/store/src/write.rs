//! [`WriteTxn`]: the store's single write transaction, through which the world changes it.

use wasmud_common::{ObjectId, Value};

use crate::StoreError;
use crate::records::{AccountRecord, ObjectRecord, TimerRecord};
use crate::view::StoreView;

/// The store's write transaction: changes are visible to its own reads at once and to the
/// store's other reads after [`WriteTxn::commit`]; dropping it without a commit discards them.
/// A turn of the world is one write transaction: its commit keeps all of it or none.
pub trait WriteTxn: StoreView + Send {
    /// Reserves `count` fresh ids and returns the first. Ids are never handed out twice, even
    /// across a crash, once a commit that reserved them is durable.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn allocate_ids(&mut self, count: u64) -> Result<ObjectId, StoreError>;

    /// Raises the id sequence to at least `next` (copies between stores).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn raise_next_id(&mut self, next: ObjectId) -> Result<(), StoreError>;

    /// Writes an object's record, keeping the key and contents indexes in step with `old`
    /// (the record as stored before, `None` for a new object).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn put_object(
        &mut self,
        id: ObjectId,
        old: Option<&ObjectRecord>,
        new: &ObjectRecord,
    ) -> Result<(), StoreError>;

    /// Writes one persistent attribute.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn put_attr(&mut self, id: ObjectId, name: &str, value: &Value) -> Result<(), StoreError>;

    /// Removes one persistent attribute.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn remove_attr(&mut self, id: ObjectId, name: &str) -> Result<(), StoreError>;

    /// Deletes an object, its attributes and its index rows, and leaves a tombstone.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn delete_object(&mut self, id: ObjectId, old: &ObjectRecord) -> Result<(), StoreError>;

    /// Removes an object created in this transaction, with its attributes and index rows,
    /// leaving no tombstone (undo of a creation).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn purge_object(&mut self, id: ObjectId, record: &ObjectRecord) -> Result<(), StoreError>;

    /// Writes back an object removed by [`WriteTxn::delete_object`] in this transaction, with
    /// its attributes, and removes its tombstone (undo of a deletion).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn restore_object(
        &mut self,
        id: ObjectId,
        record: &ObjectRecord,
        attrs: &[(&str, &Value)],
    ) -> Result<(), StoreError>;

    /// Records `id` as deleted without an object to delete (copies between stores).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn put_tombstone(&mut self, id: ObjectId) -> Result<(), StoreError>;

    /// Writes timer `name` of `object`, keeping the due queue in step with `old` (the record
    /// as stored before, `None` for a new timer).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn put_timer(
        &mut self,
        object: ObjectId,
        name: &str,
        old: Option<&TimerRecord>,
        new: &TimerRecord,
    ) -> Result<(), StoreError>;

    /// Removes timer `name` of `object` (stored as `old`).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn remove_timer(
        &mut self,
        object: ObjectId,
        name: &str,
        old: &TimerRecord,
    ) -> Result<(), StoreError>;

    /// Removes the due-queue entry (`due`, `object`, `name`) alone, one that names no timer.
    /// A backend whose queue is an index of the timers themselves has none and does nothing.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn remove_queue_row(
        &mut self,
        due: u64,
        object: ObjectId,
        name: &str,
    ) -> Result<(), StoreError>;

    /// Writes an account (keyed by its lower-cased name), new or changed.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn put_account(&mut self, record: &AccountRecord) -> Result<(), StoreError>;

    /// Removes the account called `name` (undo of a creation).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn remove_account(&mut self, name: &str) -> Result<(), StoreError>;

    /// Commits; `durable` makes this and every earlier commit survive a crash or power loss
    /// before it returns (an fsync, or a committed database transaction).
    ///
    /// # Errors
    /// [`StoreError`] if the commit fails; nothing of this transaction is kept then.
    fn commit(self: Box<Self>, durable: bool) -> Result<(), StoreError>;

    /// Discards every change of this transaction.
    ///
    /// # Errors
    /// [`StoreError`] if the backend fails to roll back.
    fn abort(self: Box<Self>) -> Result<(), StoreError>;
}
