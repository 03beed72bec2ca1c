//! The `serve` command: the world thread, periodic checkpoints, hot reload and a clean shutdown.
//!
//! # Threading model
//! One OS thread owns the [`World`] (cache, store, script instances): nothing else touches it
//! (see [`crate::world_thread`], which also decides, under the [`CommitPolicy`], when answers
//! may leave it). Everything else (tokio tasks, the reload watcher, the console) sends it jobs.
//!
//! # Hot reload
//! A watcher on the scripts directory (debounced by [`RELOAD_DEBOUNCE`]) and
//! [`Server::reload`] compile and validate changed components on a blocking tokio thread (from
//! the artifact cache in `<data>/artifacts` when the bytes were seen before), then install them
//! with one world job, between two turns. A component that fails is reported and the running
//! version stays.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::console::{self, ConsoleContext};
use crate::runtime::{ArtifactCache, Origin, Runtime, Scripts, script_files, typeclass_name};
use crate::world::{World, WorldOptions};
pub use crate::world_thread::{CommitPolicy, WorldHandle, WorldThread};

/// The store file inside the data directory.
pub const STORE_FILE: &str = "world.redb";
/// Precompiled components inside the data directory.
pub const ARTIFACTS_DIR: &str = "artifacts";
/// Quiet time the watcher waits for after a change before reloading (builds write in bursts).
pub const RELOAD_DEBOUNCE: Duration = Duration::from_millis(50);

/// What `serve` needs.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The data directory (created if missing); the store is `<data>/world.redb`.
    pub data: PathBuf,
    /// The directory of typeclass components (`<name>.wasm`).
    pub scripts: PathBuf,
    /// Reload changed components automatically.
    pub watch: bool,
    /// Where the admin console listens (`None`: no remote console).
    pub console: Option<console::remote::ConsoleAddr>,
    /// World options.
    pub options: WorldOptions,
    /// When answers may be released (durable group commit by default).
    pub commit: CommitPolicy,
    /// The player ports (none by default; `serve` opens telnet on 4000).
    pub net: crate::net::NetConfig,
    /// The grants file (`None`: `grants.toml` in the scripts directory). A missing file
    /// grants nothing to any typeclass.
    pub grants: Option<PathBuf>,
    /// The artifact cache (`None`: `<data>/artifacts`).
    pub artifacts: Option<PathBuf>,
}

impl ServeConfig {
    /// The defaults for a data and a scripts directory: watching on, no admin port, default
    /// options.
    pub fn new(data: impl Into<PathBuf>, scripts: impl Into<PathBuf>) -> Self {
        ServeConfig {
            data: data.into(),
            scripts: scripts.into(),
            watch: true,
            console: None,
            options: WorldOptions::default(),
            commit: CommitPolicy::default(),
            net: crate::net::NetConfig::default(),
            grants: None,
            artifacts: None,
        }
    }

    /// The grants file in use.
    pub fn grants_file(&self) -> PathBuf {
        (self.grants.clone()).unwrap_or_else(|| self.scripts.join(GRANTS_FILE))
    }
}

/// The grants file's name in the scripts directory, where `serve` looks by default.
pub const GRANTS_FILE: &str = "grants.toml";

/// What a reload did for one typeclass.
#[derive(Clone, Debug)]
pub struct ReloadReport {
    /// The typeclass.
    pub name: String,
    /// The new version (hash prefix), or the error that kept the old one.
    pub outcome: Result<String, String>,
    /// Compiled now or loaded from the artifact cache.
    pub origin: Option<Origin>,
    /// True if a running version was replaced (false: a new typeclass).
    pub replaced: bool,
    /// From the trigger to the new version being installed (the next hook runs on it).
    pub latency: Duration,
}

/// Reloads typeclasses from the scripts directory: compiles off the world thread, installs
/// with one world job. Cheap to clone (the watcher and the console each hold one).
#[derive(Clone)]
pub struct Reloader {
    runtime: Runtime,
    world: WorldHandle,
    scripts_dir: PathBuf,
    grants_file: PathBuf,
}

impl Reloader {
    /// Reloads `name` (or every `<name>.wasm` in the scripts directory) and reports each.
    ///
    /// # Errors
    /// If the world thread has stopped or the scripts directory cannot be read.
    pub async fn reload(&self, name: Option<&str>) -> anyhow::Result<Vec<ReloadReport>> {
        let paths = match name {
            Some(name) => vec![self.scripts_dir.join(format!("{name}.wasm"))],
            None => script_files(&self.scripts_dir)
                .with_context(|| format!("read {}", self.scripts_dir.display()))?,
        };
        let mut reports = Vec::new();
        if name.is_none() {
            reports.push(self.reload_grants(Instant::now()).await?);
        }
        for path in paths {
            reports.push(reload_file(&self.runtime, &self.world, path, Instant::now()).await?);
        }
        Ok(reports)
    }
}

