//! The `bench` command: measures the foundation's targets through the real engine, the real
//! example components and a real redb file, and prints the figures.
//!
//! Guest→host figures are taken from inside a guest loop (the `bench` typeclass): the time of a
//! command looping `n` times, minus the time of an empty command, divided by `n`. The
//! `hostile` module runs the storm cases of hostile typeclasses and reports the host's memory
//! growth and longest stall; `durability` the commit policies; `timers` timer throughput,
//! cost and lateness; `players` telnet commands end to end, memory per player, login cost; `backends` redb and
//! PostgreSQL side by side (`bench --backends`).

mod backends;
mod crowd;
mod durability;
mod hostile;
mod players;
mod python;
mod timers;

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::Context as _;

pub use backends::backends;
use wasmud_world::cache::{Entry, IdentityMap};
use wasmud_world::memory::rss_bytes;
use wasmud_world::runtime::{Runtime, Scripts};
use wasmud_world::symbol::Interner;
use wasmud_world::value::Value;
use wasmud_world::world::{AttrKind, World, WorldOptions};

fn per_op(total: Duration, ops: u64) -> f64 {
    total.as_secs_f64() * 1e9 / ops as f64
}

fn best_of<F: FnMut() -> Duration>(runs: usize, mut f: F) -> Duration {
    (0..runs).map(|_| f()).min().expect("runs > 0")
}

/// The `q` quantile (0.0 to 1.0) of `sorted`, which must not be empty.
fn quantile<T: Copy>(sorted: &[T], q: f64) -> T {
    sorted[((sorted.len() - 1) as f64 * q) as usize]
}

fn line(name: &str, value: String, target: &str) {
    println!("{name:<46} {value:>16}   {target}");
}

/// Runs `transfers` durable transfers and reports the store file's size (`bench --soak-transfers`).
///
/// # Errors
/// If the scripts, the engine or the store fail.
pub fn soak(transfers: u64) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    let result = durability::soak(&dir, &Runtime::new()?, transfers);
    std::fs::remove_dir_all(&dir).ok();
    result
}

/// Runs only the player measurements (`bench --players`).
///
/// # Errors
/// If the server cannot start or a client fails.
pub fn players_only() -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    println!("{:<46} {:>16}   target", "measurement", "result");
    let result = players::players(&dir).and_then(|()| crowd::crowd(&dir));
    std::fs::remove_dir_all(&dir).ok();
    result
}

/// Runs only the crowded-rooms scenario (`bench --crowd`).
///
/// # Errors
/// If the server cannot start or a client fails.
pub fn crowd_only() -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    println!("{:<46} {:>16}   target", "measurement", "result");
    let result = crowd::crowd(&dir);
    std::fs::remove_dir_all(&dir).ok();
    result
}

