//! Acknowledged means kept: `wasmud serve` killed with SIGKILL at random moments while
//! concurrent admin clients run money transfers between ledger accounts.
//!
//! After every kill the store is reopened and must hold a prefix of the committed turns: it
//! passes `check`, the total of gold is conserved (no torn turn), and under the default
//! `durable` policy every
//! transfer a client was told about is there (each client sends from its own account and
//! records the highest sequence number acknowledged; the account's stored `seq` must reach it).
//! The bug story: a busy server only checkpointed after an idle second, so a SIGKILL lost all
//! 160,850 acknowledged transfers of a 6-second run.
//!
//! The same test runs on a world in PostgreSQL (a private cluster; the server killed, not the
//! database). CI runs `WASMUD_KILLS` (default 30) kills of each; the long run is
//! `WASMUD_KILLS=500 cargo test --release -p wasmud --test crash -- --nocapture`.
//! `WASMUD_CRASH_ARGS` adds `serve` arguments: with `--commit relaxed --commit-window-ms 1000`
//! the acknowledgement check fails, as it must (acknowledged turns are lost).
//!
//! Timers: a one-shot due while the server is down fires once after the restart, and kills at
//! random moments around fires never lose or repeat one (a fire's row deletion commits with
//! the tick's effects).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use wasmud::store::StoreLocation;
use wasmud::{AttrKind, ObjectId, Value, World, WorldOptions};

const BIN: &str = env!("CARGO_BIN_EXE_wasmud");
const ACCOUNTS: usize = 20;
const CLIENTS: usize = 4;
const GOLD: i64 = 1_000;

/// The scripts directory of the test: the game's and the test typeclasses (a `counter`) plus
/// the `ledger` fixture, with their grants.
fn scripts_dir(root: &Path) -> PathBuf {
    let dir = root.join("scripts");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(wasmud::scripts::TEST_DIR).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "wasm") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    std::fs::copy(wasmud::scripts::fixtures::LEDGER, dir.join("ledger.wasm")).unwrap();
    // The ledger moves money between accounts: it looks them up and writes them.
    let grants = std::fs::read_to_string(Path::new(wasmud::scripts::TEST_DIR).join("grants.toml"));
    let grants = grants.unwrap() + "ledger = [\"reach\", \"edit\"]\n";
    std::fs::write(dir.join("grants.toml"), grants).unwrap();
    dir
}

