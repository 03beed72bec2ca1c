//! Host implementations of the imported WIT interfaces, one module per interface:
//! [`object`] (`wasmud:runtime/object`) and [`log`] (`wasmud:runtime/log`).
//!
//! They translate between handles and ids and call into the world; the world's logic lives in
//! `crate::world`.

mod log;
mod object;
