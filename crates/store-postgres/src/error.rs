//! PostgreSQL's errors as [`StoreError`]s.

use tokio_postgres::error::SqlState;
use wasmud_store::StoreError;

/// A PostgreSQL error as a store error. A lost connection, a server shutting down, a full disk
/// or any other failure of the system (SQL states of classes 08, 53, 57 and 58) is a failure of
/// the storage ([`StoreError::is_io`]): the world refuses changes and reconnects. Anything else
/// is a failure of the data or of a statement.
pub(crate) fn pg(e: tokio_postgres::Error) -> StoreError {
    let io = e.is_closed()
        || e.as_db_error().is_none() && e.code().is_none()
        || e.code().is_some_and(|code| {
            let class = &code.code()[..2];
            matches!(class, "08" | "53" | "57" | "58") || *code == SqlState::IO_ERROR
        });
    StoreError::backend(io, e)
}

/// An id as PostgreSQL's `bigint`.
pub(crate) fn id(id: u64) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| StoreError::Decode {
        detail: format!("object id {id} does not fit PostgreSQL's bigint"),
    })
}

/// A `bigint` read back as an id or a count.
pub(crate) fn unsigned(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Decode {
        detail: format!("negative id or count {value}"),
    })
}
