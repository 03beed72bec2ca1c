//! `find` over a real store: however many objects match, it lists at most the limit asked
//! for (exact keys first, then by id), says that more matched, and holds no more than that.

use crate::TestWorld;
use wasmud::{AttrKind, Value};

#[test]
fn find_lists_exact_keys_first_and_stops_at_its_limit() {
    let mut t = TestWorld::new();
    let mut roses = Vec::new();
    for i in 0..50 {
        roses.push(t.w().create(&format!("rose {i}"), "object", None).unwrap());
    }
    let exact = t.w().create("Rose", "object", None).unwrap();
    let bush = t.w().create("bush", "object", None).unwrap();
    let aliases = Value::Json(r#"["rose-bush"]"#.into());
    t.w()
        .set_attr(bush, AttrKind::Db, "aliases", aliases)
        .unwrap();

    let snapshot = t.w().snapshot().unwrap();
    let found = wasmud::store::find(snapshot.as_ref(), "rose", 5).unwrap();
    let ids: Vec<u64> = found.objects.iter().map(|f| f.id).collect();
    assert_eq!(ids, [exact, roses[0], roses[1], roses[2], roses[3]]);
    assert!(found.objects[0].exact);
    assert!(found.more);
    // Everything, when the limit allows: the alias match too, and nothing more.
    let all = wasmud::store::find(snapshot.as_ref(), "rose", 100).unwrap();
    assert_eq!(all.objects.len(), 52);
    assert!(!all.more);
    let by_alias = all.objects.iter().find(|f| f.id == bush).unwrap();
    assert_eq!(by_alias.alias.as_deref(), Some("rose-bush"));
    // Exactly at the limit is not "more".
    assert!(
        !wasmud::store::find(snapshot.as_ref(), "rose", 52)
            .unwrap()
            .more
    );
}
