//! Timer figures: timers fired per second (each `at-tick` one `db` write, durable group
//! commit, through the world thread), memory and disk per scheduled timer, and the lateness of
//! `at-tick` after its due time (p50/p99) with 100,000 timers scheduled.

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use wasmud_world::memory::rss_bytes;
use wasmud_world::runtime::{Runtime, Scripts};
use wasmud_world::value::ObjectId;
use wasmud_world::world::{TickOutcome, World, WorldOptions};
use wasmud_world::world_thread::{CommitPolicy, WorldThread};

/// Timers scheduled for each measurement.
const TIMERS: u64 = 100_000;
/// Timers per `bench` object (the per-object limit is 100).
const PER_OBJECT: u64 = 100;

fn world(path: &Path, runtime: &Runtime) -> anyhow::Result<World> {
    let mut scripts = Scripts::default();
    let bench = Path::new(wasmud_components::TEST_DIR).join("bench.wasm");
    scripts.insert(runtime.load_file(&bench)?);
    let options = WorldOptions {
        store_cache_bytes: 16 << 20,
        ..WorldOptions::default()
    };
    Ok(World::open(path, runtime, &scripts, &options)?)
}

/// Creates `TIMERS / PER_OBJECT` bench objects and schedules `PER_OBJECT` one-shot timers on
/// each, timer `i` due `delay(i)` from now.
fn schedule(world: &mut World, delay: impl Fn(u64) -> Duration) -> anyhow::Result<Vec<ObjectId>> {
    let mut objects = Vec::new();
    for o in 0..TIMERS / PER_OBJECT {
        let id = world.create(&format!("clock{o}"), "bench", None)?;
        world.atomically(|b| {
            for n in 0..PER_OBJECT {
                b.schedule_timer(id, &format!("t{n}"), delay(o * PER_OBJECT + n), false)?;
            }
            Ok(())
        })?;
        objects.push(id);
    }
    world.checkpoint()?;
    Ok(objects)
}

/// Prints the timer figures.
///
/// # Errors
/// If the bench typeclass or the store fail.
pub(super) fn timers(dir: &Path, runtime: &Runtime) -> anyhow::Result<()> {
    println!();
    println!("timers: {TIMERS} one-shot timers on bench objects (at-tick: one db write)");
    fired_per_second(dir, runtime)?;
    lateness(dir, runtime)?;
    Ok(())
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

/// All timers due at once, fired by the world thread under durable group commit.
fn fired_per_second(dir: &Path, runtime: &Runtime) -> anyhow::Result<()> {
    let path = dir.join("timers-throughput.redb");
    let mut world = world(&path, runtime)?;
    let file_before = std::fs::metadata(&path)?.len();
    let rss_before = rss_bytes();
    schedule(&mut world, |_| Duration::from_millis(100))?;
    let rss_after = rss_bytes();
    let file_after = std::fs::metadata(&path)?.len();
    super::line(
        "RSS growth per scheduled timer",
        format!(
            "{:.1} B",
            rss_after.saturating_sub(rss_before) as f64 / TIMERS as f64
        ),
        "rows live in redb, not in memory",
    );
    super::line(
        "store file growth per scheduled timer",
        format!(
            "{:.0} B",
            file_after.saturating_sub(file_before) as f64 / TIMERS as f64
        ),
        &format!(
            "{} for {TIMERS}",
            mib(file_after.saturating_sub(file_before))
        ),
    );
    std::thread::sleep(Duration::from_millis(150));
    let (thread, handle) = WorldThread::spawn_with(world, CommitPolicy::durable());
    let rt = tokio::runtime::Builder::new_current_thread().build()?;
    let started = Instant::now();
    let (fsyncs_before, _) = rt.block_on(handle.call(|w| (w.stats().fsyncs, ())))?;
    loop {
        let left = rt.block_on(handle.call(|w| w.timer_count()))??;
        if left == 0 {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "timers stopped firing"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = started.elapsed();
    let stats = rt.block_on(handle.call(|w| w.stats()))?;
    drop(handle);
    thread.stop()?;
    anyhow::ensure!(
        stats.timer_counters.fired == TIMERS,
        "fired {} of {TIMERS}",
        stats.timer_counters.fired
    );
    super::line(
        "timers fired per second (durable, world thread)",
        format!("{:.0}/s", TIMERS as f64 / took.as_secs_f64()),
        &format!(
            "{TIMERS} due at once in {:.2} s, {} fsyncs",
            took.as_secs_f64(),
            stats.fsyncs - fsyncs_before
        ),
    );
    std::fs::remove_file(&path).ok();
    Ok(())
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Timers due over 10 s, fired by the world's timer loop (fire what is due, else sleep until
/// the next due time, as the world thread does); lateness = end of the fire turn - due time.
fn lateness(dir: &Path, runtime: &Runtime) -> anyhow::Result<()> {
    let path = dir.join("timers-latency.redb");
    let mut world = world(&path, runtime)?;
    let spread_ms = 10_000;
    // Scheduling takes a few seconds: start the window after it.
    let lead_ms = 8_000;
    let scheduling = Instant::now();
    schedule(&mut world, |i| {
        Duration::from_millis(lead_ms + i * spread_ms / TIMERS)
    })?;
    anyhow::ensure!(
        scheduling.elapsed() < Duration::from_millis(lead_ms),
        "scheduling took {:?}, past the first due time",
        scheduling.elapsed()
    );
    let mut late = Vec::with_capacity(TIMERS as usize);
    let deadline = Instant::now() + Duration::from_millis(lead_ms + spread_ms + 60_000);
    while (late.len() as u64) < TIMERS && Instant::now() < deadline {
        match world.fire_due_timer() {
            Some(fire) => {
                anyhow::ensure!(fire.outcome == TickOutcome::Fired, "{fire:?}");
                late.push(now_us().saturating_sub(fire.due_ms * 1_000));
            }
            None => {
                let wait = world.until_next_timer().unwrap_or(Duration::from_millis(1));
                std::thread::sleep(
                    wait.max(Duration::from_millis(1))
                        .min(Duration::from_secs(1)),
                );
            }
        }
    }
    anyhow::ensure!(late.len() as u64 == TIMERS, "only {} fired", late.len());
    late.sort_unstable();
    let at = |q| super::quantile(&late, q) as f64 / 1e3;
    super::line(
        "due -> at-tick done, p50 (100k scheduled)",
        format!("{:.2} ms", at(0.50)),
        "due times have 1 ms resolution",
    );
    super::line(
        "due -> at-tick done, p99 (100k scheduled)",
        format!("{:.2} ms", at(0.99)),
        &format!("max {:.2} ms", at(1.0)),
    );
    drop(world);
    std::fs::remove_file(&path).ok();
    Ok(())
}
