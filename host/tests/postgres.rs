//! A world in PostgreSQL, through the real binary and a real server (a private cluster per
//! test): `serve` with `--store postgres:...`, an acknowledged change kept across `kill -9`,
//! `wasmud migrate` to a redb file and back with `check` clean on both sides, and a PostgreSQL
//! restart under load that loses nothing acknowledged.

mod common;

use common::{Server, text, wasmud};
use wasmud_pg_cluster::Cluster;

fn id(reply: &serde_json::Value) -> u64 {
    reply["id"]
        .as_u64()
        .unwrap_or_else(|| panic!("no id in {reply}"))
}

#[test]
fn a_world_in_postgres_survives_kill_9_and_migrates_to_redb_and_back() {
    let cluster = Cluster::start().unwrap();
    let store = format!("postgres:{}", cluster.database().unwrap());
    let den = {
        let server = Server::start(&["--store", &store]);
        assert!(server.log().contains("postgres host="), "{}", server.log());
        let den = id(&server.console("create Den room"));
        server.console(&format!("set {den} weight 7"));
        den
        // Dropped: killed with SIGKILL, right after the console's reply.
    };
    {
        let server = Server::start(&["--store", &store]);
        let examined = server.console(&format!("examine {den}"));
        assert_eq!(examined["db"]["weight"], 7, "{examined}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("world.redb");
    let out = wasmud(&["migrate", "--from", &store, "--to", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("verified"), "{}", text(&out));
    for target in [file.to_str().unwrap(), store.as_str()] {
        let out = wasmud(&["check", "--store", target]);
        assert!(
            out.status.success() && text(&out).contains("clean"),
            "{}",
            text(&out)
        );
    }
    // A store that holds a world already is never written.
    let out = wasmud(&["migrate", "--from", file.to_str().unwrap(), "--to", &store]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("not empty"), "{}", text(&out));
    // And back, into a new database.
    let back = format!("postgres:{}", cluster.database().unwrap());
    let out = wasmud(&["migrate", "--from", file.to_str().unwrap(), "--to", &back]);
    assert!(out.status.success(), "{}", text(&out));
    let server = Server::start(&["--store", &back]);
    assert_eq!(server.console(&format!("examine {den}"))["db"]["weight"], 7);
}

/// PostgreSQL stops at once (as a crash) and comes back while an admin keeps writing: every
/// change the console acknowledged is there afterwards, the ones refused meanwhile are not,
/// and the world takes changes again by itself.
#[test]
fn a_postgres_restart_under_load_loses_nothing_acknowledged() {
    let cluster = Cluster::start().unwrap();
    let store = format!("postgres:{}", cluster.database().unwrap());
    let server = Server::start(&["--store", &store]);
    let den = id(&server.console("create Den room"));
    let mut acknowledged = Vec::new();
    let mut refused = Vec::new();
    let set = |i: u32| {
        server.console_outcome(&["set", &den.to_string(), &format!("a{i}"), &i.to_string()])
    };
    for i in 0..20 {
        assert!(set(i).0, "the store is up");
        acknowledged.push(i);
    }
    cluster.stop().unwrap();
    for i in 20..30 {
        let (ok, reply) = set(i);
        if ok {
            acknowledged.push(i);
        } else {
            refused.push((i, reply));
        }
    }
    assert!(
        !refused.is_empty(),
        "writes with the server down were all acknowledged"
    );
    cluster.start_again().unwrap();
    let back = std::time::Instant::now();
    let mut i = 30;
    loop {
        let (ok, _) = set(i);
        if ok {
            acknowledged.push(i);
            break;
        }
        assert!(
            back.elapsed().as_secs() < 30,
            "the world never took changes again"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
        i += 1;
    }
    drop(server);
    let server = Server::start(&["--store", &store]);
    let db = &server.console(&format!("examine {den}"))["db"];
    for i in &acknowledged {
        assert_eq!(db[format!("a{i}")], *i, "acknowledged a{i} lost: {db}");
    }
    for (i, reply) in &refused {
        assert!(
            db.get(format!("a{i}")).is_none(),
            "a{i} was refused ({reply}) but kept"
        );
    }
}
