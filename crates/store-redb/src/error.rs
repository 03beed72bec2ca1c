//! redb's errors, and how they become [`StoreError`]s.

use std::path::Path;

use wasmud_store::StoreError;

/// An error inside this backend: redb's, or one of the store contract's.
#[derive(Debug)]
pub(crate) enum Error {
    /// A redb failure.
    Redb(redb::Error),
    /// Already a store error (a record that does not decode, an I/O error).
    Store(StoreError),
}

/// This backend's results.
pub(crate) type R<T> = Result<T, Error>;

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::Store(e) => e,
            Error::Redb(e) => {
                // After one of these redb refuses every operation until the store is reopened.
                let io = matches!(
                    e,
                    redb::Error::Io(_)
                        | redb::Error::PreviousIo
                        | redb::Error::Backend(_)
                        | redb::Error::DatabaseClosed
                );
                StoreError::backend(io, e)
            }
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::Store(StoreError::Io(e))
    }
}

macro_rules! from_redb {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Error::Redb(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::Error,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// Runs `f`, turning this backend's errors into [`StoreError`]s (for the contract's methods).
pub(crate) fn run<T>(f: impl FnOnce() -> R<T>) -> Result<T, StoreError> {
    f().map_err(StoreError::from)
}

/// Maps an error from opening the file at `path`, telling corruption apart from the rest.
pub(crate) fn from_database(path: &Path, err: redb::DatabaseError) -> StoreError {
    match err {
        redb::DatabaseError::DatabaseAlreadyOpen => StoreError::AlreadyOpen,
        redb::DatabaseError::Storage(redb::StorageError::Corrupted(detail)) => {
            StoreError::Corrupt {
                detail: format!("{}: {detail}", path.display()),
            }
        }
        redb::DatabaseError::Storage(redb::StorageError::Io(io))
            if io.kind() == std::io::ErrorKind::InvalidData =>
        {
            StoreError::Corrupt {
                detail: format!("{}: {io}", path.display()),
            }
        }
        redb::DatabaseError::UpgradeRequired(v) => StoreError::Corrupt {
            detail: format!("{}: unsupported redb file format {v}", path.display()),
        },
        other => Error::Redb(other.into()).into(),
    }
}
