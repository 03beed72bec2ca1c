//! The `serve` command: the world thread, periodic checkpoints and a clean shutdown.
//!
//! # Threading model
//! One OS thread owns the [`World`] (cache, store, script instances): nothing else touches it.
//! Everything else (the tokio tasks of the server, later the console and the reload watcher)
//! sends it jobs through a channel and awaits the answer on a oneshot. The world thread runs
//! jobs one at a time, each a complete turn, and checkpoints (one fsync) at most every
//! [`CHECKPOINT_EVERY`] when something changed, and when it stops.

use std::future::Future;
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::oneshot;

use crate::runtime::{Runtime, Scripts};
use crate::world::{World, WorldOptions};

/// How often the world thread makes completed turns durable.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// The store file inside the data directory.
pub const STORE_FILE: &str = "world.redb";

type Job = Box<dyn FnOnce(&mut World) + Send>;

/// A cloneable handle to the world thread.
#[derive(Clone)]
pub struct WorldHandle {
    jobs: mpsc::Sender<Job>,
}

impl WorldHandle {
    /// Runs `f` on the world thread and returns its result.
    ///
    /// # Errors
    /// If the world thread has stopped.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut World) -> T + Send + 'static,
    ) -> anyhow::Result<T> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |w| {
                let _ = tx.send(f(w));
            }))
            .map_err(|_| anyhow::anyhow!("the world thread has stopped"))?;
        rx.await.context("the world thread dropped the job")
    }
}

/// The world thread. Dropping every [`WorldHandle`] stops it; [`WorldThread::join`] waits for
/// its final checkpoint.
pub struct WorldThread {
    thread: JoinHandle<anyhow::Result<()>>,
}

impl WorldThread {
    /// Moves `world` onto a new thread and returns the thread and a handle to it.
    pub fn spawn(world: World) -> (WorldThread, WorldHandle) {
        let (jobs, rx) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("world".into())
            .spawn(move || run_world(world, &rx))
            .expect("spawn the world thread");
        (WorldThread { thread }, WorldHandle { jobs })
    }

    /// Waits for the thread to finish (after every handle was dropped).
    ///
    /// # Errors
    /// If the final checkpoint failed or the thread panicked.
    pub fn join(self) -> anyhow::Result<()> {
        self.thread
            .join()
            .map_err(|_| anyhow::anyhow!("the world thread panicked"))?
    }
}

fn run_world(mut world: World, jobs: &mpsc::Receiver<Job>) -> anyhow::Result<()> {
    loop {
        match jobs.recv_timeout(CHECKPOINT_EVERY) {
            Ok(job) => job(&mut world),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(e) = world.checkpoint() {
                    tracing::error!("checkpoint failed: {e}");
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    world.close().context("final checkpoint")
}

/// What `serve` needs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The data directory (created if missing); the store is `<data>/world.redb`.
    pub data: PathBuf,
    /// The directory of typeclass components (`<name>.wasm`).
    pub scripts: PathBuf,
}

/// Opens (or creates and seeds) the world, runs it until `shutdown` completes, then closes the
/// store cleanly.
///
/// # Errors
/// If the data directory, the store or a script cannot be opened.
pub async fn run(config: ServeConfig, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("create data dir {}", config.data.display()))?;
    let runtime = Runtime::new()?;
    let scripts: Scripts = runtime
        .load_dir(&config.scripts)
        .with_context(|| format!("load scripts from {}", config.scripts.display()))?;
    let names: Vec<String> = scripts.names().map(str::to_owned).collect();
    let path = config.data.join(STORE_FILE);
    let mut world = World::open(&path, &runtime, &scripts, &WorldOptions::default())
        .with_context(|| format!("open {}", path.display()))?;
    if let Some(seeded) = crate::seed::seed_if_empty(&mut world)? {
        tracing::info!("seeded a new world: Limbo is #{}", seeded.limbo);
    }
    let objects = world.object_count()?;
    let (thread, handle) = WorldThread::spawn(world);
    tracing::info!(
        store = %path.display(),
        objects,
        typeclasses = ?names,
        "wasmud is serving; press Ctrl-C to stop"
    );
    shutdown.await;
    tracing::info!("shutting down");
    drop(handle);
    tokio::task::spawn_blocking(move || thread.join()).await??;
    tracing::info!("store closed cleanly");
    Ok(())
}
