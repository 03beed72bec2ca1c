//! wasmud: a MUD runtime hosting game logic (typeclasses) as sandboxed WebAssembly components
//! over an identity-mapped object cache on a store (embedded redb by default, or PostgreSQL).
//!
//! This crate is the binary (`wasmud serve`, `console`, `migrate`, `check`, `bench`, and
//! `new`, `build`, `test` for typeclass authors) and a facade that names the workspace's crates
//! in one place. Cargo enforces the arrows between them (no crate reaches up):
//!
//! ```text
//! wasmud (binary) ─┬─> wasmud-server ─┬─> wasmud-console ─> wasmud-net ─┐
//!                  │                  └─> wasmud-store-postgres         ├─> wasmud-world
//!                  ├─> wasmud-bench ──> wasmud-server, wasmud-components│     ├─> wasmud-store-redb ─> wasmud-store
//!                  └─> wasmud-testkit ─> wasmud-net, wasmud-components ─┘     └─> wasmud-common
//! ```
//!
//! - `wasmud-world`: [`world`], [`cache`], [`runtime`], [`world_thread`], [`store`] and the
//!   rest of what one world thread owns.
//! - `wasmud-net`: [`net`] (the player ports) and [`throttle`].
//! - `wasmud-console`: [`console`], [`dashboard`] and [`logs`].
//! - `wasmud-server`: [`server`] (`serve`), [`config`], [`migrate`], [`game`].
//! - `wasmud-components`: [`components`], the typeclasses the workspace builds.
//! - `wasmud-testkit` ([`testkit`]) and `wasmud-bench` ([`mod@bench`]): the testing side.
//! - [`authoring`] (here): `wasmud new` and `wasmud build`.
//!
//! Start with `docs/design.md`.

pub mod authoring;

pub use wasmud_bench as bench;
pub use wasmud_components as components;
pub use wasmud_components as scripts;
pub use wasmud_console::{console, dashboard, logs};
pub use wasmud_net::{fd_limit, net, throttle};
pub use wasmud_server::{config, game, migrate, server};
pub use wasmud_testkit as testkit;
pub use wasmud_world::{
    AttrKind, FlushReport, FlushScope, Limit, LimitExceeded, ObjectId, Runtime, Scripts, Value,
    World, WorldError, WorldLimits, WorldOptions, accounts, cache, grants, id_index, memory,
    outbox, reload, roles, runtime, seed, symbol, value, world, world_thread,
};

/// The store contract and its backends, and which one a world lives in.
pub mod store {
    pub use wasmud_server::location::*;
    pub use wasmud_store_postgres::PgStore;
    pub use wasmud_world::store::*;
}
