//! `greeter` (version 1): answers `greet` with a greeting and counts greetings in `ndb`.
//! `greeter-v2` is the same typeclass with a changed reply; the hot-reload tests swap one for
//! the other under the name `greeter`.

/// The reply of this version.
const REPLY: &str = "Hello!";

include!("greeter.rs");
