//! What a Python typeclass costs besides its calls: compiling its component (the first start
//! or reload of new code), loading it from the artifact cache (every later start), the first
//! hook on a new instance, and memory per typeclass and per instance.

use std::path::Path;
use std::time::{Duration, Instant};

use wasmud_world::memory::rss_bytes;
use wasmud_world::runtime::{ArtifactCache, Origin, Runtime, Scripts};
use wasmud_world::world::World;

/// Prints the Python component figures, from `pybench` (CPython with the SDK).
///
/// # Errors
/// If the component cannot be compiled or run.
pub(super) fn python_costs(dir: &Path) -> anyhow::Result<()> {
    let bytes = std::fs::read(Path::new(wasmud_components::TEST_DIR).join("pybench.wasm"))?;
    let cache = dir.join("python-artifacts");
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1e3);
    let mib = |b: u64| format!("{:.1} MiB", b as f64 / f64::from(1 << 20));

    let runtime = Runtime::new()?.with_artifact_cache(ArtifactCache::new(&cache));
    let started = Instant::now();
    let script = runtime.compile("pybench", &bytes)?;
    let cold = started.elapsed();
    anyhow::ensure!(
        script.origin() == Origin::Compiled,
        "expected a cold compile"
    );
    drop((script, runtime));
    super::line(
        &format!(
            "python: compile a component ({:.1} MB), cold",
            bytes.len() as f64 / 1e6
        ),
        ms(cold),
        "off the world thread",
    );

    // A fresh engine, as a restarted server has: only the artifact on disk.
    let rss_start = rss_bytes();
    let runtime = Runtime::new()?.with_artifact_cache(ArtifactCache::new(&cache));
    let started = Instant::now();
    let script = runtime.compile("pybench", &bytes)?;
    let cached = started.elapsed();
    anyhow::ensure!(
        script.origin() == Origin::Cached,
        "expected the cached artifact"
    );
    super::line(
        "python: load it from the artifact cache (start)",
        ms(cached),
        "every start after the first",
    );
    let mut scripts = Scripts::default();
    scripts.insert(script.clone());
    let path = dir.join("python.redb");
    let mut world = World::open(&path, &runtime, &scripts, &super::bench_options())?;
    let b = world.create("pybench", "pybench", None)?;
    world.command(b, b, "noop")?;
    let rss_loaded = rss_bytes();

    // A reinstall empties the pool: the next hook instantiates.
    let first_hook = super::best_of(5, || {
        world.install(script.clone()).expect("reinstall");
        let started = Instant::now();
        world.command(b, b, "noop").expect("noop");
        started.elapsed()
    });
    super::line(
        "python: first hook on a new instance (instantiate)",
        ms(first_hook),
        "pooled after (8 per typeclass)",
    );

    let before = world.stats().idle_instances;
    let rss_before = rss_bytes();
    world.command(b, b, "nest 8")?;
    let after = world.stats().idle_instances;
    let rss_after = rss_bytes();
    let added = after.count.saturating_sub(before.count).max(1) as u64;
    super::line(
        "python: memory of a typeclass with one instance",
        format!("{} RSS", mib(rss_loaded.saturating_sub(rss_start))),
        "code mapped from the artifact",
    );
    super::line(
        "python: memory per further instance",
        format!("{} RSS", mib(rss_after.saturating_sub(rss_before) / added)),
        &format!(
            "{} of linear memory each ({added} measured)",
            mib((after.bytes.saturating_sub(before.bytes) as u64) / added)
        ),
    );
    drop(world);
    std::fs::remove_file(&path).ok();
    std::fs::remove_dir_all(&cache).ok();
    Ok(())
}
