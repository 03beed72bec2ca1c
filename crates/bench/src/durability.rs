//! Durability figures: acknowledged transfers per second and acknowledgement latency under each
//! commit policy with 1, 4 and 64 concurrent clients (tokio tasks calling the world thread, as
//! the console does), fsyncs per second, and the time to open a large world.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmud_world::runtime::Runtime;
use wasmud_world::value::{ObjectId, Value};
use wasmud_world::world::{AttrKind, World, WorldOptions};
use wasmud_world::world_thread::{CommitPolicy, WorldHandle, WorldThread};

/// How long each configuration runs.
const RUN: Duration = Duration::from_secs(2);
const ACCOUNTS: usize = 64;

/// Runs the transfer storms and prints one line per policy and client count.
///
/// # Errors
/// If the ledger fixture or the store cannot be opened.
pub(super) fn transfers(dir: &Path, runtime: &Runtime) -> anyhow::Result<()> {
    println!();
    println!("durability: conserving transfers between {ACCOUNTS} ledger accounts, {RUN:?} each");
    println!(
        "{:<58} {:>7} {:>12} {:>9} {:>9} {:>9} {:>10}",
        "policy", "clients", "transfers/s", "p50", "p99", "fsyncs/s", "file"
    );
    for policy in [CommitPolicy::durable(), CommitPolicy::relaxed(100)] {
        for clients in [1usize, 4, 64] {
            let path = dir.join(format!("ledger-{clients}-{}.redb", policy_tag(policy)));
            let figures = run(&path, runtime, policy, clients, None)?;
            let file = std::fs::metadata(&path).map_or(0, |m| m.len());
            println!(
                "{:<58} {clients:>7} {:>12.0} {:>6.2} ms {:>6.2} ms {:>9.0} {:>6.1} MiB",
                policy.to_string(),
                figures.per_second,
                figures.p50.as_secs_f64() * 1e3,
                figures.p99.as_secs_f64() * 1e3,
                figures.fsyncs_per_second,
                file as f64 / f64::from(1u32 << 20)
            );
            std::fs::remove_file(&path).ok();
        }
    }
    Ok(())
}

fn policy_tag(policy: CommitPolicy) -> &'static str {
    match policy {
        CommitPolicy::Durable { .. } => "durable",
        CommitPolicy::Relaxed { .. } => "relaxed",
    }
}

/// What one transfer storm measured.
pub(crate) struct Figures {
    /// Acknowledged transfers per second.
    pub(crate) per_second: f64,
    /// Acknowledgement latency, median.
    pub(crate) p50: Duration,
    /// Acknowledgement latency, 99th percentile.
    pub(crate) p99: Duration,
    /// Durable commits per second.
    pub(crate) fsyncs_per_second: f64,
}

fn run(
    path: &Path,
    runtime: &Runtime,
    policy: CommitPolicy,
    clients: usize,
    transfers: Option<u64>,
) -> anyhow::Result<Figures> {
    let options = WorldOptions::default();
    let store = wasmud_world::store::RedbStore::open(path, options.store_cache_bytes)?;
    storm(Box::new(store), runtime, policy, clients, transfers)
}

/// A storm of [`RUN`] on any store (`bench --backends`).
pub(crate) fn run_on(
    store: Box<dyn wasmud_world::store::Backend>,
    runtime: &Runtime,
    policy: CommitPolicy,
    clients: usize,
) -> anyhow::Result<Figures> {
    storm(store, runtime, policy, clients, None)
}

