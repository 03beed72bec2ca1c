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

/// An admin writing `a<i> = i` to a room of a world in PostgreSQL, keeping count of what the
/// console acknowledged and what it refused.
struct Writes {
    store: String,
    server: Server,
    den: u64,
    acknowledged: Vec<u32>,
    refused: Vec<(u32, String)>,
}

impl Writes {
    /// A new world in a database of `cluster`, served, with a room.
    fn start(cluster: &Cluster) -> Writes {
        let store = format!("postgres:{}", cluster.database().unwrap());
        let server = Server::start(&["--store", &store]);
        let den = id(&server.console("create Den room"));
        Writes {
            store,
            server,
            den,
            acknowledged: Vec::new(),
            refused: Vec::new(),
        }
    }

    /// Sets `a<i>`; whether it was acknowledged (noted either way), and the reply.
    fn set(&mut self, i: u32) -> (bool, String) {
        let (den, name, value) = (self.den.to_string(), format!("a{i}"), i.to_string());
        let (ok, reply) = self.server.console_outcome(&["set", &den, &name, &value]);
        if ok {
            self.acknowledged.push(i);
        } else {
            self.refused.push((i, reply.clone()));
        }
        (ok, reply)
    }

    /// Sets from `a<i>` on until one is acknowledged, within `limit`.
    fn until_taken(&mut self, mut i: u32, limit: std::time::Duration) {
        let back = std::time::Instant::now();
        while !self.set(i).0 {
            assert!(
                back.elapsed() < limit,
                "the world never took changes again: {}",
                self.server.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(250));
            i += 1;
        }
    }

    /// Restarts the server on the store: every acknowledged change is there, no refused one.
    fn verify_after_restart(self) {
        drop(self.server);
        let server = Server::start(&["--store", &self.store]);
        let db = &server.console(&format!("examine {}", self.den))["db"];
        for i in &self.acknowledged {
            assert_eq!(db[format!("a{i}")], *i, "acknowledged a{i} lost: {db}");
        }
        for (i, reply) in &self.refused {
            assert!(
                db.get(format!("a{i}")).is_none(),
                "a{i} was refused ({reply}) but kept: {db}"
            );
        }
    }
}

/// PostgreSQL stops at once (as a crash) and comes back while an admin keeps writing: every
/// change the console acknowledged is there afterwards, the ones refused meanwhile are not,
/// and the world takes changes again by itself.
#[test]
fn a_postgres_restart_under_load_loses_nothing_acknowledged() {
    let cluster = Cluster::start().unwrap();
    let mut writes = Writes::start(&cluster);
    for i in 0..20 {
        assert!(writes.set(i).0, "the store is up");
    }
    cluster.stop().unwrap();
    for i in 20..30 {
        writes.set(i);
    }
    assert!(
        !writes.refused.is_empty(),
        "writes with the server down were all acknowledged"
    );
    cluster.start_again().unwrap();
    writes.until_taken(30, std::time::Duration::from_secs(30));
    writes.verify_after_restart();
}

/// A PostgreSQL that stops answering (frozen with SIGSTOP: a network partition, a hung server)
/// costs the change in flight one deadline, not a stalled world: later changes are refused at
/// once and the world answers what it holds (the reconnect runs off the world thread), and
/// once the server answers again the world takes changes by itself; nothing acknowledged is
/// lost and nothing refused is kept.
#[test]
fn a_postgres_that_stops_answering_pauses_changes_not_reads() {
    use std::time::{Duration, Instant};
    let cluster = Cluster::start().unwrap();
    let mut writes = Writes::start(&cluster);
    for i in 0..5 {
        assert!(writes.set(i).0, "the store is up");
    }
    cluster.freeze().unwrap();
    let frozen = Instant::now();
    let (ok, reply) = writes.set(5);
    assert!(
        !ok,
        "a change with the server frozen was acknowledged: {reply}"
    );
    assert!(
        frozen.elapsed() < Duration::from_secs(20),
        "the change in flight waited {:?} (the deadline is 10 s): {reply}\n{}",
        frozen.elapsed(),
        writes.server.log()
    );
    for i in 6..12 {
        let started = Instant::now();
        let (ok, reply) = writes.set(i);
        assert!(!ok, "a{i} acknowledged while the server is frozen: {reply}");
        // A read of what the world holds itself (reads of the store's indexes, such as an
        // object's contents, fail with a clear error until the store is back).
        let stats = writes.server.console("stats");
        assert!(stats["entries"].as_u64().unwrap() > 0, "{stats}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "a refusal and a read took {:?}: the world thread waited for the server",
            started.elapsed()
        );
        std::thread::sleep(Duration::from_millis(700));
    }
    cluster.thaw().unwrap();
    writes.until_taken(12, Duration::from_secs(60));
    writes.verify_after_restart();
}
