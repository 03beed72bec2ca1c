//! `bench --backends`: the same measurements on both stores, side by side — redb (a file in a
//! temporary directory) and PostgreSQL (a private cluster started for the run, talked to over
//! its Unix socket, or the empty database named by `--postgres`).
//!
//! Durable transfers per second and their p99 at 1, 4 and 64 clients (the world thread's group
//! commit: one redb fsync, or one PostgreSQL transaction, per group), the cold load of an
//! object that is not in the cache, the time to open a large world, and `wasmud migrate` of
//! that world from one store to the other.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use wasmud_server::location::StoreLocation;
use wasmud_server::migrate::migrate;
use wasmud_world::runtime::Runtime;
use wasmud_world::store::Backend;
use wasmud_world::world::World;
use wasmud_world::world_thread::CommitPolicy;

/// Where the PostgreSQL side's databases come from.
enum Postgres {
    /// A private cluster started for this run; a new database per measurement.
    Private(wasmud_pg_cluster::Cluster),
    /// An empty database an operator named (their own server, their network): it holds the
    /// large world; the transfers, which need a database per run, are skipped.
    Given(String),
}

impl Postgres {
    /// A new, empty PostgreSQL store location.
    fn fresh(&self, used: &mut bool) -> anyhow::Result<StoreLocation> {
        match self {
            Postgres::Private(cluster) => Ok(StoreLocation::Postgres(cluster.database()?)),
            Postgres::Given(url) => {
                anyhow::ensure!(
                    !*used,
                    "--postgres names one empty database: only one measurement can use it"
                );
                *used = true;
                Ok(StoreLocation::Postgres(url.clone()))
            }
        }
    }
}

/// Runs the side-by-side figures with `objects` objects in the large world.
///
/// # Errors
/// If PostgreSQL is not installed (and no `--postgres` was given), or a store fails.
pub fn backends(objects: u64, postgres: Option<String>) -> anyhow::Result<()> {
    let dir = super::tempfile_dir()?;
    let result = run(&dir, objects, postgres);
    std::fs::remove_dir_all(&dir).ok();
    result
}

