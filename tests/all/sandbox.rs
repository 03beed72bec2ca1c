//! One bad script must not take the world down, corrupt an object or reach outside its sandbox.
//! Each test drives the `adversary` typeclass and then checks that the error names the
//! typeclass and hook, that other objects keep working, and that nothing was lost.

use std::time::{Duration, Instant};

use wasmud::{AttrKind, ObjectId, Value, WorldError, WorldOptions};
use wasmud_tests::{TestWorld, text};

/// Runs `input` on a fresh adversary and returns the trap's detail; panics if it did not trap
/// in `at-command` of `adversary`.
fn expect_trap(t: &mut TestWorld, adversary: ObjectId, input: &str) -> String {
    match t.w().command(adversary, adversary, input) {
        Err(WorldError::Hook {
            typeclass,
            hook,
            object,
            trapped: true,
            detail,
        }) => {
            assert_eq!(
                (typeclass.as_str(), hook, object),
                ("adversary", "at-command", adversary)
            );
            detail
        }
        other => panic!("{input}: expected a trap, got {other:?}"),
    }
}

/// The world still serves: a counter counts and the adversary itself answers a harmless command.
fn assert_still_serving(t: &mut TestWorld, adversary: ObjectId) {
    let counter = t.w().create("witness", "counter", None).unwrap();
    t.cmd(counter, "incr");
    assert_eq!(t.db(counter, "count"), Some(Value::Int(1)));
    t.cmd(adversary, "env");
}

fn setup() -> (TestWorld, ObjectId) {
    let mut t = TestWorld::new();
    let a = t.w().create("villain", "adversary", None).unwrap();
    (t, a)
}

#[test]
fn an_infinite_loop_is_interrupted_at_its_deadline() {
    let (mut t, a) = setup();
    let start = Instant::now();
    let detail = expect_trap(&mut t, a, "loop");
    assert!(detail.contains("interrupted"), "{detail}");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert_still_serving(&mut t, a);
}

#[test]
fn unbounded_allocation_hits_the_memory_cap() {
    let (mut t, a) = setup();
    let detail = expect_trap(&mut t, a, "alloc");
    assert!(!detail.is_empty());
    assert_still_serving(&mut t, a);
}

#[test]
fn deep_recursion_is_a_stack_overflow_trap() {
    let (mut t, a) = setup();
    let detail = expect_trap(&mut t, a, "recurse");
    assert!(detail.contains("stack overflow"), "{detail}");
    assert_still_serving(&mut t, a);
}

#[test]
fn a_panic_traps_and_the_next_hook_runs_on_a_fresh_instance() {
    let (mut t, a) = setup();
    expect_trap(&mut t, a, "panic");
    assert_still_serving(&mut t, a);
}

#[test]
fn a_100_mb_string_is_refused_with_an_error() {
    // Give the guest room to build the string, so that it reaches the host.
    let mut options = WorldOptions::default();
    options.sandbox.max_memory_bytes = 512 << 20;
    options.sandbox.hook_deadline = Duration::from_secs(30);
    let mut t = TestWorld::with_options(options);
    let a = t.w().create("villain", "adversary", None).unwrap();
    t.cmd(a, "big-string 100");
    let err = t.ndb(a, "last_error").unwrap().to_string();
    assert!(err.contains("InvalidArgument"), "{err}");
    assert_eq!(t.db(a, "big"), None);
    t.cmd(a, "big-msg 100");
    let err = t.ndb(a, "last_error").unwrap().to_string();
    assert!(err.contains("InvalidArgument"), "{err}");
    assert_still_serving(&mut t, a);

    // With the default 64 MiB cap the guest cannot even build it: a trap, nothing else.
    let (mut t, a) = setup();
    expect_trap(&mut t, a, "big-string 100");
    assert_still_serving(&mut t, a);
}

