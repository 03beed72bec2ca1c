//! Where `host/build.rs` put the typeclasses built from `scripts/` (the demo game) and
//! `tests/typeclasses/` (the tests' and the benchmark's).
//!
//! Building the host builds them (for `wasm32-wasip2`), so `cargo run` and `cargo test` always
//! use components made from the current sources.

include!(concat!(env!("OUT_DIR"), "/scripts.rs"));
