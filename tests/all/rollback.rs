//! State never drifts from the store: a load stands or falls with its `at-init` and with the
//! hook that caused it; a failed commit leaves cache and store equal; a delete is atomic.
//!
//! The bug stories: a hook that loaded an object and then failed rolled back the object's
//! `at-init` writes but kept it cached, so `at-init` never ran again for it; a failed redb
//! commit left the cache holding changes the store never got; `delete()` on a deleted object
//! said `vetoed`, and a delete failing part-way left its contents moved.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use redb::StorageBackend;
use redb::backends::FileBackend;
use wasmud::store::Storage;
use wasmud::{AttrKind, FlushScope, Value, World, WorldError, WorldOptions};
use wasmud_tests::{TestWorld, runtime};

#[test]
fn a_failed_hook_undoes_the_loads_it_caused_and_at_init_runs_again() {
    let mut t = TestWorld::new();
    let c = t.w().create("counted", "counter", None).unwrap();
    let a = t.w().create("villain", "adversary", None).unwrap();
    assert_eq!(t.db(c, "init_count"), Some(Value::Int(1)));
    t.w().flush(FlushScope::Object(c), true);
    // The adversary loads the counter (its at-init writes init_count = 2), then traps.
    assert!(matches!(
        t.w().command(a, a, &format!("touch-then-panic {c}")),
        Err(WorldError::Hook { trapped: true, .. })
    ));
    // The load went with the failed hook: the counter is not cached without its init...
    let cached_before = t.w().stats().cache.loads;
    // ...so the next use loads it and runs at-init exactly once.
    assert_eq!(t.db(c, "init_count"), Some(Value::Int(2)));
    assert_eq!(t.w().stats().cache.loads, cached_before + 1);
    assert_eq!(t.ndb(c, "inits"), Some(Value::Int(1)), "at-init ran once");
}

#[test]
fn a_load_whose_at_init_fails_is_not_kept() {
    let mut t = TestWorld::new();
    let a = t.w().create("fragile", "adversary", None).unwrap();
    t.w()
        .set_attr(a, AttrKind::Db, "fail_init", Value::Bool(true))
        .unwrap();
    t.w().flush(FlushScope::Object(a), false);
    let loads = t.w().stats().cache.loads;
    for _ in 0..3 {
        assert!(matches!(
            t.w().key(a),
            Err(WorldError::Hook {
                hook: "at-init",
                ..
            })
        ));
    }
    // Every attempt loaded it afresh (nothing half-initialised stayed cached).
    assert_eq!(t.w().stats().cache.loads, loads + 3);
    assert_eq!(t.w().stats().cache.entries, 0);
}

/// A file backend whose writes and syncs fail while `broken` is set (a full or failing disk),
/// and whose syncs alone fail while `syncs_broken` is set (a failing fsync).
#[derive(Debug)]
struct FaultyDisk {
    file: FileBackend,
    broken: Arc<AtomicBool>,
    syncs_broken: Arc<AtomicBool>,
}

impl FaultyDisk {
    fn check(&self) -> std::io::Result<()> {
        if self.broken.load(Ordering::SeqCst) {
            Err(std::io::Error::other(
                "injected fault: no space left on device",
            ))
        } else {
            Ok(())
        }
    }
}

impl StorageBackend for FaultyDisk {
    fn len(&self) -> std::io::Result<u64> {
        self.file.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.file.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.check()?;
        self.file.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.check()?;
        if self.syncs_broken.load(Ordering::SeqCst) {
            return Err(std::io::Error::other("injected fault: fsync failed"));
        }
        self.file.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.check()?;
        self.file.write(offset, data)
    }
    fn close(&self) -> std::io::Result<()> {
        self.file.close()
    }
}

fn open_faulty(path: &std::path::Path, broken: &Arc<AtomicBool>) -> World {
    open_faulty_syncs(path, broken, &Arc::default())
}

fn open_faulty_syncs(
    path: &std::path::Path,
    broken: &Arc<AtomicBool>,
    syncs_broken: &Arc<AtomicBool>,
) -> World {
    open_faulty_with(path, broken, syncs_broken, WorldOptions::default())
}

