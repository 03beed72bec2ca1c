//! What `wasmud new` writes: a Rust crate or a Python module holding one typeclass that
//! answers a command, ready to build with `wasmud build`.

/// The files of a new Rust typeclass `name` whose SDK is at `sdk`: (path, text).
pub fn rust(name: &str, sdk: &str) -> Vec<(String, String)> {
    let type_name = camel(name);
    let cargo = format!(
        r#"# The wasmud typeclass `{name}`, made by `wasmud new {name}`. Build it and install it into
# a world's scripts directory with `wasmud build {name} --data <data>`: a running server
# swaps it in. (By hand: cargo build --target wasm32-wasip2 --release, then copy
# target/wasm32-wasip2/release/{name}.wasm into the scripts directory.)
[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
wasmud-sdk = {{ path = {sdk:?} }}
serde = {{ version = "1", features = ["derive"] }}

# Small, fast components.
[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
strip = true

# A project of its own, even inside another cargo workspace.
[workspace]
"#
    );
    let lib = format!(
        r#"//! `{name}`: a typeclass made by `wasmud new`. In the game a builder makes one with
//! `create {name} : {name}`; anyone beside it can `touch {name}`.

use wasmud_sdk::{{HookResult, Object, Typeclass}};

/// Answers `touch <its name>` and counts the touches in `db` (kept across restarts).
struct {type_name};

impl Typeclass for {type_name} {{
    fn at_object_creation(this: &Object) -> HookResult {{
        this.db().set("touched", &0i64)
    }}

    fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {{
        let Some(name) = input.strip_prefix("touch ") else {{
            return Ok(false); // not for this object: the line goes on to the next one
        }};
        if !this.answers_to(name)? {{
            return Ok(false);
        }}
        let touched = this.db().get_or("touched", 0i64)? + 1;
        this.db().set("touched", &touched)?;
        // Telling the caller needs the `msg` grant (grants.toml: {name} = ["msg"]).
        caller.msg(&format!("You touch {{}} ({{touched}} so far).", this.key()?))?;
        Ok(true)
    }}
}}

wasmud_sdk::typeclass!({type_name});
"#
    );
    vec![
        ("Cargo.toml".to_owned(), cargo),
        ("src/lib.rs".to_owned(), lib),
        (".gitignore".to_owned(), "/target\n".to_owned()),
    ]
}

/// The files of a new Python typeclass `name`: (path, text).
pub fn python(name: &str) -> Vec<(String, String)> {
    let type_name = camel(name);
    let app = format!(
        r#""""`{name}`: a typeclass made by `wasmud new --python`. Build it and install it into a
world's scripts directory with `wasmud build {name} --data <data>`: a running server swaps it
in. In the game a builder makes one with `create {name} : {name}`; anyone beside it can
`touch {name}`."""

import wasmud


class {type_name}(wasmud.Typeclass):
    """Answers `touch <its name>` and counts the touches in `db` (kept across restarts)."""

    def at_object_creation(self):
        self.db.touched = 0

    def at_command(self, caller, text):
        verb, _, rest = text.partition(" ")
        if verb != "touch" or not self.answers_to(rest):
            return False  # not for this object: the line goes on to the next one
        self.db.touched = (self.db.touched or 0) + 1
        # Telling the caller needs the `msg` grant (grants.toml: {name} = ["msg"]).
        caller.msg(f"You touch {{self.key}} ({{self.db.touched}} so far).")
        return True


Hooks, TimerHooks, PuppetHooks = wasmud.exports({type_name})
"#
    );
    vec![("app.py".to_owned(), app)]
}

/// `brass_lamp` → `BrassLamp`.
fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    /// The SDK's README shows the manifest `wasmud new` writes: the same lines, comments aside.
    #[test]
    fn the_sdk_readme_shows_the_manifest_new_writes() {
        let readme = include_str!("../../../guest-sdk/README.md");
        let start = readme
            .find("`wasmud new chest` writes")
            .expect("the README shows it");
        let block = &readme[start..];
        let block = &block[block.find("```toml\n").unwrap() + 8..];
        let block = &block[..block.find("```").unwrap()];
        let lines = |text: &str| -> Vec<String> {
            (text.lines())
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_owned)
                .collect()
        };
        let written = super::rust("chest", "/path/to/wasmud/guest-sdk");
        assert_eq!(lines(block), lines(&written[0].1));
    }

    #[test]
    fn type_names_are_camel_case() {
        assert_eq!(super::camel("lamp"), "Lamp");
        assert_eq!(super::camel("brass_lamp2"), "BrassLamp2");
    }
}
