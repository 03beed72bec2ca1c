//! A typeclass built against `wasmud:runtime@0.2.0`, the contract before `set-typeclass` (its
//! `wit/` is a frozen copy of that version). Hosts speaking 0.2.1 must keep running it:
//! `at-command` with `stamp` writes `db.stamped = true` and replies "stamped"; with `poke
//! <id>` it looks up `<id>` and writes `db.poked` there (a refusal comes back as
//! `not-permitted`, a case its contract knows).

wit_bindgen::generate!({ world: "typeclass", path: "wit" });

use wasmud::runtime::object::{Error, Object, ValueArg, lookup};

struct Old;

fn text(e: Error) -> String {
    format!("{e:?}")
}

impl exports::wasmud::runtime::hooks::Guest for Old {
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
        if let Some(id) = input.strip_prefix("poke ") {
            let id = id.parse().map_err(|_| "poke wants an id".to_owned())?;
            let outcome = lookup(id).and_then(|o| o.db_set("poked", &ValueArg::Boolean(true)));
            let seen = match outcome {
                Ok(()) => "ok".to_owned(),
                Err(e) => text(e),
            };
            this.db_set("poke_outcome", &ValueArg::Text(seen))
                .map_err(text)?;
            return Ok(true);
        }
        if input != "stamp" {
            return Ok(false);
        }
        this.db_set("stamped", &ValueArg::Boolean(true))
            .map_err(text)?;
        caller.msg("stamped", Some(this)).map_err(text)?;
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

impl exports::wasmud::runtime::timer_hooks::Guest for Old {
    fn at_tick(this: &Object, name: String) -> Result<(), String> {
        this.db_set("ticked", &ValueArg::Text(name)).map_err(text)
    }
}

impl exports::wasmud::runtime::puppet_hooks::Guest for Old {
    fn at_post_puppet(_this: &Object) -> Result<(), String> {
        Ok(())
    }
    fn at_pre_unpuppet(_this: &Object) -> Result<(), String> {
        Ok(())
    }
}

export!(Old);