fn open_faulty_with(
    path: &std::path::Path,
    broken: &Arc<AtomicBool>,
    syncs_broken: &Arc<AtomicBool>,
    options: WorldOptions,
) -> World {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .unwrap();
    let disk = FaultyDisk {
        file: FileBackend::new(file).unwrap(),
        broken: broken.clone(),
        syncs_broken: syncs_broken.clone(),
    };
    let (runtime, scripts) = runtime();
    // A small page cache, so commits must write pages.
    let options = WorldOptions {
        store_cache_bytes: 1 << 16,
        ..options
    };
    World::open_with_backend(disk, runtime, scripts, &options).unwrap()
}

#[test]
fn a_failed_commit_leaves_cache_and_store_equal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.redb");
    let broken = Arc::new(AtomicBool::new(false));
    let mut w = open_faulty(&path, &broken);
    let c = w.create("tally", "counter", None).unwrap();
    w.command(c, c, "incr").unwrap();
    w.checkpoint().unwrap();
    let objects = w.object_count().unwrap();

    broken.store(true, Ordering::SeqCst);
    let mut failures = 0;
    for _ in 0..20 {
        // Big enough to need new pages, so the commit must write.
        let big = Value::Text("x".repeat(200_000).into());
        match w.set_attr(c, AttrKind::Db, "big", big) {
            // The first failure is the commit's; later ones are refused at once.
            Err(WorldError::Store(_) | WorldError::StorageDown(_)) => failures += 1,
            Err(other) => panic!("expected a storage error, got {other}"),
            Ok(()) => {}
        }
        if w.checkpoint().is_err() {
            failures += 1;
        }
        let _ = w.command(c, c, "incr");
        let _ = w.create("ghost", "counter", None);
    }
    assert!(failures > 0, "the injected fault never surfaced");
    // The cache holds only what the store holds: nothing of the failed turns.
    let in_memory = (
        w.attr(c, AttrKind::Db, "count").ok().flatten(),
        w.attr(c, AttrKind::Db, "big").ok().flatten(),
        w.search("ghost").ok().map(|v| v.len()),
    );
    broken.store(false, Ordering::SeqCst);
    drop(w);
    let mut w = open_faulty(&path, &broken);
    let on_disk = (
        w.attr(c, AttrKind::Db, "count").unwrap(),
        w.attr(c, AttrKind::Db, "big").unwrap(),
        Some(w.search("ghost").unwrap().len()),
    );
    assert_eq!(on_disk.0, Some(Value::Int(1)));
    assert_eq!(on_disk.1, None);
    assert_eq!(on_disk.2, Some(0));
    assert_eq!(w.object_count().unwrap(), objects);
    // What the world showed while the disk failed was never more than what it kept.
    if let (Some(count), big, Some(ghosts)) = in_memory {
        assert_eq!((Some(count), big, ghosts), (on_disk.0, on_disk.1, 0));
    }
}

#[test]
fn delete_is_atomic_and_reports_deleted() {
    let mut t = TestWorld::new();
    let a = t.w().create("a", "counter", None).unwrap();
    let victim = t.w().create("victim", "counter", None).unwrap();
    // Deleting through a handle to an already deleted object says `deleted`, not `vetoed`.
    t.cmd(a, &format!("delete-twice {victim}"));
    match t.ndb(a, "last_error") {
        Some(Value::Text(s)) => assert_eq!(&*s, format!("Deleted({victim})")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(t.w().delete(victim), Err(WorldError::Deleted(id)) if id == victim));

    // A room whose second content cannot load (its at-init fails): the delete fails whole.
    let hall = t.w().create("hall", "room", None).unwrap();
    let room = t.w().create("room", "room", Some(hall)).unwrap();
    let first = t.w().create("first", "counter", Some(room)).unwrap();
    let fragile = t.w().create("fragile", "adversary", Some(room)).unwrap();
    t.w()
        .set_attr(fragile, AttrKind::Db, "fail_init", Value::Bool(true))
        .unwrap();
    t.w().flush(FlushScope::All, true);
    assert!(t.w().delete(room).is_err());
    t.w().flush(FlushScope::Object(fragile), true);
    assert_eq!(t.w().contents(room).unwrap(), vec![first, fragile]);
    assert!(t.w().contents(hall).unwrap() == vec![room]);
    t.restart();
    assert_eq!(t.w().contents(room).unwrap(), vec![first, fragile]);

    // A delete that succeeds moves the contents out and runs their at-post-move.
    let den = t.w().create("den", "room", Some(hall)).unwrap();
    let pet = t.w().create("pet", "counter", Some(den)).unwrap();
    t.w().flush(FlushScope::All, true);
    t.w().delete(den).unwrap();
    assert_eq!(t.w().location(pet).unwrap(), Some(hall));
    assert_eq!(t.db(pet, "moves"), Some(Value::Int(1)));
}

#[test]
fn under_group_commit_a_failed_fsync_is_never_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.redb");
    let broken = Arc::new(AtomicBool::new(false));
    let syncs_broken = Arc::new(AtomicBool::new(false));
    let world = open_faulty_syncs(&path, &broken, &syncs_broken);
    let (thread, handle) = wasmud::server::WorldThread::spawn(world);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let c = rt.block_on(async {
        let c = handle
            .call(|w| w.create("tally", "counter", None))
            .await
            .unwrap()
            .unwrap();
        // Acknowledged: on disk.
        handle
            .call(move |w| w.command(c, c, "incr"))
            .await
            .unwrap()
            .unwrap();
        // Only the fsync fails: the turn commits in memory, but its answer must not say so.
        syncs_broken.store(true, Ordering::SeqCst);
        let failed = handle.call(move |w| w.command(c, c, "incr")).await;
        match failed {
            Err(e) => assert!(e.to_string().contains("not made durable"), "{e}"),
            Ok(other) => panic!("acknowledged while fsync failed: {other:?}"),
        }
        c
    });
    drop(handle);
    let _ = thread.stop(); // the final checkpoint fails too: reported, not hidden
    syncs_broken.store(false, Ordering::SeqCst);
    let mut w = open_faulty(&path, &broken);
    // Everything acknowledged is there (the unacknowledged increment may be too: its pages
    // were written, only their fsync failed; nobody was told either way).
    match w.attr(c, AttrKind::Db, "count").unwrap() {
        Some(Value::Int(n)) => assert!(n >= 1, "the acknowledged increment was lost"),
        other => panic!("count: {other:?}"),
    }
}

