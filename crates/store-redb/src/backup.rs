//! Backups: a consistent copy of a live store, taken from one read snapshot.
//!
//! A read transaction sees the store as of one commit and never blocks writers, so the world
//! takes the snapshot between two turns (one job on the world thread, microseconds) and the
//! copy runs elsewhere while the world keeps serving. The copy is written to a private new file
//! (mode 0600) next to the destination, made durable, and linked into place only if the
//! destination still does not exist: a backup file is whole or absent, and never overwrites.
//! While a copy runs, redb cannot reuse pages freed by later commits (the snapshot still sees
//! them), so the live file may grow by what the world rewrites meanwhile.

use std::path::{Path, PathBuf};
use std::time::Instant;

use redb::{
    Durability, Key, MultimapTableDefinition, ReadTransaction, ReadableMultimapTable,
    ReadableTable, ReadableTableMetadata, TableDefinition, Value, WriteTransaction,
};

use wasmud_store::{BackupReport, StoreError, StoreView, WriteTxn};

use crate::error::{R, from_database};
use crate::tables::{
    ACCOUNTS, ATTRS, CONTENTS, KEYS, META, OBJECTS, TIMER_QUEUE, TIMERS, TOMBSTONES,
};
use crate::{RedbRead, RedbStore};

/// Copies any store's `view` (a PostgreSQL world's, for one) into a new redb file at `dest`,
/// which must not exist: the same file [`RedbRead::backup_to`] writes.
///
/// # Errors
/// As [`RedbRead::backup_to`].
pub fn backup_view(view: &dyn StoreView, dest: &Path) -> Result<BackupReport, StoreError> {
    place(dest, |path, file| {
        let backend = redb::backends::FileBackend::new(file).map_err(|e| from_database(path, e))?;
        let mut store = RedbStore::open_with_backend(backend, 16 << 20)?;
        let mut txn: Box<dyn WriteTxn> = Box::new(store.write()?);
        let counts = wasmud_store::copy(view, txn.as_mut())?;
        txn.commit(true)?;
        store.db.take();
        std::fs::File::open(path)?.sync_all()?;
        Ok((counts.objects, counts.attributes))
    })
}

/// Writes a backup at `dest` with `fill` (given a private temporary file), then links it into
/// place: a backup file is whole or absent, and never overwrites.
fn place(
    dest: &Path,
    fill: impl FnOnce(&Path, std::fs::File) -> Result<(u64, u64), StoreError>,
) -> Result<BackupReport, StoreError> {
    let started = Instant::now();
    if dest.exists() {
        return Err(exists(dest));
    }
    // A temporary file of our own (created exclusively, mode 0600 from the start), linked
    // to `dest` only when complete: the link fails if `dest` appeared meanwhile, so a
    // backup never overwrites a file, and concurrent backups never share a temp file.
    let (tmp, file) = create_private(dest)?;
    let result = fill(&tmp, file);
    let placed = result.and_then(|counts| match std::fs::hard_link(&tmp, dest) {
        Ok(()) => Ok(counts),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists(dest)),
        Err(e) => Err(e.into()),
    });
    let _ = std::fs::remove_file(&tmp);
    let (objects, attributes) = placed?;
    if let Some(dir) = dest.parent()
        && let Ok(dir) = std::fs::File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
    {
        let _ = dir.sync_all(); // the new name is durable too
    }
    Ok(BackupReport {
        path: dest.to_path_buf(),
        objects,
        attributes,
        bytes: std::fs::metadata(dest)?.len(),
        took: started.elapsed(),
    })
}

impl RedbRead {
    /// Copies this snapshot into a new store at `dest`, which must not exist.
    ///
    /// # Errors
    /// [`StoreError::Io`] if `dest` exists or cannot be written, [`StoreError`] on a read
    /// failure. A failed backup leaves no file at `dest`.
    pub fn backup_to(&self, dest: &Path) -> Result<BackupReport, StoreError> {
        place(dest, |path, file| self.copy_into(path, file))
    }

    fn copy_into(&self, path: &Path, file: std::fs::File) -> Result<(u64, u64), StoreError> {
        let backend = redb::backends::FileBackend::new(file).map_err(|e| from_database(path, e))?;
        let db = redb::Builder::new()
            .create_with_backend(backend)
            .map_err(|e| from_database(path, e))?;
        let counts = self.copy_to_db(&db)?;
        drop(db);
        // The rename that follows must not overtake the data: sync the file itself.
        std::fs::File::open(path)?.sync_all()?;
        Ok(counts)
    }

    /// Copies this snapshot into the empty database `db`, durably (one commit with an
    /// fsync): (objects, attributes) copied.
    pub(crate) fn copy_to_db(&self, db: &redb::Database) -> R<(u64, u64)> {
        let mut txn = db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let from = &self.txn;
        // Every table of the schema (`check_or_init_schema` lists the same ones).
        copy_table(from, &txn, META)?;
        copy_table(from, &txn, OBJECTS)?;
        copy_table(from, &txn, ATTRS)?;
        copy_table(from, &txn, TOMBSTONES)?;
        copy_table(from, &txn, TIMERS)?;
        copy_table(from, &txn, TIMER_QUEUE)?;
        copy_table(from, &txn, ACCOUNTS)?;
        copy_multimap(from, &txn, CONTENTS)?;
        copy_multimap(from, &txn, KEYS)?;
        let objects = from.open_table(OBJECTS)?.len()?;
        let attributes = from.open_table(ATTRS)?.len()?;
        txn.commit()?;
        Ok((objects, attributes))
    }
}

/// Copies every row of table `def` from `from` into `to`.
fn copy_table<K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    def: TableDefinition<K, V>,
) -> R<()> {
    let mut dst = to.open_table(def)?;
    for row in from.open_table(def)?.iter()? {
        let (k, v) = row?;
        dst.insert(k.value(), v.value())?;
    }
    Ok(())
}

/// Copies every row of multimap table `def` from `from` into `to`.
fn copy_multimap<K: Key + 'static, V: Key + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    def: MultimapTableDefinition<K, V>,
) -> R<()> {
    let mut dst = to.open_multimap_table(def)?;
    for row in from.open_multimap_table(def)?.iter()? {
        let (k, vs) = row?;
        for v in vs {
            dst.insert(k.value(), v?.value())?;
        }
    }
    Ok(())
}

fn exists(dest: &Path) -> StoreError {
    StoreError::Io(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{} exists; choose a new file", dest.display()),
    ))
}

/// A new file next to `dest`, created exclusively with mode 0600, with a name no other backup
/// uses.
fn create_private(dest: &Path) -> Result<(PathBuf, std::fs::File), StoreError> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = dest
        .file_name()
        .map_or_else(|| "backup".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dest.with_file_name(format!(
        ".{name}.{}.{}.partial",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(&tmp)?;
    Ok((tmp, file))
}
