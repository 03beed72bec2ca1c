//! One bad script must not take the world down, corrupt an object or reach outside its sandbox.
//! Each test drives the `adversary` typeclass and then checks that the error names the
//! typeclass and hook, that other objects keep working, and that nothing was lost.

use std::time::{Duration, Instant};

use crate::TestWorld;
use wasmud::{AttrKind, Limit, ObjectId, Value, WorldError, WorldOptions};
use wasmud_tests::expect_limit;

/// Runs `input` on a fresh adversary and returns the trap's detail; panics if it did not trap
/// in `at-command` of `adversary` (a guest fault, not a limit).
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
    let (detail, charged) = expect_limit(t.w().command(a, a, "loop"), Limit::HookTime);
    assert!(
        detail.contains("interrupted") && detail.contains("50ms"),
        "{detail}"
    );
    assert_eq!(charged.as_deref(), Some("adversary"));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "took {:?}",
        start.elapsed()
    );
    assert_still_serving(&mut t, a);
}

#[test]
fn unbounded_allocation_hits_the_memory_cap() {
    // Time enough to fill 64 MiB on a loaded machine: the failure must be the cap.
    let mut options = WorldOptions::default();
    options.sandbox.hook_deadline = Duration::from_secs(10);
    options.sandbox.turn_budget = Duration::from_secs(20);
    let mut t = TestWorld::with_options(options);
    let a = t.w().create("villain", "adversary", None).unwrap();
    // Under the 64 MiB cap an allocation works...
    t.cmd(a, "alloc-mib 32");
    assert_eq!(t.ndb(a, "allocated"), Some(Value::Int(32 << 20)));
    // ...and the instance, grown past the 16 MiB pool threshold, is not kept idle.
    assert_eq!(t.w().stats().big_instances_dropped, 1);
    // Past the cap, the growth that crosses it traps, naming the cap.
    let (detail, _) = expect_limit(t.w().command(a, a, "alloc-mib 100"), Limit::Memory);
    assert!(
        detail.contains("memory cap reached") && detail.contains(&(64u64 << 20).to_string()),
        "{detail}"
    );
    let (detail, _) = expect_limit(t.w().command(a, a, "alloc"), Limit::Memory);
    assert!(detail.contains("memory cap reached"), "{detail}");
    assert_still_serving(&mut t, a);
}

#[test]
fn deep_recursion_is_a_stack_overflow_trap() {
    let (mut t, a) = setup();
    let (detail, _) = expect_limit(t.w().command(a, a, "recurse"), Limit::WasmStack);
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
    options.sandbox.turn_budget = Duration::from_secs(60);
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

    // With the default 64 MiB cap the guest cannot even build it.
    let (mut t, a) = setup();
    expect_limit(t.w().command(a, a, "big-string 100"), Limit::Memory);
    assert_still_serving(&mut t, a);
}

#[test]
fn handles_are_capped_and_stale_or_dropped_handles_are_rejected() {
    // Time enough to reach the cap: the failure must be the handle cap, not a deadline.
    let mut options = WorldOptions::default();
    options.sandbox.max_handles = 5_000;
    options.sandbox.hook_deadline = Duration::from_secs(30);
    options.sandbox.turn_budget = Duration::from_secs(60);
    let mut t = TestWorld::with_options(options);
    let a = t.w().create("villain", "adversary", None).unwrap();
    t.cmd(a, "hold-handles 1000");
    assert_eq!(t.ndb(a, "held"), Some(Value::Int(1000)));
    let (detail, _) = expect_limit(t.w().command(a, a, "hold-handles 1000000"), Limit::Handles);
    assert!(
        detail.contains("handle limit") && detail.contains("5000"),
        "{detail}"
    );

    // A handle index kept from an earlier call names nothing now: the component model
    // rejects it (a trap), it never reaches another object.
    let other = t.w().create("bystander", "adversary", None).unwrap();
    t.cmd(a, "stash");
    let detail = expect_trap(&mut t, a, "use-stash");
    assert!(detail.contains("handle"), "{detail}");
    assert_eq!(t.ndb(other, "last_error"), None);
    // An owned handle used after its drop is rejected the same way.
    let detail = expect_trap(&mut t, a, "drop-and-reuse");
    assert!(detail.contains("handle"), "{detail}");
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
    assert_still_serving(&mut t, a);
}

#[test]
fn guest_output_and_log_lines_are_rate_limited() {
    let (mut t, a) = setup();
    // stdout and the log import share one budget of 50 lines a second per instance.
    for input in ["print 10000", "log 10000"] {
        let started = Instant::now();
        let (logged_before, dropped_before) = t.w().stats().log_lines;
        t.cmd(a, input);
        let (logged, dropped) = t.w().stats().log_lines;
        let (logged, dropped) = (logged - logged_before, dropped - dropped_before);
        let windows = started.elapsed().as_secs() + 2;
        assert_eq!(logged + dropped, 10_000, "{input}: every line counted");
        assert!(logged <= 50 * windows, "{input}: {logged} lines logged");
    }
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
    // Its commands are refused now, with the reason; other typeclasses run as before.
    assert!(matches!(
        t.w().command(a, a, "panic"),
        Err(WorldError::Unavailable { reason, .. }) if reason.contains("quarantined")
    ));
    let counter = t.w().create("witness", "counter", None).unwrap();
    t.cmd(counter, "incr");
    assert!(t.w().stats().quarantined.iter().all(|q| q != "counter"));
}
