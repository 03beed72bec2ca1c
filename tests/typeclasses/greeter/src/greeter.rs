// The greeter typeclass, shared by both versions; each defines `REPLY` before including it.

use wasmud_sdk::{HookResult, Object, Typeclass};

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
