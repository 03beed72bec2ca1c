//! Integration tests through real components built from `scripts/` and real redb files.
//!
//! - `identity`: one entry per id, one store load.
//! - `attributes`: `db` persistence, `ndb` lifetime, typed values, object references.
//! - `flush`: flush rules, protections, the memory budget, no hidden references.
//! - `hooks`: hook order, nested and queued hooks (re-entrancy), vetoes.
//! - `errors`: deleted handles, bad guest arguments, traps; the host keeps running.
//! - `reload`: hot reload through the server: swap, rejects, watcher, reload under load.
//! - `sandbox`: the `adversary` typeclass against time, memory, handle, size and capability
//!   limits, atomic hooks and quarantine.
//! - `store_files`: corrupt files and files from a newer schema.
//!
//! The real `wasmud serve` binary is tested in `host/tests/serve.rs` (it needs the binary path
//! cargo gives only to its own package).

mod attributes;
mod errors;
mod flush;
mod hooks;
mod identity;
mod reload;
mod sandbox;
mod store_files;
