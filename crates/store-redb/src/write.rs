//! The contract's write transaction ([`WriteTxn`]) on redb's.

use redb::{Durability, ReadableTable};
use wasmud_common::{ObjectId, Value};
use wasmud_store::records::{encode, encode_account};
use wasmud_store::{AccountRecord, ObjectRecord, StoreError, TimerRecord, WriteTxn, timings};

use crate::RedbWrite;
use crate::error::run;
use crate::tables::{
    ACCOUNTS, ATTRS, CONTENTS, KEYS, META, OBJECTS, TIMER_QUEUE, TIMERS, TOMBSTONES,
};

impl WriteTxn for RedbWrite {
    fn allocate_ids(&mut self, count: u64) -> Result<ObjectId, StoreError> {
        run(|| {
            let mut meta = self.txn.open_table(META)?;
            let first = meta.get("next_id")?.map(|v| v.value()).unwrap_or(1);
            meta.insert("next_id", first + count)?;
            Ok(first)
        })
    }

    fn put_object(
        &mut self,
        id: ObjectId,
        old: Option<&ObjectRecord>,
        new: &ObjectRecord,
    ) -> Result<(), StoreError> {
        run(|| {
            self.txn
                .open_table(OBJECTS)?
                .insert(id, encode(new)?.as_slice())?;
            if old.map(|o| o.location) != Some(new.location) {
                let mut contents = self.txn.open_multimap_table(CONTENTS)?;
                if let Some(from) = old.and_then(|o| o.location) {
                    contents.remove(from, id)?;
                }
                if let Some(to) = new.location {
                    contents.insert(to, id)?;
                }
            }
            let old_key = old.map(|o| o.key.to_ascii_lowercase());
            let new_key = new.key.to_ascii_lowercase();
            if old_key.as_deref() != Some(new_key.as_str()) {
                let mut keys = self.txn.open_multimap_table(KEYS)?;
                if let Some(old_key) = old_key {
                    keys.remove(old_key.as_str(), id)?;
                }
                keys.insert(new_key.as_str(), id)?;
            }
            Ok(())
        })
    }

    fn put_attr(&mut self, id: ObjectId, name: &str, value: &Value) -> Result<(), StoreError> {
        run(|| {
            self.txn
                .open_table(ATTRS)?
                .insert((id, name), encode(value)?.as_slice())?;
            Ok(())
        })
    }

    fn remove_attr(&mut self, id: ObjectId, name: &str) -> Result<(), StoreError> {
        run(|| {
            self.txn.open_table(ATTRS)?.remove((id, name))?;
            Ok(())
        })
    }

    fn delete_object(&mut self, id: ObjectId, old: &ObjectRecord) -> Result<(), StoreError> {
        run(|| {
            self.txn.open_table(OBJECTS)?.remove(id)?;
            self.txn
                .open_table(ATTRS)?
                .retain_in((id, "")..(id + 1, ""), |_, _| false)?;
            if let Some(from) = old.location {
                self.txn.open_multimap_table(CONTENTS)?.remove(from, id)?;
            }
            self.txn
                .open_multimap_table(KEYS)?
                .remove(old.key.to_ascii_lowercase().as_str(), id)?;
            self.txn.open_table(TOMBSTONES)?.insert(id, ())?;
            Ok(())
        })
    }

    fn purge_object(&mut self, id: ObjectId, record: &ObjectRecord) -> Result<(), StoreError> {
        run(|| {
            self.delete_object(id, record)?;
            self.txn.open_table(TOMBSTONES)?.remove(id)?;
            Ok(())
        })
    }

    fn restore_object(
        &mut self,
        id: ObjectId,
        record: &ObjectRecord,
        attrs: &[(&str, &Value)],
    ) -> Result<(), StoreError> {
        run(|| {
            self.put_object(id, None, record)?;
            for (name, value) in attrs {
                self.put_attr(id, name, value)?;
            }
            self.txn.open_table(TOMBSTONES)?.remove(id)?;
            Ok(())
        })
    }

    fn commit(mut self: Box<Self>, durable: bool) -> Result<(), StoreError> {
        run(|| {
            self.txn.set_durability(if durable {
                Durability::Immediate
            } else {
                Durability::None
            })?;
            let started = timings::recording().then(std::time::Instant::now);
            self.txn.commit()?;
            if let Some(started) = started {
                timings::record(durable, started.elapsed());
            }
            Ok(())
        })
    }

    fn abort(self: Box<Self>) -> Result<(), StoreError> {
        run(|| {
            self.txn.abort()?;
            Ok(())
        })
    }

    fn put_timer(
        &mut self,
        object: ObjectId,
        name: &str,
        old: Option<&TimerRecord>,
        new: &TimerRecord,
    ) -> Result<(), StoreError> {
        run(|| {
            let mut queue = self.txn.open_table(TIMER_QUEUE)?;
            if let Some(old) = old.filter(|o| !o.parked) {
                queue.remove((old.due_ms, object, name))?;
            }
            if !new.parked {
                queue.insert((new.due_ms, object, name), ())?;
            }
            self.txn
                .open_table(TIMERS)?
                .insert((object, name), encode(new)?.as_slice())?;
            Ok(())
        })
    }

    fn remove_queue_row(
        &mut self,
        due: u64,
        object: ObjectId,
        name: &str,
    ) -> Result<(), StoreError> {
        run(|| {
            self.txn
                .open_table(TIMER_QUEUE)?
                .remove((due, object, name))?;
            Ok(())
        })
    }

    fn remove_timer(
        &mut self,
        object: ObjectId,
        name: &str,
        old: &TimerRecord,
    ) -> Result<(), StoreError> {
        run(|| {
            if !old.parked {
                self.txn
                    .open_table(TIMER_QUEUE)?
                    .remove((old.due_ms, object, name))?;
            }
            self.txn.open_table(TIMERS)?.remove((object, name))?;
            Ok(())
        })
    }

    fn put_account(&mut self, record: &AccountRecord) -> Result<(), StoreError> {
        run(|| {
            let key = record.name.to_lowercase();
            self.txn
                .open_table(ACCOUNTS)?
                .insert(key.as_str(), encode_account(record)?.as_slice())?;
            Ok(())
        })
    }

    fn remove_account(&mut self, name: &str) -> Result<(), StoreError> {
        run(|| {
            self.txn
                .open_table(ACCOUNTS)?
                .remove(name.to_lowercase().as_str())?;
            Ok(())
        })
    }

    fn raise_next_id(&mut self, next: ObjectId) -> Result<(), StoreError> {
        run(|| {
            let mut meta = self.txn.open_table(META)?;
            let current = meta.get("next_id")?.map_or(1, |v| v.value());
            if next > current {
                meta.insert("next_id", next)?;
            }
            Ok(())
        })
    }

    fn put_tombstone(&mut self, id: ObjectId) -> Result<(), StoreError> {
        run(|| {
            self.txn.open_table(TOMBSTONES)?.insert(id, ())?;
            Ok(())
        })
    }
}
