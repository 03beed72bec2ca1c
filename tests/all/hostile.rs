//! Hostile typeclasses against the host's limits: each test drives the `adversary` typeclass
//! into one limit and checks that the limit holds, that the turn fails whole with a typed
//! error charged to the right typeclass, and that the world keeps serving.
//!
//! The bug stories: a guest's `sleep` held the world thread for an hour; nested deep recursion
//! overflowed the world thread's native stack (the process aborted); 100,000 events of 45 ms
//! each stalled the world for 80 minutes; a looping `at-init` got the innocent hook that
//! loaded it quarantined; two objects messaging each other grew the host by gigabytes; `ndb`
//! and interned names grew without bound; events past a cap were dropped while the caller was
//! told "ok"; a quarantined typeclass's vetoes said yes.

use std::time::{Duration, Instant};

use crate::TestWorld;
use wasmud::{AttrKind, FlushScope, Limit, ObjectId, Value, WorldError, WorldOptions};
use wasmud_tests::{expect_limit, hits};

/// Options with time limits far beyond what a test needs, for tests about other limits: on a
/// loaded CI machine a slow turn must not hit a time limit first.
fn patient() -> WorldOptions {
    let mut options = WorldOptions::default();
    options.sandbox.hook_deadline = Duration::from_secs(10);
    options.sandbox.turn_budget = Duration::from_secs(20);
    options
}

fn adversary(t: &mut TestWorld, key: &str) -> ObjectId {
    t.w().create(key, "adversary", None).unwrap()
}

/// The world still serves: a counter counts.
fn assert_still_serving(t: &mut TestWorld) {
    let counter = t.w().create("witness", "counter", None).unwrap();
    t.cmd(counter, "incr");
    assert_eq!(t.db(counter, "count"), Some(Value::Int(1)));
}

#[test]
fn a_hook_cannot_sleep_or_wait_on_the_world_thread() {
    let mut t = TestWorld::new();
    let a = adversary(&mut t, "sleeper");
    for input in ["sleep 3600", "poll-far", "sleep-loop"] {
        let started = Instant::now();
        let (detail, charged) = expect_limit(t.w().command(a, a, input), Limit::Blocking);
        assert!(detail.contains("may not wait"), "{input}: {detail}");
        assert_eq!(charged.as_deref(), Some("adversary"));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{input} blocked"
        );
    }
    assert_eq!(hits(t.w(), Limit::Blocking), 3);
    assert_still_serving(&mut t);
}

/// `nest <levels> <frames>`: every level fills about two thirds of its 512 KiB wasm stack
/// (measured: one level overflows between 3,500 and 4,000 frames), then nests.
const FRAMES: u64 = 2500;

#[test]
fn deep_recursion_at_every_nesting_depth_is_a_typed_error_on_the_world_thread() {
    // Every depth traps once: keep the typeclass out of quarantine for the whole sweep.
    let mut options = patient();
    options.sandbox.quarantine_after = 1000;
    let t = TestWorld::with_options(options);
    let (world, path) = t.into_world();
    let (thread, handle) = wasmud::server::WorldThread::spawn(world);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let a = handle
            .call(|w| w.create("nester", "adversary", None))
            .await
            .unwrap()
            .unwrap();
        for levels in 0..wasmud::runtime::MAX_HOOK_DEPTH as u64 {
            let input = format!("nest {levels} {FRAMES}");
            let result = handle.call(move |w| w.command(a, a, &input)).await.unwrap();
            let (detail, charged) = expect_limit(result, Limit::WasmStack);
            // The innermost level overflowed: every level above held half a stack and lived.
            assert!(
                detail.contains(&format!("at nesting depth {}", levels + 1)),
                "{levels} levels: {detail}"
            );
            assert_eq!(charged.as_deref(), Some("adversary"));
        }
        let input = format!("nest {} 10", wasmud::runtime::MAX_HOOK_DEPTH);
        let result = handle.call(move |w| w.command(a, a, &input)).await.unwrap();
        expect_limit(result, Limit::Depth);
        // Nothing of those turns was kept: no nested object exists.
        let objects = handle.call(|w| w.object_count()).await.unwrap().unwrap();
        assert_eq!(objects, 1);
    });
    drop(handle);
    thread.stop().unwrap();
    drop(path);
}

#[test]
fn a_small_native_stack_refuses_to_nest_instead_of_crashing() {
    let t = TestWorld::with_options(patient());
    let (mut world, _dir) = t.into_world();
    // A thread with the default 2 MiB stack: nesting stops with an error, the process lives.
    let outcome = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let a = world.create("nester", "adversary", None).unwrap();
            world.command(a, a, &format!("nest 23 {FRAMES}"))
        })
        .unwrap()
        .join()
        .expect("the thread survived");
    let (detail, _) = expect_limit(outcome, Limit::NativeStack);
    assert!(detail.contains("native stack"), "{detail}");
}

