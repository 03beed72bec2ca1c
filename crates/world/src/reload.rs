//! Hot reload: compiling changed typeclass components off the world thread and installing them
//! (and a changed grants file) with one world job, between two turns. A component that fails
//! is reported and the running version stays. The watcher ([`Reloader::watch`]) and the
//! console both hold a [`Reloader`].

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::runtime::{Origin, Runtime, script_files, typeclass_name};
use crate::world_thread::WorldHandle;

/// Quiet time the watcher waits for after a change before reloading (builds write in bursts).
pub const RELOAD_DEBOUNCE: Duration = Duration::from_millis(50);

/// The running watcher of a scripts directory; dropping it stops the watching.
pub type Watcher =
    notify_debouncer_mini::Debouncer<notify_debouncer_mini::notify::RecommendedWatcher>;

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
    /// A reloader of the components in `scripts_dir` and of `grants_file`, installing into
    /// the world behind `world`.
    pub fn new(
        runtime: Runtime,
        world: WorldHandle,
        scripts_dir: PathBuf,
        grants_file: PathBuf,
    ) -> Self {
        Reloader {
            runtime,
            world,
            scripts_dir,
            grants_file,
        }
    }

    /// The grants file it reads on a reload.
    pub fn grants_file(&self) -> &std::path::Path {
        &self.grants_file
    }

    /// The directory whose components this reloader loads.
    pub fn scripts_dir(&self) -> &std::path::Path {
        &self.scripts_dir
    }

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
            reports.push(self.reload_file(path, Instant::now()).await?);
        }
        Ok(reports)
    }

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

    /// Compiles `path` off the world thread, then installs it with one world job. Logs the outcome.
    ///
    /// # Errors
    /// If the world thread has stopped.
    pub async fn reload_file(
        &self,
        path: PathBuf,
        triggered: Instant,
    ) -> anyhow::Result<ReloadReport> {
        let handle = &self.world;
        let name = typeclass_name(&path).unwrap_or("?").to_owned();
        let compile = {
            let runtime = self.runtime.clone();
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

    /// Starts watching the scripts directory: a changed component (or the grants file, when it
    /// lives there) is reloaded after [`RELOAD_DEBOUNCE`] of quiet. Dropping the watcher stops it.
    ///
    /// # Errors
    /// If the directory cannot be watched.
    pub fn watch(&self) -> anyhow::Result<Watcher> {
        use notify_debouncer_mini::notify::RecursiveMode;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(PathBuf, Instant)>();
        let grants_file = self.grants_file().to_path_buf();
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
            script_files(self.scripts_dir())
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
        let dir = self.scripts_dir().to_owned();
        debouncer
            .watcher()
            .watch(&dir, RecursiveMode::NonRecursive)
            .with_context(|| format!("watch {}", dir.display()))?;
        let reloader = self.clone();
        tokio::spawn(async move {
            while let Some((path, seen)) = rx.recv().await {
                if path.ends_with(&grants_file) {
                    if reloader.reload_grants(seen).await.is_err() {
                        break; // the world stopped
                    }
                    continue;
                }
                if reloader.reload_file(path, seen).await.is_err() {
                    break; // the world stopped
                }
            }
        });
        tracing::info!(dir = %dir.display(), "watching scripts for changes");
        Ok(debouncer)
    }
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
