//! The admins' side: the console (commands, the TCP admin port, the interactive prompt), the
//! dashboard on the web port, and the server's log, which the dashboard shows.
//!
//! # Layout
//! - [`console`]: commands, their parsing and execution as world jobs, the admin port.
//! - [`dashboard`]: live charts and buttons at `/admin` (served by `wasmud-net`'s web port).
//! - [`logs`]: one line per event on stderr, and the recent lines for the dashboard.

pub mod console;
pub mod dashboard;
pub mod logs;