#[test]
fn a_timer_fire_that_cannot_commit_keeps_its_timer_and_pauses_timers() {
    use wasmud::world::{ManualClock, TickOutcome, timers::WAIT_MS};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.redb");
    let broken = Arc::new(AtomicBool::new(false));
    let clock = ManualClock::new(1_700_000_000_000);
    let open = || {
        let options = WorldOptions {
            clock: Arc::new(clock.clone()),
            ..WorldOptions::default()
        };
        open_faulty_with(&path, &broken, &Arc::default(), options)
    };
    let mut w = open();
    let a = w.create("a", "adversary", None).unwrap();
    w.schedule_timer(a, "big", std::time::Duration::from_millis(100), false)
        .unwrap();
    w.checkpoint().unwrap();
    clock.advance(std::time::Duration::from_millis(100));
    broken.store(true, Ordering::SeqCst);
    let fire = w.fire_due_timer().expect("due");
    assert!(
        matches!(&fire.outcome, TickOutcome::Failed { parked: false, .. }),
        "{fire:?}"
    );
    // The failure could not even be recorded: timers pause instead of spinning on the disk.
    assert!(w.fire_due_timer().is_none());
    assert_eq!(w.stats().timer_counters.failed, 1);
    // The disk is back (and the store reopened): the timer is still there, and fires once.
    broken.store(false, Ordering::SeqCst);
    drop(w);
    let mut w = open();
    clock.advance(std::time::Duration::from_millis(WAIT_MS));
    assert_eq!(w.timer_count().unwrap(), 1);
    assert_eq!(w.fire_due_timer().expect("due").outcome, TickOutcome::Fired);
    assert!(w.fire_due_timer().is_none());
    assert_eq!(
        w.attr(a, AttrKind::Db, "ticked").unwrap(),
        Some(Value::Text("big".into()))
    );
    assert_eq!(w.timer_count().unwrap(), 0);
}

/// A file whose filesystem is full once `capacity` is set: a write or a length change past it
/// fails with "no space left on device" (writes inside the file's allocated length still work,
/// as on a real full disk). Each reopen of the store makes a new one over the same file.
#[derive(Debug)]
struct FullDisk {
    file: FileBackend,
    capacity: Arc<std::sync::atomic::AtomicU64>,
}

