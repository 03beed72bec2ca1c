//! Backups: a consistent copy of a live store, taken from one read snapshot.
//!
//! A read transaction sees the store as of one commit and never blocks writers, so the world
//! takes the snapshot between two turns (one job on the world thread, microseconds) and the
//! copy runs elsewhere while the world keeps serving. The copy is written to a new file next
//! to the destination, made durable, and renamed into place: a backup file is whole or absent.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use redb::{Durability, ReadableMultimapTable, ReadableTable, ReadableTableMetadata};

use super::schema::{ATTRS, CONTENTS, KEYS, META, OBJECTS, TOMBSTONES};
use super::{StoreError, StoreRead};

/// What a backup wrote.
#[derive(Clone, Debug, serde::Serialize)]
pub struct BackupReport {
    /// The backup file.
    pub path: PathBuf,
    /// Objects copied.
    pub objects: u64,
    /// Attributes copied.
    pub attributes: u64,
    /// Size of the file.
    pub bytes: u64,
    /// How long the copy took.
    pub took: Duration,
}

impl StoreRead {
    /// Copies this snapshot into a new store at `dest`, which must not exist.
    ///
    /// # Errors
    /// [`StoreError::Io`] if `dest` exists or cannot be written, [`StoreError`] on a read
    /// failure. A failed backup leaves no file at `dest`.
    pub fn backup_to(&self, dest: &Path) -> Result<BackupReport, StoreError> {
        let started = Instant::now();
        if dest.exists() {
            return Err(StoreError::Io(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists; choose a new file", dest.display()),
            )));
        }
        let tmp = dest.with_extension("partial");
        let _ = std::fs::remove_file(&tmp);
        let result = self.copy_into(&tmp);
        let (objects, attributes) = match result {
            Ok(counts) => counts,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
        }
        std::fs::rename(&tmp, dest)?;
        Ok(BackupReport {
            path: dest.to_path_buf(),
            objects,
            attributes,
            bytes: std::fs::metadata(dest)?.len(),
            took: started.elapsed(),
        })
    }

    fn copy_into(&self, path: &Path) -> Result<(u64, u64), StoreError> {
        let db = redb::Database::create(path).map_err(|e| StoreError::from_database(path, e))?;
        let mut txn = db.begin_write()?;
        txn.set_durability(Durability::Immediate)?;
        let from = &self.txn;
        {
            let mut to = txn.open_table(META)?;
            for row in from.open_table(META)?.iter()? {
                let (k, v) = row?;
                to.insert(k.value(), v.value())?;
            }
            let mut to = txn.open_table(OBJECTS)?;
            for row in from.open_table(OBJECTS)?.iter()? {
                let (k, v) = row?;
                to.insert(k.value(), v.value())?;
            }
            let mut to = txn.open_table(ATTRS)?;
            for row in from.open_table(ATTRS)?.iter()? {
                let (k, v) = row?;
                to.insert(k.value(), v.value())?;
            }
            let mut to = txn.open_table(TOMBSTONES)?;
            for row in from.open_table(TOMBSTONES)?.iter()? {
                to.insert(row?.0.value(), ())?;
            }
            let mut to = txn.open_multimap_table(CONTENTS)?;
            for row in from.open_multimap_table(CONTENTS)?.iter()? {
                let (k, vs) = row?;
                for v in vs {
                    to.insert(k.value(), v?.value())?;
                }
            }
            let mut to = txn.open_multimap_table(KEYS)?;
            for row in from.open_multimap_table(KEYS)?.iter()? {
                let (k, vs) = row?;
                for v in vs {
                    to.insert(k.value(), v?.value())?;
                }
            }
        }
        let objects = from.open_table(OBJECTS)?.len()?;
        let attributes = from.open_table(ATTRS)?.len()?;
        txn.commit()?;
        drop(db);
        // The rename that follows must not overtake the data: sync the file itself.
        std::fs::File::open(path)?.sync_all()?;
        Ok((objects, attributes))
    }
}
