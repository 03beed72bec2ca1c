//! `item`: a thing that can be picked up, carried, dropped and given away. It has a `db.desc`
//! (shown by `look <item>`, colour markup allowed) and may have `db.aliases`.

use wasmud_sdk::parts::item;
use wasmud_sdk::{HookResult, Object, Typeclass};

struct Item;

impl Typeclass for Item {
    fn at_object_creation(this: &Object) -> HookResult {
        item::init(this)
    }

    fn at_init(this: &Object) -> HookResult {
        item::at_init(this)
    }

    /// Items do not listen: what is said in the room is not delivered to them.
    fn at_msg_receive(_this: &Object, _text: &str, _sender: Option<&Object>) -> HookResult<bool> {
        Ok(false)
    }
}

wasmud_sdk::typeclass!(Item);
