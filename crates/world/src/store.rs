//! The store the world lives in: the contract every backend implements (`wasmud-store`:
//! records, reads, the write transaction, `find`, copies, `check` reports) and the embedded
//! default backend (`wasmud-store-redb`). Which store a server opens is the server's choice
//! (`wasmud_server::location`); the world only sees a [`Backend`].

pub use wasmud_store::*;
pub use wasmud_store_redb::{RedbRead, RedbStore, RedbWrite, Storage, backup_view};
