//! The world: the single owner of the identity-mapped object cache, the store it sits on and
//! the typeclasses' script instances, with the WebAssembly runtime that runs them.
//!
//! # Layout
//! - [`value`] and [`roles`] (from `wasmud-common`): attribute values, object ids, roles.
//! - [`accounts`]: account name and password rules, argon2id hashing.
//! - [`symbol`]: interned attribute and typeclass names.
//! - [`grants`]: capabilities per typeclass (the grants file and the rules that check calls).
//! - [`store`]: the store contract (`wasmud-store`) and the embedded backend (`wasmud-store-redb`).
//! - [`cache`]: the identity map (one live entry per id), over [`id_index`].
//! - [`memory`]: RSS and returning freed memory to the OS.
//! - [`world`]: [`World`], the single owner of cache, store and script instances.
//! - [`runtime`]: wasmtime, the WIT bindings, hook dispatch and the host side of the WIT imports.
//! - [`world_thread`]: the thread that owns the world, and when answers leave it (group commit);
//!   [`outbox`]: where the text its objects accept goes (player sessions).
//! - [`reload`]: hot reload of typeclasses and grants.
//! - [`seed`]: the small world a fresh store starts with.
//!
//! Nothing here knows of sockets, the console or the configuration: those crates
//! (`wasmud-net`, `wasmud-console`, `wasmud-server`) talk to the world thread through channels.

pub mod accounts;
pub mod cache;
pub mod grants;
pub mod id_index;
pub mod memory;
pub mod outbox;
pub mod reload;
pub mod runtime;
pub mod seed;
pub mod store;
pub mod symbol;
pub mod world;
pub mod world_thread;

pub use wasmud_common::{roles, value};

pub use runtime::{Runtime, Scripts};
pub use value::{ObjectId, Value};
pub use world::{
    AttrKind, FlushReport, FlushScope, Limit, LimitExceeded, World, WorldError, WorldLimits,
    WorldOptions,
};
