//! [`WorldError`]: why an operation on the world failed.

use crate::store::StoreError;
use crate::value::ObjectId;
use crate::world::LimitExceeded;

/// Why an operation on the world failed. The first five cases are the game-level errors a
/// script sees (as the WIT `error` variant); the rest are host failures (a script sees them as
/// `internal`, or `vetoed` where a veto hook could not be asked).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorldError {
    /// No object has this id, or no attribute or typeclass has this name.
    #[error("not found: {0}")]
    NotFound(String),
    /// The object was deleted.
    #[error("object #{0} was deleted")]
    Deleted(ObjectId),
    /// An argument was malformed, out of range or too large.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A hook refused the operation.
    #[error("vetoed: {0}")]
    Vetoed(String),
    /// The host could not complete the operation.
    #[error("internal error: {0}")]
    Internal(String),
    /// A hook trapped or returned an error.
    #[error("{typeclass}.{hook} on #{object} failed: {detail}")]
    Hook {
        /// The typeclass whose hook failed.
        typeclass: String,
        /// The hook, in WIT spelling (`at-command`).
        hook: &'static str,
        /// The object the hook ran for.
        object: ObjectId,
        /// True if the guest trapped (rather than returning an error).
        trapped: bool,
        /// The guest's error text or the trap message.
        detail: String,
    },
    /// A limit was reached (time, memory, stack, queue): the whole turn failed and was rolled
    /// back.
    #[error("{0}")]
    Limit(LimitExceeded),
    /// The object's typeclass should have a component but cannot run (quarantined, or its
    /// component failed to load): veto hooks refuse, commands are not run.
    #[error("{typeclass}.{hook} refused: typeclass {typeclass} is unavailable: {reason}")]
    Unavailable {
        /// The typeclass.
        typeclass: String,
        /// The hook that was asked, in WIT spelling.
        hook: &'static str,
        /// Why it is unavailable.
        reason: String,
    },
    /// The persistent store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store is failing (a full or broken disk): changes are refused until it works again
    /// (see `world::storage`); reads go on.
    #[error("storage unavailable: {0}")]
    StorageDown(String),
    /// A typeclass component could not be loaded or instantiated.
    #[error("script {name}: {detail}")]
    Script {
        /// The typeclass name.
        name: String,
        /// What went wrong.
        detail: String,
    },
}
