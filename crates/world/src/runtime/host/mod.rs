//! Host implementations of the imported WIT interfaces, one module per interface:
//! [`object`] (`wasmud:runtime/object`), [`log`] (`wasmud:runtime/log`), [`timers`]
//! (`wasmud:runtime/timers`), [`accounts`] (`wasmud:runtime/accounts`) and [`wasi_poll`]
//! (`wasi:io/poll`, replacing wasmtime-wasi's blocking version).
//!
//! They translate between handles and ids and call into the world; the world's logic lives in
//! `crate::world`.

mod accounts;
mod log;
#[macro_use]
mod object;
mod timers;
pub(crate) mod wasi_poll;
