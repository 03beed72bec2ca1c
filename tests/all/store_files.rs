//! A corrupt database file, or one from a newer schema, is a clear error and is left untouched.

use wasmud::store::StoreError;
use wasmud::{World, WorldError, WorldOptions};
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
