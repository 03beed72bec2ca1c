//! One object id, one live entry, loaded from redb at most once while cached.

use crate::TestWorld;
use wasmud::Value;

#[test]
fn same_id_yields_the_same_entry_loaded_once() {
    let mut t = TestWorld::new();
    let counter = t.w().create("c", "counter", None).unwrap();
    t.restart();
    assert_eq!(
        t.w().stats().cache.entries,
        0,
        "a restart starts with an empty cache"
    );

    // First access loads the object (and runs its at-init once); later ones hit the cache.
    for _ in 0..5 {
        t.cmd(counter, "incr");
    }
    let stats = t.w().stats();
    assert_eq!(stats.cache.loads, 1, "one store load for five commands");
    assert_eq!(stats.cache.entries, 1);
    assert!(stats.cache.hits >= 5, "{stats:?}");
    assert_eq!(
        t.ndb(counter, "inits"),
        Some(Value::Int(1)),
        "at-init ran once"
    );
    // Writes through different paths land on the same entry.
    assert_eq!(t.db(counter, "count"), Some(Value::Int(5)));
    assert_eq!(t.ndb(counter, "hits"), Some(Value::Int(5)));
}

#[test]
fn handles_from_different_calls_name_the_same_object() {
    let mut t = TestWorld::new();
    let a = t.w().create("a", "counter", None).unwrap();
    let b = t.w().create("b", "counter", None).unwrap();
    // `link` stores a reference looked up by id; `friend-key` resolves it through a new handle.
    t.cmd(a, &format!("link {b}"));
    t.w()
        .set_attr(b, wasmud::AttrKind::Db, "count", Value::Int(41))
        .unwrap();
    t.w().command(a, b, "incr").unwrap();
    t.cmd(a, "friend-key");
    assert_eq!(t.db(a, "friend_id"), Some(Value::Int(b as i64)));
    assert_eq!(t.db(b, "count"), Some(Value::Int(42)));
    assert_eq!(t.w().stats().cache.entries, 2);
}
