//! Writing a typeclass as an author would, through the binary: `wasmud new` makes a Rust crate
//! and a Python module, `wasmud build` builds each and installs it into a running world's
//! scripts directory (the default one, written with the demo game at the first start), the
//! server's watcher swaps it in, a builder makes one in the game and a player uses it; a
//! changed module built again replaces the running version and the object keeps its `db`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Client, Server, text, wasmud};

/// Waits until the running world lists `name` with a version other than `old`; its version.
fn wait_for_version(server: &Server, name: &str, old: Option<&str>) -> String {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let listed = server.console("typeclasses");
        let version = (listed["typeclasses"].as_array().unwrap().iter())
            .find(|t| t["name"] == name)
            .and_then(|t| t["version"].as_str().map(str::to_owned));
        if let Some(version) = version
            && Some(version.as_str()) != old
        {
            return version;
        }
        assert!(
            Instant::now() < deadline,
            "{name} never loaded: {listed}\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_new_rust_and_python_typeclass_are_built_into_a_running_world() {
    let server = Server::start_watching(&[]);
    let data = server.data().to_str().unwrap().to_owned();
    let scripts = server.data().join("typeclasses");
    assert!(
        scripts.join("room.wasm").is_file(),
        "the demo game is written at the first start"
    );
    let log = server.log();
    assert!(log.contains("written now with the demo game"), "{log}");

    // The operator gives the new typeclasses their grants (the file is watched too).
    let grants = scripts.join("grants.toml");
    let mut listed = std::fs::read_to_string(&grants).unwrap();
    listed.push_str("lamp = [\"msg\"]\nsign = [\"msg\"]\n");
    std::fs::write(&grants, listed).unwrap();

    let projects = tempfile::tempdir().unwrap();
    let mut versions = Vec::new();
    for (name, language) in [("lamp", "--rust"), ("sign", "--python")] {
        let dir = projects.path().join(name);
        let dir = dir.to_str().unwrap();
        let mut new = vec!["new", name, "--dir", dir];
        if language == "--python" {
            new.push("--python");
        }
        let out = wasmud(&new);
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("created"), "{}", text(&out));

        let out = wasmud(&["build", dir, "--data", &data]);
        assert!(out.status.success(), "{}", text(&out));
        let said = text(&out);
        assert!(said.contains(&format!("installed {name}")), "{said}");
        assert!(!said.contains("note:"), "the grants are there: {said}");
        assert!(scripts.join(format!("{name}.wasm")).is_file());
        assert!(
            !Path::new(dir).join("__pycache__").exists(),
            "the project is left as it was"
        );
        versions.push(wait_for_version(&server, name, None));
    }

    let mut alice = server.connect();
    alice.send("create alice password1");
    alice.expect("Exits:");
    server.console_argv(&["grant", "alice", "builder"]);
    for name in ["lamp", "sign"] {
        alice.send(&format!("create {name} : {name}"));
        alice.expect(&format!("Created {name}"));
        alice.send(&format!("drop {name}"));
        alice.expect("You drop");
    }
    let mut bob: Client = server.connect();
    bob.send("create bob password1");
    bob.expect("Exits:");
    bob.send("touch lamp");
    bob.expect("You touch lamp (1 so far).");
    bob.send("touch sign");
    bob.expect("You touch sign (1 so far).");

    // The author changes the module and builds again: the new version runs, `db` stays.
    let app = projects.path().join("sign/app.py");
    let code = std::fs::read_to_string(&app).unwrap();
    std::fs::write(&app, code.replace("You touch", "You pat")).unwrap();
    let out = wasmud(&[
        "build",
        app.parent().unwrap().to_str().unwrap(),
        "--data",
        &data,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    wait_for_version(&server, "sign", Some(&versions[1]));
    bob.send("touch sign");
    bob.expect("You pat sign (2 so far).");
}

#[test]
fn bad_projects_and_names_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();

    let out = wasmud(&[
        "new",
        "Brass-Lamp",
        "--dir",
        dir.path().join("x").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("cannot name a typeclass"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("x").exists());

    let out = wasmud(&[
        "build",
        empty.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("is not a typeclass project"),
        "{}",
        text(&out)
    );
    assert!(!data.exists(), "nothing is written for a failed build");

    // A module that does not compile: componentize-py's reason, nothing installed.
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("app.py"), "def oops(:\n").unwrap();
    let out = wasmud(&[
        "build",
        broken.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("SyntaxError"), "{}", text(&out));
    assert!(!data.join("typeclasses/broken.wasm").exists());
}
