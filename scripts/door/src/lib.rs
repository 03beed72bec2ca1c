//! `door`: an exit with a lock, written as the SDK's exit behaviour plus a few lines. It is of
//! kind `exit`, so rooms list it under "Exits:" and `go` finds it. `lock <door>` and
//! `unlock <door>` (by anyone in the room, or, if the builder set `db.key_item`, only by
//! someone carrying a thing of that name) change `db.locked`; a locked door turns walkers back.

use wasmud_sdk::parts::exit;
use wasmud_sdk::{HookResult, Object, Typeclass, find_named};

struct Door;

impl Door {
    /// `lock <door>` / `unlock <door>`: `Some(locked)` if `input` is one aimed at `this`.
    fn lock_command(this: &Object, input: &str) -> HookResult<Option<bool>> {
        let Some((verb, name)) = input.trim().split_once(' ') else {
            return Ok(None);
        };
        let locked = match verb.to_ascii_lowercase().as_str() {
            "lock" => true,
            "unlock" => false,
            _ => return Ok(None),
        };
        Ok(this.answers_to(name)?.then_some(locked))
    }
}

impl Typeclass for Door {
    fn at_object_creation(this: &Object) -> HookResult {
        exit::init(this)?;
        this.db().set("desc", "A sturdy door.")?;
        this.db().set("locked", &false)
    }

    fn at_init(this: &Object) -> HookResult {
        exit::at_init(this)
    }

    fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {
        if let Some(locked) = Self::lock_command(this, input)? {
            if let Some(key) = this.db().get::<String>("key_item")?
                && find_named(caller.contents()?, &key)?.is_none()
            {
                caller.msg(&format!("You need the {key} for that."))?;
                return Ok(true);
            }
            this.db().set("locked", &locked)?;
            let word = if locked { "lock" } else { "unlock" };
            caller.msg(&format!("You {word} the {}.", this.key()?))?;
            return Ok(true);
        }
        if exit::is_meant(this, input)? && this.db().get_or("locked", false)? {
            caller.msg(&format!("The {} is locked.", this.key()?))?;
            return Ok(true);
        }
        exit::at_command(this, caller, input)
    }

    /// Doors stay where they are built.
    fn at_pre_move(this: &Object, destination: Option<&Object>) -> HookResult<bool> {
        exit::at_pre_move(this, destination)
    }

    /// Doors do not listen.
    fn at_msg_receive(this: &Object, text: &str, sender: Option<&Object>) -> HookResult<bool> {
        exit::at_msg_receive(this, text, sender)
    }
}

wasmud_sdk::typeclass!(Door);