fn run(dir: &Path, objects: u64, postgres: Option<String>) -> anyhow::Result<()> {
    let pg =
        match postgres {
            Some(url) => Postgres::Given(url),
            None => Postgres::Private(wasmud_pg_cluster::Cluster::start().context(
                "start a private PostgreSQL cluster (is Debian's postgresql installed?)",
            )?),
        };
    let mut given_used = false;
    let runtime = Runtime::new()?;
    println!(
        "wasmud bench --backends: redb in {}, PostgreSQL {}",
        dir.display(),
        match &pg {
            Postgres::Private(c) =>
                format!("private cluster on a Unix socket in {}", c.dir().display()),
            Postgres::Given(url) => wasmud_server::location::redact(url),
        }
    );
    println!("{:<52} {:>16} {:>16}", "measurement", "redb", "postgres");
    let side = |f: &mut dyn FnMut(&StoreLocation) -> anyhow::Result<String>,
                redb: StoreLocation,
                pg: StoreLocation|
     -> anyhow::Result<(String, String)> { Ok((f(&redb)?, f(&pg)?)) };

    if matches!(pg, Postgres::Private(_)) {
        for clients in [1usize, 4, 64] {
            let mut figures = Vec::new();
            let (r, p) = side(
                &mut |at| {
                    let f = super::durability::run_on(
                        at.open(8 << 20)?,
                        &runtime,
                        CommitPolicy::durable(),
                        clients,
                    )?;
                    figures.push(format!("{:.2} ms", f.p99.as_secs_f64() * 1e3));
                    Ok(format!("{:.0}/s", f.per_second))
                },
                StoreLocation::Redb(dir.join(format!("ledger-{clients}.redb"))),
                pg.fresh(&mut given_used)?,
            )?;
            println!(
                "{:<52} {r:>16} {p:>16}",
                format!("durable transfers, {clients} clients")
            );
            println!(
                "{:<52} {:>16} {:>16}",
                format!("  p99 acknowledgement, {clients} clients"),
                figures[0],
                figures[1]
            );
        }
    } else {
        println!("(transfers skipped: --postgres names one database, used for the large world)");
    }

    let redb_world = StoreLocation::Redb(dir.join("large.redb"));
    let pg_world = pg.fresh(&mut given_used)?;
    let mut first = Vec::new();
    let (r, p) = side(
        &mut |at| {
            let (took, from) = large_world(at, &runtime, objects)?;
            first.push(from);
            Ok(format!("{:.1} s", took.as_secs_f64()))
        },
        redb_world.clone(),
        pg_world.clone(),
    )?;
    println!(
        "{:<52} {r:>16} {p:>16}",
        format!("write a world of {objects} objects (one turn)")
    );
    let (r, p) = side(
        &mut |at| {
            let took = open_time(at, &runtime)?;
            Ok(format!("{:.1} ms", took.as_secs_f64() * 1e3))
        },
        redb_world.clone(),
        pg_world.clone(),
    )?;
    println!(
        "{:<52} {r:>16} {p:>16}",
        format!("open that world ({objects} objects)")
    );
    let mut which = first.into_iter();
    let (r, p) = side(
        &mut |at| {
            let from = which.next().context("each world's first object")?;
            let per = cold_load(at, &runtime, from, objects.min(20_000))?;
            Ok(format!("{:.1} us", per.as_secs_f64() * 1e6))
        },
        redb_world.clone(),
        pg_world.clone(),
    )?;
    println!(
        "{:<52} {r:>16} {p:>16}",
        "cold load of a flushed object (3 attrs)"
    );

    if let Postgres::Private(cluster) = &pg {
        // Migration: each world into a new store of the other kind, verified (digest, check).
        let to_pg = StoreLocation::Postgres(cluster.database()?);
        let to_redb = StoreLocation::Redb(dir.join("migrated.redb"));
        let there = migrate(&redb_world, &to_pg)?;
        let back = migrate(&pg_world, &to_redb)?;
        println!(
            "{:<52} {:>16} {:>16}",
            format!("migrate {objects} objects: copy (redb→pg | pg→redb)"),
            format!("{:.1} s", there.copy.as_secs_f64()),
            format!("{:.1} s", back.copy.as_secs_f64())
        );
        println!(
            "{:<52} {:>16} {:>16}",
            "  verify (both digests and check)",
            format!("{:.1} s", there.verify.as_secs_f64()),
            format!("{:.1} s", back.verify.as_secs_f64())
        );
    }
    Ok(())
}

/// Opens a world on `at` with the bench typeclass only.
fn open(at: &StoreLocation, runtime: &Runtime) -> anyhow::Result<World> {
    let scripts = super::only(runtime, "bench")?;
    let options = super::bench_options();
    let store: Box<dyn Backend> = at.open(options.store_cache_bytes)?;
    Ok(World::on_store(store, runtime, &scripts, &options))
}

/// Writes `objects` objects with three attributes each in one turn; how long the turn and its
/// durable commit took, and the first object's id (they are consecutive).
fn large_world(
    at: &StoreLocation,
    runtime: &Runtime,
    objects: u64,
) -> anyhow::Result<(Duration, u64)> {
    let mut world = open(at, runtime)?;
    let bench = world.create("bench", "bench", None)?;
    world.checkpoint()?;
    let started = Instant::now();
    world.command(bench, bench, &format!("create3 {objects}"))?;
    world.checkpoint()?;
    let took = started.elapsed();
    anyhow::ensure!(world.object_count()? == objects + 1, "create3 created all");
    world.close()?;
    Ok((took, bench + 1))
}

/// How long opening the world at `at` takes (it must not load the objects).
fn open_time(at: &StoreLocation, runtime: &Runtime) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut world = open(at, runtime)?;
    world.object_count()?;
    let took = started.elapsed();
    world.close()?;
    Ok(took)
}

/// The mean time to load one of `count` objects from `first` on, none of them in the cache
/// (a fresh world on the store).
fn cold_load(
    at: &StoreLocation,
    runtime: &Runtime,
    first: u64,
    count: u64,
) -> anyhow::Result<Duration> {
    let mut world = open(at, runtime)?;
    let started = Instant::now();
    for id in first..first + count {
        std::hint::black_box(world.location(id)?);
    }
    let took = started.elapsed() / count as u32;
    anyhow::ensure!(
        world.stats().cache.loads >= count,
        "every object was loaded"
    );
    world.close()?;
    Ok(took)
}
