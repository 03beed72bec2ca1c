//! The network fronts: the player ports (telnet and the web client), their sessions and
//! logins, and the throttles every port shares. They talk to the world thread through
//! channels (`wasmud-world`'s `world_thread`) and never hold world state.
//!
//! # Layout
//! - [`net`]: the ports, sessions, logins and per-client limits.
//! - [`throttle`]: failures per address, for logins on every port (the console's too).
//! - [`accept`]: accept loops that survive running out of descriptors.
//! - [`fd_limit`]: the process's descriptor limit, raised and checked against the caps.

pub mod accept;
mod evict;
pub mod fd_limit;
pub mod net;
pub mod throttle;