/// Runs every measurement with `objects` objects for the bulk ones and prints the figures.
///
/// # Errors
/// If the scripts, the engine or the store fail.
pub fn run(objects: u64) -> anyhow::Result<()> {
    let dir = tempfile_dir()?;
    println!(
        "wasmud bench: release build, {objects} objects, store in {}",
        dir.display()
    );
    println!("{:<46} {:>16}   target", "measurement", "result");

    cached_lookup();

    // The Python typeclasses take seconds to compile: use the shared artifact cache when
    // there is one (`cargo run` sets it), as `serve --artifacts` does, else one for this run
    // (every later load of the test typeclasses reuses it).
    let cache =
        std::env::var_os("WASMUD_ARTIFACTS").map_or_else(|| dir.join("artifacts"), Into::into);
    let runtime =
        Runtime::new()?.with_artifact_cache(wasmud_world::runtime::ArtifactCache::new(cache));
    let scripts = runtime
        .load_dir(std::path::Path::new(wasmud_components::TEST_DIR))
        .context("load the example scripts")?;
    let options = bench_options();
    let path = dir.join("bench.redb");
    let mut world = World::open(&path, &runtime, &scripts, &options)?;
    guest_calls(&mut world)?;
    python_calls(&mut world)?;
    hook_transactions(&mut world)?;
    create_throughput(&mut world, objects)?;
    drop(world);
    sandbox_cost(&dir)?;
    reload_latency(&dir)?;
    python::python_costs(&dir)?;

    cold_load_and_memory(&path, &runtime, &scripts, &options, objects)?;
    durability::open_time(&path, &runtime, objects)?;
    hostile::storms(&dir, &runtime)?;
    durability::transfers(&dir, &runtime)?;
    timers::timers(&dir, &runtime)?;
    players::players(&dir)?;
    crowd::crowd(&dir)?;
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// `p50 / p99 / max` of microsecond samples, in milliseconds.
pub(crate) fn spread(samples: &mut [u32]) -> String {
    if samples.is_empty() {
        return "none".into();
    }
    samples.sort_unstable();
    let at = |q| f64::from(quantile(samples, q)) / 1e3;
    format!("{:.2} / {:.2} / {:.1} ms", at(0.5), at(0.99), at(1.0))
}

/// A small redb page cache (so memory figures are the identity map's) and a deadline long
/// enough for the bulk-creation hooks.
fn bench_options() -> WorldOptions {
    let mut options = WorldOptions {
        store_cache_bytes: 8 << 20,
        ..WorldOptions::default()
    };
    options.sandbox.hook_deadline = Duration::from_secs(600);
    options.sandbox.turn_budget = Duration::from_secs(600);
    // Bulk creation of a million objects in one turn keeps a million undo records.
    options.limits.max_undo_bytes_per_turn = usize::MAX;
    options
}

/// Flushes everything that was loaded, then measures the hit ratio of a Zipf(1.0) access
/// pattern with the cache budget at 10% of the objects.
fn flush_and_zipf(world: &mut World, ids: &[u64], rss_before_load: u64) -> anyhow::Result<()> {
    let rss_loaded = rss_bytes();
    let report = world.flush(wasmud_world::FlushScope::All, false);
    anyhow::ensure!(
        report.dropped as u64 >= ids.len() as u64,
        "flush dropped everything"
    );
    line(
        &format!("flush of {} entries, total", report.dropped),
        format!("{:.1} ms", report.took.as_secs_f64() * 1e3),
        "< 150 ms (1M)",
    );
    line(
        &format!("flush longest pause ({} slices)", report.slices),
        format!("{:.2} ms", report.max_pause.as_secs_f64() * 1e3),
        "< 5 ms",
    );
    let mib = |b: u64| format!("{:.1} MiB", b as f64 / f64::from(1 << 20));
    line("RSS before load", mib(rss_before_load), "");
    line("RSS after load", mib(rss_loaded), "");
    line(
        "RSS after flush",
        mib(report.rss_after),
        "within 10% of before load",
    );

    // Zipf(1.0) over the objects, cache budget 10% of them.
    let n = ids.len();
    let budget = (n / 10).max(1);
    world.set_cache_budget(Some(budget));
    let cdf = zipf_cdf(n, 1.0);
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut sample = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let u = (rng >> 11) as f64 / (1u64 << 53) as f64;
        ids[cdf.partition_point(|&c| c < u).min(n - 1)]
    };
    for _ in 0..n {
        world.location(sample())?; // warm up to the steady state
    }
    let before = world.stats().cache;
    let accesses = 1_000_000;
    let mut worst = Duration::ZERO;
    let start = Instant::now();
    for _ in 0..accesses {
        let t = Instant::now();
        black_box(world.location(sample())?);
        worst = worst.max(t.elapsed());
    }
    let took = start.elapsed();
    let after = world.stats().cache;
    let hits = after.hits - before.hits;
    let loads = after.loads - before.loads;
    line(
        "Zipf(1.0) hit ratio, cache = 10% of objects",
        format!("{:.1} %", 100.0 * (1.0 - loads as f64 / accesses as f64)),
        &format!("(LFU bound ~{:.0} %)", 100.0 * zipf_head_mass(n, budget)),
    );
    line(
        "Zipf access incl. eviction, mean / worst",
        format!(
            "{:.2} / {:.2} us",
            per_op(took, accesses) / 1000.0,
            worst.as_secs_f64() * 1e6
        ),
        &format!("({} evictions)", after.evictions - before.evictions),
    );
    black_box(hits);
    Ok(())
}

/// The cumulative distribution of Zipf(`s`) over `n` ranks.
fn zipf_cdf(n: usize, s: f64) -> Vec<f64> {
    let weights: Vec<f64> = (1..=n).map(|k| 1.0 / (k as f64).powf(s)).collect();
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    weights
        .iter()
        .map(|w| {
            acc += w / total;
            acc
        })
        .collect()
}

