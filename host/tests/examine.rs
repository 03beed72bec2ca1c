//! `examine` of a huge object: [`World::inspect`] takes one snapshot in one turn, linear in the
//! attributes, and caps what it copies. It used to be one turn per attribute, each a linear
//! scan: 1.85 s for 100,000 attributes while every other admin waited.

use wasmud::world::inspect::SnapshotLimits;
use wasmud::{AttrKind, Runtime, Scripts, Value, World, WorldOptions};

const ATTRS: usize = 100_000;

fn name(i: usize) -> String {
    // Not in sorted order when set: the snapshot must sort.
    format!("attr{:06}", (i * 7_919) % ATTRS)
}

#[test]
fn inspect_copies_a_huge_object_sorted_and_capped() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let runtime = Runtime::new()?;
    let mut world = World::open(
        &dir.path().join("world.redb"),
        &runtime,
        &Scripts::default(),
        &WorldOptions::default(),
    )?;
    let room = world.create("hall", "object", None)?;
    let id = world.create("hoard", "object", Some(room))?;
    for i in 0..ATTRS {
        world.set_attr(id, AttrKind::Db, &name(i), Value::Int(i as i64))?;
    }
    world.set_attr(id, AttrKind::Ndb, "mood", Value::Text("grumpy".into()))?;
    for i in 0..3 {
        world.create(&format!("coin{i}"), "object", Some(id))?;
    }

    let all = world.inspect_with(id, SnapshotLimits::UNLIMITED)?;
    assert_eq!(
        (all.id, all.key.as_str(), all.typeclass.as_str()),
        (id, "hoard", "object")
    );
    assert_eq!(all.location, Some((room, "hall".to_owned())));
    let keys: Vec<&str> = all.contents.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(keys, ["coin0", "coin1", "coin2"]);
    assert_eq!((all.db.len(), all.db_total), (ATTRS, ATTRS));
    for (i, (n, v)) in all.db.iter().enumerate() {
        assert_eq!(n, &format!("attr{i:06}"), "every name, sorted");
        if i % 10_007 == 0 {
            let set_as = (0..ATTRS).find(|&j| name(j) == *n).unwrap();
            assert_eq!(v, &Value::Int(set_as as i64), "{n}");
        }
    }
    assert_eq!(all.ndb, [("mood".to_owned(), Value::Text("grumpy".into()))]);

    // The console's snapshot: the first 1,000 names, and the count of the rest.
    let capped = world.inspect(id)?;
    assert_eq!(capped.db_total, ATTRS);
    assert_eq!(capped.db[..], all.db[..1_000]);
    assert_eq!(capped.ndb_total, 1);

    // A byte budget stops big values early, but always shows one.
    let tight = SnapshotLimits {
        max_attr_bytes: 100,
        max_contents: 2,
        ..SnapshotLimits::default()
    };
    let small = world.inspect_with(id, tight)?;
    assert_eq!(small.db.len(), 100 / "attr000000".len());
    assert_eq!((small.contents.len(), small.contents_total), (2, 3));
    let tiny = SnapshotLimits {
        max_attr_bytes: 1,
        ..tight
    };
    assert_eq!(world.inspect_with(id, tiny)?.db.len(), 1);

    assert!(matches!(
        world.inspect(id + 1_000),
        Err(wasmud::WorldError::NotFound(_))
    ));
    Ok(())
}
