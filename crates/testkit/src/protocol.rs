//! `wasmud kit`: the test kit over standard input and output, one JSON object per line, for
//! test kits in other languages (`guest-sdk/python/wasmud_testkit.py`). Each request names an
//! `op`; each answer is `{"ok": true, ...}` or `{"ok": false, "error": "..."}`, and a bad
//! request never ends the session.
//!
//! | op | request | answer |
//! |---|---|---|
//! | `open` | `demo` (bool), `typeclasses` (dirs), `components` (files), `grants` ({typeclass: [grant]}) | `start` (id or null) |
//! | `create` | `key`, `typeclass`, `location` (id or null) | `id` |
//! | `player` | `name`, `role` (`player`, `builder`, `admin`) | `id` |
//! | `type` | `as` (character id), `line` | `handled` |
//! | `call` | `target`, `hook` (`at-command` with `caller` and `input`, `at-tick` with `name`, `at-msg-receive` with `text`, `at-init`, `at-object-creation`) | `answer` |
//! | `advance` | `ms` | `fired` |
//! | `received` | `id` | `lines` |
//! | `db`, `ndb` | `id`, `name` | `value` (JSON; null when unset) |
//! | `find` | `key` | `id` (or null) |

use std::io::{BufRead, Write};
use std::time::Duration;

use serde_json::{Value as Json, json};

use super::{Builder, KitError, TestWorld};
use wasmud_world::roles::Role;
use wasmud_world::runtime::Hook;

/// The longest request line read (a larger one is refused and skipped).
pub const MAX_REQUEST_BYTES: usize = 1 << 20;

/// Serves requests from `input` until it ends, answering on `output`.
///
/// # Errors
/// Only if `input` or `output` fails.
pub fn serve(mut input: impl BufRead, mut output: impl Write) -> std::io::Result<()> {
    let mut world: Option<TestWorld> = None;
    let mut line = Vec::new();
    while let Some(too_long) = next_line(&mut input, &mut line)? {
        let answer = if too_long {
            Err(format!("a request longer than {MAX_REQUEST_BYTES} bytes"))
        } else {
            match serde_json::from_slice::<Json>(&line) {
                Ok(request) => handle(&mut world, &request),
                Err(e) => Err(format!("not a JSON request: {e}")),
            }
        };
        let reply = match answer {
            Ok(Json::Object(mut fields)) => {
                fields.insert("ok".into(), true.into());
                Json::Object(fields)
            }
            Ok(other) => json!({ "ok": true, "value": other }),
            Err(error) => json!({ "ok": false, "error": error }),
        };
        serde_json::to_writer(&mut output, &reply)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
    Ok(())
}

/// Reads the next line into `line` (without its newline), keeping at most
/// [`MAX_REQUEST_BYTES`] of it: `None` at the end of the input, else whether it was longer.
fn next_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    line.clear();
    let (mut read_any, mut too_long) = (false, false);
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(read_any.then_some(too_long));
        }
        read_any = true;
        let end = chunk.iter().position(|&b| b == b'\n');
        let part = &chunk[..end.unwrap_or(chunk.len())];
        if line.len() + part.len() > MAX_REQUEST_BYTES {
            too_long = true;
            line.clear();
        } else if !too_long {
            line.extend_from_slice(part);
        }
        let used = end.map_or(chunk.len(), |at| at + 1);
        input.consume(used);
        if end.is_some() {
            return Ok(Some(too_long));
        }
    }
}

