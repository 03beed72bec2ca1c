//! What every part of wasmud speaks: object ids and attribute values ([`value`]) and the roles
//! an account holds ([`roles`]). No storage, no WebAssembly, no network.

pub mod roles;
pub mod value;

pub use value::{ObjectId, Value};
