//! Copying a world from one store into another: backups (always into a redb file) and
//! `wasmud migrate` (between any two backends).

use std::path::PathBuf;
use std::time::Duration;

use crate::StoreError;
use crate::view::StoreView;
use crate::write::WriteTxn;

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

/// What [`copy`] wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CopyCounts {
    /// Objects copied.
    pub objects: u64,
    /// Attributes copied.
    pub attributes: u64,
    /// Tombstones (deleted ids) copied.
    pub tombstones: u64,
    /// Timers copied.
    pub timers: u64,
    /// Accounts copied.
    pub accounts: u64,
}

/// Copies everything `from` holds into `to` (which should be empty): objects with their
/// attributes, deleted ids, the id sequence, timers and accounts. `to` is not committed.
///
/// # Errors
/// The first read or write failure.
pub fn copy(from: &dyn StoreView, to: &mut dyn WriteTxn) -> Result<CopyCounts, StoreError> {
    let mut counts = CopyCounts::default();
    from.scan_objects(&mut |(id, (record, attrs))| {
        to.put_object(id, None, &record)?;
        for (name, value) in &attrs {
            to.put_attr(id, name, value)?;
        }
        counts.objects += 1;
        counts.attributes += attrs.len() as u64;
        Ok(())
    })?;
    from.scan_tombstones(&mut |id| {
        counts.tombstones += 1;
        to.put_tombstone(id)
    })?;
    from.scan_timers(&mut |(object, name, record)| {
        counts.timers += 1;
        to.put_timer(object, &name, None, &record)
    })?;
    for account in from.accounts()? {
        to.put_account(&account)?;
        counts.accounts += 1;
    }
    to.raise_next_id(from.next_id()?)?;
    Ok(counts)
}
