//! Flushing the cache: each rule and protection, the memory budget, transparent reloads, and
//! proof that nothing (guest handles, indexes, queues) keeps a flushed entry alive.

use std::time::Duration;

use crate::TestWorld;
use wasmud::cache::live_entries;
use wasmud::world::KeepReason;
use wasmud::{AttrKind, FlushScope, Value, WorldOptions};
use wasmud_tests::text;

#[test]
fn a_flushed_object_reloads_transparently_and_runs_at_init_again() {
    let mut t = TestWorld::new();
    let c = t.w().create("c", "counter", None).unwrap();
    t.cmd(c, "incr");
    assert_eq!(t.db(c, "init_count"), Some(Value::Int(1)));
    // The counter holds ndb data, so only a forced flush drops it.
    let report = t.w().flush(FlushScope::Object(c), false);
    assert_eq!((report.dropped, report.kept[&KeepReason::Ndb]), (0, 1));
    let report = t.w().flush(FlushScope::Object(c), true);
    assert_eq!(report.dropped, 1);
    assert_eq!(report.discarded_ndb.len(), 1);
    assert_eq!(report.discarded_ndb[0].0, c);
    assert_eq!(report.discarded_ndb[0].1, vec!["hits", "inits"]);
    assert!(report.bytes_released > 0);

    let loads = t.w().stats().cache.loads;
    t.cmd(c, "incr");
    assert_eq!(t.w().stats().cache.loads, loads + 1, "reloaded once");
    assert_eq!(t.db(c, "count"), Some(Value::Int(2)), "db kept");
    assert_eq!(
        t.db(c, "init_count"),
        Some(Value::Int(2)),
        "at-init ran again"
    );
    assert_eq!(t.ndb(c, "hits"), Some(Value::Int(1)), "ndb started over");
}

#[test]
fn flush_all_keeps_ndb_holders_unless_forced_and_pinned_objects_always() {
    let mut t = TestWorld::new();
    let room = t.w().create("room", "room", None).unwrap();
    let plain: Vec<u64> = (0..20)
        .map(|i| {
            t.w()
                .create(&format!("rock {i}"), "object", Some(room))
                .unwrap()
        })
        .collect();
    let noted = plain[0];
    t.w()
        .set_attr(noted, AttrKind::Ndb, "mood", text("grumpy").unwrap())
        .unwrap();
    let pinned = plain[1];
    t.w().pin(pinned);

    let report = t.w().flush(FlushScope::All, false);
    assert_eq!(report.dropped, 19, "room + 18 rocks");
    assert_eq!(report.kept[&KeepReason::Ndb], 1);
    assert_eq!(report.kept[&KeepReason::Pinned], 1);
    assert_eq!(t.w().stats().cache.entries, 2);
    assert!(report.discarded_ndb.is_empty());

    // A forced flush drops ndb data, but never a pinned entry (a connected player's).
    let report = t.w().flush(FlushScope::All, true);
    assert_eq!(report.dropped, 1);
    assert_eq!(report.kept[&KeepReason::Pinned], 1);
    assert_eq!(
        report.discarded_ndb,
        vec![(noted, vec!["mood".to_string()])]
    );
    assert_eq!(t.w().stats().cache.entries, 1);
    t.w().unpin(pinned);
    assert_eq!(t.w().flush(FlushScope::All, true).dropped, 1);
    assert_eq!(t.w().stats().cache.entries, 0);
    // Everything is still there, reloaded on demand.
    assert_eq!(t.w().contents(room).unwrap(), plain);
    assert_eq!(t.ndb(noted, "mood"), None);
}

#[test]
fn flush_idle_drops_only_what_was_not_touched_recently() {
    let mut t = TestWorld::new();
    let old = t.w().create("old", "object", None).unwrap();
    let fresh = t.w().create("fresh", "object", None).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    t.w().key(fresh).unwrap();
    let report = t
        .w()
        .flush(FlushScope::IdleFor(Duration::from_secs(2)), false);
    assert_eq!(report.dropped, 1);
    assert!(t.w().stats().cache.entries == 1);
    let loads = t.w().stats().cache.loads;
    t.w().key(fresh).unwrap();
    assert_eq!(t.w().stats().cache.loads, loads, "fresh stayed cached");
    t.w().key(old).unwrap();
    assert_eq!(t.w().stats().cache.loads, loads + 1, "old was flushed");
}

#[test]
fn the_budget_evicts_least_recently_used_entries() {
    let options = WorldOptions {
        cache_max_entries: Some(50),
        ..WorldOptions::default()
    };
    let mut t = TestWorld::with_options(options);
    let hot = t.w().create("hot", "object", None).unwrap();
    let mut all = vec![hot];
    for i in 0..300 {
        all.push(t.w().create(&format!("cold {i}"), "object", None).unwrap());
        t.w().key(hot).unwrap(); // keep touching the hot one
        assert!(t.w().stats().cache.entries <= 50);
    }
    let stats = t.w().stats();
    assert!(stats.cache.evictions >= 250, "{stats:?}");
    let loads = stats.cache.loads;
    t.w().key(hot).unwrap();
    assert_eq!(t.w().stats().cache.loads, loads, "the hot object survived");
    for id in &all {
        t.w().key(*id).unwrap(); // every object still loads
    }
    assert!(t.w().stats().cache.entries <= 50);
}

#[test]
fn nothing_keeps_a_flushed_entry_alive() {
    let mut t = TestWorld::new();
    let baseline = live_entries();
    let room = t.w().create("hall", "room", None).unwrap();
    let ann = t.w().create("Ann", "character", Some(room)).unwrap();
    let bob = t.w().create("Bob", "character", Some(room)).unwrap();
    let villain = t.w().create("villain", "adversary", Some(room)).unwrap();
    let rocks: Vec<u64> = (0..50)
        .map(|i| {
            t.w()
                .create(&format!("rock {i}"), "object", Some(room))
                .unwrap()
        })
        .collect();
    // References of every kind: db attributes, the contents index, queued and delivered
    // messages, and owned handles a guest keeps in its memory across calls.
    t.w()
        .set_attr(ann, AttrKind::Db, "friend", Value::Object(bob))
        .unwrap();
    t.cmd(ann, "say hello");
    t.cmd(ann, "look");
    for rock in &rocks[..10] {
        t.cmd(villain, &format!("keep {rock}"));
    }
    assert_eq!(live_entries(), baseline + 54);

    // The characters hold ndb data (protected); everything else goes, the adversary that
    // holds handles to ten rocks in its memory and the rocks themselves included.
    let report = t.w().flush(FlushScope::All, false);
    assert_eq!(report.dropped, 52, "{report:?}");
    assert_eq!(report.kept[&KeepReason::Ndb], 2);
    assert_eq!(
        live_entries(),
        baseline + 2,
        "only the kept entries are alive"
    );

    // The guest's kept handles still work: their objects reload on use.
    t.cmd(villain, "touch-kept");
    let keys = t.ndb(villain, "kept_keys").unwrap().to_string();
    assert!(keys.starts_with("\"rock 0,rock 1,"), "{keys}");
    t.w().flush(FlushScope::All, true);
    assert_eq!(live_entries(), baseline);
    t.close();
    assert_eq!(live_entries(), baseline);
}
