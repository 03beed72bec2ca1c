//! One body, two languages: each test runs against the Rust `adversary` and its Python twin
//! `pyadversary` (CPython inside a component built by componentize-py), and requires the same
//! guarantees of both: the hook deadline, the memory cap and the ban on waiting cut a hook and
//! keep nothing it did; a failing hook keeps nothing and says why; a flush and a hot reload keep
//! `db` (and a reload `ndb`) while the code runs on. And the pools of idle instances keep
//! within their memory budget with big (Python) instances.

use std::time::{Duration, Instant};

use crate::TestWorld;
use wasmud::{AttrKind, FlushScope, Limit, ObjectId, Value, WorldError, WorldOptions};
use wasmud_tests::{expect_limit, load_script, runtime};

/// The twins: the same commands, written in Rust and in Python.
const TWINS: [&str; 2] = ["adversary", "pyadversary"];

/// Runs `body` once per twin, each in a fresh world, with the twin's object.
fn for_both(options: &WorldOptions, body: impl Fn(&mut TestWorld, ObjectId, &str)) {
    for typeclass in TWINS {
        let mut t = TestWorld::with_options(options.clone());
        let a = t.w().create("villain", typeclass, None).unwrap();
        body(&mut t, a, typeclass);
    }
}

/// The text objects were told in the last turn (taken before the next turn drops it).
fn told(t: &mut TestWorld) -> Vec<String> {
    t.w()
        .take_deliveries()
        .into_iter()
        .map(|d| d.text)
        .collect()
}

/// Nothing `touch` did survived the failed turn: no message, no `db` or `ndb` value.
#[track_caller]
fn assert_nothing_kept(t: &mut TestWorld, a: ObjectId, typeclass: &str) {
    assert_eq!(told(t), Vec::<String>::new(), "{typeclass}: told");
    assert_eq!(t.db(a, "touched"), None, "{typeclass}: db kept");
    assert_eq!(t.ndb(a, "touched"), None, "{typeclass}: ndb kept");
}

/// The twin still serves after the failure, on a fresh instance, and a `touch` that succeeds
/// keeps what it did (so the checks above can fail).
#[track_caller]
fn assert_serves_and_keeps(t: &mut TestWorld, a: ObjectId, typeclass: &str) {
    assert_eq!(
        t.w().command(a, a, "touch bump").ok(),
        Some(true),
        "{typeclass}"
    );
    assert_eq!(told(t), ["touched"], "{typeclass}");
    assert_eq!(t.db(a, "touched"), Some(Value::Bool(true)), "{typeclass}");
    assert_eq!(t.ndb(a, "touched"), Some(Value::Bool(true)), "{typeclass}");
    assert_eq!(t.db(a, "bumps"), Some(Value::Int(1)), "{typeclass}");
}

/// Generous time limits for the tests about other limits (a loaded CI machine).
fn patient() -> WorldOptions {
    let mut options = WorldOptions::default();
    options.sandbox.hook_deadline = Duration::from_secs(10);
    options.sandbox.turn_budget = Duration::from_secs(20);
    options
}

#[test]
fn a_hook_past_its_deadline_is_cut_and_keeps_nothing() {
    for_both(&WorldOptions::default(), |t, a, typeclass| {
        let started = Instant::now();
        let (detail, charged) = expect_limit(t.w().command(a, a, "touch loop"), Limit::HookTime);
        assert!(detail.contains("50ms"), "{typeclass}: {detail}");
        assert_eq!(charged.as_deref(), Some(typeclass));
        assert!(started.elapsed() < Duration::from_secs(5), "{typeclass}");
        assert_nothing_kept(t, a, typeclass);
        assert_serves_and_keeps(t, a, typeclass);
    });
}

#[test]
fn memory_past_the_cap_fails_the_hook_and_keeps_nothing() {
    for_both(&patient(), |t, a, typeclass| {
        // Well under the 64 MiB cap (CPython's own heap included) an allocation works...
        t.cmd(a, "alloc-mib 16");
        assert_eq!(
            t.ndb(a, "allocated"),
            Some(Value::Int(16 << 20)),
            "{typeclass}"
        );
        // ...and hoarding without end stops at the cap, naming it.
        let (detail, charged) = expect_limit(t.w().command(a, a, "touch alloc"), Limit::Memory);
        assert!(
            detail.contains("memory cap reached") && detail.contains(&(64u64 << 20).to_string()),
            "{typeclass}: {detail}"
        );
        assert_eq!(charged.as_deref(), Some(typeclass));
        assert_nothing_kept(t, a, typeclass);
        assert_serves_and_keeps(t, a, typeclass);
    });
}

#[test]
fn a_hook_cannot_sleep_or_wait() {
    for_both(&WorldOptions::default(), |t, a, typeclass| {
        for input in ["touch sleep 3600", "touch sleep-loop"] {
            let started = Instant::now();
            let (detail, charged) = expect_limit(t.w().command(a, a, input), Limit::Blocking);
            assert!(
                detail.contains("may not wait"),
                "{typeclass} {input}: {detail}"
            );
            assert_eq!(charged.as_deref(), Some(typeclass));
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{typeclass} {input} blocked"
            );
            assert_nothing_kept(t, a, typeclass);
        }
        assert_serves_and_keeps(t, a, typeclass);
    });
}