impl Reloader {
    /// Reads the grants file again and, if it is valid, puts it in force; if not, the grants
    /// in force stay (a typo must not give or take authority) and the report says why.
    ///
    /// # Errors
    /// If the world thread has stopped.
    pub async fn reload_grants(&self, seen: Instant) -> anyhow::Result<ReloadReport> {
        let outcome = match crate::grants::GrantTable::load(&self.grants_file) {
            Ok(table) => {
                let listed = table.len();
                self.world.call(move |w| w.set_grants(table)).await?;
                tracing::info!(file = %self.grants_file.display(), listed, "grants in force");
                Ok(format!("{listed} typeclasses listed"))
            }
            Err(e) => {
                tracing::error!("{e}; the grants in force stay");
                Err(e.to_string())
            }
        };
        Ok(ReloadReport {
            name: GRANTS_FILE.to_owned(),
            outcome,
            origin: None,
            replaced: true,
            latency: seen.elapsed(),
        })
    }
}

type Watcher = notify_debouncer_mini::Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>;

/// A running server: the world thread, its handle, the reload machinery and the admin console.
pub struct Server {
    handle: WorldHandle,
    thread: WorldThread,
    reloader: Reloader,
    started: Instant,
    shutdown: Arc<tokio::sync::Notify>,
    console_task: Option<tokio::task::JoinHandle<()>>,
    /// The accept loops of the player ports.
    player_tasks: Vec<tokio::task::JoinHandle<()>>,
    watcher: Option<Watcher>,
}

impl Server {
    /// Opens (or creates and seeds) the world and starts the world thread and the watcher.
    /// Call inside a tokio runtime.
    ///
    /// # Errors
    /// If the data directory, the store or the scripts directory cannot be opened.
    pub async fn start(config: ServeConfig) -> anyhow::Result<Server> {
        std::fs::create_dir_all(&config.data)
            .with_context(|| format!("create data dir {}", config.data.display()))?;
        let runtime = Runtime::new()?.with_artifact_cache(ArtifactCache::new(
            (config.artifacts.clone()).unwrap_or_else(|| config.data.join(ARTIFACTS_DIR)),
        ));
        let (scripts, errors): (Scripts, _) = runtime
            .load_dir_lenient(&config.scripts)
            .with_context(|| format!("load scripts from {}", config.scripts.display()))?;
        for e in errors {
            tracing::error!("{e}; until it is fixed, that typeclass's vetoes and commands refuse");
        }
        let names: Vec<String> = scripts.names().map(str::to_owned).collect();
        let path = config.data.join(STORE_FILE);
        let grants_file = config.grants_file();
        let grants = crate::grants::GrantTable::load(&grants_file)?;
        let mut world = World::open(&path, &runtime, &scripts, &config.options)
            .with_context(|| format!("open {}", path.display()))?;
        world.set_grants(grants);
        if let Some(seeded) = crate::seed::seed_if_empty(&mut world)? {
            tracing::info!("seeded a new world: Limbo is #{}", seeded.limbo);
        }
        let objects = world.object_count()?;
        let (thread, handle) = WorldThread::spawn_with(world, config.commit);
        let reloader = Reloader {
            runtime,
            world: handle.clone(),
            scripts_dir: config.scripts.clone(),
            grants_file,
        };
        let mut server = Server {
            handle,
            thread,
            reloader,
            started: Instant::now(),
            shutdown: Arc::new(tokio::sync::Notify::new()),
            console_task: None,
            player_tasks: Vec::new(),
            watcher: None,
        };
        if config.watch {
            server.watcher = Some(server.watch()?);
        }
        if let Some(addr) = &config.console {
            let token = console::remote::ensure_token(&config.data)?;
            let listener = console::remote::bind(addr, &config.data).await?;
            let ctx = server.console_context();
            server.console_task = Some(tokio::spawn(console::remote::serve(listener, token, ctx)));
        }
        server.player_tasks = server.open_player_ports(&config).await?;
        tracing::info!(
            store = %path.display(),
            objects,
            typeclasses = ?names,
            commit = %config.commit,
            "wasmud is serving; press Ctrl-C to stop"
        );
        Ok(server)
    }