/// The probability mass of the `k` most popular of `n` Zipf(1.0) ranks: the best hit ratio any
/// cache of `k` entries can reach.
fn zipf_head_mass(n: usize, k: usize) -> f64 {
    let h = |m: usize| (1..=m).map(|i| 1.0 / i as f64).sum::<f64>();
    h(k) / h(n)
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("wasmud-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn cached_lookup() {
    const N: u64 = 100_000;
    let mut names = Interner::default();
    let tc = names.intern("object");
    let mut map = IdentityMap::default();
    for id in 1..=N {
        map.insert_new(id, Entry::new("thing".into(), tc, None, Vec::new()));
    }
    // A fixed pseudo-random order, so the lookups are not a sequential scan.
    let order: Vec<u64> = (0..1_000_000u64)
        .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20) % N + 1)
        .collect();
    let t = best_of(5, || {
        let start = Instant::now();
        for &id in &order {
            black_box(map.get(black_box(id)).map(|e| e.location));
        }
        start.elapsed()
    });
    line(
        "cached host lookup (identity map, 100k entries)",
        format!("{:.1} ns", per_op(t, order.len() as u64)),
        "< 50 ns",
    );
}

/// What a guest's loops cost: `db` and `ndb` reads from inside it (`n` each) and the
/// dispatch of an empty `at-command` (`calls` times), on a new object of `typeclass`, which
/// answers `noop`, `db-get <n>` and `ndb-get <n>` (the `bench` typeclass and its twins).
struct GuestFigures {
    db: Duration,
    ndb: Duration,
    dispatch: Duration,
}

fn guest_figures(
    world: &mut World,
    typeclass: &str,
    n: u64,
    calls: u64,
) -> anyhow::Result<GuestFigures> {
    let b = world.create(typeclass, typeclass, None)?;
    world.set_attr(b, AttrKind::Db, "n", Value::Int(1))?;
    world.set_attr(b, AttrKind::Ndb, "n", Value::Int(1))?;
    let mut time_cmd = |cmd: &str| -> anyhow::Result<Duration> {
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let start = Instant::now();
            anyhow::ensure!(world.command(b, b, cmd)?, "{cmd} not handled");
            best = best.min(start.elapsed());
        }
        Ok(best)
    };
    let empty = time_cmd("noop")?;
    let db = time_cmd(&format!("db-get {n}"))?.saturating_sub(empty);
    let ndb = time_cmd(&format!("ndb-get {n}"))?.saturating_sub(empty);
    let dispatch = best_of(3, || {
        let start = Instant::now();
        for _ in 0..calls {
            black_box(world.command(b, b, "noop").expect("noop"));
        }
        start.elapsed()
    });
    Ok(GuestFigures {
        db: db / u32::try_from(n)?,
        ndb: ndb / u32::try_from(n)?,
        dispatch: dispatch / u32::try_from(calls)?,
    })
}

fn guest_calls(world: &mut World) -> anyhow::Result<()> {
    let f = guest_figures(world, "bench", 200_000, 100_000)?;
    line(
        "guest->host db get (integer, via handle)",
        format!("{:.0} ns", f.db.as_nanos()),
        "< 250 ns",
    );
    line(
        "guest->host ndb get (integer, via handle)",
        format!("{:.0} ns", f.ndb.as_nanos()),
        "< 250 ns",
    );
    line(
        "host->guest hook dispatch (at-command, 2 handles)",
        format!("{:.0} ns", f.dispatch.as_nanos()),
        "< 1 us",
    );
    Ok(())
}

/// The same calls from a Python guest (`pybench`, CPython inside the component), to compare
/// with the Rust figures above and with Evennia's `obj.db.x` (~3.6 us on the reference
/// machine).
fn python_calls(world: &mut World) -> anyhow::Result<()> {
    let us = |d: Duration| format!("{:.2} us", d.as_secs_f64() * 1e6);
    let f = guest_figures(world, "pybench", 20_000, 10_000)?;
    line(
        "python: guest->host db get (obj.db.n)",
        us(f.db),
        "(Evennia ~3.6 us)",
    );
    line(
        "python: guest->host ndb get (obj.ndb.n)",
        us(f.ndb),
        "(for comparison)",
    );
    line(
        "python: host->guest hook dispatch (at-command)",
        us(f.dispatch),
        "(for comparison)",
    );
    Ok(())
}

