#![doc = include_str!("../README.md")]
#![deny(missing_docs)]

extern crate self as wasmud_sdk;

mod accounts;
mod attrs;
pub mod command;
mod error;
mod literal;
pub mod log;
mod object;
pub mod parts;
mod timers;
mod typeclass;

pub use accounts::Role;
pub use attrs::{Attrs, Value};
pub use error::{Error, HookResult};
pub use literal::{Literal, MAX_DEPTH as MAX_LITERAL_DEPTH, parse_literal};
pub use object::{Object, ObjectId, create, find_named, lookup, search};
pub use timers::{Timer, Timers};
pub use typeclass::Typeclass;

/// The raw bindings generated from `wit/` by wit-bindgen. Scripts use the wrappers above.
#[doc(hidden)]
pub mod wit {
    wit_bindgen::generate!({
        world: "typeclass",
        path: "../wit",
        pub_export_macro: true,
        export_macro_name: "__export_typeclass",
        default_bindings_module: "wasmud_sdk::wit",
        runtime_path: "wasmud_sdk::wit_bindgen::rt",
    });
}

#[doc(hidden)]
pub use wit_bindgen;

/// Exports a type implementing [`Typeclass`] as this component's hooks.
///
/// Call it once per script crate, with the bare type name:
/// `wasmud_sdk::typeclass!(Room);`.
#[macro_export]
macro_rules! typeclass {
    ($ty:ident) => {
        $crate::wit::__export_typeclass!($ty);
    };
}
