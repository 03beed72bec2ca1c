//! Test wasmud typeclasses the way Evennia's `EvenniaTest` tests typeclasses: a throwaway
//! world with the real runtime and a real store in a temporary directory, a manual clock, and
//! the text each object received. Add it as a dev-dependency of the crate holding your tests:
//!
//! ```no_run
//! use std::time::Duration;
//! use wasmud_testkit::{Role, TestWorld};
//!
//! let mut world = TestWorld::builder()
//!     .demo_game()
//!     .component("target/wasm32-wasip2/release/lamp.wasm")
//!     .grant("lamp", &["msg"])
//!     .open()?;
//! let alice = world.player("alice", Role::Builder)?;
//! world.type_handled(alice, "create lamp : lamp")?;
//! world.type_handled(alice, "drop lamp")?;
//! world.type_handled(alice, "touch lamp")?;
//! assert_eq!(world.received(alice).last().unwrap(), "You touch lamp (1 so far).");
//! world.advance(Duration::from_secs(20)); // timers that come due fire
//! # Ok::<(), wasmud_testkit::KitError>(())
//! ```
//!
//! Transcripts (`*.transcript`, see [`transcript`]) run with `wasmud test <files>`, or with
//! [`Transcript::run`](transcript::Transcript::run) from a test.

pub use wasmud::roles::Role;
pub use wasmud::runtime::Hook;
pub use wasmud::testkit::{Builder, KitError, START_MS, TestWorld, transcript};
pub use wasmud::value::{ObjectId, Value};
pub use wasmud::world::AttrKind;
