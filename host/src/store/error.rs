//! [`StoreError`]: everything that can go wrong in the persistent store.

use std::path::Path;

/// A failure of the persistent store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The file is not a readable wasmud database (damaged, truncated or another format).
    #[error("database file is corrupt: {detail}")]
    Corrupt {
        /// What the check found.
        detail: String,
    },
    /// The file was written by a newer wasmud whose schema this build does not understand.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    NewerSchema {
        /// The version found in the file.
        found: u64,
        /// The newest version this build reads.
        supported: u8,
    },
    /// The file is a database, but not a wasmud world (another program's redb file).
    #[error("not a wasmud world: {detail}")]
    Foreign {
        /// What was found.
        detail: String,
    },
    /// Another process holds the database open.
    #[error("database is already open in another process")]
    AlreadyOpen,
    /// An I/O failure.
    #[error("database I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Any other redb failure.
    #[error("database: {0}")]
    Redb(#[from] redb::Error),
    /// A stored record could not be encoded or decoded.
    #[error("record encoding: {detail}")]
    Decode {
        /// What failed.
        detail: String,
    },
}

impl StoreError {
    /// True for a failure of the disk (or of the storage backend) rather than of the data:
    /// redb refuses every operation after one until the store is reopened.
    pub fn is_io(&self) -> bool {
        matches!(
            self,
            StoreError::Io(_)
                | StoreError::Redb(
                    redb::Error::Io(_)
                        | redb::Error::PreviousIo
                        | redb::Error::Backend(_)
                        | redb::Error::DatabaseClosed
                )
        )
    }

    /// Maps an error from opening the file at `path`, telling corruption apart from the rest.
    pub(crate) fn from_database(path: &Path, err: redb::DatabaseError) -> Self {
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
            other => StoreError::Redb(other.into()),
        }
    }
}

macro_rules! from_redb {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StoreError {
            fn from(e: $ty) -> Self {
                StoreError::Redb(e.into())
            }
        }
    )*};
}
from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);