fn start(data: &Path, scripts: &Path, extra: &[&str]) -> Child {
    let _ = std::fs::remove_file(data.join("console.addr"));
    let child = Command::new(BIN)
        .args([
            "serve",
            "--telnet-addr",
            "127.0.0.1:0",
            "--no-web",
            "--no-prompt",
            "--no-watch",
            "--console-addr",
            "127.0.0.1:0",
        ])
        // Generous time limits: on a loaded CI machine a descheduled transfer must not hit a
        // limit (it would be refused, and this test is about durability, not limits).
        .args(["--hook-deadline-ms", "5000", "--turn-budget-ms", "10000"])
        .arg("--data")
        .arg(data)
        .arg("--scripts")
        .arg(scripts)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(server_log(data))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut child = child;
    while !data.join("console.addr").exists() {
        let log = || std::fs::read_to_string(data.with_extension("log")).unwrap_or_default();
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the server exited ({status}) before it came up:\n{}", log());
        }
        assert!(
            Instant::now() < deadline,
            "the server never came up:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

/// The server's log, appended to `<data>.log` (next to the data directory, which a test may
/// remove), for a failure to show.
fn server_log(data: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.with_extension("log"))
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// An authenticated admin connection.
struct Admin {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Admin {
    fn connect(data: &Path) -> std::io::Result<Admin> {
        let read = |f: &str| std::fs::read_to_string(data.join(f)).map(|s| s.trim().to_owned());
        let stream = TcpStream::connect(read("console.addr")?)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let mut admin = Admin {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
        };
        let reply = admin.send(&format!("AUTH {}", read("console.token")?))?;
        assert!(reply["ok"].as_bool().unwrap(), "{reply}");
        Ok(admin)
    }

    fn send(&mut self, line: &str) -> std::io::Result<serde_json::Value> {
        self.writer.write_all(format!("{line}\n").as_bytes())?;
        let mut buf = String::new();
        if self.reader.read_line(&mut buf)? == 0 {
            return Err(std::io::Error::other("closed"));
        }
        serde_json::from_str(&buf).map_err(std::io::Error::other)
    }
}

/// A tiny deterministic generator (xorshift), so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// One client: transfers from its own account until the connection dies; returns nothing,
/// records the highest acknowledged sequence number in `acked`.
fn client(data: PathBuf, me: ObjectId, accounts: Vec<ObjectId>, acked: Arc<AtomicI64>, seed: u64) {
    let Ok(mut admin) = Admin::connect(&data) else {
        return;
    };
    let mut rng = Rng(seed | 1);
    let mut seq = acked.load(Ordering::SeqCst);
    loop {
        seq += 1;
        let to = accounts[rng.below(accounts.len() as u64) as usize];
        let amount = rng.below(50);
        let line = format!("call #{me} at-command #{me} transfer {to} {amount} {seq}");
        match admin.send(&line) {
            Ok(reply) if reply["ok"].as_bool() == Some(true) => acked.store(seq, Ordering::SeqCst),
            Ok(reply) => panic!("a transfer failed: {reply}"),
            Err(_) => return, // the server died
        }
    }
}

fn read_world(store: &Path, accounts: &[ObjectId]) -> (i64, Vec<i64>) {
    read_world_at(&StoreLocation::Redb(store.to_owned()), accounts)
}

/// The total of gold and each account's `seq`, read from the store at `location` after the
/// server died; its invariants must hold (indexes, id sequence, references).
fn read_world_at(location: &StoreLocation, accounts: &[ObjectId]) -> (i64, Vec<i64>) {
    let report = location.open_existing().unwrap().check(false).unwrap();
    assert!(
        report.is_clean(),
        "check after a crash: {:?}",
        report.problems
    );
    let options = WorldOptions::default();
    let mut world = World::on_store(
        location.open(options.store_cache_bytes).unwrap(),
        &wasmud::Runtime::new().unwrap(),
        &wasmud::Scripts::default(),
        &options,
    );
    let int = |w: &mut World, id, name| match w.attr(id, AttrKind::Db, name).unwrap() {
        Some(Value::Int(n)) => n,
        None => 0,
        other => panic!("{name} of #{id}: {other:?}"),
    };
    let total = accounts.iter().map(|&a| int(&mut world, a, "gold")).sum();
    let seqs = accounts
        .iter()
        .map(|&a| int(&mut world, a, "seq"))
        .collect();
    world.close().unwrap();
    (total, seqs)
}

/// Starts a server on a new world with the ledger accounts (made durable with `save`).
fn ledger_world(root: &Path, extra: &[&str]) -> (Child, PathBuf, PathBuf, Vec<ObjectId>) {
    let data = root.join("data");
    let scripts = scripts_dir(root);
    let server = start(&data, &scripts, extra);
    let mut admin = Admin::connect(&data).unwrap();
    let accounts: Vec<ObjectId> = (0..ACCOUNTS)
        .map(|i| {
            let reply = admin.send(&format!("create acct{i} ledger")).unwrap();
            let id = reply["json"]["id"].as_u64().unwrap();
            let set = admin.send(&format!("set #{id} gold {GOLD}")).unwrap();
            assert!(set["ok"].as_bool().unwrap(), "{set}");
            id
        })
        .collect();
    // `save` makes the setup durable under every policy.
    assert!(admin.send("save").unwrap()["ok"].as_bool().unwrap());
    (server, data, scripts, accounts)
}

#[test]
fn kill_9_under_load_loses_no_acknowledged_transfer() {
    let dir = tempfile::tempdir().unwrap();
    let store = StoreLocation::Redb(dir.path().join("data").join("world.redb"));
    kill_9_under_load(dir.path(), &[], &store);
}

#[test]
fn kill_9_under_load_loses_no_acknowledged_transfer_on_postgres() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = wasmud_pg_cluster::Cluster::start().unwrap();
    let url = cluster.database().unwrap();
    kill_9_under_load(
        dir.path(),
        &["--store", &format!("postgres:{url}")],
        &StoreLocation::Postgres(url),
    );
}

/// `WASMUD_KILLS` kills of a server on the world in `store` (`store_args` name it to
/// `serve`) while [`CLIENTS`] clients run transfers; after each, every acknowledged transfer
/// is in the store and the gold is all there.
fn kill_9_under_load(root: &Path, store_args: &[&str], store: &StoreLocation) {
    let kills: usize = std::env::var("WASMUD_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(30);
    let extra = std::env::var("WASMUD_CRASH_ARGS").unwrap_or_default();
    let extra: Vec<&str> = store_args
        .iter()
        .copied()
        .chain(extra.split_whitespace())
        .collect();
    let (mut server, data, scripts, accounts) = ledger_world(root, &extra);
    let acked: Vec<Arc<AtomicI64>> = (0..CLIENTS).map(|_| Arc::default()).collect();
    let mut rng = Rng(0x5eed);
    let mut transfers = 0;
    for kill in 0..kills {
        if kill > 0 {
            server = start(&data, &scripts, &extra);
        }
        let threads: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (data, accounts, acked) = (data.clone(), accounts.clone(), acked[c].clone());
                let seed = rng.below(u64::MAX);
                std::thread::spawn(move || client(data, accounts[c], accounts, acked, seed))
            })
            .collect();
        // Every few kills under several seconds of sustained load; otherwise at a random instant.
        let run = if kill % 10 == 9 {
            3_000
        } else {
            50 + rng.below(700)
        };
        std::thread::sleep(Duration::from_millis(run));
        server.kill().unwrap(); // SIGKILL
        server.wait().unwrap();
        for t in threads {
            t.join().unwrap();
        }
        let (total, seqs) = read_world_at(store, &accounts);
        assert_eq!(
            total,
            GOLD * ACCOUNTS as i64,
            "kill {kill}: gold not conserved"
        );
        for c in 0..CLIENTS {
            let acked = acked[c].load(Ordering::SeqCst);
            assert!(
                seqs[c] >= acked,
                "kill {kill}: client {c} was told transfer {acked} happened; the store has {}",
                seqs[c]
            );
            // What the store kept beyond the last answer (at most the one in flight) becomes
            // the client's starting point.
            transfers += seqs[c].max(acked) - acked;
        }
        for (c, a) in acked.iter().enumerate() {
            a.store(seqs[c], Ordering::SeqCst);
        }
    }
    let acknowledged: i64 = acked.iter().map(|a| a.load(Ordering::SeqCst)).sum();
    eprintln!(
        "{kills} kills, {acknowledged} transfers kept, {transfers} unacknowledged ones kept too"
    );
    assert!(acknowledged > 0, "no transfer ran");
}

#[test]
fn an_id_handed_out_is_never_handed_out_again_after_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let scripts = scripts_dir(dir.path());
    // Relaxed with a long window: the creation is acknowledged, then lost in the crash.
    let relaxed = ["--commit", "relaxed", "--commit-window-ms", "60000"];
    let mut seen = Vec::new();
    for _ in 0..3 {
        let mut server = start(&data, &scripts, &relaxed);
        let mut admin = Admin::connect(&data).unwrap();
        let reply = admin.send("create fleeting object").unwrap();
        seen.push(reply["json"]["id"].as_u64().unwrap());
        server.kill().unwrap();
        server.wait().unwrap();
    }
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique, seen, "ids reissued after crashes: {seen:?}");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
}

