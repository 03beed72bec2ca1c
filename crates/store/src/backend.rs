//! [`Backend`]: a store the world can live in (redb, PostgreSQL), and [`Snapshot`], a
//! consistent read of it that other threads may use.

use std::path::Path;

use crate::StoreError;
use crate::check::CheckReport;
use crate::copy::BackupReport;
use crate::view::StoreView;
use crate::write::WriteTxn;

/// A consistent, read-only view of the store as of one commit, which may be sent to another
/// thread (backups, `find`, copies) while the world goes on writing.
pub trait Snapshot: StoreView + Send {
    /// Copies this snapshot into a new redb file at `dest`, which must not exist: a backup
    /// is always a portable, embedded store, whatever the world lives in.
    ///
    /// # Errors
    /// [`StoreError::Io`] if `dest` exists or cannot be written, [`StoreError`] on a read
    /// failure. A failed backup leaves no file at `dest`.
    fn backup_to(&self, dest: &Path) -> Result<BackupReport, StoreError>;
}

/// A store the world can live in. The world thread owns it: there is one write transaction at
/// a time, and every commit of the world goes through it.
///
/// The semantics every backend keeps: a write transaction is atomic; a commit that is not
/// durable is visible to later reads at once and made durable by a later durable commit or
/// [`Backend::checkpoint`] (group commit: the world acknowledges a turn only after that);
/// ids are never reused; deleted ids stay known as deleted.
pub trait Backend: Send {
    /// What the store is, for logs and `stats`: `redb /path/world.redb`, `postgres
    /// host=... dbname=...` (never a password).
    fn describe(&self) -> String;

    /// A read of everything committed so far (durable or not), for the world thread's cache
    /// misses between turns.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn read(&self) -> Result<Box<dyn StoreView + Send>, StoreError>;

    /// A consistent snapshot of everything committed so far, for another thread. A backend
    /// whose other connections cannot see commits that are not yet durable makes them durable
    /// first (which group commit always allows).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn snapshot(&mut self) -> Result<Box<dyn Snapshot>, StoreError>;

    /// Starts the (single) write transaction.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    fn write(&mut self) -> Result<Box<dyn WriteTxn>, StoreError>;

    /// Makes every earlier commit durable.
    ///
    /// # Errors
    /// [`StoreError`] if that fails; the commits since the last durable one may then be lost.
    fn checkpoint(&mut self) -> Result<(), StoreError>;

    /// Opens the store again after a failure of its storage ([`StoreError::is_io`]): reads
    /// then see what was durable. Reads and writes still open must be dropped first.
    ///
    /// # Errors
    /// The open's error; the store is then closed, and reopening may be tried again.
    fn reopen(&mut self) -> Result<(), StoreError>;

    /// After a failure, before writing again: puts the store as it reads now into storage
    /// that is known good (redb: a fresh file renamed over the old one, since a file whose
    /// fsync failed may never get pages the kernel showed). Backends whose server does this
    /// themselves do nothing.
    ///
    /// # Errors
    /// The copy's error (a full disk); the store is then as before.
    fn rewrite(&mut self) -> Result<(), StoreError>;

    /// False while the store is closed (a reopen failed part-way).
    fn is_open(&self) -> bool;

    /// Verifies the store's invariants (`wasmud check`), repairing what can be repaired
    /// without losing data when `repair` is set.
    ///
    /// # Errors
    /// [`StoreError`] if the store cannot be read.
    fn check(&mut self, repair: bool) -> Result<CheckReport, StoreError>;
}
