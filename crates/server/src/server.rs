//! The `serve` command: the world thread, periodic checkpoints, hot reload and a clean shutdown.
//!
//! # Threading model
//! One OS thread owns the [`World`] (cache, store, script instances): nothing else touches it
//! (see [`wasmud_world::world_thread`], which also decides, under the [`CommitPolicy`], when answers
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
use std::time::Instant;

use anyhow::Context as _;

use wasmud_console::console::{self, ConsoleContext};
pub use wasmud_world::reload::{GRANTS_FILE, RELOAD_DEBOUNCE, ReloadReport, Reloader, Watcher};
use wasmud_world::runtime::{ArtifactCache, Runtime, Scripts};
use wasmud_world::world::{World, WorldOptions};
pub use wasmud_world::world_thread::{CommitPolicy, WorldHandle, WorldThread};

/// The store file inside the data directory.
pub const STORE_FILE: &str = "world.redb";
/// Precompiled components inside the data directory.
pub const ARTIFACTS_DIR: &str = "artifacts";

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
    pub net: wasmud_net::net::NetConfig,
    /// The grants file (`None`: `grants.toml` in the scripts directory). A missing file
    /// grants nothing to any typeclass.
    pub grants: Option<PathBuf>,
    /// The artifact cache (`None`: `<data>/artifacts`).
    pub artifacts: Option<PathBuf>,
    /// Where the world is stored (`None`: `<data>/world.redb`).
    pub store: Option<crate::location::StoreLocation>,
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
            net: wasmud_net::net::NetConfig::default(),
            grants: None,
            artifacts: None,
            store: None,
        }
    }

    /// Where the world is stored.
    pub fn store_location(&self) -> crate::location::StoreLocation {
        (self.store.clone())
            .unwrap_or_else(|| crate::location::StoreLocation::Redb(self.data.join(STORE_FILE)))
    }

    /// The grants file in use.
    pub fn grants_file(&self) -> PathBuf {
        (self.grants.clone()).unwrap_or_else(|| self.scripts.join(GRANTS_FILE))
    }
}

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
        let location = config.store_location();
        let grants_file = config.grants_file();
        let grants = wasmud_world::grants::GrantTable::load(&grants_file)?;
        let store = location
            .open(config.options.store_cache_bytes)
            .with_context(|| format!("open the store {location}"))?;
        tracing::info!(store = %store.describe(), "the world's store");
        let mut world = World::on_store(store, &runtime, &scripts, &config.options);
        world.set_grants(grants);
        if let Some(seeded) = wasmud_world::seed::seed_if_empty(&mut world)? {
            tracing::info!("seeded a new world: Limbo is #{}", seeded.limbo);
        }
        let objects = world.object_count()?;
        let (thread, handle) = WorldThread::spawn_with(world, config.commit);
        let reloader = Reloader::new(runtime, handle.clone(), config.scripts.clone(), grants_file);
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
            server.watcher = Some(server.reloader.watch()?);
        }
        if let Some(addr) = &config.console {
            let token = console::remote::ensure_token(&config.data)?;
            let listener = console::remote::bind(addr, &config.data).await?;
            let ctx = server.console_context();
            server.console_task = Some(tokio::spawn(console::remote::serve(listener, token, ctx)));
        }
        server.player_tasks = server.open_player_ports(&config).await?;
        tracing::info!(
            store = %location,
            objects,
            typeclasses = ?names,
            commit = %config.commit,
            "wasmud is serving; press Ctrl-C to stop"
        );
        Ok(server)
    }

    /// Binds the telnet and web ports (one [`wasmud_net::net::Players`] for both: one connection
    /// cap, one list of who is online) and writes their bound addresses under the data dir.
    async fn open_player_ports(
        &self,
        config: &ServeConfig,
    ) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
        use wasmud_net::net::{Players, telnet, web};
        let mut net = config.net.clone();
        match wasmud_net::fd_limit::raise() {
            Ok(fds) => {
                let cap = wasmud_net::fd_limit::player_cap(net.limits.max_connections, fds.soft);
                if cap < net.limits.max_connections {
                    tracing::warn!(
                        soft = fds.soft,
                        hard = fds.hard,
                        "the process may open only {} files: player connections are capped at \
                         {cap} (not {}), keeping {} for the store and the admin console; raise \
                         the hard limit (ulimit -Hn, LimitNOFILE=) to allow more",
                        fds.soft,
                        net.limits.max_connections,
                        wasmud_net::fd_limit::RESERVED
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
            // The dashboard's history, sampled once a second while the web port is open.
            let (history, reader) = tokio::sync::watch::channel(Default::default());
            tasks.push(tokio::spawn(wasmud_console::dashboard::run_sampler(
                players.clone(),
                history,
            )));
            let dashboard = Arc::new(wasmud_console::dashboard::Dashboard {
                history: reader,
                console: self.console_context(),
            });
            tasks.push(tokio::spawn(web::serve(listener, players, dashboard)));
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