#[test]
fn a_backup_taken_under_load_is_consistent_and_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, data, _, accounts) = ledger_world(dir.path(), &[]);
    let acked: Vec<Arc<AtomicI64>> = (0..CLIENTS).map(|_| Arc::default()).collect();
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (data, accounts, acked) = (data.clone(), accounts.clone(), acked[c].clone());
            std::thread::spawn(move || client(data, accounts[c], accounts, acked, c as u64 + 7))
        })
        .collect();
    let backups: Vec<PathBuf> = (0..3)
        .map(|n| {
            std::thread::sleep(Duration::from_millis(200));
            let file = dir.path().join(format!("backup-{n}.redb"));
            let out = Command::new(BIN)
                .arg("backup")
                .arg("--data")
                .arg(&data)
                .arg(&file)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success() && text.contains("backed up"), "{text}");
            file
        })
        .collect();
    // A backup never overwrites a file.
    let again = Command::new(BIN)
        .arg("backup")
        .arg("--data")
        .arg(&data)
        .arg(&backups[0])
        .output()
        .unwrap();
    assert!(!again.status.success());
    server.kill().unwrap();
    server.wait().unwrap();
    for t in threads {
        t.join().unwrap();
    }
    assert!(
        acked.iter().all(|a| a.load(Ordering::SeqCst) > 0),
        "no load ran"
    );
    for (n, backup) in backups.iter().enumerate() {
        // Restore: the file becomes the store of a data directory; it checks clean, and its
        // total is conserved (a snapshot between two turns, never inside one).
        let restored = dir.path().join(format!("restored-{n}"));
        std::fs::create_dir_all(&restored).unwrap();
        std::fs::copy(backup, restored.join("world.redb")).unwrap();
        let out = Command::new(BIN)
            .arg("check")
            .arg("--data")
            .arg(&restored)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.ends_with("clean\n"), "{text}");
        let (total, seqs) = read_world(&restored.join("world.redb"), &accounts);
        assert_eq!(total, GOLD * ACCOUNTS as i64, "backup {n}");
        assert!(
            seqs.iter().take(CLIENTS).any(|&s| s > 0),
            "backup {n} saw no transfer"
        );
    }
}

