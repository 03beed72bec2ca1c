//! `db` attributes persist across restarts; `ndb` attributes do not; values keep their types;
//! object references come back to guests as handles.

use crate::TestWorld;
use wasmud::{AttrKind, Value};
use wasmud_tests::text;

#[test]
fn db_survives_a_restart_and_ndb_does_not() {
    let mut t = TestWorld::new();
    let c = t.w().create("c", "counter", None).unwrap();
    t.cmd(c, "incr");
    t.cmd(c, "incr");
    t.w()
        .set_attr(c, AttrKind::Ndb, "note", Value::Text("temp".into()))
        .unwrap();
    assert_eq!(t.ndb(c, "hits"), Some(Value::Int(2)));

    t.restart();

    assert_eq!(t.db(c, "count"), Some(Value::Int(2)), "db kept");
    assert_eq!(t.ndb(c, "hits"), None, "ndb gone");
    assert_eq!(t.ndb(c, "note"), None, "ndb gone");
    assert_eq!(
        t.ndb(c, "inits"),
        Some(Value::Int(1)),
        "at-init ran again on load"
    );
    assert_eq!(t.w().attr_names(c, AttrKind::Ndb).unwrap(), vec!["inits"]);
}

#[test]
fn every_value_type_round_trips_through_the_store() {
    let mut t = TestWorld::new();
    let o = t.w().create("thing", "object", None).unwrap();
    let other = t.w().create("other", "object", None).unwrap();
    let values = [
        ("null", Value::Null),
        ("bool", Value::Bool(true)),
        ("int", Value::Int(-7)),
        ("float", Value::Float(2.5)),
        ("text", Value::Text("héllo".into())),
        ("bytes", Value::Bytes(vec![0, 1, 255].into())),
        ("ref", Value::Object(other)),
        ("json", Value::Json(r#"{"a":[1,2]}"#.into())),
    ];
    for (name, v) in &values {
        t.w().set_attr(o, AttrKind::Db, name, v.clone()).unwrap();
    }
    t.restart();
    for (name, v) in &values {
        assert_eq!(t.db(o, name).as_ref(), Some(v), "{name}");
    }
    let mut names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
    names.sort_unstable();
    assert_eq!(t.w().attr_names(o, AttrKind::Db).unwrap(), names);
}

#[test]
fn typed_sdk_attributes_store_structs_as_json() {
    let mut t = TestWorld::new();
    let room = t.w().create("Hall", "room", None).unwrap();
    let hero = t.w().create("Hero", "character", Some(room)).unwrap();
    // at-object-creation stored a `Stats` struct through `db().set`.
    assert_eq!(
        t.db(hero, "stats"),
        Some(Value::Json(r#"{"hp":100,"level":1}"#.into()))
    );
    t.cmd(hero, "stats");
    let said: Vec<String> = t
        .w()
        .take_deliveries()
        .into_iter()
        .map(|d| d.text)
        .collect();
    assert_eq!(said, vec!["hp 100 level 1"]);
    assert_eq!(t.db(room, "desc"), text("An unremarkable place."));
}

#[test]
fn object_references_come_back_as_working_handles_after_a_restart() {
    let mut t = TestWorld::new();
    let a = t.w().create("a", "counter", None).unwrap();
    let b = t.w().create("Bob", "counter", None).unwrap();
    t.cmd(a, &format!("link {b}"));
    assert_eq!(t.db(a, "friend"), Some(Value::Object(b)));
    t.restart();
    // The guest reads the reference, gets a handle and calls `key` through it.
    t.cmd(a, "friend-key");
    assert_eq!(t.db(a, "friend_key"), text("Bob"));
    assert_eq!(t.db(a, "friend_id"), Some(Value::Int(b as i64)));
}