#[test]
fn a_turn_of_many_short_events_stops_at_the_turn_budget() {
    let mut t = TestWorld::new();
    let a = adversary(&mut t, "chain");
    t.w()
        .set_attr(a, AttrKind::Db, "links", Value::Int(0))
        .unwrap();
    let started = Instant::now();
    // Every link burns 20 ms (under the 50 ms hook deadline) and queues the next: endless.
    let (detail, charged) = expect_limit(t.w().command(a, a, "slow-chain 20"), Limit::TurnTime);
    let took = started.elapsed();
    assert!(detail.contains("250ms"), "{detail}");
    assert_eq!(charged.as_deref(), Some("adversary"));
    assert!(took < Duration::from_secs(2), "the turn ran {took:?}");
    assert_eq!(t.db(a, "links"), Some(Value::Int(0)), "rolled back whole");
    assert_still_serving(&mut t);
}

#[test]
fn a_looping_at_init_is_blamed_on_its_own_typeclass_not_on_the_caller() {
    let mut options = WorldOptions::default();
    options.sandbox.quarantine_after = 3;
    let mut t = TestWorld::with_options(options);
    let counter = t.w().create("innocent", "counter", None).unwrap();
    let trap = adversary(&mut t, "trap");
    t.w()
        .set_attr(trap, AttrKind::Db, "loop_on_init", Value::Bool(true))
        .unwrap();
    for _ in 0..3 {
        // Not cached: the counter's lookup loads it and runs its looping at-init.
        t.w().flush(FlushScope::Object(trap), false);
        let result = t.w().command(counter, counter, &format!("lookup {trap}"));
        let (detail, charged) = expect_limit(result, Limit::HookTime);
        assert!(detail.contains("at-init"), "{detail}");
        assert_eq!(charged.as_deref(), Some("adversary"));
    }
    let quarantined = t.w().stats().quarantined;
    assert_eq!(quarantined, vec!["adversary"], "the counter was not blamed");
    // With the culprit quarantined its at-init is skipped: the lookup works again.
    t.w().flush(FlushScope::Object(trap), false);
    t.cmd(counter, &format!("lookup {trap}"));
    t.cmd(counter, "incr");
}

#[test]
fn messages_that_multiply_fail_the_turn_at_the_queue_caps() {
    let mut t = TestWorld::with_options(patient());
    let (a, b) = (adversary(&mut t, "ping"), adversary(&mut t, "pong"));
    t.w()
        .set_attr(a, AttrKind::Db, "peer", Value::Object(b))
        .unwrap();
    t.w()
        .set_attr(b, AttrKind::Db, "peer", Value::Object(a))
        .unwrap();
    // A short text re-sent 10 times at each hop: the count cap stops it.
    let (detail, charged) = expect_limit(t.w().command(a, a, "ping-pong 10 10"), Limit::Events);
    assert!(detail.contains("events queued"), "{detail}");
    assert_eq!(charged.as_deref(), Some("adversary"));
    // 1 KB re-sent 10 times at each hop: the byte cap stops it first.
    expect_limit(t.w().command(a, a, "ping-pong 1000 10"), Limit::EventBytes);
    // 60,000 bytes passed back and forth: the byte cap stops it.
    let (detail, _) = expect_limit(t.w().command(a, a, "ping-pong 60000 1"), Limit::EventBytes);
    assert!(detail.contains("bytes of messages"), "{detail}");
    assert!(
        t.w().take_deliveries().is_empty(),
        "nothing of the failed turns is delivered"
    );
    assert_still_serving(&mut t);
}

#[test]
fn an_event_past_the_cap_fails_the_turn_instead_of_being_dropped() {
    let mut options = WorldOptions::default();
    options.limits.max_events_per_turn = 100;
    let mut t = TestWorld::with_options(options);
    let a = adversary(&mut t, "spammer");
    t.cmd(a, "spam 100");
    assert_eq!(t.db(a, "spammed"), Some(Value::Bool(true)));
    t.w()
        .set_attr(a, AttrKind::Db, "spammed", Value::Bool(false))
        .unwrap();
    expect_limit(t.w().command(a, a, "spam 101"), Limit::Events);
    // The turn's own write is gone with it: not a partial commit.
    assert_eq!(t.db(a, "spammed"), Some(Value::Bool(false)));
    t.restart();
    assert_eq!(t.db(a, "spammed"), Some(Value::Bool(false)));
}

