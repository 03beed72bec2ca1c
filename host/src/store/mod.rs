//! The persistent store: one redb file holding objects, their `db` attributes and indexes.
//!
//! # Layout
//! - `schema`: table definitions and the versioned record encoding.
//! - `error`: [`StoreError`].
//! - this module: [`Store`] (open, check, transactions), [`StoreRead`] and [`StoreWrite`].
//!
//! The store knows nothing of WIT or wasm; the world calls it with ids and values.

mod accounts;
mod backup;
mod check;
mod check_timers;
mod error;
mod find;
mod schema;
mod source;
mod timers;
pub mod timings;

pub use accounts::AccountView;
pub use backup::BackupReport;
pub use check::CheckReport;
pub use error::StoreError;
pub use find::{ALIASES, Finds, Found};
pub use schema::{AccountRecord, ObjectRecord, SCHEMA_VERSION, TimerRecord};
pub use source::Storage;
pub use timers::{TimerRow, TimerView};

use std::path::Path;

use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableMultimapTable, ReadableTable,
    ReadableTableMetadata, WriteTransaction,
};

use crate::value::{ObjectId, Value};
use schema::{ACCOUNTS, ATTRS, CONTENTS, KEYS, META, OBJECTS, TIMER_QUEUE, TIMERS, TOMBSTONES};

/// A stored object: its record and its persistent attributes, sorted by name.
pub type LoadedObject = (ObjectRecord, Vec<(Box<str>, Value)>);

/// The embedded redb database behind the world.
pub struct Store {
    /// `None` only between closing and reopening (see [`Store::reopen`]).
    db: Option<Database>,
    /// Where the database lives, to reopen or rewrite it (`None`: it cannot be).
    source: Option<source::Open>,
}

impl Store {
    /// Opens the store at `path`, creating it (and its tables) if the file does not exist.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the file is not a readable redb database,
    /// [`StoreError::NewerSchema`] if it was written by a newer wasmud, [`StoreError::Io`] /
    /// [`StoreError::Redb`] for other failures. Nothing is written to a file that fails a check.
    pub fn open(path: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        refuse_foreign_or_newer(path)?;
        Self::open_with(source::file(path, cache_bytes))
    }

    /// Opens the store on `open`'s current storage (kept to reopen or rewrite it), checking
    /// its schema and ids.
    fn open_with(open: source::Open) -> Result<Self, StoreError> {
        let db = open(Storage::Current)?.ok_or_else(no_storage)?;
        let store = Store {
            db: Some(db),
            source: Some(open),
        };
        store.check_or_init_schema()?;
        store.check_id_sequence()?;
        Ok(store)
    }

