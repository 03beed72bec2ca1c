//! The demo game's typeclasses tested with the kit, as an author would test theirs: players
//! in the demo world, the character's commands, the cat's timer on the manual clock, a
//! builder's turn, and the turn rolled back when a hook fails.

use std::time::Duration;

use wasmud_testkit::{AttrKind, KitError, Role, TestWorld, Value};

#[test]
fn a_builder_makes_an_item_and_gives_it_to_a_player() -> Result<(), KitError> {
    let mut world = TestWorld::demo()?;
    let alice = world.player("alice", Role::Builder)?;
    let bob = world.player("bob", Role::Player)?;
    world.received(alice);
    world.type_handled(alice, "create a red apple;apple")?;
    let apple = world.find("a red apple")?.expect("made");
    world.received(alice);
    assert_eq!(world.db(apple, "kind")?, Some(Value::Text("item".into())));
    world.type_handled(alice, "give apple to bob")?;
    assert_eq!(world.received(alice), ["You give a red apple to bob."]);
    assert!(
        world
            .received(bob)
            .contains(&"alice gives you a red apple.".to_owned())
    );
    world.type_handled(bob, "inventory")?;
    assert_eq!(world.received(bob), ["You are carrying: a red apple."]);
    // bob is no builder: the same command is not his.
    assert!(!world.type_line(bob, "create a pear")?);
    assert_eq!(world.find("a pear")?, None);
    Ok(())
}

#[test]
fn the_cat_walks_its_route_when_the_clock_moves() -> Result<(), KitError> {
    let mut world = TestWorld::demo()?;
    let alice = world.player("alice", Role::Player)?;
    world.received(alice);
    assert_eq!(world.advance(Duration::from_secs(1)), 0, "nothing due yet");
    assert!(world.advance(Duration::from_secs(20)) >= 1);
    assert!(
        world
            .received(alice)
            .contains(&"Whiskers wanders off.".to_owned())
    );
    Ok(())
}

#[test]
fn a_hook_that_fails_undoes_the_turn_and_passes_the_line_to_nobody() -> Result<(), KitError> {
    let mut world = TestWorld::demo()?;
    let alice = world.player("alice", Role::Player)?;
    let bob = world.player("bob", Role::Player)?;
    world.received(alice);
    world.received(bob);
    // The character counts commands in `ndb.commands`; text there makes its at-command fail.
    let broken = Value::Text("many".into());
    (world.world())
        .set_attr(alice, AttrKind::Ndb, "commands", broken.clone())
        .map_err(KitError::World)?;
    let e = world.type_line(alice, "say hello, I am alice").unwrap_err();
    assert!(e.to_string().contains("at-command"), "{e}");
    assert!(world.received(alice).is_empty());
    assert!(
        world.received(bob).is_empty(),
        "nobody else ran alice's line"
    );
    assert_eq!(world.ndb(alice, "commands")?, Some(broken));
    Ok(())
}
