//! `wasmud check` and `--repair` on deliberately damaged stores, and what `serve` refuses to
//! open: a foreign redb file and a store whose id sequence is below the ids in use.

use std::path::Path;
use std::process::Command;

use redb::{MultimapTableDefinition, ReadableDatabase, ReadableTable, TableDefinition};
use wasmud::{AttrKind, ObjectId, Value, World, WorldOptions};

const BIN: &str = env!("CARGO_BIN_EXE_wasmud");
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const OBJECTS: TableDefinition<u64, &[u8]> = TableDefinition::new("objects");
const ATTRS: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("attrs");
const TOMBSTONES: TableDefinition<u64, ()> = TableDefinition::new("tombstones");
const CONTENTS: MultimapTableDefinition<u64, u64> = MultimapTableDefinition::new("contents");
const KEYS: MultimapTableDefinition<&str, u64> = MultimapTableDefinition::new("keys");

/// A small world: a hall holding a box (no attributes) holding a coin, and a note that
/// refers to the coin. Returns (hall, box, coin, note).
fn world(data: &Path) -> (ObjectId, ObjectId, ObjectId, ObjectId) {
    std::fs::create_dir_all(data).unwrap();
    let mut w = World::open(
        &data.join("world.redb"),
        &wasmud::Runtime::new().unwrap(),
        &wasmud::Scripts::default(),
        &WorldOptions::default(),
    )
    .unwrap();
    let hall = w.create("hall", "object", None).unwrap();
    let chest = w.create("box", "object", Some(hall)).unwrap();
    let coin = w.create("coin", "object", Some(chest)).unwrap();
    let note = w.create("note", "object", Some(hall)).unwrap();
    w.set_attr(note, AttrKind::Db, "about", Value::Object(coin))
        .unwrap();
    w.close().unwrap();
    (hall, chest, coin, note)
}