/// Time of one `at-command` turn that makes `k` `db` writes: hook, undo log, redb writes and
/// the turn's commit.
fn hook_transactions(world: &mut World) -> anyhow::Result<()> {
    const CALLS: u64 = 5_000;
    let b = world.search("bench")?[0];
    for k in [0u32, 1, 10] {
        let cmd = format!("write {k}");
        let t = best_of(3, || {
            let start = Instant::now();
            for _ in 0..CALLS {
                black_box(world.command(b, b, &cmd).expect("write"));
            }
            start.elapsed()
        });
        line(
            &format!("hook turn with {k} db writes (incl. commit)"),
            format!("{:.1} us", per_op(t, CALLS) / 1000.0),
            "(transaction cost)",
        );
    }
    Ok(())
}

/// The test typeclass `name` alone (loading every test typeclass would compile the Python
/// ones too, seconds each, where a runtime has no artifact cache).
fn only(runtime: &Runtime, name: &str) -> anyhow::Result<Scripts> {
    let mut scripts = Scripts::default();
    let path = std::path::Path::new(wasmud_components::TEST_DIR).join(format!("{name}.wasm"));
    scripts.insert(runtime.load_file(&path)?);
    Ok(scripts)
}

/// A hot guest loop with and without epoch interruption and store limits.
fn sandbox_cost(dir: &std::path::Path) -> anyhow::Result<()> {
    const SPIN: u64 = 50_000_000;
    const GETS: u64 = 200_000;
    let mut unlimited = bench_options();
    unlimited.sandbox.max_memory_bytes = usize::MAX;
    unlimited.sandbox.max_handles = usize::MAX;
    let setups = [
        ("epoch + limits", Runtime::new()?, bench_options()),
        (
            "no epoch, no limits",
            Runtime::without_interruption()?,
            unlimited,
        ),
    ];
    for (i, (label, runtime, options)) in setups.into_iter().enumerate() {
        let scripts = only(&runtime, "bench")?;
        let path = dir.join(format!("sandbox-{i}.redb"));
        let mut world = World::open(&path, &runtime, &scripts, &options)?;
        let b = world.create("bench", "bench", None)?;
        world.set_attr(b, AttrKind::Db, "n", Value::Int(1))?;
        let mut time = |cmd: &str| {
            best_of(5, || {
                let start = Instant::now();
                world.command(b, b, cmd).expect("bench command");
                start.elapsed()
            })
        };
        let spin = time(&format!("spin {SPIN}"));
        let gets = time(&format!("db-get {GETS}"));
        line(
            &format!("pure wasm loop iteration ({label})"),
            format!("{:.3} ns", per_op(spin, SPIN)),
            "(sandbox cost)",
        );
        line(
            &format!("guest->host db get loop ({label})"),
            format!("{:.0} ns", per_op(gets, GETS)),
            "(sandbox cost)",
        );
    }
    Ok(())
}

/// Hot reload from the trigger (new bytes in hand) to the first hook on the new code: compile
/// (or load the precompiled artifact), validate, install, run `at-command`.
fn reload_latency(dir: &std::path::Path) -> anyhow::Result<()> {
    let cache_dir = dir.join("artifacts");
    let runtime =
        Runtime::new()?.with_artifact_cache(wasmud_world::runtime::ArtifactCache::new(&cache_dir));
    let scripts = only(&runtime, "greeter")?;
    let mut world = World::open(
        &dir.join("reload.redb"),
        &runtime,
        &scripts,
        &bench_options(),
    )?;
    let g = world.create("greeter", "greeter", None)?;
    let versions = [
        std::fs::read(wasmud_components::fixtures::GREETER_V2)?,
        std::fs::read(wasmud_components::GREETER)?,
    ];
    let mut reload =
        |bytes: &[u8]| -> anyhow::Result<(Duration, wasmud_world::runtime::Origin, usize)> {
            let start = Instant::now();
            let script = runtime.compile("greeter", bytes)?;
            let origin = script.origin();
            world.install(script)?;
            anyhow::ensure!(world.command(g, g, "greet")?, "greet handled");
            Ok((start.elapsed(), origin, bytes.len()))
        };
    // v2 was never compiled: cold. v1 was compiled by `only`: warm. Then v2 again: warm.
    for (label, bytes) in [
        ("cold", &versions[0]),
        ("warm", &versions[1]),
        ("warm", &versions[0]),
    ] {
        let (t, origin, size) = reload(bytes)?;
        line(
            &format!(
                "reload {label} ({origin:?}, {} KB) to first hook",
                size / 1024
            ),
            format!("{:.2} ms", t.as_secs_f64() * 1e3),
            if label == "cold" {
                "< 100 ms"
            } else {
                "< 5 ms"
            },
        );
    }
    Ok(())
}

