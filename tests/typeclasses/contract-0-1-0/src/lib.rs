//! A typeclass built against `wasmud:runtime@0.1.0`, the contract before timers (its `wit/` is a
//! frozen copy of that version). Hosts speaking 0.1.1 must keep running it: `at-command` with
//! `stamp` writes `db.stamped = true` and replies "stamped".

wit_bindgen::generate!({ world: "typeclass", path: "wit" });

use wasmud::runtime::object::{Object, ValueArg};

struct Legacy;

impl exports::wasmud::runtime::hooks::Guest for Legacy {
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
    fn at_command(this: &Object, caller: &Object, input: String) -> Result<bool, String> {
        if input != "stamp" {
            return Ok(false);
        }
        this.db_set("stamped", &ValueArg::Boolean(true))
            .map_err(|e| format!("{e:?}"))?;
        caller
            .msg("stamped", Some(this))
            .map_err(|e| format!("{e:?}"))?;
        Ok(true)
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

export!(Legacy);
