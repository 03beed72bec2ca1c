//! `wasmud migrate`: a stopped world copied from one store into another (redb to PostgreSQL
//! or back, or between two of a kind), then verified: the copy must hold exactly what the
//! source holds (the same digest of every record) and pass `check`.

use std::time::{Duration, Instant};

use crate::location::StoreLocation;
use wasmud_world::store::{Digest, StoreError, copy, digest};

/// What a migration did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MigrateReport {
    /// What was copied, and the digest both stores agree on.
    pub digest: Digest,
    /// How long the copy took (the commit included).
    pub copy: Duration,
    /// How long the verification took (both digests and the check).
    pub verify: Duration,
}

/// Why a migration stopped.
#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    /// A store failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The destination already holds a world.
    #[error("the destination is not empty ({0}); migrate into a new store")]
    NotEmpty(String),
    /// The copy does not hold what the source holds.
    #[error("the copy differs from the source: source {wanted:?}, copy {copy:?}")]
    Differs {
        /// The source's digest.
        wanted: Digest,
        /// The copy's.
        copy: Digest,
    },
    /// The copy fails `check`.
    #[error("the copy fails check: {0:?}")]
    CheckFailed(Vec<String>),
}

/// Copies the world at `from` into the empty store at `to` (created if it is a redb file that
/// does not exist) and verifies the copy.
///
/// # Errors
/// [`MigrateError`]; a destination that is not empty is never written.
pub fn migrate(from: &StoreLocation, to: &StoreLocation) -> Result<MigrateReport, MigrateError> {
    let mut source = from.open_existing()?;
    let mut dest = to.open(64 << 20)?;
    {
        let view = dest.read()?;
        let (objects, next_id, accounts) = (
            view.object_count()?,
            view.next_id()?,
            view.accounts()?.len(),
        );
        if objects > 0 || next_id > 1 || accounts > 0 {
            return Err(MigrateError::NotEmpty(format!(
                "{objects} objects, id sequence at {next_id}, {accounts} accounts"
            )));
        }
    }
    let started = Instant::now();
    let snapshot = source.snapshot()?;
    let mut txn = dest.write()?;
    copy(snapshot.as_ref(), txn.as_mut())?;
    txn.commit(true)?;
    let copied = started.elapsed();
    let started = Instant::now();
    let want = digest(snapshot.as_ref())?;
    let got = digest(dest.read()?.as_ref())?;
    if want != got {
        return Err(MigrateError::Differs {
            wanted: want,
            copy: got,
        });
    }
    let report = dest.check(false)?;
    if !report.is_clean() {
        return Err(MigrateError::CheckFailed(report.problems));
    }
    Ok(MigrateReport {
        digest: got,
        copy: copied,
        verify: started.elapsed(),
    })
}