fn create_throughput(world: &mut World, objects: u64) -> anyhow::Result<()> {
    let b = world.search("bench")?[0];
    let start = Instant::now();
    world.command(b, b, &format!("create {objects}"))?;
    let t = start.elapsed();
    line(
        "create object + 1 attribute (in one hook)",
        format!("{:.0} /s", objects as f64 / t.as_secs_f64()),
        ">= 100,000 /s",
    );
    const SINGLE: u64 = 10_000;
    let start = Instant::now();
    for _ in 0..SINGLE {
        world.create("single", "object", None)?;
    }
    let t = start.elapsed();
    line(
        "create object (one turn + commit each)",
        format!("{:.0} /s", SINGLE as f64 / t.as_secs_f64()),
        "(for comparison)",
    );
    Ok(())
}

fn cold_load_and_memory(
    path: &std::path::Path,
    runtime: &Runtime,
    scripts: &wasmud_world::Scripts,
    options: &WorldOptions,
    objects: u64,
) -> anyhow::Result<()> {
    // Objects with three small attributes, created in one turn; then a restart empties the cache.
    let first;
    {
        let mut world = World::open(path, runtime, scripts, options)?;
        let b = world.search("bench")?[0];
        let before = world.object_count()?;
        world.command(b, b, &format!("create3 {objects}"))?;
        first = world.search("thing")?.into_iter().max().unwrap_or(0) + 1 - objects;
        anyhow::ensure!(
            world.object_count()? == before + objects,
            "create3 created all"
        );
        world.close()?;
    }
    // Load them in a fresh process: freed memory of this one would hide the growth in RSS.
    let out = std::process::Command::new(std::env::current_exe()?)
        .arg("bench-load")
        .arg(path)
        .args([first.to_string(), objects.to_string()])
        .output()
        .context("run the cold-load child")?;
    anyhow::ensure!(
        out.status.success(),
        "cold-load child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
    Ok(())
}

/// The cold-load half of the benchmark, run in a fresh process by [`run`]: loads `count`
/// objects from `first` on out of the store at `path` and prints load time and memory figures.
///
/// # Errors
/// If the store or the scripts fail, or an object is missing.
pub fn run_cold_load(path: &std::path::Path, first: u64, count: u64) -> anyhow::Result<()> {
    let runtime = Runtime::new()?;
    // The objects loaded are plain; only the bench typeclass is needed (and no compile of the
    // Python test typeclasses in this process).
    let scripts = only(&runtime, "bench")?;
    let options = bench_options();
    let objects = count;
    let mut world = World::open(path, &runtime, &scripts, &options)?;
    let ids: Vec<u64> = (first..first + objects).collect();
    black_box(world.location(ids[0])?);
    let rss_before = rss_bytes();
    let start = Instant::now();
    for &id in &ids {
        black_box(world.location(id)?);
    }
    let cold = start.elapsed();
    let rss_after = rss_bytes();
    let start = Instant::now();
    for &id in &ids {
        black_box(world.location(id)?);
    }
    let warm = start.elapsed();
    let stats = world.stats();
    anyhow::ensure!(
        stats.cache.loads >= objects,
        "every object was loaded: {stats:?}"
    );
    line(
        "cold load from redb (3 attrs, via World API)",
        format!("{:.2} us", per_op(cold, objects) / 1000.0),
        "< 5 us",
    );
    line(
        "same access once cached (via World API)",
        format!("{:.0} ns", per_op(warm, objects)),
        "(for comparison)",
    );
    line(
        "RSS per cached object (3 small attributes)",
        format!("{} B", rss_after.saturating_sub(rss_before) / objects),
        "< 400 B (redb cache 8 MiB incl.)",
    );
    flush_and_zipf(&mut world, &ids, rss_before)?;
    line(
        "identity map estimate per object",
        format!(
            "{} B",
            stats.cache_bytes as u64 / stats.cache.entries.max(1) as u64
        ),
        "(map + entry heap)",
    );
    Ok(())
}
