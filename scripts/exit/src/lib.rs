//! `exit`: a way out of a room, Evennia-style. An exit is an object in the room it leads out
//! of, with `db.destination` (the room it leads to) and `db.aliases` (other names: `e` for
//! `east`). Typing its key or an alias, or `go <name>`, walks the caller through it: the room
//! left is told, then the caller moves (its own `at-post-move` announces the arrival).

use wasmud_sdk::{HookResult, Object, Typeclass};

struct Exit;

impl Typeclass for Exit {
    fn at_object_creation(this: &Object) -> HookResult {
        this.db().set("desc", "A way out.")
    }

    fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {
        let input = input.trim();
        let name = match input.split_once(' ') {
            Some((go, rest)) if go.eq_ignore_ascii_case("go") => rest,
            _ => input,
        };
        if !this.answers_to(name)? {
            return Ok(false);
        }
        let Some(destination) = this.db().get_object("destination")? else {
            caller.msg("That way is blocked.")?;
            return Ok(true);
        };
        let who = caller.key()?;
        if let Some(here) = caller.location()? {
            here.msg_from(&format!("{who} leaves {}.", this.key()?), caller)?;
        }
        caller.move_to(Some(&destination))?;
        Ok(true)
    }

    /// Exits stay where they are built.
    fn at_pre_move(_this: &Object, _destination: Option<&Object>) -> HookResult<bool> {
        Ok(false)
    }

    /// Exits do not listen: what is said in the room is not delivered to them.
    fn at_msg_receive(_this: &Object, _text: &str, _sender: Option<&Object>) -> HookResult<bool> {
        Ok(false)
    }
}

wasmud_sdk::typeclass!(Exit);
