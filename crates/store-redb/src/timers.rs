//! Timer rows: `TIMERS` holds every timer by (object, name); `TIMER_QUEUE` holds the
//! active ones by due time, so the next due timer is the queue's first row. Both are written
//! in the transaction of the turn that changes a timer.

use redb::{ReadableTable, ReadableTableMetadata};
use wasmud_common::ObjectId;
use wasmud_store::records::decode;
use wasmud_store::{StoreError, TimerRecord, TimerRow, TimerView, Visit};

use crate::error::run;
use crate::tables::{TIMER_QUEUE, TIMERS};
use crate::{RedbRead, RedbWrite};

macro_rules! impl_timer_view {
    ($ty:ty) => {
        impl TimerView for $ty {
            fn timer(
                &self,
                object: ObjectId,
                name: &str,
            ) -> Result<Option<TimerRecord>, StoreError> {
                run(|| match self.txn.open_table(TIMERS)?.get((object, name))? {
                    Some(raw) => Ok(Some(decode(raw.value())?)),
                    None => Ok(None),
                })
            }

            fn timers_of(&self, object: ObjectId) -> Result<Vec<TimerRow>, StoreError> {
                run(|| {
                    let table = self.txn.open_table(TIMERS)?;
                    let mut rows = Vec::new();
                    for row in table.range((object, "")..(object + 1, ""))? {
                        let (k, v) = row?;
                        rows.push((object, Box::from(k.value().1), decode(v.value())?));
                    }
                    Ok(rows)
                })
            }

            fn timer_count_of(&self, object: ObjectId) -> Result<usize, StoreError> {
                run(|| {
                    let table = self.txn.open_table(TIMERS)?;
                    let mut count = 0;
                    for row in table.range((object, "")..(object + 1, ""))? {
                        row?;
                        count += 1;
                    }
                    Ok(count)
                })
            }

            fn first_timers(&self, limit: usize) -> Result<Vec<TimerRow>, StoreError> {
                run(|| {
                    let table = self.txn.open_table(TIMERS)?;
                    let mut rows = Vec::new();
                    for row in table.iter()?.take(limit) {
                        let (k, v) = row?;
                        let (object, name) = k.value();
                        rows.push((object, Box::from(name), decode(v.value())?));
                    }
                    Ok(rows)
                })
            }

            fn next_timer(&self) -> Result<Option<(u64, ObjectId, Box<str>)>, StoreError> {
                run(|| {
                    Ok(self.txn.open_table(TIMER_QUEUE)?.first()?.map(|(k, _)| {
                        let (due, object, name) = k.value();
                        (due, object, Box::from(name))
                    }))
                })
            }

            fn timer_count(&self) -> Result<u64, StoreError> {
                run(|| Ok(self.txn.open_table(TIMERS)?.len()?))
            }

            fn scan_timers(&self, visit: Visit<'_, TimerRow>) -> Result<(), StoreError> {
                run(|| {
                    for row in self.txn.open_table(TIMERS)?.iter()? {
                        let (k, v) = row?;
                        let (object, name) = k.value();
                        visit((object, Box::from(name), decode(v.value())?))?;
                    }
                    Ok(())
                })
            }
        }
    };
}

impl_timer_view!(RedbRead);
impl_timer_view!(RedbWrite);
