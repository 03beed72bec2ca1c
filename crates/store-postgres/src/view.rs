//! The contract's reads ([`StoreView`], [`TimerView`], [`AccountView`]) over a [`Link`].
//! Listings are read in batches by key (never one unbounded result), in the same order as
//! redb's.

use tokio_postgres::Row;
use wasmud_common::{ObjectId, Value};
use wasmud_store::records::{decode, decode_account};
use wasmud_store::{
    AccountRecord, AccountView, LoadedObject, ObjectRecord, StoreError, StoreView, TimerRecord,
    TimerRow, TimerView, Visit,
};

use crate::error::{id, unsigned};
use crate::link::Link;

/// Rows read per batch of a scan.
const BATCH: i64 = 2048;

/// An object's record from a row of (id?, key, typeclass, location) starting at column `at`.
fn record(row: &Row, at: usize) -> Result<ObjectRecord, StoreError> {
    let key: &str = row.get(at);
    let typeclass: &str = row.get(at + 1);
    let location: Option<i64> = row.get(at + 2);
    Ok(ObjectRecord {
        key: key.into(),
        typeclass: typeclass.into(),
        location: location.map(unsigned).transpose()?,
    })
}

fn ids(rows: Vec<Row>) -> Result<Vec<ObjectId>, StoreError> {
    rows.iter().map(|r| unsigned(r.get(0))).collect()
}

fn count(row: Option<Row>) -> Result<u64, StoreError> {
    row.map_or(Ok(0), |r| unsigned(r.get(0)))
}

impl StoreView for Link {
    fn load(&self, object: ObjectId) -> Result<Option<LoadedObject>, StoreError> {
        let key = id(object)?;
        let Some(row) = self.row(|s| &s.object, &[&key])? else {
            return Ok(None);
        };
        let record = record(&row, 0)?;
        let mut attrs = Vec::new();
        for row in self.rows(|s| &s.attrs_of, &[&key])? {
            let name: &str = row.get(0);
            attrs.push((Box::from(name), decode::<Value>(row.get(1))?));
        }
        Ok(Some((record, attrs)))
    }

    fn record(&self, object: ObjectId) -> Result<Option<ObjectRecord>, StoreError> {
        let key = id(object)?;
        self.row(|s| &s.object, &[&key])?
            .map(|row| record(&row, 0))
            .transpose()
    }

    fn contents(&self, location: ObjectId) -> Result<Vec<ObjectId>, StoreError> {
        ids(self.rows(|s| &s.contents, &[&id(location)?])?)
    }

    fn search(&self, key: &str) -> Result<Vec<ObjectId>, StoreError> {
        ids(self.rows(|s| &s.search, &[&key.to_ascii_lowercase()])?)
    }

    fn exists(&self, object: ObjectId) -> Result<bool, StoreError> {
        Ok(self.row(|s| &s.exists, &[&id(object)?])?.is_some())
    }

    fn is_deleted(&self, object: ObjectId) -> Result<bool, StoreError> {
        Ok(self.row(|s| &s.deleted, &[&id(object)?])?.is_some())
    }

    fn next_id(&self) -> Result<ObjectId, StoreError> {
        count(self.row(|s| &s.next_id, &[])?)
    }

    fn object_count(&self) -> Result<u64, StoreError> {
        count(self.row(|s| &s.object_count, &[])?)
    }

    fn scan_objects(&self, visit: Visit<'_, (ObjectId, LoadedObject)>) -> Result<(), StoreError> {
        let mut after = 0i64;
        loop {
            let objects = self.rows(|s| &s.objects_after, &[&after, &BATCH])?;
            let Some(last) = objects.last() else {
                return Ok(());
            };
            let last: i64 = last.get(0);
            let first: i64 = objects[0].get(0);
            let attrs = self.rows(|s| &s.attrs_between, &[&first, &last])?;
            let mut attrs = attrs.iter().peekable();
            for row in &objects {
                let object: i64 = row.get(0);
                let mut list = Vec::new();
                while let Some(attr) = attrs.peek() {
                    let owner: i64 = attr.get(0);
                    if owner > object {
                        break;
                    }
                    if owner == object {
                        let name: &str = attr.get(1);
                        list.push((Box::from(name), decode::<Value>(attr.get(2))?));
                    }
                    attrs.next();
                }
                visit((unsigned(object)?, (record(row, 1)?, list)))?;
            }
            after = last;
        }
    }

