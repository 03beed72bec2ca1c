//! A typeclass compiled against an incompatible version of the hooks interface.

wit_bindgen::generate!({ world: "typeclass", path: "wit" });

struct Old;

impl exports::wasmud::runtime::hooks::Guest for Old {
    fn at_command(_this: &wasmud::runtime::object::Object, _input: String) -> Result<bool, String> {
        Ok(true)
    }
}

export!(Old);
