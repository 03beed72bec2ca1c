//! [`StoreError`]: everything that can go wrong in the persistent store, whatever the backend.

/// A failure of the persistent store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store is not a readable wasmud database (damaged, truncated or another format).
    #[error("database file is corrupt: {detail}")]
    Corrupt {
        /// What the check found.
        detail: String,
    },
    /// The store was written by a newer wasmud whose schema this build does not understand.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    NewerSchema {
        /// The version found in the store.
        found: u64,
        /// The newest version this build reads.
        supported: u8,
    },
    /// The store is a database, but not a wasmud world (another program's file or schema).
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
    /// A failure reported by the backend's database (redb, PostgreSQL).
    #[error("database: {0}")]
    Backend(#[from] BackendError),
    /// A stored record could not be encoded or decoded.
    #[error("record encoding: {detail}")]
    Decode {
        /// What failed.
        detail: String,
    },
}

/// A backend's own error, with whether it is a failure of the storage (the disk, the
/// connection) rather than of the data.
#[derive(Debug, thiserror::Error)]
#[error("{source}")]
pub struct BackendError {
    /// The failure of the storage itself: the store must be reopened (redb after an I/O
    /// error) or reconnected (PostgreSQL) before it works again.
    pub io: bool,
    /// The backend's error.
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

impl StoreError {
    /// A backend's error; `io` tells a failure of the storage from one of the data.
    pub fn backend(io: bool, source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Backend(BackendError {
            io,
            source: source.into(),
        })
    }

    /// True for a failure of the disk, the connection or the storage backend rather than of
    /// the data: the store refuses every write until it is reopened.
    pub fn is_io(&self) -> bool {
        matches!(
            self,
            StoreError::Io(_) | StoreError::Backend(BackendError { io: true, .. })
        )
    }
}
