//! The typeclasses this workspace builds, and where `build.rs` put them: the demo game
//! (`scripts/`) and the tests' and the benchmark's (`tests/typeclasses/`), built for
//! `wasm32-wasip2` (the Python ones with componentize-py).
//!
//! Building this crate builds them, so `cargo run` and `cargo test` always use components made
//! from the current sources.

include!(concat!(env!("OUT_DIR"), "/scripts.rs"));

/// The demo game as the binary carries it: each component's and the grants file's name and
/// bytes, written into a new world's scripts directory on its first start.
pub const DEMO_GAME: &[(&str, &[u8])] = include!(concat!(env!("OUT_DIR"), "/demo_game.rs"));
