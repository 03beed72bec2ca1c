//! [`Typeclass`]: the hooks a script implements, each with Evennia's default behaviour.

use crate::error::HookResult;
use crate::object::Object;
use crate::wit::exports::wasmud::runtime::hooks::Guest;
use crate::wit::exports::wasmud::runtime::puppet_hooks::Guest as PuppetGuest;
use crate::wit::exports::wasmud::runtime::timer_hooks::Guest as TimerGuest;
use crate::wit::wasmud::runtime::object as raw;

/// The game logic of a typeclass. Override the hooks you need; the rest keep their defaults.
///
/// Hooks are associated functions, not methods: a typeclass keeps no state in its instance
/// (that memory is scratch), only in its objects' `db` and `ndb` attributes.
pub trait Typeclass {
    /// Runs once, when the object is created. Default: nothing.
    fn at_object_creation(this: &Object) -> HookResult {
        let _ = this;
        Ok(())
    }
    /// Runs each time the object is loaded into the host's cache. Default: nothing.
    fn at_init(this: &Object) -> HookResult {
        let _ = this;
        Ok(())
    }
    /// The object received `text`. Return true to accept it. Default: accept.
    fn at_msg_receive(this: &Object, text: &str, sender: Option<&Object>) -> HookResult<bool> {
        let _ = (this, text, sender);
        Ok(true)
    }
    /// `caller` typed `input`. Return true if this object handled it. Default: not handled.
    fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {
        let _ = (this, caller, input);
        Ok(false)
    }
    /// The object is about to move. Return false to veto. Default: allow.
    fn at_pre_move(this: &Object, destination: Option<&Object>) -> HookResult<bool> {
        let _ = (this, destination);
        Ok(true)
    }
    /// The object has moved from `source`. Default: nothing.
    fn at_post_move(this: &Object, source: Option<&Object>) -> HookResult {
        let _ = (this, source);
        Ok(())
    }
    /// The object is about to be deleted. Return false to veto. Default: allow.
    fn at_object_delete(this: &Object) -> HookResult<bool> {
        let _ = this;
        Ok(true)
    }
    /// The object's timer `name` fired (see [`Object::timers`]). An error keeps a one-shot
    /// timer to be retried with backoff, and none of the hook's changes. Default: nothing.
    fn at_tick(this: &Object, name: &str) -> HookResult {
        let _ = (this, name);
        Ok(())
    }
    /// A player took control of the object (logged in; not a second connection taking
    /// over). Text sent to the object reaches them. Default: nothing.
    fn at_post_puppet(this: &Object) -> HookResult {
        let _ = this;
        Ok(())
    }
    /// The last player controlling the object left; their connection is already closed, so
    /// tell the room, not the object. Default: nothing.
    fn at_pre_unpuppet(this: &Object) -> HookResult {
        let _ = this;
        Ok(())
    }
}

fn text<T>(r: HookResult<T>) -> Result<T, String> {
    r.map_err(|e| e.to_string())
}

fn opt(o: Option<&raw::Object>) -> Option<&Object> {
    o.map(Object::from_raw_ref)
}

impl<T: Typeclass> Guest for T {
    fn at_object_creation(this: &raw::Object) -> Result<(), String> {
        text(T::at_object_creation(Object::from_raw_ref(this)))
    }
    fn at_init(this: &raw::Object) -> Result<(), String> {
        text(T::at_init(Object::from_raw_ref(this)))
    }
    fn at_msg_receive(
        this: &raw::Object,
        msg: String,
        sender: Option<&raw::Object>,
    ) -> Result<bool, String> {
        text(T::at_msg_receive(
            Object::from_raw_ref(this),
            &msg,
            opt(sender),
        ))
    }
    fn at_command(this: &raw::Object, caller: &raw::Object, input: String) -> Result<bool, String> {
        text(T::at_command(
            Object::from_raw_ref(this),
            Object::from_raw_ref(caller),
            &input,
        ))
    }
    fn at_pre_move(this: &raw::Object, destination: Option<&raw::Object>) -> Result<bool, String> {
        text(T::at_pre_move(Object::from_raw_ref(this), opt(destination)))
    }
    fn at_post_move(this: &raw::Object, source: Option<&raw::Object>) -> Result<(), String> {
        text(T::at_post_move(Object::from_raw_ref(this), opt(source)))
    }
    fn at_object_delete(this: &raw::Object) -> Result<bool, String> {
        text(T::at_object_delete(Object::from_raw_ref(this)))
    }
}

impl<T: Typeclass> PuppetGuest for T {
    fn at_post_puppet(this: &raw::Object) -> Result<(), String> {
        text(T::at_post_puppet(Object::from_raw_ref(this)))
    }
    fn at_pre_unpuppet(this: &raw::Object) -> Result<(), String> {
        text(T::at_pre_unpuppet(Object::from_raw_ref(this)))
    }
}

impl<T: Typeclass> TimerGuest for T {
    fn at_tick(this: &raw::Object, name: String) -> Result<(), String> {
        text(T::at_tick(Object::from_raw_ref(this), &name))
    }
}
