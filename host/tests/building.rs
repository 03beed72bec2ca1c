//! Building in the game, through the real binary, the demo's components and its grants file:
//! a builder digs a two-room area with an exit pair, describes it, makes and describes an
//! item, sets attributes with Evennia's literals, turns an exit into a locked door by changing
//! its typeclass (keeping its id and `db`), and a player sees and uses all of it; a player
//! without the role gets "Huh?" and builds nothing, and a revoked role takes effect at once.

mod common;

use common::{Client, Server};
use serde_json::{Value, json};

/// The id of the only object called `key`, from the console.
fn only(server: &Server, key: &str) -> u64 {
    let found = server.console(&format!("find {key}"));
    let rows = found["objects"]
        .as_array()
        .unwrap_or_else(|| panic!("{found}"));
    let exact: Vec<&Value> = rows.iter().filter(|r| r["key"] == key).collect();
    assert_eq!(exact.len(), 1, "{found}");
    exact[0]["id"].as_u64().unwrap()
}

fn login(server: &Server, name: &str) -> Client {
    let mut client = server.connect();
    client.send(&format!("create {name} password1"));
    client.expect("Exits:");
    client
}

#[test]
fn a_builder_builds_an_area_that_players_use_and_a_player_cannot_build() {
    let server = Server::start(&[]);
    let mut alice = login(&server, "alice");
    let mut bob = login(&server, "bob");

    // Not a builder: the commands do not exist, and nothing is built.
    for line in [
        "dig Kitchen = north, south",
        "@dig Kitchen",
        "create rose",
        "desc here = Mine now.",
        "set here/desc = Mine now.",
        "tel #1",
        "destroy here",
        "typeclass me = room",
    ] {
        bob.send(line);
        bob.expect("Huh? Nothing here understands");
    }
    assert_eq!(server.console("find Kitchen")["objects"], json!([]));
    let limbo = server.console("examine 1");
    assert_ne!(limbo["db"]["desc"], "Mine now.", "{limbo}");

    // Made a builder in the console: the next command builds.
    server.console_argv(&["grant", "alice", "builder"]);
    alice.send("help");
    alice.expect("Building");
    alice.send("dig Kitchen;kit = north;n, south;s");
    let built = alice.expect("Created exit south");
    assert!(built.contains("Created room Kitchen (#"), "{built}");
    assert!(built.contains("Created exit north (#"), "{built}");
    let kitchen = only(&server, "Kitchen");
    assert_eq!(
        server.console(&format!("examine {kitchen}"))["db"]["aliases"],
        json!(["kit"])
    );

    alice.send("n");
    alice.expect("Kitchen");
    alice.send("desc here = A warm kitchen that smells of bread.");
    alice.expect("The description of Kitchen");
    alice.send("@create a white lily;lily");
    alice.expect("Created a white lily (#");
    alice.send("desc lily = It smells sweet.");
    alice.expect("The description of a white lily");
    alice.send("set lily/weight = 3");
    alice.expect("Set a white lily");
    alice.send("set lily/colours = ['red', 'dark red']");
    alice.expect("Set a white lily");
    alice.send("set lily/note = a plain sentence");
    alice.expect("Set a white lily");
    // A long value is stored whole and shown cut (examine and set stay bounded).
    alice.send(&format!("set lily/long = {}", "x".repeat(500)));
    let shown = alice.expect("(500 bytes)");
    assert!(
        shown.contains(&format!("{}...", "x".repeat(400))),
        "{shown}"
    );
    assert!(!shown.contains(&"x".repeat(401)), "{shown}");
    alice.send("set lily/long =");
    alice.expect("Deleted a white lily");
    alice.send("drop lily");
    alice.expect("You drop a white lily.");
    alice.send("examine lily");
    // Attributes are listed sorted: `weight` comes last.
    let examined = alice.expect("weight = 3");
    for part in [
        "a white lily (#",
        "Typeclass:",
        "Kind: item",
        "aliases = [\"lily\"]",
        "colours = [\"red\",\"dark red\"]",
        "desc = It smells sweet.",
        "note = a plain sentence",
    ] {
        assert!(examined.contains(part), "{part}: {examined}");
    }
    let lily = only(&server, "a white lily");
    let db = &server.console(&format!("examine {lily}"))["db"];
    assert_eq!(db["weight"], 3, "{db}");
    assert_eq!(db["colours"], json!(["red", "dark red"]), "{db}");
    assert_eq!(db["note"], "a plain sentence", "{db}");
    assert_eq!(db["aliases"], json!(["lily"]), "{db}");
    assert_eq!(db["desc"], "It smells sweet.", "{db}");

    // A cellar behind a door: an exit turned into a `door` keeps its id, name and
    // destination, is still listed and walked as an exit, and can be locked.
    alice.send("dig Cellar");
    alice.expect("Created room Cellar (#");
    alice.send("open cellar door;door = Cellar");
    alice.expect("Created exit cellar door (#");
    let door = only(&server, "cellar door");
    // As if it were built before kinds existed: the door declares itself an exit.
    server.console(&format!("unset {door} kind"));
    alice.send("typeclass door = door");
    alice.expect("changed typeclass from exit to door");
    let retyped = server.console(&format!("examine {door}"));
    assert_eq!(retyped["typeclass"], "door", "{retyped}");
    assert_eq!(retyped["db"]["kind"], "exit", "{retyped}");
    assert_eq!(
        retyped["db"]["destination"]["object"],
        only(&server, "Cellar")
    );
    assert_eq!(retyped["db"]["aliases"], json!(["door"]), "{retyped}");
    alice.send("lock door");
    alice.expect("You lock the cellar door.");

    // The player walks the area.
    bob.send("north");
    let seen = bob.expect("a white lily");
    assert!(
        seen.contains("A warm kitchen that smells of bread."),
        "{seen}"
    );
    bob.send("look");
    let look = bob.expect("You see:");
    // The door is of kind `exit`: listed with the exits, not with the things.
    let exits = look
        .lines()
        .find(|l| l.contains("Exits:"))
        .unwrap_or_default();
    assert!(
        exits.contains("south") && exits.contains("cellar door"),
        "{look}"
    );
    bob.send("look lily");
    bob.expect("It smells sweet.");
    bob.send("get lily");
    bob.expect("You pick up a white lily.");
    bob.send("door");
    bob.expect("The cellar door is locked.");
    alice.send("unlock door");
    alice.expect("You unlock the cellar door.");
    bob.send("go door");
    bob.expect("Cellar");
    assert_eq!(
        server.console("examine bob")["location"],
        json!(only(&server, "Cellar")),
    );
    bob.send("go s");
    bob.expect("You cannot go s from here.");

    // Teleport, destroy, find.
    alice.send("tel bob = Kitchen");
    alice.expect("Teleported bob (#");
    bob.expect("Kitchen");
    alice.send("create junk");
    alice.expect("Created junk (#");
    let junk = only(&server, "junk");
    alice.send(&format!("set #{lily}/friend = #{junk}"));
    alice.expect(&format!(
        "Set a white lily (#{lily})/friend = junk (#{junk})"
    ));
    alice.send("destroy junk");
    alice.expect("Destroyed junk (#");
    alice.send(&format!("set #{lily}/friend"));
    alice.expect(&format!("friend = <deleted #{junk}>"));
    alice.send("typeclass bob = room");
    alice.expect("is a player's character");
    assert_eq!(server.console("examine bob")["typeclass"], "character");
    alice.send("find junk");
    alice.expect("Nothing is called junk.");
    alice.send("find Cellar");
    // The door in reach (a word of its name) and the room anywhere.
    alice.expect("Found 2:");
    alice.send("destroy bob");
    alice.expect("is a player's character");
    // Not a room with a player in it (they would be left nowhere); `Cellar` is the room,
    // not the `cellar door` next to the builder.
    alice.send("tel bob = Cellar");
    alice.expect("Teleported bob (#");
    alice.send("destroy Cellar");
    alice.expect("bob is in Cellar (#");
    alice.send("examine Cellar");
    alice.expect("Typeclass:");
    alice.send("create thing : no-such-typeclass");
    alice.expect("no-such-typeclass");
    assert_eq!(server.console("find thing")["objects"], json!([]));

    // The role revoked, the commands are gone again.
    server.console_argv(&["revoke", "alice", "builder"]);
    alice.send("dig Attic");
    alice.expect("Huh? Nothing here understands");
    assert_eq!(server.console("find Attic")["objects"], json!([]));
}
