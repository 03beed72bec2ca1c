//! One body, both backends: the store contract exercised on a redb file and on a real
//! PostgreSQL server (a private cluster per test), with the same expectations.

use std::time::Duration;

use wasmud::store::{
    AccountRecord, Backend, ObjectRecord, RedbStore, StoreView, TimerRecord, copy, find,
};
use wasmud::{Value, roles::Roles};
use wasmud_pg_cluster::Cluster;
use wasmud_store_postgres::PgStore;

fn rec(key: &str, location: Option<u64>) -> ObjectRecord {
    ObjectRecord {
        key: key.into(),
        typeclass: "room".into(),
        location,
    }
}

fn timer(due_ms: u64, parked: bool) -> TimerRecord {
    TimerRecord {
        due_ms,
        interval_ms: None,
        failures: 0,
        waits: 0,
        parked,
        last_error: None,
    }
}

/// Writes, reads back, rolls back, deletes and lists on `store`.
fn contract(store: &mut dyn Backend) {
    // Ids: blocks never overlap, even when the turn that took one is rolled back.
    let mut w = store.write().unwrap();
    let first = w.allocate_ids(10).unwrap();
    let (room, ann, bea, gone) = (first, first + 1, first + 2, first + 3);
    w.put_object(room, None, &rec("Hall", None)).unwrap();
    w.put_object(ann, None, &rec("Ann", Some(room))).unwrap();
    w.put_object(bea, None, &rec("ann", Some(room))).unwrap();
    w.put_object(gone, None, &rec("Ghost", Some(room))).unwrap();
    w.put_attr(ann, "hp", &Value::Int(3)).unwrap();
    w.put_attr(ann, "aliases", &Value::Json(r#"["annie"]"#.into()))
        .unwrap();
    w.put_attr(ann, "bag", &Value::Bytes(vec![0, 255, 7].into()))
        .unwrap();
    w.put_attr(bea, "friend", &Value::Object(ann)).unwrap();
    // A turn reads its own writes.
    assert_eq!(w.contents(room).unwrap(), vec![ann, bea, gone]);
    assert_eq!(w.search("ANN").unwrap(), vec![ann, bea]);
    w.put_timer(ann, "tick", None, &timer(500, false)).unwrap();
    w.put_timer(bea, "nap", None, &timer(100, true)).unwrap();
    w.put_account(&AccountRecord {
        name: "Ann".into(),
        password: "$argon2id$x".into(),
        character: ann,
        created_ms: 1,
        roles: Roles::default(),
        last_login_ms: None,
    })
    .unwrap();
    w.delete_object(gone, &rec("Ghost", Some(room))).unwrap();
    w.commit(false).unwrap();

    // A turn that fails leaves nothing. (Its ids may come again on redb, where the sequence is
    // in the transaction, or not on PostgreSQL: the world hands ids out beyond itself only
    // once the commit that reserved them is durable.)
    let mut w = store.write().unwrap();
    let rolled = w.allocate_ids(5).unwrap();
    assert!(rolled >= first + 10, "{rolled} overlaps the first block");
    w.put_object(rolled, None, &rec("Nobody", Some(room)))
        .unwrap();
    w.put_attr(ann, "hp", &Value::Int(99)).unwrap();
    w.abort().unwrap();
    let mut w = store.write().unwrap();
    let kept = w.allocate_ids(1).unwrap();
    assert!(kept >= first + 10);
    w.commit(true).unwrap();
    let mut w = store.write().unwrap();
    assert!(
        w.allocate_ids(1).unwrap() > kept,
        "a durable block is never handed out again"
    );
    w.commit(true).unwrap();

    // Dropping a turn without a commit rolls it back too.
    let mut w = store.write().unwrap();
    w.put_attr(ann, "hp", &Value::Int(-1)).unwrap();
    drop(w);

    store.checkpoint().unwrap();
    let r = store.read().unwrap();
    let (record, attrs) = r.load(ann).unwrap().unwrap();
    assert_eq!(record, rec("Ann", Some(room)));
    let names: Vec<&str> = attrs.iter().map(|(n, _)| &**n).collect();
    assert_eq!(names, ["aliases", "bag", "hp"], "attributes by name");
    assert_eq!(attrs[2].1, Value::Int(3));
    assert_eq!(attrs[1].1, Value::Bytes(vec![0, 255, 7].into()));
    assert_eq!(r.contents(room).unwrap(), vec![ann, bea]);
    assert!(r.is_deleted(gone).unwrap() && !r.exists(gone).unwrap());
    assert!(r.load(rolled).unwrap().is_none() && !r.is_deleted(rolled).unwrap());
    assert_eq!(r.object_count().unwrap(), 3);
    assert_eq!(
        r.next_timer().unwrap(),
        Some((500, ann, "tick".into())),
        "parked timers are not due"
    );
    assert_eq!(r.timer_count().unwrap(), 2);
    assert_eq!(r.account("ANN").unwrap().unwrap().character, ann);
    let finds = find(r.as_ref(), "annie", 10).unwrap();
    assert_eq!(finds.objects.len(), 1);
    assert_eq!(finds.objects[0].alias.as_deref(), Some("annie"));
    drop(r);

    // Moves and renames keep the indexes in step.
    let mut w = store.write().unwrap();
    w.put_object(bea, Some(&rec("ann", Some(room))), &rec("Bea", None))
        .unwrap();
    w.commit(true).unwrap();
    let r = store.read().unwrap();
    assert_eq!(r.contents(room).unwrap(), vec![ann]);
    assert_eq!(r.search("bea").unwrap(), vec![bea]);
    drop(r);

    let report = store.check(false).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
    assert_eq!((report.objects, report.attributes), (3, 4));

    // A turn of many writes (more than PostgreSQL's pipeline holds before it waits) is kept
    // whole.
    let mut w = store.write().unwrap();
    for i in 0..5000 {
        w.put_attr(room, &format!("n{i}"), &Value::Int(i)).unwrap();
    }
    w.commit(true).unwrap();
    let (_, attrs) = store.read().unwrap().load(room).unwrap().unwrap();
    assert_eq!(attrs.len(), 5000);
    let mut w = store.write().unwrap();
    for i in 0..5000 {
        w.remove_attr(room, &format!("n{i}")).unwrap();
    }
    w.commit(true).unwrap();
}

/// Copies everything of `from` into `to`; the copy reads the same.
fn copied(from: &mut dyn Backend, to: &mut dyn Backend) {
    let snapshot = from.snapshot().unwrap();
    let mut w = to.write().unwrap();
    let counts = copy(snapshot.as_ref(), w.as_mut()).unwrap();
    w.commit(true).unwrap();
    assert_eq!(
        (
            counts.objects,
            counts.attributes,
            counts.tombstones,
            counts.timers,
            counts.accounts
        ),
        (3, 4, 1, 2, 1)
    );
    let (a, b) = (from.read().unwrap(), to.read().unwrap());
    let all = |v: &dyn StoreView| {
        let mut out = Vec::new();
        v.scan_objects(&mut |row| {
            out.push(row);
            Ok(())
        })
        .unwrap();
        out
    };
    assert_eq!(all(a.as_ref()), all(b.as_ref()));
    assert_eq!(a.next_id().unwrap(), b.next_id().unwrap());
    assert_eq!(a.first_timers(10).unwrap(), b.first_timers(10).unwrap());
    assert!(to.check(false).unwrap().is_clean());
}

fn postgres(cluster: &Cluster) -> PgStore {
    PgStore::open(&cluster.database().unwrap(), Duration::from_secs(10)).unwrap()
}

#[test]
fn the_store_contract_holds_on_redb() {
    let dir = tempfile::tempdir().unwrap();
    contract(&mut RedbStore::open(&dir.path().join("w.redb"), 1 << 20).unwrap());
}

#[test]
fn the_store_contract_holds_on_postgres() {
    let cluster = Cluster::start().unwrap();
    contract(&mut postgres(&cluster));
}

#[test]
fn a_world_copies_between_the_backends_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start().unwrap();
    let mut redb = RedbStore::open(&dir.path().join("a.redb"), 1 << 20).unwrap();
    contract(&mut redb);
    let mut pg = postgres(&cluster);
    copied(&mut redb, &mut pg);
    let mut back = RedbStore::open(&dir.path().join("b.redb"), 1 << 20).unwrap();
    copied(&mut pg, &mut back);
}

#[test]
fn a_second_server_cannot_open_a_postgres_world_in_use() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.database().unwrap();
    let _first = PgStore::open(&url, Duration::from_secs(10)).unwrap();
    assert!(matches!(
        PgStore::open(&url, Duration::from_secs(10)),
        Err(wasmud::store::StoreError::AlreadyOpen)
    ));
}

#[test]
fn a_postgres_world_closed_opens_again_at_once() {
    // The lock is released before the connection goes, not when the server notices it went:
    // a restart (or a test) that opens the world right away finds it free, every time.
    let cluster = Cluster::start().unwrap();
    let url = cluster.database().unwrap();
    for round in 0..50 {
        let mut store = PgStore::open(&url, Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("open #{round}: {e}"));
        let mut txn = store.write().unwrap();
        txn.put_attr(1, "round", &Value::Int(round)).unwrap();
        txn.commit(round % 2 == 0).unwrap();
    }
}

#[test]
fn check_finds_a_postgres_timer_whose_columns_disagree_with_its_record() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.database().unwrap();
    let mut store = PgStore::open(&url, Duration::from_secs(10)).unwrap();
    contract(&mut store);
    cluster
        .psql(&url, "UPDATE wasmud.timers SET due_ms = due_ms + 1")
        .unwrap();
    let report = store.check(false).unwrap();
    assert_eq!(
        report.problems.len(),
        2,
        "both timers disagree: {:?}",
        report.problems
    );
    assert!(report.problems[0].contains("disagrees with its record"));
}
