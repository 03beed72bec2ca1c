//! Changing an object's typeclass from a hook (`set-typeclass`, contract 0.2.1): the id, key,
//! location and `db` stay, the new typeclass's `at-init` runs, and a failure anywhere (an
//! unknown typeclass, the new `at-init`, the hook after the change) leaves the old typeclass.
//! A component built for 0.2.0, before the method existed, still loads, runs and is confined.
//! What a client is told of a room's exits goes by kind, not by typeclass name.

use crate::TestWorld;
use wasmud::runtime::Hook;
use wasmud::{AttrKind, Value};

#[test]
fn a_retyped_object_keeps_its_id_and_db_and_runs_the_new_at_init() {
    let mut t = TestWorld::new();
    let room = t.w().create("room", "room", None).unwrap();
    let c = t.w().create("c", "counter", Some(room)).unwrap();
    let x = t.w().create("x", "greeter", Some(room)).unwrap();
    t.w()
        .set_attr(x, AttrKind::Db, "desc", Value::Text("kept".into()))
        .unwrap();

    t.cmd(c, &format!("retype {x} counter"));
    assert_eq!(t.ndb(c, "last_error"), wasmud_tests::text("ok"));
    assert_eq!(t.w().typeclass(x).unwrap(), "counter");
    assert_eq!(t.w().key(x).unwrap(), "x");
    assert_eq!(t.w().location(x).unwrap(), Some(room));
    assert_eq!(t.db(x, "desc"), wasmud_tests::text("kept"));
    assert_eq!(
        t.ndb(x, "inits"),
        Some(Value::Int(1)),
        "the new at-init ran"
    );
    // Its hooks are the new typeclass's.
    t.cmd(x, "incr");
    assert_eq!(
        t.db(x, "count"),
        Some(Value::Int(1)),
        "{:?}",
        t.db(x, "count")
    );

    // Kept across a restart.
    t.restart();
    assert_eq!(t.w().typeclass(x).unwrap(), "counter");
    assert_eq!(t.db(x, "desc"), wasmud_tests::text("kept"));
}

#[test]
fn a_failed_retype_leaves_the_old_typeclass() {
    let mut t = TestWorld::new();
    let c = t.w().create("c", "counter", None).unwrap();
    let x = t.w().create("x", "greeter", None).unwrap();

    // No such typeclass: an error value; nothing changes.
    t.cmd(c, &format!("retype {x} no-such-typeclass"));
    let error = t.ndb(c, "last_error").unwrap().to_string();
    assert!(error.contains("NotFound"), "{error}");
    assert_eq!(t.w().typeclass(x).unwrap(), "greeter");

    // The hook fails after the change: the change goes with it, in the cache and on disk.
    let failed = t
        .w()
        .command(c, c, &format!("retype-then-fail {x} counter"));
    assert!(failed.is_err(), "{failed:?}");
    assert_eq!(t.w().typeclass(x).unwrap(), "greeter");
    t.restart();
    assert_eq!(t.w().typeclass(x).unwrap(), "greeter", "undone on disk too");

    // The new typeclass's at-init fails: the object keeps its old typeclass.
    t.w()
        .set_attr(x, AttrKind::Db, "fail_init", Value::Bool(true))
        .unwrap();
    t.cmd(c, &format!("retype {x} counter"));
    let error = t.ndb(c, "last_error").unwrap().to_string();
    assert!(error.contains("at-init fails on purpose"), "{error}");
    assert_eq!(t.w().typeclass(x).unwrap(), "greeter");

    t.restart();
    assert_eq!(t.w().typeclass(x).unwrap(), "greeter");
}

#[test]
fn a_component_built_for_contract_0_2_0_still_loads_runs_and_is_confined() {
    let (runtime, all) = wasmud_tests::runtime();
    let old = runtime
        .load_file(std::path::Path::new(
            wasmud::scripts::fixtures::CONTRACT_0_2_0,
        ))
        .expect("a 0.2.0 component loads on a 0.2.1 host");
    assert_eq!(old.contract(), "0.2");
    let mut scripts = all.clone();
    scripts.insert(old);
    let mut t = TestWorld::new();
    t.reopen_with(&scripts);
    let o = t.w().create("old", "contract_0_2_0", None).unwrap();
    t.cmd(o, "stamp");
    assert_eq!(t.db(o, "stamped"), Some(Value::Bool(true)));
    // Its timer hooks are found on the 0.2 track by semver, too.
    assert!(t.w().run_hook(o, Hook::Tick { name: "beat" }).unwrap());
    assert_eq!(t.db(o, "ticked"), wasmud_tests::text("beat"));

    // Confined (no grants): a refusal is the `not-permitted` its contract already has.
    let stranger = t.w().create("stranger", "greeter", None).unwrap();
    t.w().set_grants(wasmud::grants::GrantTable::default());
    t.cmd(o, &format!("poke {stranger}"));
    let outcome = t.db(o, "poke_outcome").unwrap().to_string();
    assert!(outcome.contains("NotPermitted"), "{outcome}");
    assert_eq!(t.db(stranger, "poked"), None);
}

#[test]
fn what_a_client_is_told_of_a_room_goes_by_kind_not_by_typeclass_name() {
    let mut t = TestWorld::new();
    let hall = t.w().create("Hall", "room", None).unwrap();
    let yard = t.w().create("Yard", "room", None).unwrap();
    // A plain exit (its typeclass declares the kind), a door of another typeclass that says
    // it is an exit, and an exit-typeclass object a builder re-declared as an item.
    let plain = t.w().create("east", "exit", Some(hall)).unwrap();
    let door = t.w().create("gate", "greeter", Some(hall)).unwrap();
    let prop = t.w().create("sign", "exit", Some(hall)).unwrap();
    for exit in [plain, door, prop] {
        t.w()
            .set_attr(exit, AttrKind::Db, "destination", Value::Object(yard))
            .unwrap();
    }
    assert_eq!(t.db(plain, "kind"), wasmud_tests::text("exit"), "declared");
    t.w()
        .set_attr(door, AttrKind::Db, "kind", Value::Text("exit".into()))
        .unwrap();
    t.w()
        .set_attr(prop, AttrKind::Db, "kind", Value::Text("item".into()))
        .unwrap();
    let place = t.w().place(hall).unwrap();
    assert_eq!(
        place.exits,
        vec![("east".to_owned(), yard), ("gate".to_owned(), yard)]
    );
    // Flushed, the kinds are read from the store.
    t.w().flush(wasmud::FlushScope::All, true);
    let place = t.w().place(hall).unwrap();
    assert_eq!(
        place.exits,
        vec![("east".to_owned(), yard), ("gate".to_owned(), yard)]
    );
}
