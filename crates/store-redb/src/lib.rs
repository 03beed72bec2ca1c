//! wasmud's embedded store: the world in one redb file, the default backend (nothing to
//! install). It implements the store contract of `wasmud-store`.
//!
//! # Layout
//! - `tables`: the redb tables; records are encoded by the contract.
//! - `view`, `timers`, `accounts`: the contract's reads on redb transactions.
//! - `write`: the contract's write transaction.
//! - `source`: where the file lives, and how it is reopened or rewritten after a failure.
//! - `backup`, `check`, `check_timers`: `wasmud backup` and `wasmud check`.
//! - this module: [`RedbStore`] (open, schema, the [`Backend`] implementation).

mod accounts;
mod backup;
mod check;
mod check_timers;
mod error;
mod source;
mod tables;
mod timers;
mod view;
mod write;

pub use backup::backup_view;
pub use source::Storage;

use std::path::{Path, PathBuf};

use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction,
};
use wasmud_store::{
    Backend, BackupReport, CheckReport, SCHEMA_VERSION, Snapshot, StoreError, StoreView, WriteTxn,
};

use error::{R, from_database, run};
use tables::{ACCOUNTS, ATTRS, CONTENTS, KEYS, META, OBJECTS, TIMER_QUEUE, TIMERS, TOMBSTONES};

/// The embedded redb database behind the world.
pub struct RedbStore {
    /// `None` only between closing and reopening (see [`RedbStore::reopen`]).
    db: Option<Database>,
    /// Where the database lives, to reopen or rewrite it (`None`: it cannot be).
    source: Option<source::Open>,
    /// The file, if the store is one (for `describe`).
    path: Option<PathBuf>,
}

impl RedbStore {
    /// Opens the store at `path`, creating it (and its tables) if the file does not exist.
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] if the file is not a readable redb database,
    /// [`StoreError::NewerSchema`] if it was written by a newer wasmud, [`StoreError::Io`] /
    /// [`StoreError::Backend`] for other failures. Nothing is written to a file that fails a check.
    pub fn open(path: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        refuse_foreign_or_newer(path)?;
        let mut store = Self::open_with(source::file(path, cache_bytes))?;
        store.path = Some(path.to_owned());
        Ok(store)
    }

    /// Opens the store on `open`'s current storage (kept to reopen or rewrite it), checking
    /// its schema and ids.
    fn open_with(open: source::Open) -> Result<Self, StoreError> {
        let db = open(Storage::Current)?.ok_or_else(no_storage)?;
        let store = RedbStore {
            db: Some(db),
            source: Some(open),
            path: None,
        };
        store.check_or_init_schema()?;
        store.check_id_sequence()?;
        Ok(store)
    }

    /// Opens an existing store for `wasmud check`: refuses a foreign or newer file like
    /// [`RedbStore::open`], but not one whose invariants are broken (that is what the check is
    /// for), and never creates a file.
    ///
    /// # Errors
    /// As [`RedbStore::open`], and [`StoreError::Io`] if the file does not exist.
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
            .map_err(|e| from_database(path, e))?;
        let store = RedbStore {
            db: Some(db),
            source: None,
            path: Some(path.to_owned()),
        };
        store.check_or_init_schema()?;
        Ok(store)
    }

    /// Opens (or creates) the store on a custom redb storage backend: an in-memory file, or
    /// one that injects I/O failures in tests. (It cannot be reopened after a failure.)
    ///
    /// # Errors
    /// As [`RedbStore::open`].
    pub fn open_with_backend(
        backend: impl redb::StorageBackend,
        cache_bytes: usize,
    ) -> Result<Self, StoreError> {
        let db = redb::Builder::new()
            .set_cache_size(cache_bytes)
            .create_with_backend(backend)
            .map_err(|e| from_database(Path::new("<storage backend>"), e))?;
        let store = RedbStore {
            db: Some(db),
            source: None,
            path: None,
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
    /// As [`RedbStore::open`].
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
    fn db(&self) -> R<&Database> {
        self.db.as_ref().ok_or_else(|| {
            std::io::Error::other("the database is closed after an I/O failure (reopening)").into()
        })
    }

    /// The cheap check run on every open: the id sequence is above every id in use (else ids
    /// would be handed out twice). `wasmud check` runs the full set.
    fn check_id_sequence(&self) -> R<()> {
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
            }
            .into()),
            _ => Ok(()),
        }
    }

    fn check_or_init_schema(&self) -> R<()> {
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
    /// [`StoreError::Backend`] if redb cannot start a transaction.
    pub fn read(&self) -> Result<RedbRead, StoreError> {
        run(|| {
            Ok(RedbRead {
                txn: self.db()?.begin_read()?,
            })
        })
    }

    /// Starts the (single) write transaction. Its commits are not durable until
    /// [`WriteTxn::commit`] is called with `durable = true` on it or a later transaction.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if redb cannot start a transaction.
    pub fn write(&self) -> Result<RedbWrite, StoreError> {
        run(|| {
            Ok(RedbWrite {
                txn: self.db()?.begin_write()?,
            })
        })
    }

    /// Makes every earlier commit durable (one fsync).
    ///
    /// # Errors
    /// [`StoreError::Backend`] if the commit fails.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        Box::new(self.write()?).commit(true)
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
fn existing_schema(read: &ReadTransaction) -> R<Option<u64>> {
    let found = match read.open_table(META) {
        Ok(meta) => match meta.get("schema")?.map(|v| v.value()) {
            Some(found) => found,
            None => return Err(foreign("a `meta` table without a schema version").into()),
        },
        Err(redb::TableError::TableDoesNotExist(_)) => {
            // A new file is empty; a redb file with other tables is someone else's.
            if read.list_tables()?.next().is_some() || read.list_multimap_tables()?.next().is_some()
            {
                return Err(foreign("a redb database without wasmud's tables").into());
            }
            return Ok(None);
        }
        Err(e) => return Err(e.into()),
    };
    if found > u64::from(SCHEMA_VERSION) {
        return Err(StoreError::NewerSchema {
            found,
            supported: SCHEMA_VERSION,
        }
        .into());
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
            let verdict = run(|| existing_schema(&db.begin_read()?).map(drop));
            db.close().map_err(|e| from_database(path, e))?;
            verdict
        }
        Err(redb::DatabaseError::RepairAborted) => Ok(()),
        Err(e) => Err(from_database(path, e)),
    }
}