    /// Opens an existing store for `wasmud check`: refuses a foreign or newer file like
    /// [`Store::open`], but not one whose invariants are broken (that is what the check is
    /// for), and never creates a file.
    ///
    /// # Errors
    /// As [`Store::open`], and [`StoreError::Io`] if the file does not exist.
    pub fn open_for_check(path: &Path) -> Result<Self, StoreError> {
        if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
            return Err(StoreError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!("{} does not exist or is empty", path.display()),
            )));
        }
        refuse_foreign_or_newer(path)?;
        let db = redb::Builder::new()
            .create(path)
            .map_err(|e| StoreError::from_database(path, e))?;
        let store = Store {
            db: Some(db),
            source: None,
        };
        store.check_or_init_schema()?;
        Ok(store)
    }

    /// Opens (or creates) the store on a custom redb storage backend: an in-memory file, or
    /// one that injects I/O failures in tests. (It cannot be reopened after a failure.)
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_with_backend(
        backend: impl redb::StorageBackend,
        cache_bytes: usize,
    ) -> Result<Self, StoreError> {
        let db = redb::Builder::new()
            .set_cache_size(cache_bytes)
            .create_with_backend(backend)
            .map_err(|e| StoreError::from_database(Path::new("<storage backend>"), e))?;
        let store = Store {
            db: Some(db),
            source: None,
        };
        store.check_or_init_schema()?;
        store.check_id_sequence()?;
        Ok(store)
    }

    /// Opens (or creates) the store on storage backends made by `backend` for each
    /// [`Storage`] request: the current storage now and whenever the store is reopened after
    /// an I/O failure, fresh storage to rewrite it into, and `Promote` (the factory returns
    /// `None`) when that copy takes the current one's place. Tests use it for a disk that
    /// fills up, fails or loses power.
    ///
    /// # Errors
    /// As [`Store::open`].
    pub fn open_reopenable<B: redb::StorageBackend>(
        backend: impl Fn(Storage) -> std::io::Result<Option<B>> + Send + 'static,
        cache_bytes: usize,
    ) -> Result<Self, StoreError> {
        Self::open_with(source::backends(backend, cache_bytes))
    }

    /// Closes the database and opens it again (redb refuses every operation after an I/O
    /// failure until then). Read and write transactions still open must be dropped first (an
    /// open backup keeps the file, and the reopen fails until it is done).
    ///
    /// # Errors
    /// [`StoreError::Io`] if this store cannot be reopened (a single backend given by value),
    /// or the open's error; the store is then closed, and reopening may be tried again.
    pub fn reopen(&mut self) -> Result<(), StoreError> {
        let open = self.source.as_ref().ok_or_else(no_source)?;
        drop(self.db.take());
        self.db = Some(open(Storage::Current)?.ok_or_else(no_storage)?);
        Ok(())
    }

    /// Copies the store as it reads now into fresh storage, makes that durable, puts it in
    /// the current storage's place and reopens on it (see `source`: after a failed fsync the
    /// old file may never get pages the kernel's cache shows).
    ///
    /// # Errors
    /// [`StoreError::Io`] if this store cannot be rewritten, or the copy's error (a full disk:
    /// the copy needs room for the whole store); the store is then as before.
    pub fn rewrite(&mut self) -> Result<(), StoreError> {
        let open = self.source.as_ref().ok_or_else(no_source)?;
        {
            let snapshot = self.read()?;
            let fresh = open(Storage::Fresh)?.ok_or_else(no_storage)?;
            snapshot.copy_to_db(&fresh)?;
        }
        drop(self.db.take());
        let promoted = open(Storage::Promote);
        // Whatever the promotion did, the store reopens on what is current now.
        self.db = Some(open(Storage::Current)?.ok_or_else(no_storage)?);
        promoted.map(drop)
    }

    /// True unless the database is closed (a reopen or rewrite failed part-way).
    pub fn is_open(&self) -> bool {
        self.db.is_some()
    }

    /// The open database.
    fn db(&self) -> Result<&Database, StoreError> {
        self.db.as_ref().ok_or_else(|| {
            StoreError::Io(std::io::Error::other(
                "the database is closed after an I/O failure (reopening)",
            ))
        })
    }

    /// The cheap check run on every open: the id sequence is above every id in use (else ids
    /// would be handed out twice). `wasmud check` runs the full set.
    fn check_id_sequence(&self) -> Result<(), StoreError> {
        let read = self.db()?.begin_read()?;
        let next = read
            .open_table(META)?
            .get("next_id")?
            .map_or(1, |v| v.value());
        let last_object = read.open_table(OBJECTS)?.last()?.map(|(k, _)| k.value());
        let last_tombstone = read.open_table(TOMBSTONES)?.last()?.map(|(k, _)| k.value());
        match last_object.max(last_tombstone) {
            Some(highest) if highest >= next => Err(StoreError::Corrupt {
                detail: format!(
                    "the id sequence ({next}) is not above the highest id in use (#{highest}); \
                     run `wasmud check --repair`"
                ),
            }),
            _ => Ok(()),
        }
    }

    fn check_or_init_schema(&self) -> Result<(), StoreError> {
        let read = self.db()?.begin_read()?;
        match existing_schema(&read)? {
            Some(_) if read.open_table(ACCOUNTS).is_ok() => Ok(()),
            Some(_) => {
                // A store from before timers or accounts: add their (empty) tables.
                drop(read);
                let mut txn = self.db()?.begin_write()?;
                txn.set_durability(Durability::Immediate)?;
                txn.open_table(TIMERS)?;
                txn.open_table(TIMER_QUEUE)?;
                txn.open_table(ACCOUNTS)?;
                txn.commit()?;
                Ok(())
            }
            None => {
                let mut txn = self.db()?.begin_write()?;
                txn.set_durability(Durability::Immediate)?;
                {
                    let mut meta = txn.open_table(META)?;
                    meta.insert("schema", u64::from(SCHEMA_VERSION))?;
                    if meta.get("next_id")?.is_none() {
                        meta.insert("next_id", 1u64)?;
                    }
                    txn.open_table(OBJECTS)?;
                    txn.open_table(ATTRS)?;
                    txn.open_table(TOMBSTONES)?;
                    txn.open_multimap_table(CONTENTS)?;
                    txn.open_multimap_table(KEYS)?;
                    txn.open_table(TIMERS)?;
                    txn.open_table(TIMER_QUEUE)?;
                    txn.open_table(ACCOUNTS)?;
                }
                txn.commit()?;
                Ok(())
            }
        }
    }

    /// Starts a read-only snapshot.
    ///
    /// # Errors
    /// [`StoreError::Redb`] if redb cannot start a transaction.
    pub fn read(&self) -> Result<StoreRead, StoreError> {
        Ok(StoreRead {
            txn: self.db()?.begin_read()?,
        })
    }

    /// Starts the (single) write transaction. Its commits are not durable until
    /// [`StoreWrite::commit`] is called with `durable = true` on it or a later transaction.
    ///
    /// # Errors
    /// [`StoreError::Redb`] if redb cannot start a transaction.
    pub fn write(&self) -> Result<StoreWrite, StoreError> {
        Ok(StoreWrite {
            txn: self.db()?.begin_write()?,
        })
    }

    /// Makes every earlier commit durable (one fsync).
    ///
    /// # Errors
    /// [`StoreError::Redb`] if the commit fails.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.write()?.commit(true)
    }

    /// Verifies every page checksum of the file.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if a check fails.
    pub fn check_integrity(&mut self) -> Result<(), StoreError> {
        let db = self.db.as_mut().ok_or_else(|| {
            StoreError::Io(std::io::Error::other("the database is closed (reopening)"))
        })?;
        match db.check_integrity() {
            Ok(true) => Ok(()),
            Ok(false) => Err(StoreError::Corrupt {
                detail: "integrity check repaired the file".into(),
            }),
            Err(e) => Err(StoreError::Corrupt {
                detail: e.to_string(),
            }),
        }
    }
}

