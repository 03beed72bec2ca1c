//! A typeclass whose `at-tick` has the wrong type (its `wit/` is the contract with `name: u32`):
//! the host must reject it when it loads, not treat it as a component without `at-tick`.

wit_bindgen::generate!({ world: "typeclass", path: "wit" });

use wasmud::runtime::object::Object;

struct Mistyped;

impl exports::wasmud::runtime::hooks::Guest for Mistyped {
    fn at_object_creation(_this: &Object) -> Result<(), String> {
        Ok(())
    }
    fn at_init(_this: &Object) -> Result<(), String> {
        Ok(())
    }
    fn at_msg_receive(
        _this: &Object,
        _text: String,
        _sender: Option<&Object>,
    ) -> Result<bool, String> {
        Ok(true)
    }
    fn at_command(_this: &Object, _caller: &Object, _input: String) -> Result<bool, String> {
        Ok(false)
    }
    fn at_pre_move(_this: &Object, _destination: Option<&Object>) -> Result<bool, String> {
        Ok(true)
    }
    fn at_post_move(_this: &Object, _source: Option<&Object>) -> Result<(), String> {
        Ok(())
    }
    fn at_object_delete(_this: &Object) -> Result<bool, String> {
        Ok(true)
    }
}

impl exports::wasmud::runtime::timer_hooks::Guest for Mistyped {
    fn at_tick(_this: &Object, _name: u32) -> Result<(), String> {
        Ok(())
    }
}

export!(Mistyped);
