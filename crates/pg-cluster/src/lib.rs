//! A private PostgreSQL cluster for a test: `initdb` into a temporary directory, a server on a
//! Unix socket in it (no TCP port), stopped when dropped. No mocks: the store under test talks
//! to a real server.
//!
//! The server binaries are found in `WASMUD_PG_BIN`, else the newest
//! `/usr/lib/postgresql/<version>/bin` (Debian's `postgresql`), else `PATH`. PostgreSQL refuses
//! to run as root: as root, the cluster belongs to the `postgres` user and its commands run
//! through `runuser`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{Context, bail};
use tempfile::TempDir;

/// A running PostgreSQL server of one test.
pub struct Cluster {
    dir: TempDir,
    bin: PathBuf,
    as_postgres: bool,
    next_db: std::sync::atomic::AtomicU32,
}

/// The port that names the socket file (`.s.PGSQL.<port>` in the cluster's directory).
const PORT: u16 = 5432;

impl Cluster {
    /// Creates and starts a cluster.
    ///
    /// # Errors
    /// If PostgreSQL is not installed or does not start (its log is in the error).
    pub fn start() -> anyhow::Result<Cluster> {
        let bin = binaries()?;
        let as_postgres = is_root();
        let dir = tempfile::Builder::new().prefix("wasmud-pg").tempdir()?;
        if as_postgres {
            run(Command::new("chown").arg("postgres").arg(dir.path()))?;
        }
        let cluster = Cluster {
            dir,
            bin,
            as_postgres,
            next_db: std::sync::atomic::AtomicU32::new(0),
        };
        let data = cluster.data();
        run(cluster.tool("initdb").arg("-D").arg(&data).args([
            "-U",
            "wasmud",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]))
        .context("initdb")?;
        cluster.pg_ctl_start()?;
        Ok(cluster)
    }

