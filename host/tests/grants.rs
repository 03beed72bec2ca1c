//! Capabilities per typeclass through the real binary and real components: the `counter` test
//! typeclass (whose commands delete, move and look up any id) is confined by the grants file
//! the operator wrote, refusals are counted and listed, the file reloads, and the `build`
//! grant follows the role of whoever typed the command.

mod common;

use common::Server;
use serde_json::json;

/// The game's grants plus `counter = <counter>`.
fn grants_file(dir: &std::path::Path, counter: &str) -> std::path::PathBuf {
    let path = dir.join("grants.toml");
    std::fs::write(
        &path,
        format!(
            "room = [\"msg\"]\ncharacter = [\"msg\", \"carry\"]\n\
             exit = [\"msg\", \"move-caller\"]\ncounter = {counter}\n"
        ),
    )
    .unwrap();
    path
}

fn id(created: &serde_json::Value) -> u64 {
    created["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("{created}"))
}

#[test]
fn a_typeclass_without_grants_cannot_reach_or_change_other_objects() {
    let dir = tempfile::tempdir().unwrap();
    let grants = grants_file(dir.path(), "[]");
    let scripts = wasmud::scripts::TEST_DIR;
    let server = Server::start(&["--scripts", scripts, "--grants", grants.to_str().unwrap()]);
    let c = id(&server.console("create c counter"));
    let victim = id(&server.console("create victim counter"));
    let limbo = 1;

    // No `reach`: an id it was not handed cannot be looked up, so nothing else can follow.
    server.console(&format!("call c at-command c lookup {victim}"));
    let seen = server.console(&format!("examine {c}"));
    let error = seen["ndb"]["last_error"].as_str().unwrap_or_default();
    assert!(error.starts_with("NotPermitted("), "{seen}");
    assert!(error.contains(&format!("lookup #{victim}")), "{error}");
    assert!(error.contains("`reach`"), "{error}");
    let (ok, text) = server.console_outcome(&[
        "call",
        "c",
        "at-command",
        "c",
        "delete",
        &victim.to_string(),
    ]);
    assert!(!ok && text.contains("not permitted"), "{text}");
    assert_eq!(
        server.console(&format!("examine {victim}"))["key"],
        "victim"
    );

    // With `reach` only: it finds the object, and every change to it is refused.
    std::fs::write(
        &grants,
        std::fs::read_to_string(&grants)
            .unwrap()
            .replace("counter = []", "counter = [\"reach\"]"),
    )
    .unwrap();
    let reloaded = server.console("reload");
    assert_eq!(
        reloaded["reloaded"][0]["typeclass"], "grants.toml",
        "{reloaded}"
    );
    assert_eq!(reloaded["reloaded"][0]["ok"], true, "{reloaded}");
    for (command, refused) in [
        (format!("delete {victim}"), format!("delete #{victim}")),
        (format!("move {victim} {limbo}"), format!("move #{victim}")),
        (
            format!("after-on {victim} t 1000"),
            format!("schedule timers of #{victim}"),
        ),
        (
            format!("retype {victim} greeter"),
            format!("change the typeclass of #{victim}"),
        ),
        // Not even itself: its code would be replaced by code with other grants.
        (
            format!("retype {c} greeter"),
            format!("change the typeclass of #{c}"),
        ),
    ] {
        server.console(&format!("call c at-command c {command}"));
        let error = server.console(&format!("examine {c}"))["ndb"]["last_error"].clone();
        let error = error.as_str().unwrap_or_default();
        assert!(error.starts_with("NotPermitted("), "{command}: {error}");
        assert!(error.contains(&refused), "{command}: {error}");
    }
    let victim_now = server.console(&format!("examine {victim}"));
    assert_eq!(victim_now["key"], "victim");
    assert_eq!(victim_now["typeclass"], "counter", "{victim_now}");
    assert_eq!(
        server.console(&format!("examine {c}"))["typeclass"],
        "counter"
    );
    assert_eq!(victim_now["location"], json!(null), "{victim_now}");
    assert_eq!(server.console(&format!("timers {victim}")), json!([]));

    // Refusals are counted per typeclass, and the listing shows each typeclass's grants.
    let stats = server.console("stats");
    assert!(
        stats["refusals"]["counter"].as_u64().unwrap() >= 6,
        "{stats}"
    );
    let listed = server.console("typeclasses");
    let counter = (listed["typeclasses"].as_array().unwrap().iter())
        .find(|t| t["name"] == "counter")
        .unwrap();
    assert_eq!(counter["grants"], json!(["reach"]), "{listed}");
    assert_eq!(counter["contract"], "0.2", "{listed}");

    // A grants file with a mistake is refused whole; the grants in force stay.
    std::fs::write(&grants, "counter = [\"reach\", \"everything\"]\n").unwrap();
    let (ok, outcome) = server.console_outcome(&["reload"]);
    assert!(!ok, "{outcome}");
    assert!(
        outcome.contains("grants.toml: REJECTED, the grants in force stay")
            && outcome.contains("unknown grant \"everything\""),
        "{outcome}"
    );
    server.console(&format!("call c at-command c delete {victim}"));
    assert_eq!(
        server.console(&format!("examine {victim}"))["key"],
        "victim"
    );
}

#[test]
fn the_build_grant_follows_the_role_of_whoever_typed_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let grants = grants_file(dir.path(), "[\"build\"]");
    let scripts = wasmud::scripts::TEST_DIR;
    let server = Server::start(&["--scripts", scripts, "--grants", grants.to_str().unwrap()]);
    let mut alice = server.connect();
    alice.send("create alice password1");
    alice.expect("Exits:");
    // A counter in Limbo answers `delete <id>` from anyone who types it there.
    let c = id(&server.console("create c counter 1"));
    let victim = id(&server.console("create victim counter"));

    // Made a builder below; before that, a player's turn: the counter's `build` is not in
    // effect; nothing is deleted.
    alice.send(&format!("delete {victim}"));
    alice.expect("so it was undone");
    assert_eq!(
        server.console(&format!("examine {victim}"))["key"],
        "victim"
    );

    // Made a builder in the console, the very next command may. But `build` lends the
    // builder's authority only to the code handling their command: the counter hearing a
    // builder speak (its `at-msg-receive`, in the builder's turn) is refused.
    server.console_argv(&["grant", "alice", "builder"]);
    alice.send(&format!("say please delete #{victim}"));
    alice.expect("You say");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let heard = loop {
        let seen = server.console(&format!("examine {c}"));
        if let Some(error) = seen["ndb"]["last_error"].as_str() {
            break error.to_owned();
        }
        assert!(std::time::Instant::now() < deadline, "never heard: {seen}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(heard.starts_with("NotPermitted("), "{heard}");
    assert_eq!(
        server.console(&format!("examine {victim}"))["key"],
        "victim"
    );
    alice.send(&format!("delete {victim}"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (found, _) = server.console_outcome(&["examine", &victim.to_string()]);
        if !found {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not deleted by a builder"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