    /// Binds the telnet and web ports (one [`crate::net::Players`] for both: one connection
    /// cap, one list of who is online) and writes their bound addresses under the data dir.
    async fn open_player_ports(
        &self,
        config: &ServeConfig,
    ) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
        use crate::net::{Players, telnet, web};
        let mut net = config.net.clone();
        match crate::fd_limit::raise() {
            Ok(fds) => {
                let cap = crate::fd_limit::player_cap(net.limits.max_connections, fds.soft);
                if cap < net.limits.max_connections {
                    tracing::warn!(
                        soft = fds.soft,
                        hard = fds.hard,
                        "the process may open only {} files: player connections are capped at \
                         {cap} (not {}), keeping {} for the store and the admin console; raise \
                         the hard limit (ulimit -Hn, LimitNOFILE=) to allow more",
                        fds.soft,
                        net.limits.max_connections,
                        crate::fd_limit::RESERVED
                    );
                    net.limits.max_connections = cap;
                }
                tracing::info!(
                    soft = fds.soft,
                    hard = fds.hard,
                    was = fds.was,
                    "file descriptor limit"
                );
            }
            Err(e) => tracing::warn!("could not read or raise the file descriptor limit: {e}"),
        }
        let players = Players::new(self.handle.clone(), &net);
        let mut tasks = Vec::new();
        if let Some(addr) = config.net.telnet {
            let listener = telnet::bind(addr)
                .await
                .with_context(|| format!("bind the telnet port to {addr}"))?;
            let bound = listener.local_addr()?;
            write_addr_file(&config.data, TELNET_ADDR_FILE, bound)?;
            tracing::info!(%bound, "telnet port listening");
            tasks.push(tokio::spawn(telnet::serve(listener, players.clone())));
        }
        if let Some(addr) = config.net.web {
            let listener = web::bind(addr)
                .await
                .with_context(|| format!("bind the web port to {addr}"))?;
            let bound = listener.local_addr()?;
            write_addr_file(&config.data, WEB_ADDR_FILE, bound)?;
            tracing::info!(%bound, "web client listening: http://{bound}/");
            tasks.push(tokio::spawn(web::serve(listener, players)));
        }
        Ok(tasks)
    }

    /// A handle to the world thread.
    pub fn handle(&self) -> &WorldHandle {
        &self.handle
    }

    /// What the console needs to run commands on this server.
    pub fn console_context(&self) -> ConsoleContext {
        ConsoleContext {
            world: self.handle.clone(),
            reloader: self.reloader.clone(),
            started: self.started,
            shutdown: self.shutdown.clone(),
        }
    }

    /// Completes when a console asked for a shutdown.
    pub async fn shutdown_requested(&self) {
        self.shutdown.notified().await;
    }

    /// Reloads `name` (or every `<name>.wasm` in the scripts directory) and reports each.
    ///
    /// # Errors
    /// If the world thread has stopped or the scripts directory cannot be read.
    pub async fn reload(&self, name: Option<&str>) -> anyhow::Result<Vec<ReloadReport>> {
        self.reloader.reload(name).await
    }

    fn watch(&self) -> anyhow::Result<Watcher> {
        use notify_debouncer_mini::notify::RecursiveMode;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(PathBuf, Instant)>();
        let grants_file = self.reloader.grants_file.clone();
        let is_grants = {
            let grants_file = grants_file.clone();
            // Events name files in the watched directory: the grants file is one of them only
            // when it lives there (`--grants` elsewhere is read on `reload`).
            move |path: &std::path::Path| path.ends_with(&grants_file)
        };
        // Reading a file is an event too (inotify reports opens): only a file whose
        // modification time or length changed since it was last seen is reloaded. Without
        // this, two servers watching one directory reloaded each other's reads forever.
        let mut seen: std::collections::HashMap<PathBuf, FileStamp> =
            script_files(&self.reloader.scripts_dir)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|path| Some((path.clone(), file_stamp(&path)?)))
                .collect();
        let mut debouncer = notify_debouncer_mini::new_debouncer(
            RELOAD_DEBOUNCE,
            move |events: notify_debouncer_mini::DebounceEventResult| match events {
                Ok(events) => {
                    for event in events {
                        if typeclass_name(&event.path).is_none() && !is_grants(&event.path) {
                            continue;
                        }
                        let Some(stamp) = file_stamp(&event.path) else {
                            seen.remove(&event.path); // removed: a file put back is new
                            continue;
                        };
                        if seen.insert(event.path.clone(), stamp) != Some(stamp) {
                            let _ = tx.send((event.path, Instant::now()));
                        }
                    }
                }
                Err(e) => tracing::warn!("script watcher: {e}"),
            },
        )
        .context("start the script watcher")?;
        let dir = self.reloader.scripts_dir.clone();
        debouncer
            .watcher()
            .watch(&dir, RecursiveMode::NonRecursive)
            .with_context(|| format!("watch {}", dir.display()))?;
        let reloader = self.reloader.clone();
        tokio::spawn(async move {
            while let Some((path, seen)) = rx.recv().await {
                if path.ends_with(&grants_file) {
                    if reloader.reload_grants(seen).await.is_err() {
                        break; // the world stopped
                    }
                    continue;
                }
                if reload_file(&reloader.runtime, &reloader.world, path, seen)
                    .await
                    .is_err()
                {
                    break; // the world stopped
                }
            }
        });
        tracing::info!(dir = %dir.display(), "watching scripts for changes");
        Ok(debouncer)
    }

    /// Stops the watcher and the world thread (final checkpoint) and waits for them.
    ///
    /// # Errors
    /// If the final checkpoint fails.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let Server {
            handle,
            thread,
            reloader,
            console_task,
            player_tasks,
            watcher,
            ..
        } = self;
        for task in player_tasks {
            task.abort();
            let _ = task.await;
        }
        if let Some(task) = console_task {
            task.abort();
            let _ = task.await;
        }
        drop(watcher);
        drop(reloader);
        drop(handle);
        tokio::task::spawn_blocking(move || thread.stop()).await??;
        Ok(())
    }
}