#[test]
fn handles_are_capped_and_stale_or_dropped_handles_are_rejected() {
    let (mut t, a) = setup();
    t.cmd(a, "hold-handles 1000");
    assert_eq!(t.ndb(a, "held"), Some(Value::Int(1000)));
    let detail = expect_trap(&mut t, a, "hold-handles 1000000");
    assert!(!detail.is_empty());

    // A borrowed handle kept from an earlier call, or an owned one used after its drop, never
    // reaches an object the running hook was not given: the component model rejects the index
    // (a trap), or the index has been reused for a handle of the running call (the guest's own
    // unsafe code aliasing its own handles).
    let other = t.w().create("bystander", "adversary", None).unwrap();
    t.cmd(a, "stash");
    match t.w().command(other, other, "use-stash") {
        Err(WorldError::Hook { trapped: true, .. }) => {}
        Ok(true) => assert_eq!(t.ndb(other, "last_error"), text("bystander")),
        result => panic!("use-stash: {result:?}"),
    }
    match t.w().command(a, a, "drop-and-reuse") {
        Err(WorldError::Hook { trapped: true, .. }) => {}
        other => panic!("drop-and-reuse: {other:?}"),
    }
    assert_still_serving(&mut t, a);
}

#[test]
fn a_hook_that_writes_then_traps_leaves_nothing_behind() {
    let mut t = TestWorld::new();
    let room = t.w().create("room", "room", None).unwrap();
    let a = t.w().create("villain", "adversary", Some(room)).unwrap();
    t.w().set_attr(a, AttrKind::Db, "a", Value::Int(0)).unwrap();
    let objects = t.w().object_count().unwrap();

    expect_trap(&mut t, a, "write3-then-trap");

    let check = |t: &mut TestWorld| {
        assert_eq!(t.db(a, "a"), Some(Value::Int(0)), "overwrite undone");
        assert_eq!(t.db(a, "b"), None);
        assert_eq!(t.db(a, "c"), None);
        assert_eq!(t.w().key(a).unwrap(), "villain", "rename undone");
        assert_eq!(t.w().location(a).unwrap(), Some(room), "move undone");
        assert_eq!(t.w().contents(room).unwrap(), vec![a], "creation undone");
        assert!(t.w().search("spawned").unwrap().is_empty());
        assert_eq!(t.w().object_count().unwrap(), objects);
    };
    check(&mut t);
    assert_eq!(t.ndb(a, "d"), None, "ndb write undone");
    t.restart();
    check(&mut t);
}

#[test]
fn wasi_grants_no_files_sockets_or_environment() {
    let (mut t, a) = setup();
    t.cmd(a, "open-file");
    let err = t.ndb(a, "last_error").unwrap().to_string();
    assert_ne!(err, "\"ok\"", "a guest read a host file");
    t.cmd(a, "socket");
    let err = t.ndb(a, "last_error").unwrap().to_string();
    assert_ne!(err, "\"ok\"", "a guest opened a socket");
    t.cmd(a, "env");
    assert_eq!(t.ndb(a, "env_seen"), Some(Value::Int(0)));
    // Output goes to the log, rate-limited; a flood does not hurt.
    t.cmd(a, "print 10000");
    assert_still_serving(&mut t, a);
}

#[test]
fn a_typeclass_that_keeps_trapping_is_quarantined() {
    let mut options = WorldOptions::default();
    options.sandbox.quarantine_after = 3;
    let mut t = TestWorld::with_options(options);
    let a = t.w().create("villain", "adversary", None).unwrap();
    for _ in 0..3 {
        expect_trap(&mut t, a, "panic");
    }
    assert_eq!(t.w().stats().quarantined, vec!["adversary"]);
    // Its hooks are skipped now (at-command answers "not handled"); others run as before.
    assert!(!t.w().command(a, a, "panic").unwrap());
    let counter = t.w().create("witness", "counter", None).unwrap();
    t.cmd(counter, "incr");
    assert!(t.w().stats().quarantined.iter().all(|q| q != "counter"));
}
