//! Integration tests through real components built from `scripts/` and `tests/typeclasses/`
//! and real redb files.
//!
//! - `demo`: the seeded demo world played line by line: exits, items, speech, the cat.
//! - `identity`: one entry per id, one store load.
//! - `attributes`: `db` persistence, `ndb` lifetime, typed values, object references.
//! - `flush`: flush rules, protections, the memory budget, no hidden references.
//! - `hooks`: hook order, nested and queued hooks (re-entrancy), vetoes.
//! - `errors`: deleted handles, bad guest arguments, traps; the host keeps running.
//! - `reload`: hot reload through the server: swap, rejects, watcher, reload under load.
//! - `retype`: changing an object's typeclass from a hook keeps it whole, or changes nothing;
//!   a component built for contract 0.2.0 still runs on 0.2.1.
//! - `sandbox`: the `adversary` typeclass against time, memory, handle, size and capability
//!   limits, atomic hooks and quarantine.
//! - `store_files`: corrupt files and files from a newer schema.
//! - `hostile`: the adversary against every limit: waiting, nesting, turn time, blame, queue
//!   caps, `ndb` and name budgets, fail-closed vetoes, the CLOCK ring.
//! - `rollback`: loads and `at-init` stand or fall together, failed commits (injected storage
//!   faults), atomic deletes.
//! - `timers`: firing order and counts on an injected clock, catch-up after downtime, flushed
//!   and deleted objects, failures, parking, limits, quarantine, reload, 100,000 due at once.
//! - `twins`: one test body run against the Rust adversary and its Python twin: deadline,
//!   memory cap, no waiting, failing hooks, flush and reload.
//! - `power`: simulated power cuts (unsynced writes lost, a page torn) under group commit:
//!   every acknowledged transfer kept, gold conserved, `check` clean; a failed fsync first.
//!
//! The real `wasmud serve` binary is tested in `host/tests/serve.rs` (it needs the binary path
//! cargo gives only to its own package).

use wasmud_tests::TestWorld;

mod attributes;
mod backends;
mod demo;
mod errors;
mod find;
mod flush;
mod hooks;
mod hostile;
mod identity;
mod power;
mod reload;
mod retype;
mod rollback;
mod sandbox;
mod store_files;
mod timers;
mod twins;
