//! Hooks that trigger hooks: queued fan-out through a room, and synchronous nested hooks on the
//! same typeclass as the running one (each nested call gets its own instance).

use crate::TestWorld;
use wasmud::{AttrKind, Value, WorldError};
use wasmud_tests::text;

#[test]
fn a_say_fans_out_through_the_room_to_every_other_listener() {
    let mut t = TestWorld::new();
    let hall = t.w().create("Hall", "room", None).unwrap();
    let ann = t.w().create("Ann", "character", Some(hall)).unwrap();
    let bob = t.w().create("Bob", "character", Some(hall)).unwrap();
    let cid = t.w().create("Cid", "character", Some(hall)).unwrap();
    t.w().take_deliveries();

    // character.at-command -> room.msg -> room.at-msg-receive -> character.msg (x2)
    // -> character.at-msg-receive (x2): hooks of the same typeclass, triggered by a hook.
    t.cmd(ann, "say hello");
    let mut got: Vec<(u64, String, Option<u64>)> = t
        .w()
        .take_deliveries()
        .into_iter()
        .map(|d| (d.to, d.text, d.from))
        .collect();
    got.sort();
    let line = "Ann says, \"hello\"".to_string();
    assert_eq!(
        got,
        vec![
            (ann, "You say, \"hello\"".to_string(), None),
            (bob, line.clone(), Some(ann)),
            (cid, line, Some(ann))
        ]
    );
}

#[test]
fn moving_runs_pre_move_nested_and_post_move_queued() {
    let mut t = TestWorld::new();
    let boss = t.w().create("boss", "counter", None).unwrap();
    let box_a = t.w().create("box a", "object", None).unwrap();
    let box_b = t.w().create("box b", "object", None).unwrap();
    let pawn = t.w().create("pawn", "counter", Some(box_a)).unwrap();

    // boss.at-command (a counter) -> pawn.move_to -> pawn.at-pre-move (also a counter, nested
    // while the first counter instance is still running) -> moved -> pawn.at-post-move (queued).
    t.cmd(boss, &format!("move {pawn} {box_b}"));
    assert_eq!(t.ndb(boss, "last_error"), text("ok"));
    assert_eq!(t.w().location(pawn).unwrap(), Some(box_b));
    assert_eq!(t.ndb(pawn, "pre_moves"), Some(Value::Int(1)));
    assert_eq!(t.db(pawn, "moves"), Some(Value::Int(1)));
    assert_eq!(t.w().contents(box_b).unwrap(), vec![pawn]);
    assert!(t.w().contents(box_a).unwrap().is_empty());

    // A pinned pawn vetoes, from a guest and from the host.
    t.w()
        .set_attr(pawn, AttrKind::Db, "pinned", Value::Bool(true))
        .unwrap();
    t.cmd(boss, &format!("move {pawn} {box_a}"));
    let err = t.ndb(boss, "last_error").unwrap().to_string();
    assert!(err.contains("Vetoed"), "{err}");
    assert!(matches!(
        t.w().move_to(pawn, Some(box_a)),
        Err(WorldError::Vetoed(_))
    ));
    assert_eq!(t.w().location(pawn).unwrap(), Some(box_b));
    assert_eq!(
        t.db(pawn, "moves"),
        Some(Value::Int(1)),
        "no post-move after a veto"
    );
}

#[test]
fn creating_objects_inside_a_hook_runs_their_hooks_nested() {
    let mut t = TestWorld::new();
    let room = t.w().create("room", "room", None).unwrap();
    let maker = t.w().create("maker", "counter", Some(room)).unwrap();
    t.cmd(maker, "spawn 3");
    let contents = t.w().contents(room).unwrap();
    assert_eq!(contents.len(), 4);
    for id in contents.into_iter().filter(|&id| id != maker) {
        assert!(t.w().key(id).unwrap().starts_with("spawn-"));
        assert_eq!(
            t.db(id, "count"),
            Some(Value::Int(0)),
            "at-object-creation ran"
        );
        assert_eq!(t.ndb(id, "inits"), Some(Value::Int(1)), "at-init ran");
    }
}

#[test]
fn walking_through_an_exit_announces_the_departure_and_the_arrival() {
    let mut t = TestWorld::new();
    let limbo = t.w().create("Limbo", "room", None).unwrap();
    let tavern = t.w().create("Tavern", "room", None).unwrap();
    let door = t.w().create("east", "exit", Some(limbo)).unwrap();
    t.w()
        .set_attr(door, AttrKind::Db, "destination", Value::Object(tavern))
        .unwrap();
    t.w()
        .set_attr(
            door,
            AttrKind::Db,
            "aliases",
            Value::Json(r#"["e","tavern"]"#.into()),
        )
        .unwrap();
    let ann = t.w().create("Ann", "character", Some(limbo)).unwrap();
    let bob = t.w().create("Bob", "character", Some(tavern)).unwrap();
    let cid = t.w().create("Cid", "character", Some(limbo)).unwrap();
    t.w().take_deliveries();
    t.cmd(ann, "go nowhere");
    let got = t.w().take_deliveries();
    assert_eq!(got[0].text, "You cannot go nowhere from here.");
    assert_eq!(t.w().location(ann).unwrap(), Some(limbo));
    // By an alias, through the character (which leaves `go` to the exit), then the exit.
    assert!(t.w().player_input(ann, "go tavern").unwrap());
    // Deliveries are held only until the next turn begins: take them first.
    let got: Vec<(u64, String)> = t
        .w()
        .take_deliveries()
        .into_iter()
        .map(|d| (d.to, d.text))
        .collect();
    assert_eq!(t.w().location(ann).unwrap(), Some(tavern));
    assert_eq!(got.len(), 3, "exits do not listen: {got:?}");
    assert_eq!(got[0], (cid, "Ann leaves east.".into()));
    assert_eq!(got[1].0, ann, "the arrival shows the room: {got:?}");
    assert!(got[1].1.starts_with("|cTavern|n\n"), "{got:?}");
    assert_eq!(got[2], (bob, "Ann arrives.".into()));
    t.cmd(bob, "look");
    let look = t.w().take_deliveries();
    assert_eq!(
        look[0].text,
        "|cTavern|n\nAn unremarkable place.\n|wYou see:|n Ann."
    );
}

#[test]
fn deletion_can_be_vetoed_and_moves_contents_out() {
    let mut t = TestWorld::new();
    let outer = t.w().create("outer", "room", None).unwrap();
    let boss = t.w().create("boss", "counter", Some(outer)).unwrap();
    let chest = t.w().create("chest", "counter", Some(outer)).unwrap();
    let coin = t.w().create("coin", "object", Some(chest)).unwrap();
    t.w()
        .set_attr(chest, AttrKind::Db, "undeletable", Value::Bool(true))
        .unwrap();
    t.cmd(boss, &format!("delete {chest}"));
    assert!(
        t.ndb(boss, "last_error")
            .unwrap()
            .to_string()
            .contains("Vetoed")
    );
    assert_eq!(t.w().key(chest).unwrap(), "chest");

    t.w()
        .set_attr(chest, AttrKind::Db, "undeletable", Value::Bool(false))
        .unwrap();
    t.cmd(boss, &format!("delete {chest}"));
    assert_eq!(t.ndb(boss, "last_error"), text("ok"));
    assert_eq!(t.w().location(coin).unwrap(), Some(outer));
    assert!(matches!(t.w().key(chest), Err(WorldError::Deleted(id)) if id == chest));
}
