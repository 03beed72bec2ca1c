//! wasmud: a MUD runtime hosting game logic (typeclasses) as sandboxed WebAssembly components
//! over an identity-mapped object cache on an embedded redb store.
//!
//! # Layout
//! - [`value`]: attribute values and object ids.
//! - [`accounts`]: account name and password rules, argon2id hashing.
//! - [`symbol`]: interned attribute and typeclass names.
//! - [`grants`]: capabilities per typeclass (the grants file and the rules that check calls).
//! - [`store`]: the store contract (`wasmud-store`) and its backends (`wasmud-store-redb`).
//! - [`cache`]: the identity map (one live entry per id), over [`id_index`].
//! - [`memory`]: RSS and returning freed memory to the OS.
//! - [`world`]: [`World`], the single owner of cache, store and script instances.
//! - [`runtime`]: wasmtime, the WIT bindings, hook dispatch and the host side of the WIT imports.
//! - [`world_thread`]: the thread that owns the world, and when answers leave it (group commit);
//!   [`outbox`]: where the text its objects accept goes (player sessions).
//! - [`server`]: the `serve` command (console, shutdown); [`config`]: its settings
//!   (`wasmud.toml`, environment, flags); [`reload`]: hot reload of typeclasses and grants;
//!   [`game`]: the scripts directory a new world starts with (the demo game).
//! - [`net`]: the player ports (telnet), sessions and logins.
//! - [`console`]: the admin console (commands, TCP port, interactive prompt);
//!   [`dashboard`]: the admins' live charts on the web port.
//! - [`throttle`]: failures per address, for logins on every port.
//! - [`seed`]: the small world a fresh data dir starts with.
//! - [`mod@bench`]: the `bench` command's measurements.
//! - [`authoring`]: `wasmud new` and `wasmud build`, for typeclass authors; [`testkit`]: a
//!   throwaway world to test typeclasses in, and transcript tests (`wasmud test`).
//! - [`scripts`]: where the build put the typeclasses of `scripts/` and `tests/typeclasses/`.
//!
//! Start with `docs/design.md`.

mod accept;
pub mod accounts;
pub mod authoring;
pub mod bench;
pub mod cache;
pub mod config;
pub mod console;
pub mod dashboard;
mod evict;
pub mod fd_limit;
pub mod game;
pub mod grants;
pub mod id_index;
pub mod logs;
pub mod memory;
pub mod migrate;
pub mod net;
pub mod outbox;
pub mod reload;
pub mod runtime;
pub mod scripts;
pub mod seed;
pub mod server;
pub mod store;
pub mod symbol;
pub mod testkit;
pub mod throttle;
pub mod world;
pub mod world_thread;

pub use wasmud_common::{roles, value};

pub use runtime::{Runtime, Scripts};
pub use value::{ObjectId, Value};
pub use world::{
    AttrKind, FlushReport, FlushScope, Limit, LimitExceeded, World, WorldError, WorldLimits,
    WorldOptions,
};