    fn scan_tombstones(&self, visit: Visit<'_, ObjectId>) -> Result<(), StoreError> {
        let mut after = 0i64;
        loop {
            let rows = self.rows(|s| &s.tombstones_after, &[&after, &BATCH])?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.get(0);
            for row in &rows {
                visit(unsigned(row.get(0))?)?;
            }
        }
    }

    fn scan_keys(
        &self,
        visit: &mut dyn FnMut(&str, ObjectId) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let (mut key, mut after) = (String::new(), -1i64);
        loop {
            let rows = self.rows(|s| &s.keys_after, &[&key, &after, &BATCH])?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            (key, after) = (last.get::<_, &str>(0).to_owned(), last.get(1));
            for row in &rows {
                visit(row.get(0), unsigned(row.get(1))?)?;
            }
        }
    }

    fn scan_attr(&self, name: &str, visit: Visit<'_, (ObjectId, Value)>) -> Result<(), StoreError> {
        let mut after = 0i64;
        loop {
            let rows = self.rows(|s| &s.attr_named_after, &[&name, &after, &BATCH])?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.get(0);
            for row in &rows {
                visit((unsigned(row.get(0))?, decode::<Value>(row.get(1))?))?;
            }
        }
    }
}

impl TimerView for Link {
    fn timer(&self, object: ObjectId, name: &str) -> Result<Option<TimerRecord>, StoreError> {
        self.row(|s| &s.timer, &[&id(object)?, &name])?
            .map(|row| decode(row.get(0)))
            .transpose()
    }

    fn timers_of(&self, object: ObjectId) -> Result<Vec<TimerRow>, StoreError> {
        self.rows(|s| &s.timers_of, &[&id(object)?])?
            .iter()
            .map(|row| {
                Ok((
                    object,
                    Box::from(row.get::<_, &str>(0)),
                    decode(row.get(1))?,
                ))
            })
            .collect()
    }

    fn timer_count_of(&self, object: ObjectId) -> Result<usize, StoreError> {
        let n = count(self.row(|s| &s.timer_count_of, &[&id(object)?])?)?;
        Ok(usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn first_timers(&self, limit: usize) -> Result<Vec<TimerRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.rows(|s| &s.timers_after, &[&-1i64, &"", &limit])?
            .iter()
            .map(timer_row)
            .collect()
    }

    fn next_timer(&self) -> Result<Option<(u64, ObjectId, Box<str>)>, StoreError> {
        let floor = self.conn().timer_floor.clone();
        let row = match &floor {
            Some((due, object, name)) => self.row(|s| &s.next_timer_from, &[due, object, name])?,
            None => self.row(|s| &s.next_timer, &[])?,
        };
        let Some(row) = row else {
            // None at or past the floor: none at all (a timer written later lowers it).
            return Ok(None);
        };
        let (due, object, name): (i64, i64, &str) = (row.get(0), row.get(1), row.get(2));
        self.conn().timer_floor = Some((due, object, name.to_owned()));
        Ok(Some((unsigned(due)?, unsigned(object)?, Box::from(name))))
    }

    fn timer_count(&self) -> Result<u64, StoreError> {
        count(self.row(|s| &s.timer_count, &[])?)
    }

    fn scan_timers(&self, visit: Visit<'_, TimerRow>) -> Result<(), StoreError> {
        let (mut object, mut name) = (-1i64, String::new());
        loop {
            let rows = self.rows(|s| &s.timers_after, &[&object, &name, &BATCH])?;
            let Some(last) = rows.last() else {
                return Ok(());
            };
            (object, name) = (last.get(0), last.get::<_, &str>(1).to_owned());
            for row in &rows {
                visit(timer_row(row)?)?;
            }
        }
    }
}

fn timer_row(row: &Row) -> Result<TimerRow, StoreError> {
    Ok((
        unsigned(row.get(0))?,
        Box::from(row.get::<_, &str>(1)),
        decode(row.get(2))?,
    ))
}

impl AccountView for Link {
    fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError> {
        self.row(|s| &s.account, &[&name.to_lowercase()])?
            .map(|row| decode_account(row.get(0)))
            .transpose()
    }

    fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        self.rows(|s| &s.accounts, &[])?
            .iter()
            .map(|row| decode_account(row.get(0)))
            .collect()
    }
}

/// Implements the contract's reads for a type holding a [`Link`] in `link`.
macro_rules! forward_views {
    ($ty:ty) => {
        impl wasmud_store::StoreView for $ty {
            fn load(&self, id: ObjectId) -> Result<Option<LoadedObject>, StoreError> {
                self.link.load(id)
            }
            fn record(&self, id: ObjectId) -> Result<Option<ObjectRecord>, StoreError> {
                self.link.record(id)
            }
            fn contents(&self, location: ObjectId) -> Result<Vec<ObjectId>, StoreError> {
                self.link.contents(location)
            }
            fn search(&self, key: &str) -> Result<Vec<ObjectId>, StoreError> {
                self.link.search(key)
            }
            fn exists(&self, id: ObjectId) -> Result<bool, StoreError> {
                self.link.exists(id)
            }
            fn is_deleted(&self, id: ObjectId) -> Result<bool, StoreError> {
                self.link.is_deleted(id)
            }
            fn next_id(&self) -> Result<ObjectId, StoreError> {
                self.link.next_id()
            }
            fn object_count(&self) -> Result<u64, StoreError> {
                self.link.object_count()
            }
            fn scan_objects(
                &self,
                visit: Visit<'_, (ObjectId, LoadedObject)>,
            ) -> Result<(), StoreError> {
                self.link.scan_objects(visit)
            }
            fn scan_tombstones(&self, visit: Visit<'_, ObjectId>) -> Result<(), StoreError> {
                self.link.scan_tombstones(visit)
            }
            fn scan_keys(
                &self,
                visit: &mut dyn FnMut(&str, ObjectId) -> Result<(), StoreError>,
            ) -> Result<(), StoreError> {
                self.link.scan_keys(visit)
            }
            fn scan_attr(
                &self,
                name: &str,
                visit: Visit<'_, (ObjectId, Value)>,
            ) -> Result<(), StoreError> {
                self.link.scan_attr(name, visit)
            }
        }

        impl wasmud_store::TimerView for $ty {
            fn timer(
                &self,
                object: ObjectId,
                name: &str,
            ) -> Result<Option<TimerRecord>, StoreError> {
                self.link.timer(object, name)
            }
            fn timers_of(&self, object: ObjectId) -> Result<Vec<TimerRow>, StoreError> {
                self.link.timers_of(object)
            }
            fn timer_count_of(&self, object: ObjectId) -> Result<usize, StoreError> {
                self.link.timer_count_of(object)
            }
            fn first_timers(&self, limit: usize) -> Result<Vec<TimerRow>, StoreError> {
                self.link.first_timers(limit)
            }
            fn next_timer(&self) -> Result<Option<(u64, ObjectId, Box<str>)>, StoreError> {
                self.link.next_timer()
            }
            fn timer_count(&self) -> Result<u64, StoreError> {
                self.link.timer_count()
            }
            fn scan_timers(&self, visit: Visit<'_, TimerRow>) -> Result<(), StoreError> {
                self.link.scan_timers(visit)
            }
        }

        impl wasmud_store::AccountView for $ty {
            fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError> {
                self.link.account(name)
            }
            fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
                self.link.accounts()
            }
        }
    };
}
pub(crate) use forward_views;
