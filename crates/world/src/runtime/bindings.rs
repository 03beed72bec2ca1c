//! The one `bindgen!` of the host: Rust types and traits generated from `wit/`.
//!
//! `object` resources map to [`ObjectHandle`], which holds only an object id. Imports are
//! trappable: every host function returns `wasmtime::Result<Result<T, Error>>`, where the outer
//! error traps the guest (a host bug or a forged handle) and the inner one is a game-level error
//! the guest sees as a WIT `error` value.

pub use crate::runtime::handle::ObjectHandle;

wasmtime::component::bindgen!({
    world: "typeclass",
    path: "../../wit",
    with: { "wasmud:runtime/object.object": ObjectHandle },
    imports: { default: trappable },
});
