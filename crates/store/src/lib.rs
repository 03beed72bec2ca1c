//! The store contract of wasmud: everything the world keeps, and the traits a storage backend
//! implements to keep it.
//!
//! # Layout
//! - [`records`]: objects, timers and accounts as stored, and their versioned encoding.
//! - [`view`]: reading ([`StoreView`], [`TimerView`], [`AccountView`]).
//! - [`write`]: the single write transaction ([`WriteTxn`]).
//! - [`backend`]: a store the world lives in ([`Backend`]) and snapshots for other threads.
//! - [`find`]: `find` by part of a name, over any view.
//! - [`copy`]: a world copied between stores (backups, migration).
//! - [`check`]: what `wasmud check` reports.
//! - [`timings`]: commit times, for `bench`.
//! - [`mod@error`]: [`StoreError`], what can go wrong.
//!
//! Backends: `wasmud-store-redb` (the embedded default) and `wasmud-store-postgres`. The
//! store knows nothing of WIT or wasm; the world calls it with ids and values.

pub mod backend;
pub mod check;
pub mod copy;
pub mod error;
pub mod find;
pub mod records;
pub mod timings;
pub mod view;
pub mod write;

pub use backend::{Backend, Snapshot};
pub use check::CheckReport;
pub use copy::{BackupReport, CopyCounts, Digest, copy, digest};
pub use error::{BackendError, StoreError};
pub use find::{ALIASES, Finds, Found, find};
pub use records::{AccountRecord, ObjectRecord, SCHEMA_VERSION, TimerRecord};
pub use view::{AccountView, LoadedObject, StoreView, TimerRow, TimerView, Visit};
pub use write::WriteTxn;
