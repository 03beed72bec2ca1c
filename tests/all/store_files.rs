//! A corrupt database file, or one from a newer schema, is a clear error and is left untouched;
//! a timer queue damaged behind the world's back does not block the queue.

use std::sync::Arc;
use std::time::Duration;

use wasmud::store::StoreError;
use wasmud::world::{ManualClock, TickOutcome};
use wasmud::{Value, World, WorldError, WorldOptions};
use wasmud_tests::{TestWorld, runtime};

fn open(path: &std::path::Path) -> Result<World, WorldError> {
    let (rt, scripts) = runtime();
    World::open(path, rt, scripts, &WorldOptions::default())
}

#[test]
fn a_garbage_file_is_reported_as_corrupt_and_not_modified() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("world.redb");
    let garbage: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &garbage).unwrap();
    match open(&path) {
        Err(WorldError::Store(StoreError::Corrupt { .. })) => {}
        Err(other) => panic!("expected Corrupt, got {other}"),
        Ok(_) => panic!("opened a garbage file"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), garbage, "file untouched");
}

#[test]
fn a_truncated_world_file_is_an_error_not_a_panic() {
    let mut t = TestWorld::new();
    for i in 0..200 {
        t.w().create(&format!("thing {i}"), "object", None).unwrap();
    }
    t.close();
    let path = t.path();
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let err = open(&path)
        .err()
        .expect("a truncated file must not open cleanly");
    assert!(matches!(err, WorldError::Store(_)), "{err}");
}

#[test]
fn seeding_is_one_turn_a_failed_seed_leaves_the_world_empty() {
    let mut t = wasmud_tests::TestWorld::new();
    // Without the `wanderer` typeclass the seed's last creation fails...
    let (runtime, all) = wasmud_tests::runtime();
    let mut without = wasmud::Scripts::default();
    for name in all.names().filter(|n| *n != "wanderer") {
        without.insert(wasmud_tests::load_script(runtime, name));
    }
    t.reopen_with(&without);
    assert!(wasmud::seed::seed_if_empty(t.w()).is_err());
    // ...and nothing of it stays, so the next start seeds the whole world.
    assert_eq!(t.w().object_count().unwrap(), 0);
    t.restart();
    let seeded = wasmud::seed::seed_if_empty(t.w()).unwrap().expect("seeded");
    assert_eq!(
        t.w().object_count().unwrap(),
        14,
        "3 rooms, 4 exits, 3 items, a notice board, 2 characters, the Python cat"
    );
    assert_eq!(
        t.w().contents(seeded.limbo).unwrap(),
        vec![seeded.limbo_east, seeded.guest, seeded.cat]
    );
    assert_eq!(t.w().location(seeded.lantern).unwrap(), Some(seeded.garden));
    // The cat's repeating timer was seeded with it.
    let timers = t.w().timers(Some(seeded.cat), 10).unwrap();
    assert_eq!(timers.len(), 1, "{timers:?}");
    assert_eq!(timers[0].name, "wander");
}

#[test]
fn a_backup_holds_every_table_timers_and_accounts_included() {
    let mut t = TestWorld::new();
    let c = t.w().create("c", "counter", None).unwrap();
    t.w()
        .schedule_timer(c, "later", std::time::Duration::from_secs(60), true)
        .unwrap();
    let account = t
        .w()
        .create_account("anna", "$argon2id$fake", None)
        .unwrap();
    let dest = t.path().with_file_name("backup.redb");
    t.w().snapshot().unwrap().backup_to(&dest).unwrap();
    t.close();
    let mut copy = open(&dest).unwrap();
    let timers = copy.timers(Some(c), 10).unwrap();
    assert_eq!(timers.len(), 1, "{timers:?}");
    assert_eq!(timers[0].interval_ms, Some(60_000));
    assert_eq!(copy.next_timer_due().unwrap(), Some(timers[0].due_ms));
    assert_eq!(copy.account("ANNA").unwrap(), Some(account));
}

#[test]
fn a_queue_row_without_a_timer_and_a_timer_without_an_object_do_not_block_the_queue() {
    use redb::{ReadableTable, TableDefinition};
    const TIMERS: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("timers");
    const QUEUE: TableDefinition<(u64, u64, &str), ()> = TableDefinition::new("timer_queue");
    const T0: u64 = 1_700_000_000_000;
    let clock = ManualClock::new(T0);
    let mut t = TestWorld::with_options(WorldOptions {
        clock: Arc::new(clock.clone()),
        ..WorldOptions::default()
    });
    let c = t.w().create("c", "counter", None).unwrap();
    t.cmd(c, "after x 100");
    t.close();
    {
        let db = redb::Database::create(t.path()).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut queue = txn.open_table(QUEUE).unwrap();
            queue.insert((T0 + 10, c, "ghost"), ()).unwrap();
            queue.insert((T0 + 100, 9_999, "orphan"), ()).unwrap();
            let mut timers = txn.open_table(TIMERS).unwrap();
            let record = timers.get((c, "x")).unwrap().unwrap().value().to_vec();
            timers.insert((9_999, "orphan"), record.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    t.restart_after(|| ());
    clock.advance(Duration::from_millis(100));
    let fires = t.w().fire_due_timers(10);
    let outcomes: Vec<(&str, bool)> = fires
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                matches!(f.outcome, TickOutcome::Dropped { .. }),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("ghost", true), ("x", false), ("orphan", true)],
        "{fires:?}"
    );
    assert_eq!(t.db(c, "tick.x"), Some(Value::Int(1)));
    assert_eq!(t.w().timer_count().unwrap(), 0);
    assert!(t.w().fire_due_timers(10).is_empty());
    assert_eq!(t.w().stats().timer_counters.dropped, 2);
}