/// Where `serve` writes the telnet port's bound address (for scripts and tests that bind
/// port 0).
pub const TELNET_ADDR_FILE: &str = "telnet.addr";

/// Where `serve` writes the web port's bound address.
pub const WEB_ADDR_FILE: &str = "web.addr";

/// Writes `addr` to `<data>/<file>`, whole (written, then renamed).
fn write_addr_file(data: &std::path::Path, file: &str, addr: SocketAddr) -> anyhow::Result<()> {
    let tmp = data.join(format!("{file}.tmp"));
    std::fs::write(&tmp, format!("{addr}\n"))?;
    std::fs::rename(&tmp, data.join(file))?;
    Ok(())
}

/// What tells a changed script file from one that was only read: its modification time,
/// length and (on Unix) inode and status-change time, so a file replaced by a rename or
/// rewritten within the file system's time granularity still counts as changed.
type FileStamp = (std::time::SystemTime, u64, u64, i64, i64);

fn file_stamp(path: &std::path::Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let (inode, ctime, ctime_ns) = {
        use std::os::unix::fs::MetadataExt as _;
        (meta.ino(), meta.ctime(), meta.ctime_nsec())
    };
    #[cfg(not(unix))]
    let (inode, ctime, ctime_ns) = (0, 0, 0);
    Some((meta.modified().ok()?, meta.len(), inode, ctime, ctime_ns))
}

/// Compiles `path` off the world thread, then installs it with one world job. Logs the outcome.
async fn reload_file(
    runtime: &Runtime,
    handle: &WorldHandle,
    path: PathBuf,
    triggered: Instant,
) -> anyhow::Result<ReloadReport> {
    let name = typeclass_name(&path).unwrap_or("?").to_owned();
    let compile = {
        let runtime = runtime.clone();
        tokio::task::spawn_blocking(move || runtime.load_file(&path)).await?
    };
    let installed = match compile {
        Ok(script) => {
            let (hash, origin) = (script.hash().to_owned(), script.origin());
            handle
                .call(move |w| w.install(script))
                .await?
                .map(|replaced| (hash, origin, replaced))
        }
        Err(e) => Err(e),
    };
    let report = match installed {
        Ok((hash, origin, replaced)) => ReloadReport {
            name,
            outcome: Ok(hash),
            origin: Some(origin),
            replaced,
            latency: triggered.elapsed(),
        },
        Err(e) => ReloadReport {
            name,
            outcome: Err(e.to_string()),
            origin: None,
            replaced: false,
            latency: triggered.elapsed(),
        },
    };
    match &report.outcome {
        Ok(hash) => tracing::info!(
            typeclass = report.name,
            version = hash,
            origin = ?report.origin,
            latency_ms = report.latency.as_secs_f64() * 1e3,
            "typeclass reloaded"
        ),
        Err(e) => tracing::error!("reload rejected, the running version stays: {e}"),
    }
    Ok(report)
}

/// Runs a server until `shutdown` completes, then closes the store cleanly.
///
/// # Errors
/// If the data directory, the store or the scripts cannot be opened.
pub async fn run(config: ServeConfig, shutdown: impl Future<Output = ()>) -> anyhow::Result<()> {
    let server = Server::start(config).await?;
    tokio::select! {
        () = shutdown => {}
        () = server.shutdown_requested() => {}
    }
    tracing::info!("shutting down");
    server.shutdown().await?;
    tracing::info!("store closed cleanly");
    Ok(())
}
