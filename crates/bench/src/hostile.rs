//! The hostile-guest storms: the `adversary` fixture pushed into every limit, turn after turn,
//! while the world's longest stall (the longest turn) and the host's RSS growth are measured.
//! Goal: growth under 64 MiB, no stall past the turn budget (plus one epoch tick).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use wasmud_world::memory::{release_to_os, rss_bytes};
use wasmud_world::runtime::Runtime;
use wasmud_world::runtime::sandbox::WORLD_STACK_BYTES;
use wasmud_world::value::{ObjectId, Value};
use wasmud_world::world::{AttrKind, World, WorldError, WorldOptions};

/// Turns run per storm case (after one warm-up turn each).
const ROUNDS: usize = 10;

/// The storm cases: a label and the adversary command (on a fresh object where the case
/// leaves state behind).
const CASES: &[(&str, &str)] = &[
    ("ping-pong 1 KB x10 fan-out", "ping-pong 1000 10"),
    ("ping-pong 60,000 B", "ping-pong 60000 1"),
    ("100,000 messages to itself", "spam 100000"),
    ("endless chain of 20 ms events", "slow-chain 20"),
    ("ndb flood, 1 MiB values", "ndb-flood 1024"),
    ("10,000 names set and removed", "churn-names 10000"),
    ("10,000 writes to a deleted object", "set-on-deleted 10000"),
    ("infinite loop", "loop"),
    ("sleep 3600 s", "sleep 3600"),
    ("allocate without bound", "alloc"),
    ("1M handles", "hold-handles 1000000"),
    ("nest 23 levels, deep recursion", "nest 23 2500"),
    ("10,000 log lines", "log 10000"),
];

/// Runs the storms on a world of its own, on a thread sized like the server's world thread,
/// and prints one line per case and the totals.
///
/// # Errors
/// If the adversary fixture or the store cannot be opened.
pub(super) fn storms(dir: &Path, runtime: &Runtime) -> anyhow::Result<()> {
    let runtime = runtime.clone();
    let path = dir.join("storms.redb");
    std::thread::Builder::new()
        .name("world".into())
        .stack_size(WORLD_STACK_BYTES)
        .spawn(move || run_storms(&path, &runtime))
        .context("spawn the storm thread")?
        .join()
        .map_err(|_| anyhow::anyhow!("the storm thread panicked"))?
}

fn run_storms(path: &Path, runtime: &Runtime) -> anyhow::Result<()> {
    let mut scripts = runtime.load_dir(Path::new(wasmud_components::TEST_DIR))?;
    scripts.insert(runtime.load_file(Path::new(wasmud_components::fixtures::ADVERSARY))?);
    let mut options = WorldOptions::default();
    // Every case traps on purpose, over and over: keep the adversary out of quarantine.
    options.sandbox.quarantine_after = u32::MAX;
    let mut world = World::open(path, runtime, &scripts, &options)?;
    let budget = options.sandbox.turn_budget;
    let mut table = vec![
        String::new(),
        format!(
            "hostile storms ({ROUNDS} turns each, default limits: {budget:?} per turn, {:?} per \
             hook)",
            options.sandbox.hook_deadline
        ),
        format!(
            "{:<36} {:>14} {:>14} {:>12}",
            "storm", "outcome", "longest stall", "RSS growth"
        ),
    ];
    // Warm up: every case once, so instances, pools and the store's pages exist.
    for (_, input) in CASES {
        let a = fresh(&mut world)?;
        let _ = world.command(a, a, input);
    }
    release_to_os();
    let baseline = rss_bytes();
    let mut worst = Duration::ZERO;
    for (label, input) in CASES {
        let before = rss_bytes();
        let mut stall = Duration::ZERO;
        let mut outcome = String::new();
        for _ in 0..ROUNDS {
            let a = fresh(&mut world)?;
            let started = Instant::now();
            let result = world.command(a, a, input);
            stall = stall.max(started.elapsed());
            outcome = describe(&result);
        }
        worst = worst.max(stall);
        table.push(format!(
            "{label:<36} {outcome:>14} {:>11.1} ms {:>9.1} MiB",
            stall.as_secs_f64() * 1e3,
            mib(rss_bytes().saturating_sub(before))
        ));
    }
    for line in table {
        println!("{line}");
    }
    let grown = rss_bytes().saturating_sub(baseline);
    release_to_os();
    let kept = rss_bytes().saturating_sub(baseline);
    println!(
        "{:<36} {:>14} {:>11.1} ms {:>9.1} MiB   (goal: stall <= {budget:?} + a tick, < 64 MiB)",
        "all storms",
        "",
        worst.as_secs_f64() * 1e3,
        mib(grown)
    );
    println!(
        "{:<36} {:>14} {:>14} {:>9.1} MiB",
        "  kept after returning memory to the OS",
        "",
        "",
        mib(kept)
    );
    let stats = world.stats();
    println!(
        "limits hit: {}",
        stats
            .limits
            .iter()
            .filter(|l| l.hits > 0)
            .map(|l| format!("{} {}", l.limit.name(), l.hits))
            .collect::<Vec<_>>()
            .join(", ")
    );
    world.close()?;
    Ok(())
}

/// A new adversary paired with another one (for the ping-pong cases), so no case inherits the
/// state of the last one; the pair is left to the cache.
fn fresh(world: &mut World) -> anyhow::Result<ObjectId> {
    let a = world.create("storm", "adversary", None)?;
    let b = world.create("storm-peer", "adversary", None)?;
    world.set_attr(a, AttrKind::Db, "peer", Value::Object(b))?;
    world.set_attr(b, AttrKind::Db, "peer", Value::Object(a))?;
    Ok(a)
}

fn describe(result: &Result<bool, WorldError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(WorldError::Limit(hit)) => hit.limit.name().into(),
        Err(WorldError::Hook { .. }) => "hook error".into(),
        Err(_) => "error".into(),
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1u32 << 20)
}