    /// One cluster for the whole test process, started at its first use: for suites that make
    /// a database per test (a cluster takes seconds to start). Statics are never dropped, so a
    /// watchdog process stops the server and removes its directory once this process is gone
    /// (whether it exited or was killed).
    ///
    /// # Errors
    /// If the cluster did not start (every later call returns the same error).
    pub fn shared() -> anyhow::Result<&'static Cluster> {
        static SHARED: std::sync::OnceLock<Result<Cluster, String>> = std::sync::OnceLock::new();
        let started = SHARED.get_or_init(|| {
            let cluster = Cluster::start().map_err(|e| format!("{e:#}"))?;
            cluster.watch_this_process().map_err(|e| format!("{e:#}"))?;
            Ok(cluster)
        });
        started.as_ref().map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Starts the watchdog of [`Cluster::shared`].
    fn watch_this_process(&self) -> anyhow::Result<()> {
        const WATCH: &str = r#"pid=$1; dir=$2; shift 2
while kill -0 "$pid" 2>/dev/null; do sleep 0.5; done
"$@" >/dev/null 2>&1; rm -rf "$dir""#;
        let mut watchdog = Command::new("sh");
        watchdog
            .args(["-c", WATCH, "watchdog"])
            .arg(std::process::id().to_string())
            .arg(self.dir.path());
        if self.as_postgres {
            watchdog.args(["runuser", "-u", "postgres", "--"]);
        }
        watchdog
            .arg(self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("start the cluster's watchdog")?;
        Ok(())
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A command of the server's binaries, as the cluster's owner.
    fn tool(&self, name: &str) -> Command {
        let path = self.bin.join(name);
        if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    fn pg_ctl_start(&self) -> anyhow::Result<()> {
        let options = format!(
            "-k {} -c listen_addresses= -p {PORT} -c max_connections=40",
            self.dir.path().display()
        );
        let started = run(self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("log"))
            .args(["-o", &options, "-w", "start"]));
        if let Err(e) = started {
            let log = std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default();
            bail!("pg_ctl start: {e}\n{log}");
        }
        Ok(())
    }

    /// A new, empty database; its connection string (`host=... dbname=...`, what
    /// `PgStore::open` takes; `serve --store` wants it behind `postgres:`).
    ///
    /// # Errors
    /// If `createdb` fails.
    pub fn database(&self) -> anyhow::Result<String> {
        let n = self
            .next_db
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("world{n}");
        run(self.tool("createdb").arg("-h").arg(self.dir.path()).args([
            "-p",
            &PORT.to_string(),
            "-U",
            "wasmud",
            &name,
        ]))?;
        Ok(self.url(&name))
    }

    /// Runs `sql` with `psql` in the database of `url` (one made by [`Cluster::database`]):
    /// tests that damage a world behind the store's back.
    ///
    /// # Errors
    /// If `psql` fails or the statement does.
    pub fn psql(&self, url: &str, sql: &str) -> anyhow::Result<String> {
        let name = url
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix("dbname="))
            .context("a connection string of this cluster")?;
        let out = run(self
            .tool("psql")
            .arg("-h")
            .arg(self.dir.path())
            .args([
                "-p",
                &PORT.to_string(),
                "-U",
                "wasmud",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                name,
            ])
            .args(["-c", sql]))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The connection string of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!(
            "host={} port={PORT} user=wasmud dbname={name}",
            self.dir.path().display()
        )
    }

    /// Stops the server at once (`immediate`: as a crash, recovered from the WAL at the next
    /// start), then starts it again.
    ///
    /// # Errors
    /// If either fails.
    pub fn restart(&self) -> anyhow::Result<()> {
        self.stop()?;
        self.pg_ctl_start()
    }

    /// Stops the server at once.
    ///
    /// # Errors
    /// If `pg_ctl` fails.
    pub fn stop(&self) -> anyhow::Result<()> {
        run(self.tool("pg_ctl").arg("-D").arg(self.data()).args([
            "-m",
            "immediate",
            "-w",
            "stop",
        ]))?;
        Ok(())
    }

    /// Starts the server again after [`Cluster::stop`].
    ///
    /// # Errors
    /// If it does not start.
    pub fn start_again(&self) -> anyhow::Result<()> {
        self.pg_ctl_start()
    }

    /// Stops every process of the server where it stands (SIGSTOP): connections stay open and
    /// nothing answers, as in a network partition or a server that hangs. [`Cluster::thaw`]
    /// lets it go on (dropping the cluster does too).
    ///
    /// # Errors
    /// If the server's processes cannot be found or signalled.
    pub fn freeze(&self) -> anyhow::Result<()> {
        self.signal_all("STOP")
    }

    /// Lets a frozen server go on (SIGCONT).
    ///
    /// # Errors
    /// If the server's processes cannot be found or signalled.
    pub fn thaw(&self) -> anyhow::Result<()> {
        self.signal_all("CONT")
    }

    /// Sends `signal` to the postmaster first (so it forks nothing meanwhile), then to its
    /// children.
    fn signal_all(&self, signal: &str) -> anyhow::Result<()> {
        let pid_file = std::fs::read_to_string(self.data().join("postmaster.pid"))
            .context("read postmaster.pid")?;
        let postmaster: u32 = pid_file
            .lines()
            .next()
            .and_then(|l| l.trim().parse().ok())
            .context("postmaster.pid names no process")?;
        let mut pids = vec![postmaster];
        for entry in std::fs::read_dir("/proc")?.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            // `pid (comm) state ppid ...`; comm may hold spaces, so read after the last ')'.
            let parent = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if parent == Some(postmaster) {
                pids.push(pid);
            }
        }
        run(Command::new("kill")
            .arg(format!("-{signal}"))
            .args(pids.iter().map(u32::to_string)))?;
        Ok(())
    }

    /// The cluster's directory (its socket is there).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.thaw();
        let _ = self
            .tool("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "stop"])
            .output();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Where `initdb` and `pg_ctl` are.
fn binaries() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("WASMUD_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let found = run(Command::new("sh").args(["-c", "command -v initdb"]))
        .context("PostgreSQL is not installed (Debian: apt-get install postgresql)")?;
    let path = PathBuf::from(String::from_utf8_lossy(&found.stdout).trim());
    Ok(path.parent().map(Path::to_path_buf).unwrap_or_default())
}

fn run(command: &mut Command) -> anyhow::Result<Output> {
    let out = command
        .output()
        .with_context(|| format!("run {command:?}"))?;
    if !out.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out)
}