fn foreign(what: &str) -> StoreError {
    StoreError::Foreign {
        detail: format!("{what}; refusing to open it (nothing was written)"),
    }
}

/// A read-only snapshot of a redb store.
pub struct RedbRead {
    txn: ReadTransaction,
}

/// A redb store's write transaction.
pub struct RedbWrite {
    txn: WriteTransaction,
}

impl Snapshot for RedbRead {
    fn backup_to(&self, dest: &Path) -> Result<BackupReport, StoreError> {
        RedbRead::backup_to(self, dest)
    }
}

impl Backend for RedbStore {
    fn describe(&self) -> String {
        match &self.path {
            Some(path) => format!("redb {}", path.display()),
            None => "redb (custom storage)".into(),
        }
    }

    fn read(&self) -> Result<Box<dyn StoreView + Send>, StoreError> {
        Ok(Box::new(RedbStore::read(self)?))
    }

    fn snapshot(&mut self) -> Result<Box<dyn Snapshot>, StoreError> {
        Ok(Box::new(RedbStore::read(self)?))
    }

    fn write(&mut self) -> Result<Box<dyn WriteTxn>, StoreError> {
        Ok(Box::new(RedbStore::write(self)?))
    }

    fn checkpoint(&mut self) -> Result<(), StoreError> {
        RedbStore::checkpoint(self)
    }

    fn reopen(&mut self) -> Result<(), StoreError> {
        RedbStore::reopen(self)
    }

    fn rewrite(&mut self) -> Result<(), StoreError> {
        RedbStore::rewrite(self)
    }

    fn is_open(&self) -> bool {
        RedbStore::is_open(self)
    }

    fn check(&mut self, repair: bool) -> Result<CheckReport, StoreError> {
        RedbStore::check(self, repair)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmud_common::{ObjectId, Value};
    use wasmud_store::ObjectRecord;

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
        drop(RedbStore::open(&path, 1 << 20).unwrap());
        {
            let db = Database::create(&path).unwrap();
            let txn = db.begin_write().unwrap();
            txn.open_table(META)
                .unwrap()
                .insert("schema", u64::from(SCHEMA_VERSION) + 1)
                .unwrap();
            txn.commit().unwrap();
        }
        match RedbStore::open(&path, 1 << 20) {
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
        let store = RedbStore::open(&dir.path().join("w.redb"), 1 << 20).unwrap();
        let mut w: Box<dyn WriteTxn> = Box::new(store.write().unwrap());
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