fn no_source() -> StoreError {
    StoreError::Io(std::io::Error::other(
        "this store was opened on a single storage backend and cannot be reopened",
    ))
}

fn no_storage() -> StoreError {
    StoreError::Io(std::io::Error::other(
        "the storage factory returned no storage",
    ))
}

/// The schema version of a wasmud store, `None` for an empty (new) file.
///
/// # Errors
/// [`StoreError::Foreign`] for another program's redb file, [`StoreError::NewerSchema`] for a
/// store written by a newer wasmud.
fn existing_schema(read: &ReadTransaction) -> Result<Option<u64>, StoreError> {
    let found = match read.open_table(META) {
        Ok(meta) => match meta.get("schema")?.map(|v| v.value()) {
            Some(found) => found,
            None => return Err(foreign("a `meta` table without a schema version")),
        },
        Err(redb::TableError::TableDoesNotExist(_)) => {
            // A new file is empty; a redb file with other tables is someone else's.
            if read.list_tables()?.next().is_some() || read.list_multimap_tables()?.next().is_some()
            {
                return Err(foreign("a redb database without wasmud's tables"));
            }
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if found > u64::from(SCHEMA_VERSION) {
        return Err(StoreError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(Some(found))
}

/// Refuses a foreign or newer file before opening it for writing, reading it read-only so that
/// a refused file is never written (a read-write open may update its header). A file that
/// needs crash recovery cannot be read read-only; the read-write open recovers it and checks it
/// then.
fn refuse_foreign_or_newer(path: &Path) -> Result<(), StoreError> {
    if std::fs::metadata(path).map_or(true, |m| m.len() == 0) {
        return Ok(());
    }
    match redb::ReadOnlyDatabase::open(path) {
        Ok(db) => {
            let verdict = existing_schema(&db.begin_read()?).map(drop);
            db.close().map_err(|e| StoreError::from_database(path, e))?;
            verdict
        }
        Err(redb::DatabaseError::RepairAborted) => Ok(()),
        Err(e) => Err(StoreError::from_database(path, e)),
    }
}

fn foreign(what: &str) -> StoreError {
    StoreError::Foreign {
        detail: format!("{what}; refusing to open it (nothing was written)"),
    }
}

/// Read access shared by read and write transactions (timers and accounts included).
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
}

macro_rules! impl_store_view {
    ($ty:ty) => {
        impl StoreView for $ty {
            fn load(&self, id: ObjectId) -> Result<Option<LoadedObject>, StoreError> {
                let objects = self.txn.open_table(OBJECTS)?;
                let Some(raw) = objects.get(id)? else {
                    return Ok(None);
                };
                let record = schema::decode::<ObjectRecord>(raw.value())?;
                let attrs = self.txn.open_table(ATTRS)?;
                let mut list = Vec::new();
                for row in attrs.range((id, "")..(id + 1, ""))? {
                    let (k, v) = row?;
                    list.push((Box::from(k.value().1), schema::decode::<Value>(v.value())?));
                }
                Ok(Some((record, list)))
            }

            fn record(&self, id: ObjectId) -> Result<Option<ObjectRecord>, StoreError> {
                let objects = self.txn.open_table(OBJECTS)?;
                let Some(raw) = objects.get(id)? else {
                    return Ok(None);
                };
                Ok(Some(schema::decode::<ObjectRecord>(raw.value())?))
            }

            fn contents(&self, location: ObjectId) -> Result<Vec<ObjectId>, StoreError> {
                let table = self.txn.open_multimap_table(CONTENTS)?;
                table.get(location)?.map(|v| Ok(v?.value())).collect()
            }

            fn search(&self, key: &str) -> Result<Vec<ObjectId>, StoreError> {
                let table = self.txn.open_multimap_table(KEYS)?;
                let folded = key.to_ascii_lowercase();
                table
                    .get(folded.as_str())?
                    .map(|v| Ok(v?.value()))
                    .collect()
            }

            fn exists(&self, id: ObjectId) -> Result<bool, StoreError> {
                Ok(self.txn.open_table(OBJECTS)?.get(id)?.is_some())
            }

            fn is_deleted(&self, id: ObjectId) -> Result<bool, StoreError> {
                Ok(self.txn.open_table(TOMBSTONES)?.get(id)?.is_some())
            }

            fn next_id(&self) -> Result<ObjectId, StoreError> {
                Ok(self
                    .txn
                    .open_table(META)?
                    .get("next_id")?
                    .map(|v| v.value())
                    .unwrap_or(1))
            }

            fn object_count(&self) -> Result<u64, StoreError> {
                Ok(self.txn.open_table(OBJECTS)?.len()?)
            }
        }
    };
}

/// A read-only snapshot of the store.
pub struct StoreRead {
    txn: ReadTransaction,
}

/// The store's write transaction: changes are visible to its own reads at once and to others
/// after [`StoreWrite::commit`]; dropping it without a commit discards them.
pub struct StoreWrite {
    txn: WriteTransaction,
}

impl_store_view!(StoreRead);
impl_store_view!(StoreWrite);

impl StoreWrite {
    /// Reserves `count` fresh ids and returns the first.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn allocate_ids(&mut self, count: u64) -> Result<ObjectId, StoreError> {
        let mut meta = self.txn.open_table(META)?;
        let first = meta.get("next_id")?.map(|v| v.value()).unwrap_or(1);
        meta.insert("next_id", first + count)?;
        Ok(first)
    }

    /// Writes an object's record, keeping the key and contents indexes in step with `old`
    /// (the record as stored before, `None` for a new object).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn put_object(
        &mut self,
        id: ObjectId,
        old: Option<&ObjectRecord>,
        new: &ObjectRecord,
    ) -> Result<(), StoreError> {
        self.txn
            .open_table(OBJECTS)?
            .insert(id, schema::encode(new)?.as_slice())?;
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
    }

    /// Writes one persistent attribute.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn put_attr(&mut self, id: ObjectId, name: &str, value: &Value) -> Result<(), StoreError> {
        self.txn
            .open_table(ATTRS)?
            .insert((id, name), schema::encode(value)?.as_slice())?;
        Ok(())
    }

    /// Removes one persistent attribute.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn remove_attr(&mut self, id: ObjectId, name: &str) -> Result<(), StoreError> {
        self.txn.open_table(ATTRS)?.remove((id, name))?;
        Ok(())
    }

    /// Deletes an object, its attributes and its index rows, and leaves a tombstone.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn delete_object(&mut self, id: ObjectId, old: &ObjectRecord) -> Result<(), StoreError> {
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
    }

    /// Removes an object created in this transaction, with its attributes and index rows,
    /// leaving no tombstone (undo of a creation).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn purge_object(&mut self, id: ObjectId, record: &ObjectRecord) -> Result<(), StoreError> {
        self.delete_object(id, record)?;
        self.txn.open_table(TOMBSTONES)?.remove(id)?;
        Ok(())
    }

    /// Writes back an object removed by [`StoreWrite::delete_object`] in this transaction, with
    /// its attributes, and removes its tombstone (undo of a deletion).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn restore_object(
        &mut self,
        id: ObjectId,
        record: &ObjectRecord,
        attrs: &[(&str, &Value)],
    ) -> Result<(), StoreError> {
        self.put_object(id, None, record)?;
        for (name, value) in attrs {
            self.put_attr(id, name, value)?;
        }
        self.txn.open_table(TOMBSTONES)?.remove(id)?;
        Ok(())
    }

    /// Commits; `durable` forces this and every earlier commit to disk (fsync).
    ///
    /// # Errors
    /// [`StoreError`] if the commit fails; nothing of this transaction is kept then.
    pub fn commit(mut self, durable: bool) -> Result<(), StoreError> {
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
    }

    /// Discards every change of this transaction.
    ///
    /// # Errors
    /// [`StoreError`] if redb fails to roll back.
    pub fn abort(self) -> Result<(), StoreError> {
        self.txn.abort()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(key: &str, location: Option<ObjectId>) -> ObjectRecord {
        ObjectRecord {
            key: key.into(),
            typeclass: "room".into(),
            location,
        }
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.redb");
        drop(Store::open(&path, 1 << 20).unwrap());
        {
            let db = Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META)
                .unwrap()
                .insert("schema", u64::from(SCHEMA_VERSION) + 1)
                .unwrap();
            txn.commit().unwrap();
        }
        match Store::open(&path, 1 << 20) {
            Err(StoreError::NewerSchema { found, supported }) => {
                assert_eq!(
                    (found, supported),
                    (u64::from(SCHEMA_VERSION) + 1, SCHEMA_VERSION)
                );
            }
            Err(e) => panic!("expected NewerSchema, got {e}"),
            Ok(_) => panic!("opened a newer schema"),
        }
    }

    #[test]
    fn indexes_follow_moves_renames_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("w.redb"), 1 << 20).unwrap();
        let mut w = store.write().unwrap();
        let first = w.allocate_ids(3).unwrap();
        let (room, a, b) = (first, first + 1, first + 2);
        w.put_object(room, None, &rec("Hall", None)).unwrap();
        w.put_object(a, None, &rec("Ann", Some(room))).unwrap();
        w.put_object(b, None, &rec("ann", Some(room))).unwrap();
        w.put_attr(a, "hp", &Value::Int(3)).unwrap();
        assert_eq!(w.contents(room).unwrap(), vec![a, b]);
        assert_eq!(w.search("ANN").unwrap(), vec![a, b]);
        w.put_object(b, Some(&rec("ann", Some(room))), &rec("Bea", None))
            .unwrap();
        assert_eq!(w.contents(room).unwrap(), vec![a]);
        assert_eq!(w.search("bea").unwrap(), vec![b]);
        w.delete_object(a, &rec("Ann", Some(room))).unwrap();
        w.commit(true).unwrap();
        let r = store.read().unwrap();
        assert!(r.contents(room).unwrap().is_empty());
        assert!(r.search("ann").unwrap().is_empty());
        assert!(r.load(a).unwrap().is_none());
        assert!(r.is_deleted(a).unwrap());
        assert_eq!(r.next_id().unwrap(), first + 3);
        assert_eq!(r.object_count().unwrap(), 2);
    }
}
