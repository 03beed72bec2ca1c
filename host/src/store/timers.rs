//! Timer rows: [`TIMERS`] holds every timer by (object, name); [`TIMER_QUEUE`] holds the
//! active ones by due time, so the next due timer is the queue's first row. Both are written
//! in the transaction of the turn that changes a timer.

use redb::{ReadableTable, ReadableTableMetadata};

use super::schema::{self, TIMER_QUEUE, TIMERS, TimerRecord};
use super::{StoreError, StoreRead, StoreWrite};
use crate::value::ObjectId;

/// A timer as listed: its object, its name and its record.
pub type TimerRow = (ObjectId, Box<str>, TimerRecord);

/// Reading timers, shared by read and write transactions.
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
    /// The first row of the queue: (due ms, object, name) of the next timer to fire.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn next_timer(&self) -> Result<Option<(u64, ObjectId, Box<str>)>, StoreError>;
    /// How many timers there are (parked ones included).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn timer_count(&self) -> Result<u64, StoreError>;
}

macro_rules! impl_timer_view {
    ($ty:ty) => {
        impl TimerView for $ty {
            fn timer(
                &self,
                object: ObjectId,
                name: &str,
            ) -> Result<Option<TimerRecord>, StoreError> {
                match self.txn.open_table(TIMERS)?.get((object, name))? {
                    Some(raw) => Ok(Some(schema::decode(raw.value())?)),
                    None => Ok(None),
                }
            }

            fn timers_of(&self, object: ObjectId) -> Result<Vec<TimerRow>, StoreError> {
                let table = self.txn.open_table(TIMERS)?;
                let mut rows = Vec::new();
                for row in table.range((object, "")..(object + 1, ""))? {
                    let (k, v) = row?;
                    rows.push((object, Box::from(k.value().1), schema::decode(v.value())?));
                }
                Ok(rows)
            }

            fn timer_count_of(&self, object: ObjectId) -> Result<usize, StoreError> {
                let table = self.txn.open_table(TIMERS)?;
                let mut count = 0;
                for row in table.range((object, "")..(object + 1, ""))? {
                    row?;
                    count += 1;
                }
                Ok(count)
            }

            fn first_timers(&self, limit: usize) -> Result<Vec<TimerRow>, StoreError> {
                let table = self.txn.open_table(TIMERS)?;
                let mut rows = Vec::new();
                for row in table.iter()?.take(limit) {
                    let (k, v) = row?;
                    let (object, name) = k.value();
                    rows.push((object, Box::from(name), schema::decode(v.value())?));
                }
                Ok(rows)
            }

            fn next_timer(&self) -> Result<Option<(u64, ObjectId, Box<str>)>, StoreError> {
                Ok(self.txn.open_table(TIMER_QUEUE)?.first()?.map(|(k, _)| {
                    let (due, object, name) = k.value();
                    (due, object, Box::from(name))
                }))
            }

            fn timer_count(&self) -> Result<u64, StoreError> {
                Ok(self.txn.open_table(TIMERS)?.len()?)
            }
        }
    };
}

impl_timer_view!(StoreRead);
impl_timer_view!(StoreWrite);

impl StoreWrite {
    /// Writes timer `name` of `object`, keeping the queue in step with `old` (the record as
    /// stored before, `None` for a new timer).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn put_timer(
        &mut self,
        object: ObjectId,
        name: &str,
        old: Option<&TimerRecord>,
        new: &TimerRecord,
    ) -> Result<(), StoreError> {
        let mut queue = self.txn.open_table(TIMER_QUEUE)?;
        if let Some(old) = old.filter(|o| !o.parked) {
            queue.remove((old.due_ms, object, name))?;
        }
        if !new.parked {
            queue.insert((new.due_ms, object, name), ())?;
        }
        self.txn
            .open_table(TIMERS)?
            .insert((object, name), schema::encode(new)?.as_slice())?;
        Ok(())
    }

    /// Removes the queue row (`due`, `object`, `name`) alone (a row that names no timer).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn remove_queue_row(
        &mut self,
        due: u64,
        object: ObjectId,
        name: &str,
    ) -> Result<(), StoreError> {
        self.txn
            .open_table(TIMER_QUEUE)?
            .remove((due, object, name))?;
        Ok(())
    }

    /// Removes timer `name` of `object` (stored as `old`).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn remove_timer(
        &mut self,
        object: ObjectId,
        name: &str,
        old: &TimerRecord,
    ) -> Result<(), StoreError> {
        if !old.parked {
            self.txn
                .open_table(TIMER_QUEUE)?
                .remove((old.due_ms, object, name))?;
        }
        self.txn.open_table(TIMERS)?.remove((object, name))?;
        Ok(())
    }
}
