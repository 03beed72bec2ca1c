//! Durability figures: acknowledged transfers per second and acknowledgement latency under each
//! commit policy with 1, 4 and 64 concurrent clients (tokio tasks calling the world thread, as
//! the console does), fsyncs per second, and the time to open a large world.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::runtime::Runtime;
use crate::value::{ObjectId, Value};
use crate::world::{AttrKind, World, WorldOptions};
use crate::world_thread::{CommitPolicy, WorldHandle, WorldThread};

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
        "{:<58} {:>7} {:>12} {:>9} {:>9} {:>9}",
        "policy", "clients", "transfers/s", "p50", "p99", "fsyncs/s"
    );
    for policy in [CommitPolicy::durable(), CommitPolicy::relaxed(100)] {
        for clients in [1usize, 4, 64] {
            let path = dir.join(format!("ledger-{clients}-{}.redb", policy_tag(policy)));
            let figures = run(&path, runtime, policy, clients)?;
            println!(
                "{:<58} {clients:>7} {:>12.0} {:>6.2} ms {:>6.2} ms {:>9.0}",
                policy.to_string(),
                figures.per_second,
                figures.p50.as_secs_f64() * 1e3,
                figures.p99.as_secs_f64() * 1e3,
                figures.fsyncs_per_second
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

struct Figures {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    fsyncs_per_second: f64,
}

fn run(
    path: &Path,
    runtime: &Runtime,
    policy: CommitPolicy,
    clients: usize,
) -> anyhow::Result<Figures> {
    let mut scripts = crate::runtime::Scripts::default();
    scripts.insert(runtime.load_file(Path::new(crate::scripts::fixtures::LEDGER))?);
    let mut world = World::open(path, runtime, &scripts, &WorldOptions::default())?;
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
    let mut latencies: Vec<Duration> = rt.block_on(async {
        let tasks: Vec<_> = (0..clients)
            .map(|c| tokio::spawn(client(handle.clone(), accounts.clone(), c, started + RUN)))
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

/// Transfers from account `c` (mod the accounts) until `until`; returns each acknowledgement's
/// latency.
async fn client(
    handle: WorldHandle,
    accounts: Arc<Vec<ObjectId>>,
    c: usize,
    until: Instant,
) -> Vec<Duration> {
    let me = accounts[c % accounts.len()];
    let mut latencies = Vec::new();
    let mut seq = 0u64;
    while Instant::now() < until {
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
    let scripts = crate::runtime::Scripts::default();
    let started = Instant::now();
    let mut world = World::open(path, runtime, &scripts, &WorldOptions::default())?;
    let count = world.object_count()?;
    let took = started.elapsed();
    world.close()?;
    super::line(
        &format!("open a world of {count} objects (asked {objects})"),
        format!("{:.1} ms", took.as_secs_f64() * 1e3),
        "< 100 ms",
    );
    Ok(())
}
