//! Account roles through the real binary: the console lists accounts and grants and revokes
//! roles, and the demo character (a real component) reads them through the contract on the
//! very next command.

mod common;

use common::Server;
use serde_json::json;

#[test]
fn a_role_granted_in_the_console_takes_effect_on_the_next_command() {
    let server = Server::start(&[]);
    // A fresh world has no accounts, so no admin: the console is the root.
    assert_eq!(server.console("accounts")["accounts"], json!([]));

    let mut alice = server.connect();
    alice.send("create alice password1");
    alice.expect("Exits:");
    alice.send("stats");
    alice.expect("roles: player\r\n");

    let listed = server.console("accounts");
    let row = &listed["accounts"][0];
    assert_eq!(row["name"], "alice", "{listed}");
    assert_eq!(row["roles"], json!(["player"]), "{listed}");
    assert_eq!(row["online"], true, "{listed}");
    assert!(row["character"].as_u64().is_some(), "{listed}");
    assert!(
        row["last_login_ms"].as_u64() >= row["created_ms"].as_u64(),
        "{listed}"
    );

    let granted = server.console_argv(&["grant", "Alice", "builder"]);
    assert_eq!(granted["roles"], json!(["player", "builder"]), "{granted}");
    alice.send("stats");
    alice.expect("roles: player, builder\r\n");
    // Granting again changes nothing; admin includes builder but is its own grant.
    server.console_argv(&["grant", "alice", "builder"]);
    let admin = server.console_argv(&["grant", "alice", "ADMIN"]);
    assert_eq!(
        admin["roles"],
        json!(["player", "builder", "admin"]),
        "{admin}"
    );
    let back = server.console_argv(&["revoke", "alice", "builder"]);
    assert_eq!(back["roles"], json!(["player", "admin"]), "{back}");
    server.console_argv(&["revoke", "alice", "admin"]);
    alice.send("stats");
    alice.expect("roles: player\r\n");

    // Mistakes are refused with a reason, and change nothing.
    for (words, expected) in [
        (
            &["revoke", "alice", "player"][..],
            "every account is a player",
        ),
        (&["grant", "nobody", "builder"][..], "`accounts` lists them"),
        (&["grant", "alice", "god"][..], "no role is called \"god\""),
        (&["grant", "alice"][..], "usage: grant <account> <role>"),
    ] {
        let (ok, text) = server.console_outcome(words);
        assert!(!ok, "{words:?}: {text}");
        assert!(text.contains(expected), "{words:?}: {text}");
    }
    let listed = server.console("accounts");
    assert_eq!(
        listed["accounts"][0]["roles"],
        json!(["player"]),
        "{listed}"
    );

    // Leaving shows in the list; the text form has one row per account.
    alice.send("quit");
    assert!(alice.closed_within(std::time::Duration::from_secs(5)));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while server.console("accounts")["accounts"][0]["online"] != false {
        assert!(
            std::time::Instant::now() < deadline,
            "alice never went offline"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