impl FullDisk {
    fn room(&self, end: u64) -> std::io::Result<()> {
        if end > self.capacity.load(Ordering::SeqCst) {
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        Ok(())
    }
}

impl StorageBackend for FullDisk {
    fn len(&self) -> std::io::Result<u64> {
        self.file.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.file.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        if len > self.file.len()? {
            self.room(len)?;
        }
        self.file.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.file.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        let end = offset + data.len() as u64;
        if end > self.file.len()? {
            self.room(end)?;
        }
        self.file.write(offset, data)
    }
    fn close(&self) -> std::io::Result<()> {
        self.file.close()
    }
}

fn open_full_disk(path: &std::path::Path, capacity: &Arc<std::sync::atomic::AtomicU64>) -> World {
    let (path, capacity) = (path.to_owned(), capacity.clone());
    let fresh = path.with_extension("fresh");
    // The store's file, a fresh one to rewrite it into, and the rename of one over the other.
    let backend = move |storage| {
        let at = match storage {
            Storage::Current => &path,
            Storage::Fresh => {
                let _ = std::fs::remove_file(&fresh);
                &fresh
            }
            Storage::Promote => {
                std::fs::rename(&fresh, &path)?;
                return Ok(None);
            }
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(at)?;
        Ok(Some(FullDisk {
            file: FileBackend::new(file).map_err(std::io::Error::other)?,
            capacity: capacity.clone(),
        }))
    };
    let (runtime, scripts) = runtime();
    let options = WorldOptions {
        store_cache_bytes: 1 << 16,
        ..WorldOptions::default()
    };
    World::open_reopenable(backend, runtime, scripts, &options).unwrap()
}

/// Item 15: with the disk full the world refuses changes with a clear error at once, keeps
/// serving reads (of cached objects and of objects it must load), shows the state in
/// `stats`, and recovers by itself once there is room again, losing nothing acknowledged.
#[test]
fn a_full_disk_refuses_changes_serves_reads_and_recovers_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.redb");
    let capacity = Arc::new(std::sync::atomic::AtomicU64::new(u64::MAX));
    let mut w = open_full_disk(&path, &capacity);
    let a = w.create("a", "counter", None).unwrap();
    // (An object whose `at-init` writes `db` cannot be loaded while changes are refused: `b`
    // has no such hook.)
    let b = w.create("b", "object", None).unwrap();
    w.set_attr(a, AttrKind::Db, "gold", Value::Int(1)).unwrap();
    w.set_attr(b, AttrKind::Db, "gold", Value::Int(5)).unwrap();
    w.checkpoint().unwrap();
    w.flush(FlushScope::Object(b), true);
    // The disk fills up: a change that needs more room fails.
    capacity.store(std::fs::metadata(&path).unwrap().len(), Ordering::SeqCst);
    let big = Value::Text("x".repeat(900_000).into());
    let failed = w.set_attr(a, AttrKind::Db, "big", big.clone()).unwrap_err();
    assert!(failed.to_string().contains("No space left"), "{failed}");
    // The next change is refused at once, saying why.
    let refused = w
        .set_attr(a, AttrKind::Db, "gold", Value::Int(2))
        .unwrap_err();
    assert!(
        matches!(&refused, WorldError::StorageDown(why) if why.contains("No space left")),
        "{refused}"
    );
    let stats = w.stats();
    assert!(stats.storage.failing.is_some(), "{:?}", stats.storage);
    // Reads go on: a cached object, and one that must be loaded from the store.
    assert_eq!(
        w.attr(a, AttrKind::Db, "gold").unwrap(),
        Some(Value::Int(1))
    );
    assert_eq!(
        w.attr(b, AttrKind::Db, "gold").unwrap(),
        Some(Value::Int(5))
    );
    assert_eq!(w.attr(a, AttrKind::Db, "big").unwrap(), None);
    // Room again: after the pause, changes are saved as if nothing happened.
    capacity.store(u64::MAX, Ordering::SeqCst);
    std::thread::sleep(wasmud::world::storage::FIRST_RETRY * 2);
    w.set_attr(a, AttrKind::Db, "big", big.clone()).unwrap();
    w.set_attr(b, AttrKind::Db, "gold", Value::Int(6)).unwrap();
    w.checkpoint().unwrap();
    let stats = w.stats();
    assert!(stats.storage.failing.is_none(), "{:?}", stats.storage);
    assert_eq!((stats.storage.failures, stats.storage.recoveries), (1, 1));
    w.close().unwrap();
    let mut w = open_full_disk(&path, &capacity);
    assert_eq!(w.attr(a, AttrKind::Db, "big").unwrap(), Some(big));
    assert_eq!(
        w.attr(b, AttrKind::Db, "gold").unwrap(),
        Some(Value::Int(6))
    );
    assert_eq!(
        w.attr(a, AttrKind::Db, "gold").unwrap(),
        Some(Value::Int(1))
    );
}
