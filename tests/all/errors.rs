//! Bad input gets a typed error and the host keeps running: deleted handles, malformed guest
//! arguments, a panicking guest.

use crate::TestWorld;
use wasmud::{AttrKind, Value, WorldError};

fn last_error(t: &mut TestWorld, id: u64) -> String {
    match t.ndb(id, "last_error") {
        Some(Value::Text(s)) => s.into(),
        other => panic!("no last_error: {other:?}"),
    }
}

#[test]
fn a_deleted_objects_handle_reports_deleted() {
    let mut t = TestWorld::new();
    let a = t.w().create("a", "counter", None).unwrap();
    let victim = t.w().create("victim", "counter", None).unwrap();
    // The guest deletes the object, then calls `key` on the handle it still holds.
    t.cmd(a, &format!("delete-then-touch {victim}"));
    assert_eq!(last_error(&mut t, a), format!("Deleted({victim})"));
    // Looking it up again from a guest, or from the host, also says deleted, after a restart too.
    t.cmd(a, &format!("lookup {victim}"));
    assert_eq!(last_error(&mut t, a), format!("Deleted({victim})"));
    t.restart();
    assert!(matches!(t.w().key(victim), Err(WorldError::Deleted(id)) if id == victim));
    assert!(matches!(
        t.w()
            .set_attr(a, AttrKind::Db, "ref", Value::Object(victim)),
        Err(WorldError::Deleted(_))
    ));
}

#[test]
fn bad_guest_arguments_get_wit_errors_and_change_nothing() {
    let mut t = TestWorld::new();
    let a = t.w().create("a", "counter", None).unwrap();
    t.cmd(a, "bad-json");
    assert!(
        last_error(&mut t, a).starts_with("InvalidArgument"),
        "{}",
        last_error(&mut t, a)
    );
    assert_eq!(t.db(a, "broken"), None);

    t.cmd(a, "lookup 999999");
    assert!(last_error(&mut t, a).starts_with("NotFound"));

    t.cmd(a, "create-empty-key");
    assert!(last_error(&mut t, a).starts_with("InvalidArgument"));
    assert_eq!(t.w().object_count().unwrap(), 1);

    // The same instance keeps serving.
    t.cmd(a, "incr");
    assert_eq!(t.db(a, "count"), Some(Value::Int(1)));
}

#[test]
fn a_panicking_hook_is_reported_and_the_world_carries_on() {
    let mut t = TestWorld::new();
    let a = t.w().create("a", "counter", None).unwrap();
    let b = t.w().create("b", "counter", None).unwrap();
    match t.w().command(a, a, "panic") {
        Err(WorldError::Hook {
            typeclass,
            hook,
            object,
            trapped,
            ..
        }) => {
            assert_eq!(
                (typeclass.as_str(), hook, object, trapped),
                ("counter", "at-command", a, true)
            );
        }
        other => panic!("expected a hook trap, got {other:?}"),
    }
    // Other objects of the same typeclass, and the same object, keep working.
    t.cmd(b, "incr");
    t.cmd(a, "incr");
    assert_eq!(t.db(a, "count"), Some(Value::Int(1)));
    assert_eq!(t.db(b, "count"), Some(Value::Int(1)));
}

#[test]
fn host_api_rejects_bad_arguments_with_typed_errors() {
    let mut t = TestWorld::new();
    let a = t.w().create("a", "object", None).unwrap();
    assert!(matches!(
        t.w().create("x", "no-such-typeclass", None),
        Err(WorldError::NotFound(_))
    ));
    assert!(matches!(
        t.w().create("", "object", None),
        Err(WorldError::InvalidArgument(_))
    ));
    assert!(matches!(
        t.w().create("x", "object", Some(4242)),
        Err(WorldError::NotFound(_))
    ));
    assert!(matches!(
        t.w().move_to(a, Some(a)),
        Err(WorldError::InvalidArgument(_))
    ));
    assert!(matches!(
        t.w()
            .set_attr(a, AttrKind::Db, "j", Value::Json("{".into())),
        Err(WorldError::InvalidArgument(_))
    ));
    assert!(matches!(t.w().key(777), Err(WorldError::NotFound(_))));
    assert_eq!(t.w().key(a).unwrap(), "a");
    assert_eq!(t.w().search("A").unwrap(), vec![a]);
}

/// Defect 11: moving into a deleted object answered `not-found` where every other use of a
/// stale handle answers `deleted`.
#[test]
fn moving_into_a_deleted_object_says_deleted() {
    let mut t = TestWorld::new();
    let a = t.w().create("a", "counter", None).unwrap();
    let place = t.w().create("place", "counter", None).unwrap();
    t.cmd(a, &format!("move-into-deleted {place}"));
    assert_eq!(last_error(&mut t, a), format!("Deleted({place})"));
    assert!(matches!(
        t.w().move_to(a, Some(place)),
        Err(WorldError::Deleted(id)) if id == place
    ));
}

/// Defect 11: an `at-object-delete` that deletes its own object again used to recurse to the
/// depth limit, so the object could never be deleted.
#[test]
fn an_object_deleting_itself_while_being_deleted_is_deleted_once() {
    let mut t = TestWorld::new();
    let a = t.w().create("a", "counter", None).unwrap();
    t.w()
        .set_attr(a, AttrKind::Db, "delete_again", Value::Bool(true))
        .unwrap();
    t.w().delete(a).unwrap();
    assert!(matches!(t.w().key(a), Err(WorldError::Deleted(_))));
    t.restart();
    assert!(matches!(t.w().key(a), Err(WorldError::Deleted(_))));
}