#[test]
fn ndb_is_budgeted_per_object_and_world_wide() {
    let mut options = patient();
    options.limits.ndb_bytes_per_object = 1 << 20;
    options.limits.ndb_bytes_total = 3 << 20;
    let mut t = TestWorld::with_options(options);
    let a = adversary(&mut t, "hoarder");
    t.cmd(a, "ndb-flood 100");
    let err = t.db(a, "last_error").unwrap().to_string();
    assert!(
        err.contains("InvalidArgument") && err.contains("ndb budget"),
        "{err}"
    );
    // ~10 values of 100 KiB fit in 1 MiB, no more.
    assert_eq!(t.db(a, "flood_stored"), Some(Value::Int(10)));
    assert!(t.w().stats().ndb_bytes <= 1 << 20);
    for n in 0..3 {
        let b = adversary(&mut t, &format!("hoarder{n}"));
        t.cmd(b, "ndb-flood 100");
    }
    let last = t.w().search("hoarder2").unwrap()[0];
    let err = t.db(last, "last_error").unwrap().to_string();
    assert!(
        err.contains("Internal") && err.contains("world-wide"),
        "{err}"
    );
    let stats = t.w().stats();
    assert!(stats.ndb_bytes <= 3 << 20, "{}", stats.ndb_bytes);
    assert!(hits(t.w(), Limit::NdbObject) >= 1 && hits(t.w(), Limit::NdbTotal) >= 1);
    // A forced flush gives the budget back.
    t.w().flush(FlushScope::All, true);
    assert_eq!(t.w().stats().ndb_bytes, 0);
}

#[test]
fn interned_names_do_not_grow_without_bound() {
    let mut t = TestWorld::with_options(patient());
    let a = adversary(&mut t, "namer");
    let baseline = t.w().stats().names;
    // Failing writes to a deleted object intern nothing.
    for _ in 0..6 {
        t.cmd(a, "set-on-deleted 50000");
    }
    assert!(
        t.w().stats().names <= baseline + 2,
        "{}",
        t.w().stats().names
    );
    // Names set and removed again are reclaimed: 1M of them leave the interner small.
    for _ in 0..20 {
        t.cmd(a, "churn-names 50000");
    }
    let names = t.w().stats().names;
    assert!(names < 2 * 50_000 + 4096 + baseline, "{names} names kept");
    assert_still_serving(&mut t);
}

#[test]
fn a_quarantined_or_missing_typeclass_fails_closed() {
    let mut options = WorldOptions::default();
    options.sandbox.quarantine_after = 2;
    let mut t = TestWorld::with_options(options);
    let room = t.w().create("room", "room", None).unwrap();
    let a = t.w().create("villain", "adversary", Some(room)).unwrap();
    for _ in 0..2 {
        assert!(matches!(
            t.w().command(a, a, "panic"),
            Err(WorldError::Hook { trapped: true, .. })
        ));
    }
    assert_eq!(t.w().stats().quarantined, vec!["adversary"]);
    // Its vetoes refuse, its commands are not run, creating one fails.
    assert!(
        matches!(t.w().move_to(a, None), Err(WorldError::Vetoed(m)) if m.contains("unavailable"))
    );
    assert!(matches!(t.w().delete(a), Err(WorldError::Vetoed(m)) if m.contains("unavailable")));
    assert!(matches!(
        t.w().command(a, a, "env"),
        Err(WorldError::Unavailable { .. })
    ));
    assert!(t.w().create("another", "adversary", None).is_err());
    assert_eq!(t.w().location(a).unwrap(), Some(room));
    // Plain reads still work: an operator can look at it.
    assert_eq!(t.w().key(a).unwrap(), "villain");

    // A typeclass whose component is missing (failed to load) fails closed the same way.
    let (runtime, all) = wasmud_tests::runtime();
    let mut without = wasmud::Scripts::default();
    for name in all.names().filter(|n| *n != "adversary") {
        without.insert(wasmud_tests::load_script(runtime, name));
    }
    t.reopen_with(&without);
    assert!(
        matches!(t.w().move_to(a, None), Err(WorldError::Vetoed(m)) if m.contains("not installed"))
    );
    assert!(matches!(t.w().delete(a), Err(WorldError::Vetoed(_))));
    assert_eq!(t.w().location(a).unwrap(), Some(room));
}