fn check(data: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(BIN)
        .arg("check")
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// Runs `wasmud serve` on `data` (it stops at once if the store is refused): (success, stderr).
fn serve(data: &Path) -> (bool, String) {
    let out = Command::new(BIN)
        .args([
            "serve",
            "--telnet-addr",
            "127.0.0.1:0",
            "--no-web",
            "--no-prompt",
            "--no-watch",
            "--no-console",
            "--data",
        ])
        .arg(data)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn damage(data: &Path, f: impl FnOnce(&redb::WriteTransaction)) {
    let db = redb::Database::create(data.join("world.redb")).unwrap();
    let txn = db.begin_write().unwrap();
    f(&txn);
    txn.commit().unwrap();
}

#[test]
fn a_healthy_world_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    world(dir.path());
    let (ok, text) = check(dir.path(), &[]);
    assert!(
        ok && text.contains("4 objects, 1 attributes") && text.ends_with("clean\n"),
        "{text}"
    );
}

#[test]
fn broken_indexes_a_low_id_sequence_and_a_missing_container_are_found_and_repaired() {
    let dir = tempfile::tempdir().unwrap();
    let (hall, chest, coin, note) = world(dir.path());
    damage(dir.path(), |txn| {
        let mut contents = txn.open_multimap_table(CONTENTS).unwrap();
        contents.remove(hall, note).unwrap(); // an index entry lost
        contents.insert(hall, coin).unwrap(); // a stale one
        txn.open_multimap_table(KEYS)
            .unwrap()
            .insert("ghost", note)
            .unwrap();
        txn.open_table(META).unwrap().insert("next_id", 2).unwrap();
        txn.open_table(TOMBSTONES)
            .unwrap()
            .insert(note, ())
            .unwrap();
        txn.open_table(OBJECTS).unwrap().remove(chest).unwrap(); // the coin's container
    });
    // The server refuses a store whose ids would be handed out twice, and says what to do.
    let (served, err) = serve(dir.path());
    assert!(!served && err.contains("check --repair"), "{err}");

    let (ok, text) = check(dir.path(), &[]);
    assert!(!ok, "{text}");
    for expected in [
        format!("contents index lacks #{note} in #{hall}"),
        format!("contents index lists #{coin} in #{hall}"),
        format!("keys index lists \"ghost\" for #{note}"),
        "id sequence at 2".to_owned(),
        format!("#{note} is both an object and a tombstone"),
        format!("#{coin} is in #{chest}, which does not exist"),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    let (ok, text) = check(dir.path(), &["--repair"]);
    assert!(ok && text.ends_with("clean\n"), "{text}");
    assert!(text.contains("rebuilt the contents index"), "{text}");
    assert!(
        text.contains(&format!("#{coin} was in missing #{chest}")),
        "{text}"
    );
    let (ok, text) = check(dir.path(), &[]);
    assert!(ok, "{text}");
    // Nothing was lost: the note still refers to the coin, and the world opens.
    let mut w = World::open(
        &dir.path().join("world.redb"),
        &wasmud::Runtime::new().unwrap(),
        &wasmud::Scripts::default(),
        &WorldOptions::default(),
    )
    .unwrap();
    assert_eq!(
        w.attr(note, AttrKind::Db, "about").unwrap(),
        Some(Value::Object(coin))
    );
    assert_eq!(w.location(coin).unwrap(), None);
    assert_eq!(w.contents(hall).unwrap(), vec![note]);
    assert!(w.create("new", "object", None).unwrap() > note);
}

#[test]
fn data_that_cannot_be_placed_is_reported_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, _, note) = world(dir.path());
    damage(dir.path(), |txn| {
        let mut attrs = txn.open_table(ATTRS).unwrap();
        let raw = attrs
            .get((note, "about"))
            .unwrap()
            .unwrap()
            .value()
            .to_vec();
        attrs.insert((9_999, "lost"), raw.as_slice()).unwrap();
    });
    let (ok, text) = check(dir.path(), &["--repair"]);
    assert!(!ok, "{text}");
    assert!(
        text.contains("left alone: attribute \"lost\" of missing #9999"),
        "{text}"
    );
    let db = redb::Database::create(dir.path().join("world.redb")).unwrap();
    let read = db.begin_read().unwrap();
    assert!(
        read.open_table(ATTRS)
            .unwrap()
            .get((9_999, "lost"))
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_foreign_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let other: TableDefinition<&str, &str> = TableDefinition::new("invoices");
        txn.open_table(other)
            .unwrap()
            .insert("2026-001", "paid")
            .unwrap();
        txn.commit().unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let (served, err) = serve(dir.path());
    assert!(!served && err.contains("not a wasmud world"), "{err}");
    assert!(
        std::fs::read(&path).unwrap() == before,
        "the file was written"
    );
    let (ok, text) = check(dir.path(), &[]);
    assert!(!ok && text.contains("not a wasmud world"), "{text}");
}

#[test]
fn a_broken_timer_queue_and_timers_of_missing_objects_are_found_and_repaired() {
    const TIMERS: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("timers");
    const QUEUE: TableDefinition<(u64, u64, &str), ()> = TableDefinition::new("timer_queue");
    let dir = tempfile::tempdir().unwrap();
    let (hall, chest, _, _) = world(dir.path());
    let open = || {
        World::open(
            &dir.path().join("world.redb"),
            &wasmud::Runtime::new().unwrap(),
            &wasmud::Scripts::default(),
            &WorldOptions::default(),
        )
        .unwrap()
    };
    let mut w = open();
    let minute = std::time::Duration::from_secs(60);
    w.schedule_timer(hall, "lost", minute, false).unwrap();
    w.schedule_timer(chest, "kept", minute, true).unwrap();
    let due = w.timers(Some(hall), 10).unwrap()[0].due_ms;
    w.close().unwrap();
    let ghost = 9_999;
    damage(dir.path(), |txn| {
        let mut queue = txn.open_table(QUEUE).unwrap();
        queue.remove((due, hall, "lost")).unwrap(); // a timer that would never fire
        queue.insert((7, hall, "stale"), ()).unwrap(); // a queue row without a timer
        let mut timers = txn.open_table(TIMERS).unwrap();
        let record = timers
            .get((hall, "lost"))
            .unwrap()
            .unwrap()
            .value()
            .to_vec();
        timers.insert((ghost, "orphan"), record.as_slice()).unwrap();
    });
    let (ok, text) = check(dir.path(), &[]);
    assert!(!ok, "{text}");
    for expected in [
        format!("timer queue lacks \"lost\" of #{hall} (due {due})"),
        format!("timer queue lists \"stale\" of #{hall} at 7"),
        format!("timer \"orphan\" belongs to #{ghost}, which does not exist"),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }
    let (ok, text) = check(dir.path(), &["--repair"]);
    assert!(ok && text.ends_with("clean\n"), "{text}");
    assert!(text.contains("rebuilt the timer queue"), "{text}");
    assert!(
        text.contains(&format!("removed timer \"orphan\" of missing #{ghost}")),
        "{text}"
    );
    let mut w = open();
    assert_eq!(w.timer_count().unwrap(), 2);
    assert_eq!(w.next_timer_due().unwrap(), Some(due));
}
