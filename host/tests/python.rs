//! Typeclasses written in Python: the SDK's unit tests (pytest against fake bindings, in the
//! virtual environment the build made), and the demo's notice board, a Python component built
//! by componentize-py, played over telnet through the real binary beside the Rust typeclasses.

mod common;

use std::process::Command;

use common::Server;

#[test]
fn the_python_sdk_unit_tests_pass() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = std::path::Path::new(wasmud::scripts::PYTHON_VENV).join("bin/python");
    let out = Command::new(python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(root.join("guest-sdk/python/tests"))
        .output()
        .expect("run pytest from the build's virtual environment");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains(" passed"), "{text}");
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
