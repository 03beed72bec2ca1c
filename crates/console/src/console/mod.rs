//! The admin console: stats, flush, reload and inspection, locally and over TCP.
//!
//! # Layout
//! - [`parse`]: the command table, parsing, help and suggestions.
//! - [`exec`]: running a command against the server ([`ConsoleContext`]), as world jobs.
//! - [`timers`]: how `timers` shows the scheduled timers.
//! - [`accounts`]: how `accounts` shows the player accounts and their roles.
//! - [`remote`]: the authenticated TCP admin port and the `wasmud console` client.
//! - [`local`]: the interactive prompt (line editing, history, completion).
//!
//! Every command is one or more jobs on the world thread, so commands from several admins are
//! serialised there, and a slow client only delays its own connection task.

pub mod accounts;
pub mod exec;
pub mod local;
pub mod parse;
pub mod remote;
pub mod timers;

pub use exec::{ConsoleContext, Reply, execute};
