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

/// What a store holds, summed up: counts and one hash of every record, to tell whether two
/// stores hold the same world (a copy against its source).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Digest {
    /// What there is, counted.
    pub counts: CopyCounts,
    /// The next id the sequence hands out.
    pub next_id: u64,
    /// A hash of every object, attribute, tombstone, timer and account, in order.
    pub hash: u64,
}

/// The [`Digest`] of everything `view` holds.
///
/// # Errors
/// The first read failure.
pub fn digest(view: &dyn StoreView) -> Result<Digest, StoreError> {
    use crate::records::{encode, encode_account};
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    let mut counts = CopyCounts::default();
    view.scan_objects(&mut |(id, (record, attrs))| {
        (b'o', id).hash(&mut h);
        encode(&record)?.hash(&mut h);
        for (name, value) in &attrs {
            name.hash(&mut h);
            encode(value)?.hash(&mut h);
        }
        counts.objects += 1;
        counts.attributes += attrs.len() as u64;
        Ok(())
    })?;
    view.scan_tombstones(&mut |id| {
        (b't', id).hash(&mut h);
        counts.tombstones += 1;
        Ok(())
    })?;
    view.scan_timers(&mut |(object, name, record)| {
        (b'T', object, &name).hash(&mut h);
        encode(&record)?.hash(&mut h);
        counts.timers += 1;
        Ok(())
    })?;
    for account in view.accounts()? {
        encode_account(&account)?.hash(&mut h);
        counts.accounts += 1;
    }
    Ok(Digest {
        counts,
        next_id: view.next_id()?,
        hash: h.finish(),
    })
}
