//! Typeclasses written in Python: the SDK's and the demo's Python unit tests (pytest against
//! fake bindings, in the virtual environment the build made), and the demo's notice board, a Python component built
//! by componentize-py, played over telnet through the real binary beside the Rust typeclasses;
//! and the Rust `wanderer` and its Python twin driven through one shared story.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::Server;

#[test]
fn the_python_sdk_unit_tests_pass() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = std::path::Path::new(wasmud::scripts::PYTHON_VENV).join("bin/python");
    // pytest.ini at the root: the SDK's tests and each Python typeclass's.
    let out = Command::new(python)
        .args(["-m", "pytest", "-v"])
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // The test kit's world (`wasmud kit`) is this build's binary.
        .env("WASMUD", env!("CARGO_BIN_EXE_wasmud"))
        .current_dir(&root)
        .output()
        .expect("run pytest from the build's virtual environment");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(" passed"), "{text}");
    // The demo board's own tests ran too.
    assert!(
        text.contains("scripts/noticeboard/test_noticeboard.py::test_a_note_is_posted"),
        "{text}"
    );
}

#[test]
fn the_python_notice_board_is_played_beside_rust_typeclasses() {
    let server = Server::start(&[]);
    let listed = server.console("typeclasses");
    let board = (listed["typeclasses"].as_array().unwrap().iter())
        .find(|t| t["name"] == "noticeboard")
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(board["grants"], serde_json::json!(["msg"]), "{listed}");
    assert_eq!(board["language"], "python", "{listed}");
    let room = (listed["typeclasses"].as_array().unwrap().iter())
        .find(|t| t["name"] == "room")
        .unwrap();
    assert_eq!(room["language"], "rust", "{listed}");

    let mut alice = server.connect();
    alice.send("create alice password1");
    alice.expect("Exits:");
    let mut bob = server.connect();
    bob.send("create bob password1");
    bob.expect("Exits:");
    for who in [&mut alice, &mut bob] {
        who.send("east");
        who.expect("a notice board");
    }
    alice.send("read board");
    alice.expect("The notice board is empty.");
    alice.send("post Ale half price today.");
    alice.expect("You pin a note to the notice board.");
    bob.expect("alice pins a note to the notice board.");
    bob.send("read notices");
    bob.expect("1. Ale half price today. (alice)");
    // Nailed to the wall: its Python at_pre_move vetoes, and the Rust character says so.
    bob.send("get board");
    bob.expect("You cannot pick up a notice board.");
    bob.send("unpost 1");
    bob.expect("That note is not yours to take down.");
    alice.send("unpost 1");
    alice.expect("You take your note down.");
    alice.send("read board");
    alice.expect("The notice board is empty.");
    // Kept in `db` as JSON, readable from the console.
    let found = server.console("find notice board");
    let id = found["objects"][0]["id"].as_u64().unwrap();
    let seen = server.console(&format!("examine {id}"));
    assert_eq!(seen["db"]["notes"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["db"]["kind"], "item", "{seen}");
}

/// One behaviour, two components: the Rust `wanderer` and its Python twin, `pywanderer`, are
/// driven through the same steps and must tell the same story (greeting, walking its route on
/// its timer, pace, rest, a bad command failing the hook and keeping nothing).
#[test]
fn the_wanderer_and_its_python_twin_behave_the_same() {
    let server = Server::start(&[]);
    let mut ann = server.connect();
    ann.send("create ann password1");
    ann.expect("Exits:");
    // A room of their own, away from the seeded cat (which answers greetings too).
    let den = server.console("create Den room")["id"].as_u64().unwrap();
    let tavern = server.console("find Tavern")["objects"][0]["id"]
        .as_u64()
        .unwrap();
    server.console(&format!("move ann {den}"));
    assert_eq!(server.console("examine ann")["location"], den);
    // The next line from Rex, whatever came before it.
    let rex_says = |ann: &mut common::Client| {
        ann.expect("Rex ");
        format!("Rex {}", ann.expect("\r\n").trim())
    };
    let mut stories = Vec::new();
    for typeclass in ["wanderer", "pywanderer"] {
        let id = server.console(&format!("create Rex {typeclass} {den}"))["id"]
            .as_u64()
            .unwrap()
            .to_string();
        let mut story = Vec::new();
        server.console_argv(&["set", &id, "route", &format!("[{den}, {tavern}]")]);
        let timers = server.console(&format!("timers {id}"));
        story.push(format!(
            "created: {} {}",
            timers[0]["name"], timers[0]["interval_ms"]
        ));

        // A greeting said in its room is answered (the same line, picked the same way).
        ann.send("say hello Rex, good dog");
        story.push(rex_says(&mut ann));

        // Its timer walks it along its route (leg 1: the tavern), telling the room left.
        server.console_argv(&["call", &id, "at-tick", "wander"]);
        story.push(rex_says(&mut ann));
        let rex = server.console(&format!("examine {id}"));
        assert_eq!(rex["location"], tavern, "{typeclass}: {rex}");
        story.push(format!(
            "steps {} leg {}",
            rex["db"]["steps"], rex["db"]["leg"]
        ));

        // Commands: pace, rest; a bad pace fails the hook and keeps nothing.
        server.console_argv(&["call", &id, "at-command", "ann", "pace", "5"]);
        story.push(rex_says(&mut ann));
        story.push(format!(
            "{}",
            server.console(&format!("timers {id}"))[0]["interval_ms"]
        ));
        let (ok, text) =
            server.console_outcome(&["call", &id, "at-command", "ann", "pace", "soon"]);
        assert!(
            !ok && text.contains("pace wants a number of seconds"),
            "{typeclass}: {text}"
        );
        story.push(format!(
            "{}",
            server.console(&format!("timers {id}"))[0]["interval_ms"]
        ));
        server.console_argv(&["call", &id, "at-command", "ann", "rest"]);
        story.push(rex_says(&mut ann));
        story.push(server.console(&format!("timers {id}")).to_string());

        server.console_argv(&["delete", &id]);
        stories.push(story);
    }
    assert_eq!(
        stories[0],
        [
            "created: \"wander\" 20000",
            "Rex purrs and rubs against ann's legs.",
            "Rex wanders off.",
            "steps 1 leg 1",
            "Rex now wanders every 5 s.",
            "5000",
            "5000",
            "Rex sits down.",
            "[]",
        ]
    );
    assert_eq!(stories[0], stories[1], "the Python twin differs");
}

/// Hot reload of a Python typeclass: its objects, their `db` and `ndb`, and the player stay
/// while its code is replaced (here by another Python component's, then back).
#[test]
fn a_python_typeclass_hot_reloads_keeping_its_objects() {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(wasmud::scripts::DIR).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let scripts = dir.path().to_str().unwrap();
    let server = Server::start(&["--scripts", scripts]);
    let mut ann = server.connect();
    ann.send("create ann password1");
    ann.expect("Exits:");
    ann.send("east");
    ann.expect("a notice board");
    ann.send("post Back soon.");
    ann.expect("You pin a note");
    let board = server.console("find notice board")["objects"][0]["id"]
        .as_u64()
        .unwrap()
        .to_string();
    server.console_argv(&["set", &board, "visits", "3", "--ndb"]);

    let board_wasm = dir.path().join("noticeboard.wasm");
    let original = std::fs::read(&board_wasm).unwrap();
    let reload = |expect_ok: bool| {
        let report = server.console("reload noticeboard");
        assert_eq!(report["reloaded"][0]["ok"], expect_ok, "{report}");
    };
    // Other code (the Python wanderer's): the board no longer answers `read board`...
    std::fs::copy(dir.path().join("pywanderer.wasm"), &board_wasm).unwrap();
    reload(true);
    ann.send("read board");
    ann.expect("Huh? Nothing here understands");
    // ...and back: the note, the ndb value and the connection were kept throughout.
    std::fs::write(&board_wasm, &original).unwrap();
    reload(true);
    ann.send("read board");
    ann.expect("1. Back soon. (ann)");
    let seen = server.console(&format!("examine {board}"));
    assert_eq!(seen["ndb"]["visits"], 3, "{seen}");
    assert_eq!(seen["typeclass"], "noticeboard", "{seen}");
}

/// Compiling a Python component takes seconds, and none of them on the world thread: while a
/// new Python typeclass compiles (cold, no cached artifact) players keep being answered.
#[test]
fn a_python_component_compiles_without_stalling_the_world() {
    let dir = tempfile::tempdir().unwrap();
    let scripts = dir.path().join("scripts");
    std::fs::create_dir(&scripts).unwrap();
    for entry in std::fs::read_dir(wasmud::scripts::DIR).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        // The Rust typeclasses only, to begin with.
        if !["noticeboard.wasm", "pywanderer.wasm"].contains(&name.as_str()) {
            std::fs::copy(&path, scripts.join(name)).unwrap();
        }
    }
    let artifacts = dir.path().join("artifacts");
    let server = Server::start(&[
        "--scripts",
        scripts.to_str().unwrap(),
        "--artifacts",
        artifacts.to_str().unwrap(),
    ]);
    let mut ann = server.connect();
    ann.send("create ann password1");
    ann.expect("Exits:");
    std::fs::copy(
        std::path::Path::new(wasmud::scripts::DIR).join("noticeboard.wasm"),
        scripts.join("noticeboard.wasm"),
    )
    .unwrap();

    let (compile, answers) = std::thread::scope(|s| {
        let started = Instant::now();
        let reload = s.spawn(|| server.console("reload noticeboard"));
        let mut answers = Vec::new();
        while !reload.is_finished() {
            let sent = Instant::now();
            ann.send("look");
            ann.expect("Exits:");
            answers.push(sent.elapsed());
            // Within the players' command rate.
            std::thread::sleep(Duration::from_millis(150));
        }
        let report = reload.join().unwrap();
        assert_eq!(report["reloaded"][0]["ok"], true, "{report}");
        (started.elapsed(), answers)
    });
    // The compile took seconds, and every look meanwhile was answered well within one.
    assert!(compile > Duration::from_secs(2), "compiled in {compile:?}");
    let slowest = answers.iter().max().copied().unwrap_or_default();
    assert!(
        answers.len() >= 10,
        "{} answers in {compile:?}",
        answers.len()
    );
    assert!(
        slowest < Duration::from_secs(1),
        "a look took {slowest:?} while the component compiled ({compile:?})"
    );
    let listed = server.console("typeclasses");
    let board = (listed["typeclasses"].as_array().unwrap().iter())
        .find(|t| t["name"] == "noticeboard")
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(board["language"], "python", "{listed}");
}

/// Building the Python typeclasses (and their tests) leaves no `__pycache__` in the source
/// tree: cargo watches `scripts/`, `tests/typeclasses/`, `wit/` and `guest-sdk/` (crates/components/build.rs),
/// and a file written there during a build makes the next `cargo run` build the host again.
/// componentize-py writes one beside every module it imports, the SDK's included.
#[test]
fn the_build_leaves_no_bytecode_caches_in_the_source_tree() {
    fn walk(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if entry.file_name() == "target" || !path.is_dir() {
                continue;
            }
            if entry.file_name() == "__pycache__" {
                found.push(path);
            } else {
                walk(&path, found);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for dir in ["scripts", "tests/typeclasses", "wit", "guest-sdk"] {
        walk(&root.join(dir), &mut found);
    }
    assert!(found.is_empty(), "written in the source tree: {found:?}");
}
