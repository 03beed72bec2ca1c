//! `greeter` (version 1): answers `greet` with a greeting and counts greetings in `ndb`.
//! `greeter-v2` is the same typeclass with a changed reply; the hot-reload tests swap one for
//! the other under the name `greeter`.

use wasmud_sdk::{HookResult, Object, Typeclass};

/// The reply of this version.
const REPLY: &str = "Hello!";

struct Greeter;

impl Typeclass for Greeter {
    fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {
        if input != "greet" {
            return Ok(false);
        }
        let greeted: i64 = this.ndb().get_or("greeted", 0)?;
        this.ndb().set("greeted", &(greeted + 1))?;
        this.db().set("last_reply", REPLY)?;
        caller.msg(REPLY)?;
        Ok(true)
    }
}

wasmud_sdk::typeclass!(Greeter);