/// `examine <id> --json`'s `db` map, through a fresh admin connection.
fn db_of(data: &Path, id: ObjectId) -> serde_json::Value {
    let reply = Admin::connect(data)
        .unwrap()
        .send(&format!("examine #{id} --json"))
        .unwrap();
    assert!(reply["ok"].as_bool().unwrap(), "{reply}");
    reply["json"]["db"].clone()
}

/// `timers <id> --json` through a fresh admin connection.
fn timers_of(data: &Path, id: ObjectId) -> Vec<serde_json::Value> {
    let reply = Admin::connect(data)
        .unwrap()
        .send(&format!("timers #{id} --json"))
        .unwrap();
    assert!(reply["ok"].as_bool().unwrap(), "{reply}");
    reply["json"].as_array().unwrap().clone()
}

/// Waits until `timers` of `id` is empty (every one-shot fired and was deleted).
fn wait_for_no_timers(data: &Path, id: ObjectId) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !timers_of(data, id).is_empty() {
        assert!(Instant::now() < deadline, "timers of #{id} never fired");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_one_shot_timer_fires_exactly_once_across_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let scripts = scripts_dir(dir.path());
    let mut server = start(&data, &scripts, &[]);
    let ticker = {
        let mut admin = Admin::connect(&data).unwrap();
        let reply = admin.send("create ticker counter").unwrap();
        reply["json"]["id"].as_u64().unwrap()
    };
    let schedule = |name: &str, ms: u64| {
        let mut admin = Admin::connect(&data).unwrap();
        let line = format!("call #{ticker} at-command #{ticker} after {name} {ms}");
        let reply = admin.send(&line).unwrap();
        assert!(reply["ok"].as_bool().unwrap(), "{reply}");
    };
    // Due during the downtime: acknowledged (so durable), the server killed at once, the
    // timer due while nothing runs; after the restart it fires once.
    schedule("downtime", 300);
    server.kill().unwrap();
    server.wait().unwrap();
    std::thread::sleep(Duration::from_millis(600));
    server = start(&data, &scripts, &[]);
    wait_for_no_timers(&data, ticker);
    // Then kills at random moments while timers fire: each round schedules timers due over
    // half a second and kills the server somewhere in (or after) that stretch. Before,
    // during or after its fire, each timer is kept exactly once (its deletion commits with
    // the tick's effects).
    let mut rng = Rng(0x7157_11AE);
    let (rounds, per_round) = (8, 20);
    for round in 0..rounds {
        for i in 0..per_round {
            schedule(&format!("r{round}-{i}"), 100 + i * 25);
        }
        std::thread::sleep(Duration::from_millis(rng.below(700)));
        server.kill().unwrap();
        server.wait().unwrap();
        server = start(&data, &scripts, &[]);
        wait_for_no_timers(&data, ticker);
    }
    let db = db_of(&data, ticker);
    assert_eq!(db["tick.downtime"], 1, "{db}");
    for round in 0..rounds {
        for i in 0..per_round {
            assert_eq!(db[format!("tick.r{round}-{i}")], 1, "r{round}-{i}: {db}");
        }
    }
    assert_eq!(db["ticks"], rounds * per_round + 1, "{db}");
    server.kill().unwrap();
    server.wait().unwrap();
}