fn storm(
    store: Box<dyn wasmud_world::store::Backend>,
    runtime: &Runtime,
    policy: CommitPolicy,
    clients: usize,
    transfers: Option<u64>,
) -> anyhow::Result<Figures> {
    let mut scripts = wasmud_world::runtime::Scripts::default();
    scripts.insert(runtime.load_file(Path::new(wasmud_components::fixtures::LEDGER))?);
    let mut world = World::on_store(store, runtime, &scripts, &WorldOptions::default());
    let accounts: Vec<ObjectId> = world.atomically(|b| {
        (0..ACCOUNTS)
            .map(|i| {
                let id = b.create(&format!("acct{i}"), "ledger", None)?;
                b.set_attr(id, AttrKind::Db, "gold", Value::Int(1_000))?;
                Ok(id)
            })
            .collect()
    })?;
    world.checkpoint()?;
    let fsyncs_before = world.stats().fsyncs;
    let (thread, handle) = WorldThread::spawn_with(world, policy);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let accounts = Arc::new(accounts);
    let started = Instant::now();
    let stop = match transfers {
        Some(n) => Stop::After(Arc::default(), n),
        None => Stop::At(started + RUN),
    };
    let mut latencies: Vec<Duration> = rt.block_on(async {
        let tasks: Vec<_> = (0..clients)
            .map(|c| tokio::spawn(client(handle.clone(), accounts.clone(), c, stop.clone())))
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.expect("client task"));
        }
        all
    });
    let elapsed = started.elapsed();
    let fsyncs = rt.block_on(handle.call(|w| w.stats().fsyncs))? - fsyncs_before;
    drop(handle);
    thread.stop()?;
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Ok(Figures {
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        fsyncs_per_second: fsyncs as f64 / elapsed.as_secs_f64(),
    })
}

/// When a client stops.
#[derive(Clone)]
enum Stop {
    /// At this instant.
    At(Instant),
    /// When all clients together have made this many transfers.
    After(Arc<std::sync::atomic::AtomicU64>, u64),
}

impl Stop {
    fn reached(&self) -> bool {
        match self {
            Stop::At(t) => Instant::now() >= *t,
            Stop::After(done, target) => {
                done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) >= *target
            }
        }
    }
}

/// Transfers from account `c` (mod the accounts) until `stop`; returns each acknowledgement's
/// latency.
async fn client(
    handle: WorldHandle,
    accounts: Arc<Vec<ObjectId>>,
    c: usize,
    stop: Stop,
) -> Vec<Duration> {
    let me = accounts[c % accounts.len()];
    let mut latencies = Vec::new();
    let mut seq = 0u64;
    while !stop.reached() {
        seq += 1;
        let to = accounts[(c * 7 + seq as usize) % accounts.len()];
        let input = format!("transfer {to} 1 {seq}");
        let sent = Instant::now();
        match handle.call(move |w| w.command(me, me, &input)).await {
            Ok(Ok(true)) => latencies.push(sent.elapsed()),
            other => panic!("transfer failed: {other:?}"),
        }
    }
    latencies
}

/// Prints how long opening the world at `path` (with many objects) takes: it must not load
/// them.
///
/// # Errors
/// If the store cannot be opened.
pub(super) fn open_time(path: &Path, runtime: &Runtime, objects: u64) -> anyhow::Result<()> {
    let scripts = wasmud_world::runtime::Scripts::default();
    let started = Instant::now();
    let mut world = World::open(path, runtime, &scripts, &WorldOptions::default())?;
    let count = world.object_count()?;
    let took = started.elapsed();
    super::line(
        &format!("open a world of {count} objects (asked {objects})"),
        format!("{:.1} ms", took.as_secs_f64() * 1e3),
        "< 100 ms",
    );
    let snapshot = world.snapshot()?;
    let dest = path.with_extension("backup");
    let report = snapshot.backup_to(&dest)?;
    drop(snapshot);
    world.close()?;
    super::line(
        &format!(
            "backup of that world ({:.0} MiB)",
            report.bytes as f64 / f64::from(1u32 << 20)
        ),
        format!("{:.0} ms", report.took.as_secs_f64() * 1e3),
        "(world keeps serving)",
    );
    std::fs::remove_file(&dest).ok();
    Ok(())
}

/// `bench --soak-transfers N`: N durable transfers by 64 clients, then the size of the store
/// file (the live data is 64 small accounts: the file must stay small, freed pages reused).
///
/// # Errors
/// If the ledger fixture or the store cannot be opened.
pub(crate) fn soak(dir: &Path, runtime: &Runtime, transfers: u64) -> anyhow::Result<()> {
    let path = dir.join("soak.redb");
    let figures = run(&path, runtime, CommitPolicy::durable(), 64, Some(transfers))?;
    let file = std::fs::metadata(&path).map_or(0, |m| m.len());
    println!(
        "soak: {transfers} durable transfers by 64 clients at {:.0}/s (p99 {:.2} ms): store file \
         {:.2} MiB for {ACCOUNTS} accounts",
        figures.per_second,
        figures.p99.as_secs_f64() * 1e3,
        file as f64 / f64::from(1u32 << 20)
    );
    std::fs::remove_file(&path).ok();
    Ok(())
}
