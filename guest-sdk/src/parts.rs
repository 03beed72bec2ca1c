//! Standard behaviours a typeclass reuses instead of inheriting them (components cannot
//! inherit): call them from your hooks. A door is an exit plus a lock:
//!
//! ```rust,no_run
//! use wasmud_sdk::{HookResult, Object, Typeclass, parts::exit};
//!
//! struct Door;
//!
//! impl Typeclass for Door {
//!     fn at_object_creation(this: &Object) -> HookResult {
//!         exit::init(this)
//!     }
//!     fn at_init(this: &Object) -> HookResult {
//!         exit::at_init(this) // an exit even when a builder retypes one into a door
//!     }
//!     fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {
//!         if exit::is_meant(this, input)? && this.db().get_or("locked", false)? {
//!             caller.msg("The door is locked.")?;
//!             return Ok(true);
//!         }
//!         exit::at_command(this, caller, input)
//!     }
//!     fn at_pre_move(_: &Object, _: Option<&Object>) -> HookResult<bool> {
//!         Ok(false) // stays where it was built
//!     }
//! }
//! ```

/// What kind of thing an object is (its `db.kind`; see [`crate::Object::kind`]).
pub mod kind {
    /// The attribute that holds an object's kind.
    pub const ATTR: &str = "kind";
    /// A place: it holds characters, items and exits.
    pub const ROOM: &str = "room";
    /// A way out of a room, with a `db.destination`: typing its name walks through it.
    pub const EXIT: &str = "exit";
    /// A thing that can be picked up, carried, dropped and given.
    pub const ITEM: &str = "item";
    /// Someone: a player's character or a non-player one.
    pub const CHARACTER: &str = "character";

    /// Declares `this` of kind `kind` unless it already has one (call from `at_init`, so an
    /// object gets its typeclass's kind when it is created, when it is loaded from a world
    /// saved before kinds, and when a builder changes its typeclass, while a kind a builder
    /// set stays). Writes only when the kind is missing.
    pub fn ensure(this: &crate::Object, kind: &str) -> crate::HookResult {
        if this.db().get_value(ATTR)?.is_none() {
            this.db().set(ATTR, kind)?;
        }
        Ok(())
    }
}

/// Walking through an exit: an object in a room with `db.destination` (the room it leads to)
/// and maybe `db.aliases` (`e` for `east`). The caller needs the `move-caller` grant (and
/// `msg` to tell the room).
pub mod exit {
    use crate::{HookResult, Object};

    use super::kind;

    /// Declares `this` an exit and gives it a description (call from `at_object_creation`).
    pub fn init(this: &Object) -> HookResult {
        this.db().set(kind::ATTR, kind::EXIT)?;
        this.db().set("desc", "A way out.")
    }

    /// Declares `this` an exit if it has no kind (call from `at_init`: see [`kind::ensure`]).
    pub fn at_init(this: &Object) -> HookResult {
        kind::ensure(this, kind::EXIT)
    }

    /// The name a command asks to walk through: `east` for `east` and for `go east`.
    pub fn named_in(input: &str) -> &str {
        let input = input.trim();
        match input.split_once(' ') {
            Some((go, rest)) if go.eq_ignore_ascii_case("go") => rest.trim(),
            _ => input,
        }
    }

    /// True if `input` asks to walk through `this` (its key or an alias, or `go` one).
    pub fn is_meant(this: &Object, input: &str) -> HookResult<bool> {
        this.answers_to(named_in(input))
    }

    /// Walks `caller` through `this`: the room left is told, then `caller` moves (its own
    /// `at_post_move` tells where it arrives). An exit without a destination says so.
    pub fn traverse(this: &Object, caller: &Object) -> HookResult {
        let Some(destination) = this.db().get_object("destination")? else {
            return caller.msg("That way is blocked.");
        };
        if let Some(here) = caller.location()? {
            here.msg_from(
                &format!("{} leaves {}.", caller.key()?, this.key()?),
                caller,
            )?;
        }
        caller.move_to(Some(&destination))
    }

    /// The `at_pre_move` of an exit: it stays where it was built.
    pub fn at_pre_move(_this: &Object, _destination: Option<&Object>) -> HookResult<bool> {
        Ok(false)
    }

    /// The `at_msg_receive` of an exit: it does not listen to what is said in the room.
    pub fn at_msg_receive(
        _this: &Object,
        _text: &str,
        _sender: Option<&Object>,
    ) -> HookResult<bool> {
        Ok(false)
    }

    /// The whole `at_command` of a plain exit: walks the caller through if `input` names it.
    pub fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {
        if !is_meant(this, input)? {
            return Ok(false);
        }
        traverse(this, caller)?;
        Ok(true)
    }
}

/// Being a thing someone picks up (`get`), carries, drops and gives: objects of kind `item`.
/// The moving is done by the one who picks it up, so [`item::pick_up`] runs in the taker's
/// typeclass (which needs the `carry` grant, and `msg` to tell the room).
pub mod item {
    use crate::{HookResult, Object};

    use super::kind;

    /// Declares `this` an item and gives it a description (call from `at_object_creation`).
    pub fn init(this: &Object) -> HookResult {
        this.db().set(kind::ATTR, kind::ITEM)?;
        this.db().set("desc", "Nothing special.")
    }

    /// Declares `this` an item if it has no kind (call from `at_init`: see [`kind::ensure`]).
    pub fn at_init(this: &Object) -> HookResult {
        kind::ensure(this, kind::ITEM)
    }

    /// `taker` picks `thing` up, if it is an item and agrees to move (else `taker` is told it
    /// cannot): it moves into `taker` and the room is told.
    pub fn pick_up(taker: &Object, thing: &Object) -> HookResult {
        let key = thing.key()?;
        if !thing.is_kind(kind::ITEM)? {
            return taker.msg(&format!("You cannot pick up {key}."));
        }
        let here = taker.location()?;
        match thing.move_to(Some(taker)) {
            Err(crate::Error::Vetoed(_)) => {
                return taker.msg(&format!("You cannot pick up {key}."));
            }
            moved => moved?,
        }
        taker.msg(&format!("You pick up {key}."))?;
        match here {
            Some(here) => here.msg_from(&format!("{} picks up {key}.", taker.key()?), taker),
            None => Ok(()),
        }
    }
}
