//! `exit`: a way out of a room, Evennia-style. An exit is an object in the room it leads out
//! of, with `db.destination` (the room it leads to) and `db.aliases` (other names: `e` for
//! `east`). Typing its key or an alias, or `go <name>`, walks the caller through it: the room
//! left is told, then the caller moves (its own `at-post-move` announces the arrival). The
//! behaviour is the SDK's `parts::exit`, which other exits (the `door`) reuse.

use wasmud_sdk::parts::exit;
use wasmud_sdk::{HookResult, Object, Typeclass};

struct Exit;

impl Typeclass for Exit {
    fn at_object_creation(this: &Object) -> HookResult {
        exit::init(this)
    }

    fn at_init(this: &Object) -> HookResult {
        exit::at_init(this)
    }

    fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {
        exit::at_command(this, caller, input)
    }

    /// Exits stay where they are built.
    fn at_pre_move(this: &Object, destination: Option<&Object>) -> HookResult<bool> {
        exit::at_pre_move(this, destination)
    }

    /// Exits do not listen.
    fn at_msg_receive(this: &Object, text: &str, sender: Option<&Object>) -> HookResult<bool> {
        exit::at_msg_receive(this, text, sender)
    }
}

wasmud_sdk::typeclass!(Exit);
