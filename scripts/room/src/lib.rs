//! `room`: a place. Text sent to a room is passed on to everything inside it except the sender,
//! so one `say` fans out into one `at_msg_receive` per listener.

use wasmud_sdk::parts::kind;
use wasmud_sdk::{HookResult, Object, Typeclass};

struct Room;

impl Typeclass for Room {
    fn at_object_creation(this: &Object) -> HookResult {
        this.db().set(kind::ATTR, kind::ROOM)?;
        this.db().set("desc", "An unremarkable place.")
    }

    fn at_init(this: &Object) -> HookResult {
        kind::ensure(this, kind::ROOM)
    }

    fn at_msg_receive(this: &Object, text: &str, sender: Option<&Object>) -> HookResult<bool> {
        for listener in this.contents()? {
            if sender != Some(&listener) {
                match sender {
                    Some(from) => listener.msg_from(text, from)?,
                    None => listener.msg(text)?,
                }
            }
        }
        // The room itself keeps nothing.
        Ok(false)
    }
}

wasmud_sdk::typeclass!(Room);
