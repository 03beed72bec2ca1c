//! The store the world lives in: the contract every backend implements (`wasmud-store`:
//! records, reads, the write transaction, `find`, copies, `check` reports) and the backends
//! (`wasmud-store-redb`, the embedded default).

pub use wasmud_store::*;
pub use wasmud_store_redb::{RedbRead, RedbStore, RedbWrite, Storage, backup_view};
