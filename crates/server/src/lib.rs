//! The daemon: `serve` wires the world thread, the network fronts, the console, checkpoints,
//! hot reload and a clean shutdown together from the configuration; `migrate` moves a world
//! between stores.
//!
//! # Layout
//! - [`server`]: the `serve` command (threads, tasks, shutdown).
//! - [`config`]: its settings (`wasmud.toml`, environment, flags).
//! - [`location`]: which store the world lives in (redb or PostgreSQL).
//! - [`migrate`]: copying a stopped world between stores, verified.
//! - [`game`]: the scripts directory a new world starts with (the demo game).

pub mod config;
pub mod game;
pub mod location;
pub mod migrate;
pub mod server;