fn handle(world: &mut Option<TestWorld>, request: &Json) -> Result<Json, String> {
    let op = request["op"].as_str().ok_or("a request needs an `op`")?;
    if op == "open" {
        let opened = open(request)?;
        let start = opened.start_room();
        *world = Some(opened);
        return Ok(json!({ "start": start }));
    }
    let world = world.as_mut().ok_or("no world yet: send `open` first")?;
    let text = |name: &str| -> Result<&str, String> {
        request[name]
            .as_str()
            .ok_or_else(|| format!("`{op}` needs `{name}` (text)"))
    };
    let id = |name: &str| -> Result<u64, String> {
        request[name]
            .as_u64()
            .ok_or_else(|| format!("`{op}` needs `{name}` (an object id)"))
    };
    let kit = |e: KitError| e.to_string();
    Ok(match op {
        "create" => {
            let location = request["location"].as_u64();
            let created = world
                .create(text("key")?, text("typeclass")?, location)
                .map_err(kit)?;
            json!({ "id": created })
        }
        "player" => {
            let role = match request["role"].as_str() {
                None => Role::Player,
                Some(name) => Role::parse(name).map_err(|e| e.to_string())?,
            };
            json!({ "id": world.player(text("name")?, role).map_err(kit)? })
        }
        "type" => json!({ "handled": world.type_line(id("as")?, text("line")?).map_err(kit)? }),
        "call" => {
            let target = id("target")?;
            let hook = match text("hook")? {
                "at-command" => Hook::Command {
                    caller: id("caller")?,
                    input: text("input")?,
                },
                "at-tick" => Hook::Tick {
                    name: text("name")?,
                },
                "at-msg-receive" => Hook::MsgReceive {
                    text: text("text")?,
                    sender: request["sender"].as_u64(),
                },
                "at-init" => Hook::Init,
                "at-object-creation" => Hook::ObjectCreation,
                other => return Err(format!("`call` does not run `{other}`")),
            };
            json!({ "answer": world.call(target, hook).map_err(kit)? })
        }
        "advance" => {
            let ms = id("ms")?;
            json!({ "fired": world.advance(Duration::from_millis(ms)) })
        }
        "received" => json!({ "lines": world.received(id("id")?) }),
        "db" | "ndb" => {
            let (object, name) = (id("id")?, text("name")?);
            let value = if op == "db" {
                world.db(object, name)
            } else {
                world.ndb(object, name)
            };
            json!({ "value": value.map_err(kit)?.map(|v| v.to_json()) })
        }
        "find" => json!({ "id": world.find(text("key")?).map_err(kit)? }),
        other => return Err(format!("`{other}` is not an op")),
    })
}

fn open(request: &Json) -> Result<TestWorld, String> {
    let strings = |name: &str| -> Vec<String> {
        (request[name].as_array().into_iter().flatten())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let mut builder = Builder::default();
    if request["demo"].as_bool().unwrap_or(false) {
        builder = builder.demo_game();
    }
    for dir in strings("typeclasses") {
        builder = builder.typeclasses_dir(dir);
    }
    for file in strings("components") {
        builder = builder.component(file);
    }
    if let Some(grants) = request["grants"].as_object() {
        for (typeclass, names) in grants {
            let names: Vec<&str> = (names.as_array().into_iter().flatten())
                .filter_map(|n| n.as_str())
                .collect();
            builder = builder.grant(typeclass, &names);
        }
    }
    builder.open().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(requests: &[&str]) -> Vec<Json> {
        let input = requests.join("\n");
        let mut output = Vec::new();
        serve(input.as_bytes(), &mut output).unwrap();
        (String::from_utf8(output).unwrap().lines())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn bad_requests_are_answered_and_the_session_goes_on() {
        let big = format!("{{\"op\": \"{}\"}}", "x".repeat(MAX_REQUEST_BYTES));
        let answers = session(&[
            "not json",
            r#"{"no": "op"}"#,
            r#"{"op": "type", "as": 1, "line": "look"}"#,
            &big,
            r#"{"op": "open", "typeclasses": ["/nonexistent"]}"#,
        ]);
        assert_eq!(answers.len(), 5);
        for (answer, says) in answers.iter().zip([
            "not a JSON request",
            "needs an `op`",
            "send `open` first",
            "longer than",
            "nonexistent",
        ]) {
            assert_eq!(answer["ok"], false, "{answer}");
            let error = answer["error"].as_str().unwrap();
            assert!(error.contains(says), "{error}");
        }
    }
}