#[test]
fn created_and_deleted_objects_do_not_stay_on_the_clock_ring() {
    let mut t = TestWorld::with_options(patient());
    let c = t.w().create("spawner", "counter", None).unwrap();
    for _ in 0..20 {
        t.cmd(c, "spawn 1000");
        for id in t.w().search("spawn-0").unwrap() {
            t.w().delete(id).unwrap();
        }
        for n in 1..1000 {
            for id in t.w().search(&format!("spawn-{n}")).unwrap() {
                t.w().delete(id).unwrap();
            }
        }
    }
    let stats = t.w().stats().cache;
    assert!(stats.ring <= 2 * stats.entries + 1024 + 1, "{stats:?}");
}

#[test]
fn deliveries_nobody_takes_do_not_pile_up() {
    let mut t = TestWorld::new();
    // A plain object accepts every message (nobody listens to it yet: no players exist).
    let room = t.w().create("statue", "object", None).unwrap();
    for n in 0..100 {
        t.w().msg(room, &format!("announcement {n}"), None).unwrap();
    }
    // Each turn's deliveries are held only until the next turn begins.
    let stats = t.w().stats();
    assert_eq!(stats.deliveries_dropped, 99, "{stats:?}");
    assert_eq!(t.w().take_deliveries().len(), 1);
    // A caller that takes them right after its turn gets exactly its own.
    t.w().msg(room, "mine", None).unwrap();
    let mine = t.w().take_deliveries();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].text, "mine");
}

#[test]
fn overwriting_a_big_value_in_a_loop_hits_the_undo_budget() {
    let mut t = TestWorld::with_options(patient());
    let a = adversary(&mut t, "overwriter");
    // 1 MiB overwritten 100 times: the old values kept for a rollback would be 100 MiB.
    let (detail, charged) =
        expect_limit(t.w().command(a, a, "overwrite 100 1024"), Limit::UndoBytes);
    assert!(detail.contains("rollback"), "{detail}");
    assert_eq!(charged.as_deref(), Some("adversary"));
    assert_eq!(t.ndb(a, "scratch"), None, "rolled back whole");
}

#[test]
fn a_victim_is_not_charged_for_limits_someone_else_filled() {
    let mut options = patient();
    options.limits.max_events_per_turn = 100;
    options.sandbox.max_handles = 50;
    options.sandbox.quarantine_after = 2;
    let mut t = TestWorld::with_options(options);
    let room = t.w().create("hall", "room", None).unwrap();
    t.w().create("listener", "counter", Some(room)).unwrap();
    let a = adversary(&mut t, "spammer");
    // The adversary queues 100 events, then the room queues the one past the cap.
    for _ in 0..2 {
        let (_, charged) = expect_limit(
            t.w().command(a, a, &format!("spam-then-room 100 {room}")),
            Limit::Events,
        );
        assert_eq!(charged.as_deref(), Some("adversary"));
    }
    // A room filled past its handle limit refuses to list its contents (an error value the
    // room's hook gets), without being charged.
    let crowded = t.w().create("crowded", "room", None).unwrap();
    for n in 0..60 {
        t.w()
            .create(&format!("guest{n}"), "object", Some(crowded))
            .unwrap();
    }
    for _ in 0..3 {
        t.w().msg(crowded, "hello", None).unwrap();
    }
    assert_eq!(hits(t.w(), Limit::Handles), 0);
    assert_eq!(t.w().stats().quarantined, vec!["adversary"]);
}

#[test]
fn the_adversary_without_grants_gets_not_permitted_and_changes_nothing() {
    let mut t = TestWorld::new();
    let room = t.w().create("hall", "room", None).unwrap();
    let listener = t.w().create("listener", "counter", Some(room)).unwrap();
    let a = adversary(&mut t, "intruder");
    let grants = "room = [\"msg\"]\ncounter = [\"msg\"]\n";
    let table = wasmud::grants::GrantTable::parse(grants, "test").unwrap();
    t.w().set_grants(table);
    // Its own spam is allowed, but reaching the room by id is not: the hook fails, and the
    // spam it queued goes with it.
    let err = t
        .w()
        .command(a, a, &format!("spam-then-room 3 {room}"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("not permitted: adversary: lookup #{room}")),
        "{err}"
    );
    assert!(t.w().take_deliveries().is_empty());
    // Creating needs `create`: refused before anything exists.
    let before = t.w().object_count().unwrap();
    let err = t
        .w()
        .command(a, a, "set-on-deleted 1")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("create an object (needs the `create` grant)"),
        "{err}"
    );
    assert_eq!(t.w().object_count().unwrap(), before);
    assert_eq!(t.w().stats().refusals, [("adversary".to_owned(), 2)]);
    assert_eq!(t.db(listener, "count"), Some(wasmud::value::Value::Int(0)));
}