#[test]
fn a_failing_hook_keeps_nothing_and_says_why() {
    for_both(&WorldOptions::default(), |t, a, typeclass| {
        match t.w().command(a, a, "touch fail") {
            Err(WorldError::Hook {
                typeclass: charged,
                hook: "at-command",
                trapped: false,
                detail,
                ..
            }) => {
                assert_eq!(charged, typeclass);
                assert!(detail.contains("fails on purpose"), "{typeclass}: {detail}");
            }
            other => panic!("{typeclass}: expected the hook's error, got {other:?}"),
        }
        assert_nothing_kept(t, a, typeclass);
        assert_serves_and_keeps(t, a, typeclass);
    });
}

#[test]
fn a_flush_keeps_db_and_drops_ndb_only_when_forced() {
    for_both(&WorldOptions::default(), |t, a, typeclass| {
        t.cmd(a, "bump");
        let report = t.w().flush(FlushScope::Object(a), false);
        assert_eq!(report.dropped, 0, "{typeclass}: an ndb holder is kept");
        let report = t.w().flush(FlushScope::Object(a), true);
        assert_eq!(report.dropped, 1, "{typeclass}");
        assert_eq!(report.discarded_ndb, [(a, vec!["bumps".to_string()])]);
        let loads = t.w().stats().cache.loads;
        t.cmd(a, "bump");
        assert_eq!(
            t.w().stats().cache.loads,
            loads + 1,
            "{typeclass}: reloaded"
        );
        assert_eq!(t.db(a, "bumps"), Some(Value::Int(2)), "{typeclass}");
        assert_eq!(t.ndb(a, "bumps"), Some(Value::Int(1)), "{typeclass}");
    });
}

#[test]
fn a_hot_reload_keeps_db_and_ndb() {
    for_both(&WorldOptions::default(), |t, a, typeclass| {
        t.cmd(a, "bump");
        let again = load_script(&runtime().0, typeclass);
        assert!(t.w().install(again).unwrap(), "{typeclass}: replaced");
        t.cmd(a, "bump");
        assert_eq!(t.db(a, "bumps"), Some(Value::Int(2)), "{typeclass}");
        assert_eq!(t.ndb(a, "bumps"), Some(Value::Int(2)), "{typeclass}");
    });
}

#[test]
fn an_object_whose_at_init_fails_is_not_loaded() {
    for_both(&WorldOptions::default(), |t, a, typeclass| {
        t.w()
            .set_attr(a, AttrKind::Db, "fail_init", Value::Bool(true))
            .unwrap();
        t.w().flush(FlushScope::Object(a), true);
        match t.w().key(a) {
            Err(WorldError::Hook {
                hook: "at-init",
                detail,
                ..
            }) => assert!(detail.contains("fails on purpose"), "{typeclass}: {detail}"),
            other => panic!("{typeclass}: expected at-init's error, got {other:?}"),
        }
        assert_eq!(t.w().stats().cache.entries, 0, "{typeclass}");
    });
}

/// Many big typeclasses cannot pile up idle memory: the pools of all typeclasses together stay
/// within their budget, the least recently used typeclass's idle instances giving way first.
#[test]
fn idle_python_instances_stay_within_the_pool_budget() {
    let mut options = WorldOptions::default();
    // Room for one idle Python instance (~12 MiB of linear memory), not two.
    options.sandbox.idle_memory_bytes = 20 << 20;
    let mut t = TestWorld::with_options(options);
    let a = t.w().create("villain", "pyadversary", None).unwrap();
    let b = t.w().create("bench", "pybench", None).unwrap();
    let dropped = t.w().stats().idle_instances.dropped;
    t.cmd(a, "bump");
    let idle = t.w().stats().idle_instances;
    assert_eq!(idle.count, 1, "{idle:?}");
    assert!(idle.bytes > 8 << 20, "a Python instance: {idle:?}");
    // pybench's instance goes back to the pool; pyadversary's, used longer ago, gives way.
    t.cmd(b, "noop");
    let idle = t.w().stats().idle_instances;
    assert_eq!((idle.count, idle.dropped), (1, dropped + 2), "{idle:?}");
    let made = t.w().stats().instantiations;
    t.cmd(b, "noop");
    assert_eq!(
        t.w().stats().instantiations,
        made,
        "pybench's instance was kept"
    );
    t.cmd(a, "bump");
    assert_eq!(
        t.w().stats().instantiations,
        made + 1,
        "pyadversary's was dropped"
    );
    // Nine instances at once (eight nested creations): at most the budget stays idle.
    t.cmd(b, "nest 8");
    let idle = t.w().stats().idle_instances;
    assert!(idle.bytes <= 20 << 20, "{idle:?}");
    assert_eq!(idle.count, 1, "{idle:?}");
    assert_eq!(t.db(a, "bumps"), Some(Value::Int(2)));
}
