//! Timers through real components and real redb files, on an injected clock (no test sleeps):
//! firing order and exact counts, rhythm and catch-up after downtime, flushed and deleted
//! objects, failures, retries, parking, limits, quarantine, hot reload, and 100,000 timers due
//! at once. (SIGKILL during downtime: `host/tests/crash.rs`.)

use std::sync::Arc;
use std::time::Duration;

use crate::TestWorld;
use wasmud::runtime::Hook;
use wasmud::world::{ManualClock, TickOutcome, TimerFire};
use wasmud::{FlushScope, Limit, ObjectId, Value, WorldError, WorldLimits, WorldOptions};
use wasmud_tests::{hits, load_script, runtime, text};

const T0: u64 = 1_700_000_000_000;

fn world_with(clock: &ManualClock, limits: WorldLimits) -> TestWorld {
    TestWorld::with_options(WorldOptions {
        clock: Arc::new(clock.clone()),
        limits,
        ..WorldOptions::default()
    })
}

fn world(clock: &ManualClock) -> TestWorld {
    world_with(clock, WorldLimits::default())
}

fn names(fires: &[TimerFire]) -> Vec<&str> {
    fires.iter().map(|f| f.name.as_str()).collect()
}

fn int(t: &mut TestWorld, id: ObjectId, name: &str) -> i64 {
    match t.db(id, name) {
        Some(Value::Int(n)) => n,
        None => 0,
        other => panic!("{name}: {other:?}"),
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn timers_fire_in_due_order_with_exact_counts() {
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let c = t.w().create("c", "counter", None).unwrap();
    t.cmd(c, "after a 300");
    t.cmd(c, "after b 100");
    t.cmd(c, "every r 200");
    assert!(t.w().fire_due_timers(100).is_empty(), "nothing is due yet");
    let mut order = Vec::new();
    for _ in 0..4 {
        clock.advance(ms(100));
        let fires = t.w().fire_due_timers(100);
        assert!(
            fires.iter().all(|f| f.outcome == TickOutcome::Fired),
            "{fires:?}"
        );
        order.extend(names(&fires).into_iter().map(str::to_owned));
    }
    assert_eq!(order, ["b", "r", "a", "r"]);
    assert_eq!(t.db(c, "tick_log"), text("b,r,a,r"));
    assert_eq!(int(&mut t, c, "tick.r"), 2);
    // One-shots are gone; the repeating timer is on its next beat.
    let left = t.w().timers(Some(c), 10).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(
        (left[0].name.as_str(), left[0].due_ms, left[0].interval_ms),
        ("r", T0 + 600, Some(200))
    );
    // Several due at once fire earliest first.
    t.cmd(c, "after y 150");
    t.cmd(c, "after x 120");
    clock.advance(ms(1_000));
    assert_eq!(names(&t.w().fire_due_timers(100)), ["x", "y", "r"]);
    let stats = t.w().stats();
    assert_eq!(stats.timer_counters.fired, 7);
    assert_eq!(stats.timers, 1);
}

#[test]
fn a_repeating_timer_fires_once_after_downtime_then_keeps_its_rhythm() {
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let c = t.w().create("c", "counter", None).unwrap();
    t.cmd(c, "every beat 1000");
    t.cmd(c, "after once 500");
    // Ten seconds of downtime with a 1 s interval: one fire, not ten.
    t.restart_after(|| clock.advance(ms(10_500)));
    let fires = t.w().fire_due_timers(100);
    assert_eq!(names(&fires), ["once", "beat"]);
    assert_eq!(t.w().timers(Some(c), 10).unwrap()[0].due_ms, T0 + 11_000);
    clock.advance(ms(499));
    assert!(t.w().fire_due_timers(100).is_empty());
    clock.advance(ms(1));
    assert_eq!(names(&t.w().fire_due_timers(100)), ["beat"]);
    assert_eq!(int(&mut t, c, "tick.beat"), 2);
    assert_eq!(int(&mut t, c, "tick.once"), 1);
}

#[test]
fn a_timer_on_a_flushed_object_loads_it_and_runs_its_at_init() {
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let c = t.w().create("c", "counter", None).unwrap();
    t.cmd(c, "after wake 100");
    let inits = int(&mut t, c, "init_count");
    t.w().flush(FlushScope::All, true);
    assert_eq!(t.w().stats().cache.entries, 0);
    clock.advance(ms(100));
    assert_eq!(names(&t.w().fire_due_timers(10)), ["wake"]);
    assert_eq!(t.w().stats().cache.entries, 1, "loaded to fire");
    assert_eq!(int(&mut t, c, "init_count"), inits + 1);
    assert_eq!(int(&mut t, c, "tick.wake"), 1);
}

#[test]
fn replacing_cancelling_and_a_failed_hook_schedule_exactly_what_they_say() {
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let c = t.w().create("c", "counter", None).unwrap();
    t.cmd(c, "after x 5000");
    t.cmd(c, "every x 200");
    t.cmd(c, "timers");
    assert_eq!(t.db(c, "timer_list"), text("x:Some(200)"), "replaced");
    t.cmd(c, "cancel x");
    assert_eq!(t.db(c, "cancelled"), Some(Value::Bool(true)));
    t.cmd(c, "cancel x");
    assert_eq!(t.db(c, "cancelled"), Some(Value::Bool(false)));
    // A hook that schedules and then fails schedules nothing.
    assert!(t.w().command(c, c, "after-then-fail y 100").is_err());
    assert!(t.w().timers(Some(c), 10).unwrap().is_empty());
    clock.advance(ms(10_000));
    assert!(t.w().fire_due_timers(10).is_empty());
    assert_eq!(t.w().timer_count().unwrap(), 0);
}

#[test]
fn bad_delays_and_names_are_refused_and_counts_are_bounded() {
    let clock = ManualClock::new(T0);
    let limits = WorldLimits {
        timers_per_object: 3,
        timers_total: 5,
        ..WorldLimits::default()
    };
    let mut t = world_with(&clock, limits);
    let c = t.w().create("c", "counter", None).unwrap();
    let d = t.w().create("d", "counter", None).unwrap();
    for bad in ["after x 99", "every x 0", "after x 315360000001"] {
        t.cmd(c, bad);
        let err = t.ndb(c, "last_error");
        assert!(
            matches!(&err, Some(Value::Text(e)) if e.starts_with("InvalidArgument")),
            "{bad}: {err:?}"
        );
    }
    let bad_name = t.w().schedule_timer(c, "", ms(100), false);
    assert!(matches!(bad_name, Err(WorldError::InvalidArgument(_))));
    for name in ["a", "b", "c"] {
        t.cmd(c, &format!("after {name} 100"));
        assert_eq!(t.ndb(c, "last_error"), text("ok"));
    }
    // The fourth of one object is refused; replacing one of the three is fine.
    t.cmd(c, "after d 100");
    let err = t.ndb(c, "last_error");
    assert!(
        matches!(&err, Some(Value::Text(e)) if e.contains("already has 3 timers")),
        "{err:?}"
    );
    t.cmd(c, "after a 500");
    assert_eq!(t.ndb(c, "last_error"), text("ok"));
    // The world's limit.
    t.cmd(d, "after a 100");
    t.cmd(d, "after b 100");
    t.cmd(d, "after c 100");
    let err = t.ndb(d, "last_error");
    assert!(
        matches!(&err, Some(Value::Text(e)) if e.contains("the world already has 5 timers")),
        "{err:?}"
    );
    assert_eq!(hits(t.w(), Limit::Timers), 2);
    assert_eq!(t.w().timer_count().unwrap(), 5);
}

#[test]
fn deleting_an_object_deletes_its_timers_unless_the_delete_is_vetoed() {
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let c = t.w().create("c", "counter", None).unwrap();
    let keeper = t.w().create("keeper", "counter", None).unwrap();
    t.cmd(c, "after x 100");
    t.cmd(c, "every y 100");
    t.cmd(keeper, &format!("after-on {c} z 100"));
    t.w()
        .set_attr(c, wasmud::AttrKind::Db, "undeletable", Value::Bool(true))
        .unwrap();
    assert!(t.w().delete(c).is_err());
    assert_eq!(t.w().timers(Some(c), 10).unwrap().len(), 3);
    t.w()
        .set_attr(c, wasmud::AttrKind::Db, "undeletable", Value::Bool(false))
        .unwrap();
    t.w().delete(c).unwrap();
    assert_eq!(t.w().timer_count().unwrap(), 0);
    clock.advance(ms(1_000));
    assert!(t.w().fire_due_timers(10).is_empty());
    assert!(matches!(
        t.w().timers(Some(c), 10),
        Err(WorldError::Deleted(_))
    ));
}

#[test]
fn a_failing_one_shot_keeps_its_row_retries_with_backoff_then_parks() {
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let a = t.w().create("a", "adversary", None).unwrap();
    t.cmd(a, "after fail-once 100");
    clock.advance(ms(100));
    let mut retry_delays = Vec::new();
    for round in 1..=5u32 {
        let fires = t.w().fire_due_timers(10);
        assert_eq!(fires.len(), 1, "round {round}: {fires:?}");
        let TickOutcome::Failed { error, parked } = &fires[0].outcome else {
            panic!("round {round}: {fires:?}");
        };
        assert!(error.contains("fails on purpose"), "{error}");
        assert_eq!(*parked, round == 5);
        // Nothing of the failed hook stays.
        assert_eq!(t.db(a, "ticked"), None);
        let row = &t.w().timers(Some(a), 10).unwrap()[0];
        assert_eq!(row.failures, round);
        assert_eq!(row.parked, round == 5);
        assert!(
            row.last_error
                .as_deref()
                .unwrap()
                .contains("fails on purpose")
        );
        retry_delays.push(row.due_ms - clock_now(&clock));
        clock.advance(ms(row.due_ms - clock_now(&clock)));
    }
    assert_eq!(retry_delays[..4], [1_000, 2_000, 4_000, 8_000]);
    // Parked: it fires no more, and the admin sees it.
    clock.advance(ms(3_600_000));
    assert!(t.w().fire_due_timers(10).is_empty());
    let stats = t.w().stats();
    assert_eq!(
        (stats.timer_counters.failed, stats.timer_counters.parked),
        (5, 1)
    );
    assert_eq!(stats.timers, 1);
    // Scheduling it again unparks it.
    t.cmd(a, "after fine 100");
    t.cmd(a, "after fail-once 100");
    assert!(!t.w().timers(Some(a), 10).unwrap()[0].parked);
}

fn clock_now(clock: &ManualClock) -> u64 {
    use wasmud::world::Clock as _;
    clock.now_ms()
}

#[test]
fn a_trapping_or_looping_at_tick_keeps_its_row_and_nothing_else() {
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let a = t.w().create("a", "adversary", None).unwrap();
    t.cmd(a, "after trap 100");
    t.cmd(a, "every spin 200");
    clock.advance(ms(200));
    let fires = t.w().fire_due_timers(10);
    assert_eq!(names(&fires), ["trap", "spin"]);
    for fire in &fires {
        assert!(
            matches!(fire.outcome, TickOutcome::Failed { parked: false, .. }),
            "{fire:?}"
        );
    }
    let TickOutcome::Failed { error, .. } = &fires[1].outcome else {
        unreachable!()
    };
    assert!(error.contains("hook-time limit"), "{error}");
    assert_eq!(hits(t.w(), Limit::HookTime), 1);
    assert_eq!(t.db(a, "ticked"), None);
    let rows = t.w().timers(Some(a), 10).unwrap();
    assert_eq!(rows.len(), 2, "both rows are kept: {rows:?}");
    assert!(rows.iter().all(|r| r.failures == 1));
    // The repeating one keeps its rhythm through the failure.
    let spin = rows.iter().find(|r| r.name == "spin").unwrap();
    assert_eq!(spin.due_ms, T0 + 400);
}

#[test]
fn a_quarantined_typeclass_s_timers_wait_longer_each_time_and_fire_after_a_reload() {
    use wasmud::world::timers::WAIT_MS;
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let a = t.w().create("a", "adversary", None).unwrap();
    t.cmd(a, "after later 100");
    t.cmd(a, "every beat 30000");
    for _ in 0..5 {
        assert!(t.w().command(a, a, "panic").is_err());
    }
    assert_eq!(t.w().stats().quarantined, ["adversary"]);
    let row = |t: &mut TestWorld, name: &str| {
        let rows = t.w().timers(Some(a), 10).unwrap();
        rows.into_iter().find(|r| r.name == name).unwrap()
    };
    let waiting = |fires: &[TimerFire], name: &str| matches!(fires, [TimerFire { outcome: TickOutcome::Waiting { .. }, name: n, .. }] if n == name);
    clock.advance(ms(100));
    let fires = t.w().fire_due_timers(10);
    assert!(waiting(&fires, "later"), "{fires:?}");
    let later = row(&mut t, "later");
    assert_eq!((later.due_ms, later.failures), (T0 + 100 + WAIT_MS, 0));
    // The second wait is twice as long.
    clock.advance(ms(WAIT_MS));
    assert!(waiting(&t.w().fire_due_timers(10), "later"));
    assert_eq!(row(&mut t, "later").due_ms, T0 + 100 + 3 * WAIT_MS);
    // A repeating timer waits for a beat of its rhythm (the one-shot waits a third time).
    clock.set(T0 + 30_000);
    let fires = t.w().fire_due_timers(10);
    assert_eq!(names(&fires), ["later", "beat"]);
    assert!(
        fires
            .iter()
            .all(|f| matches!(f.outcome, TickOutcome::Waiting { .. }))
    );
    assert_eq!(row(&mut t, "beat").due_ms, T0 + 60_000);
    assert_eq!(row(&mut t, "later").due_ms, T0 + 30_000 + 4 * WAIT_MS);
    // Reloading the typeclass clears the quarantine; each timer fires on its next look.
    let (runtime, _) = runtime();
    t.w().install(load_script(runtime, "adversary")).unwrap();
    clock.set(T0 + 60_000);
    let fires = t.w().fire_due_timers(10);
    assert_eq!(names(&fires), ["later", "beat"]);
    assert!(fires.iter().all(|f| f.outcome == TickOutcome::Fired));
    assert_eq!(row(&mut t, "beat").due_ms, T0 + 90_000, "still on its beat");
    assert_eq!(t.w().stats().timer_counters.waited, 4);
}

#[test]
fn hot_reload_keeps_every_timer() {
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let c = t.w().create("c", "counter", None).unwrap();
    t.cmd(c, "every beat 100");
    t.cmd(c, "after once 250");
    clock.advance(ms(100));
    assert_eq!(t.w().fire_due_timers(10).len(), 1);
    let (runtime, _) = runtime();
    assert!(
        t.w().install(load_script(runtime, "counter")).unwrap(),
        "replaced"
    );
    clock.advance(ms(200));
    assert_eq!(names(&t.w().fire_due_timers(10)), ["beat", "once"]);
    clock.advance(ms(100));
    assert_eq!(names(&t.w().fire_due_timers(10)), ["beat"]);
    assert_eq!(int(&mut t, c, "tick.beat"), 3);
}

#[test]
fn a_component_built_for_the_previous_contract_still_loads_and_its_timers_fire() {
    let clock = ManualClock::new(T0);
    let (runtime, all) = runtime();
    let legacy = runtime
        .load_file(std::path::Path::new(
            wasmud::scripts::fixtures::CONTRACT_0_1_0,
        ))
        .expect("a 0.1.0 component loads on a 0.1.2 host");
    let mut scripts = all.clone();
    scripts.insert(legacy);
    let mut t = world(&clock);
    t.reopen_with(&scripts);
    let old = t.w().create("old", "contract_0_1_0", None).unwrap();
    t.cmd(old, "stamp");
    assert_eq!(t.db(old, "stamped"), Some(Value::Bool(true)));
    // It has no at-tick: a timer scheduled on it fires and does nothing.
    t.w().schedule_timer(old, "noop", ms(100), false).unwrap();
    clock.advance(ms(100));
    assert_eq!(t.w().fire_due_timers(10)[0].outcome, TickOutcome::Fired);
    assert_eq!(t.w().timer_count().unwrap(), 0);
    // Nor puppet hooks (0.1.2): they run as nothing, and succeed.
    for hook in [Hook::PostPuppet, Hook::PreUnpuppet] {
        assert!(t.w().run_hook(old, hook).unwrap());
    }
    // Confined by grants, it sees a refusal as `vetoed("not permitted: ...")`, a case its
    // contract knows; the hook failed, so its write is undone.
    t.w().set_grants(wasmud::grants::GrantTable::default());
    t.w()
        .remove_attr(old, wasmud::world::AttrKind::Db, "stamped")
        .unwrap();
    let stranger = t.w().create("stranger", "object", None).unwrap();
    let err = t
        .w()
        .command(stranger, old, "stamp")
        .unwrap_err()
        .to_string();
    let refused = format!("Vetoed(\"not permitted: contract_0_1_0: send text to #{stranger}");
    assert!(err.contains(&refused), "{err}");
    assert_eq!(t.db(old, "stamped"), None);
}

#[test]
fn a_component_whose_at_tick_has_the_wrong_type_is_rejected_when_it_loads() {
    let (runtime, _) = runtime();
    let path = std::path::Path::new(wasmud::scripts::fixtures::MISTYPED_TICK);
    match runtime.load_file(path) {
        Err(WorldError::Script { detail, .. }) => {
            assert!(detail.contains("mistyped export"), "{detail}");
        }
        Err(other) => panic!("expected a script error, got {other}"),
        Ok(_) => panic!("a mistyped at-tick was accepted (its timers would be lost)"),
    }
}

#[test]
fn a_hundred_thousand_timers_due_at_once_fire_in_turns_of_their_own() {
    const OBJECTS: u64 = 1_000;
    const PER_OBJECT: u64 = 100;
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let objects: Vec<ObjectId> = (0..OBJECTS)
        .map(|i| t.w().create(&format!("c{i}"), "counter", None).unwrap())
        .collect();
    for &id in &objects {
        t.w()
            .atomically(|b| {
                for n in 0..PER_OBJECT {
                    b.schedule_timer(id, &format!("t{n}"), ms(100), false)?;
                }
                Ok(())
            })
            .unwrap();
    }
    assert_eq!(t.w().timer_count().unwrap(), OBJECTS * PER_OBJECT);
    clock.advance(ms(100));
    let mut fired = 0;
    loop {
        let batch = t.w().fire_due_timers(10_000);
        if batch.is_empty() {
            break;
        }
        assert!(batch.iter().all(|f| f.outcome == TickOutcome::Fired));
        fired += batch.len() as u64;
    }
    assert_eq!(fired, OBJECTS * PER_OBJECT);
    assert_eq!(t.w().timer_count().unwrap(), 0);
    assert_eq!(hits(t.w(), Limit::TurnTime), 0);
    let total: i64 = objects.iter().map(|&id| int(&mut t, id, "ticks")).sum();
    assert_eq!(total as u64, OBJECTS * PER_OBJECT);
}

#[test]
fn the_world_thread_serves_jobs_between_due_timers() {
    let clock = ManualClock::new(T0);
    let mut t = world(&clock);
    let c = t.w().create("c", "counter", None).unwrap();
    let ids: Vec<ObjectId> = (0..20_000)
        .map(|i| t.w().create(&format!("o{i}"), "object", None).unwrap())
        .collect();
    for chunk in ids.chunks(1_000) {
        t.w()
            .atomically(|b| {
                for &id in chunk {
                    b.schedule_timer(id, "t", ms(100), false)?;
                }
                Ok(())
            })
            .unwrap();
    }
    let (world, _dir) = t.into_world();
    let (thread, handle) = wasmud::world_thread::WorldThread::spawn(world);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    // Nothing is due until the clock moves (the thread sleeps until then); then a job sent
    // at once is answered after at most one of the 20,000 due timers.
    clock.advance(ms(100));
    let left = rt
        .block_on(handle.call(move |w| {
            w.command(c, c, "incr").unwrap();
            w.timer_count().unwrap()
        }))
        .unwrap();
    assert!(left >= 19_999, "{left} timers left when the job ran");
    // And they all fire, without anyone asking.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let left = rt
            .block_on(handle.call(|w| w.timer_count().unwrap()))
            .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{left} timers never fired"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(handle);
    thread.stop().unwrap();
}
