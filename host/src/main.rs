//! The `wasmud` binary: `serve` runs a world, `console` talks to a running one, `bench` prints
//! performance figures.

use std::io::IsTerminal as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::signal::unix::{SignalKind, signal};
use wasmud::console::{self, remote};
use wasmud::server::{CommitPolicy, ServeConfig, Server};

/// wasmud: a MUD runtime hosting typeclasses as sandboxed WebAssembly components.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// Where players connect (`serve`), and the limits of those ports.
#[derive(clap::Args)]
struct PlayerArgs {
    /// Address of the telnet port for players (its bound address is written to
    /// `<data>/telnet.addr`).
    #[arg(long, default_value = wasmud::net::DEFAULT_TELNET_ADDR)]
    telnet_addr: SocketAddr,
    /// Do not open the telnet port.
    #[arg(long)]
    no_telnet: bool,
    /// Address of the web client and its websocket (its bound address is written to
    /// `<data>/web.addr`).
    #[arg(long, default_value = wasmud::net::DEFAULT_WEB_ADDR)]
    web_addr: SocketAddr,
    /// Do not open the web port.
    #[arg(long)]
    no_web: bool,
    /// Player connections open at once (telnet and web together).
    #[arg(long, default_value_t = wasmud::net::NetLimits::default().max_connections)]
    max_connections: usize,
    /// New player connections admitted per second after a burst of as many; more wait
    /// their turn (0: no limit).
    #[arg(long, default_value_t = wasmud::net::NetLimits::default().connection_rate)]
    connection_rate: u32,
    /// Messages queued for a player whose client does not read; past it, it is
    /// disconnected.
    #[arg(long, default_value_t = wasmud::net::NetLimits::default().output_queue)]
    max_output_queue: usize,
    /// Accounts one address may create per 10 minutes (0: no limit).
    #[arg(long, default_value_t = wasmud::net::NetLimits::default().max_new_accounts)]
    max_new_accounts: u32,
    /// Player connections one address may have open at once.
    #[arg(long, default_value_t = wasmud::net::NetLimits::default().max_connections_per_address)]
    max_connections_per_address: usize,
    /// Seconds a player connection has to log in.
    #[arg(long, default_value_t = wasmud::net::NetLimits::default().login_timeout.as_secs())]
    login_timeout_secs: u64,
    /// Disconnect players who send nothing for this many seconds (default: never).
    #[arg(long)]
    idle_timeout_secs: Option<u64>,
    /// Seconds between keepalives to an idle connection (telnet `IAC NOP`, websocket ping).
    #[arg(long, default_value_t = wasmud::net::NetLimits::default().keepalive.as_secs())]
    keepalive_secs: u64,
    /// New connections one address may open per second, after a burst of ten seconds' worth
    /// (0: no limit); checked before the global rate.
    #[arg(long, default_value_t = wasmud::net::NetLimits::default().connection_rate_per_address)]
    connection_rate_per_address: u32,
    /// Seconds an HTTP client has to send its request headers on the web port.
    #[arg(long, default_value_t = wasmud::net::NetLimits::default().http_header_timeout.as_secs())]
    http_header_timeout_secs: u64,
    /// Another site whose pages may open the game's websocket (e.g. `https://play.example.org`);
    /// may be given more than once. The web port's own page is always allowed.
    #[arg(long)]
    web_origin: Vec<String>,
}

impl PlayerArgs {
    /// The network configuration these flags describe.
    fn config(&self) -> wasmud::net::NetConfig {
        let secs = std::time::Duration::from_secs;
        let mut net = wasmud::net::NetConfig {
            telnet: (!self.no_telnet).then_some(self.telnet_addr),
            web: (!self.no_web).then_some(self.web_addr),
            ..wasmud::net::NetConfig::default()
        };
        let limits = &mut net.limits;
        limits.max_connections = self.max_connections;
        limits.connection_rate = self.connection_rate;
        limits.output_queue = self.max_output_queue;
        limits.max_new_accounts = self.max_new_accounts;
        limits.max_connections_per_address = self.max_connections_per_address;
        limits.login_timeout = secs(self.login_timeout_secs);
        limits.idle_timeout = self.idle_timeout_secs.map(secs);
        limits.keepalive = secs(self.keepalive_secs.max(1));
        limits.connection_rate_per_address = self.connection_rate_per_address;
        limits.http_header_timeout = secs(self.http_header_timeout_secs.max(1));
        limits.http_connection_life = limits.http_connection_life.max(limits.http_header_timeout);
        limits.web_origins.clone_from(&self.web_origin);
        net
    }
}

/// How `console` and `backup` reach a running server's admin port.
#[derive(clap::Args)]
struct RemoteServer {
    /// The server's data directory (for its token and address).
    #[arg(long, default_value = "data")]
    data: PathBuf,
    /// The server's admin address (default: the one in `<data>/console.addr`).
    #[arg(long)]
    addr: Option<String>,
    /// The admin token. Without it, the token is taken from the environment variable
    /// `WASMUD_CONSOLE_TOKEN`, then from `<data>/console.token`. Prefer the variable or the
    /// file: other users of the machine can see command-line arguments (`ps`).
    #[arg(long)]
    token: Option<String>,
}

/// The commit policies `serve` offers (see `wasmud::world_thread`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Commit {
    /// Acknowledge after fsync, batching turns into groups.
    Durable,
    /// Acknowledge at once; fsync at least every window.
    Relaxed,
}

#[derive(Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once at start; `serve` has many options"
)]
enum Cmd {
    /// Open (or create and seed) a world and run it until Ctrl-C, SIGTERM or `shutdown`.
    Serve {
        /// Data directory; the world is stored in `<data>/world.redb`.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Directory of typeclass components (`<name>.wasm`); defaults to the examples built
        /// from `scripts/`.
        #[arg(long, default_value = wasmud::scripts::DIR)]
        scripts: PathBuf,
        /// The grants file: what each typeclass may do beyond its own object (README,
        /// "Capabilities"); defaults to `grants.toml` in the scripts directory. Unlisted
        /// typeclasses, or all of them when the file is missing, get nothing.
        #[arg(long)]
        grants: Option<PathBuf>,
        /// Where compiled typeclasses are cached (native code, keyed by content and engine);
        /// defaults to `<data>/artifacts`. `cargo run` and the tests share
        /// `target/artifacts` (set in `.cargo/config.toml`), so a big component (a Python
        /// typeclass) is compiled once, not once per world.
        #[arg(long, env = "WASMUD_ARTIFACTS")]
        artifacts: Option<PathBuf>,
        /// Do not reload changed components automatically.
        #[arg(long)]
        no_watch: bool,
        /// Address of the admin console: `unix:<path>` (relative to the data directory; only
        /// the server's user can connect) or `host:port` (token in `<data>/console.token`).
        #[arg(long, default_value = remote::DEFAULT_ADDR)]
        console_addr: remote::ConsoleAddr,
        /// Do not open the admin console port.
        #[arg(long)]
        no_console: bool,
        #[command(flatten)]
        players: PlayerArgs,
        /// No interactive prompt even when stdin is a terminal.
        #[arg(long)]
        no_prompt: bool,
        /// Milliseconds one hook call may run, not counting the hooks it nests.
        #[arg(long, default_value_t = 50)]
        hook_deadline_ms: u64,
        /// Milliseconds one turn may take in all (hooks, nested hooks, queued events).
        #[arg(long, default_value_t = 250)]
        turn_budget_ms: u64,
        /// MiB of `ndb` data all cached objects may hold together.
        #[arg(long, default_value_t = 32)]
        ndb_total_mib: usize,
        /// `durable`: an answer leaves only once its turn is on disk (group commit);
        /// `relaxed`: answers leave at once and a crash loses at most `--commit-window-ms`.
        #[arg(long, value_enum, default_value_t = Commit::Durable)]
        commit: Commit,
        /// With `--commit relaxed`: the most a crash may lose, in milliseconds.
        #[arg(long, default_value_t = 100)]
        commit_window_ms: u64,
    },
    /// Run admin commands on a running server: one (given as arguments) or interactively.
    Console {
        #[command(flatten)]
        server: RemoteServer,
        /// A command to run, e.g. `stats --json`; without one, an interactive prompt.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        command: Vec<String>,
    },
    /// Copy a running server's world to a new store file (a consistent snapshot; the server
    /// keeps serving). Talks to the server's admin port, like `console`.
    Backup {
        #[command(flatten)]
        server: RemoteServer,
        /// The backup file to create (must not exist). Restore it by copying it to
        /// `<data>/world.redb` of a stopped server.
        file: PathBuf,
    },
    /// Verify a stopped world's store (indexes, id sequence, references); `--repair` fixes
    /// what it can without losing data. Exits 1 if problems remain.
    Check {
        /// The data directory (the store is `<data>/world.redb`).
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Fix what can be fixed without losing data, and say what was done.
        #[arg(long)]
        repair: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Measure the cache, the store and the guest/host boundary, and print the figures.
    Bench {
        /// Objects for the cold-load, create and memory measurements.
        #[arg(long, default_value_t = 100_000)]
        objects: u64,
        /// Instead: run this many durable transfers and report the store file's size.
        #[arg(long)]
        soak_transfers: Option<u64>,
        /// Instead: only the player figures (telnet clients against a server in-process).
        #[arg(long)]
        players: bool,
        /// Instead: only the crowded-rooms scenario (part of `--players`).
        #[arg(long)]
        crowd: bool,
    },
    /// Internal: the cold-load half of `bench`, run in a fresh process.
    #[command(hide = true)]
    BenchLoad {
        store: PathBuf,
        first: u64,
        count: u64,
    },
}

fn main() -> anyhow::Result<()> {
    no_error_backtraces();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Cmd::Serve {
            data,
            scripts,
            grants,
            artifacts,
            no_watch,
            console_addr,
            no_console,
            players,
            no_prompt,
            hook_deadline_ms,
            turn_budget_ms,
            ndb_total_mib,
            commit,
            commit_window_ms,
        } => {
            let mut config = ServeConfig::new(&data, scripts);
            config.watch = !no_watch;
            config.grants = grants;
            config.artifacts = artifacts;
            config.net = players.config();
            let sandbox = &mut config.options.sandbox;
            sandbox.hook_deadline = std::time::Duration::from_millis(hook_deadline_ms);
            sandbox.turn_budget = std::time::Duration::from_millis(turn_budget_ms);
            config.options.limits.ndb_bytes_total = ndb_total_mib << 20;
            config.commit = match commit {
                Commit::Durable => CommitPolicy::durable(),
                Commit::Relaxed => CommitPolicy::relaxed(commit_window_ms),
            };
            config.console = (!no_console).then_some(console_addr);
            let prompt = !no_prompt && std::io::stdin().is_terminal();
            serve(config, prompt)
        }
        Cmd::Console { server, command } => remote_console(server, &command),
        Cmd::Backup { server, file } => {
            // The server writes the file: give it an absolute path.
            let file = std::path::absolute(&file).context("resolve the backup path")?;
            let words = ["backup".to_owned(), file.display().to_string()];
            remote_console(server, &words)
        }
        Cmd::Check { data, repair, json } => check(&data, repair, json),
        Cmd::Bench { players: true, .. } => wasmud::bench::players_only(),
        Cmd::Bench { crowd: true, .. } => wasmud::bench::crowd_only(),
        Cmd::Bench {
            objects,
            soak_transfers: Some(n),
            ..
        } => {
            let _ = objects;
            wasmud::bench::soak(n)
        }
        Cmd::Bench { objects, .. } => wasmud::bench::run(objects),
        Cmd::BenchLoad {
            store,
            first,
            count,
        } => wasmud::bench::run_cold_load(&store, first, count),
    }
}

fn serve(config: ServeConfig, prompt: bool) -> anyhow::Result<()> {
    let history = config.data.join("console.history");
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        // Listen before the server says it is serving: a signal sent as soon as it does must
        // stop it cleanly, not kill it. SIGTERM is what systemd, Docker and `kill` send: the
        // same clean stop as Ctrl-C.
        let mut interrupt = signal(SignalKind::interrupt()).context("listen for SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("listen for SIGTERM")?;
        let server = Server::start(config).await?;
        if prompt {
            // The local console: a blocking prompt on its own thread, commands as world jobs.
            let ctx = server.console_context();
            let handle = tokio::runtime::Handle::current();
            std::thread::spawn(move || {
                let result = console::local::prompt("wasmud> ", Some(history), |line| {
                    let reply = handle.block_on(console::execute(&ctx, line));
                    println!("{}", reply.text);
                    true
                });
                if let Err(e) = result {
                    eprintln!("console: {e}");
                }
                // End of input or Ctrl-C at the prompt stops the server, like Ctrl-C does.
                ctx.shutdown.notify_one();
            });
        }
        let reason = tokio::select! {
            _ = interrupt.recv() => "interrupted (SIGINT)",
            _ = terminate.recv() => "terminated (SIGTERM)",
            () = server.shutdown_requested() => "shutdown requested",
        };
        tracing::info!("{reason}: shutting down");
        server.shutdown().await?;
        tracing::info!("store closed cleanly");
        Ok(())
    })
}

/// Error values must stay cheap: a hostile guest can make the host build one per trap, and
/// with `RUST_BACKTRACE=1` each would walk the whole native stack (deep nesting made that
/// quadratic: 350 ms for one turn). `RUST_LIB_BACKTRACE=0` turns off backtraces in error
/// values while keeping them for panics; an operator may still set it explicitly.
fn no_error_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
}

fn check(data: &Path, repair: bool, json: bool) -> anyhow::Result<()> {
    let path = data.join(wasmud::server::STORE_FILE);
    let store = wasmud::store::Store::open_for_check(&path).map_err(|e| match e {
        wasmud::store::StoreError::AlreadyOpen => anyhow::anyhow!(
            "{} is open in a running server: stop it first (`shutdown` in the console)",
            path.display()
        ),
        other => anyhow::Error::new(other).context(format!("open {}", path.display())),
    })?;
    let report = store.check(repair)?;
    let after = if repair && !report.repaired.is_empty() {
        Some(store.check(false)?)
    } else {
        None
    };
    let clean = after.as_ref().unwrap_or(&report).is_clean();
    // Closed before the process may exit with a status, so the file is left clean.
    drop(store);
    if json {
        let out = serde_json::json!({ "report": report, "after_repair": after, "clean": clean });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "{}: {} objects, {} attributes",
            path.display(),
            report.objects,
            report.attributes
        );
        for line in &report.problems {
            println!("problem: {line}");
        }
        for line in &report.repaired {
            println!("repaired: {line}");
        }
        for line in &report.left_alone {
            println!("left alone: {line}");
        }
        if let Some(after) = &after {
            for line in &after.problems {
                println!("still wrong: {line}");
            }
        }
        println!("{}", if clean { "clean" } else { "problems found" });
    }
    if !clean {
        std::process::exit(1);
    }
    Ok(())
}

fn read_trimmed(path: &Path) -> anyhow::Result<String> {
    Ok(std::fs::read_to_string(path)
        .with_context(|| {
            format!(
                "read {} (is the server running with this --data?)",
                path.display()
            )
        })?
        .trim()
        .to_owned())
}

fn remote_console(server: RemoteServer, command: &[String]) -> anyhow::Result<()> {
    let RemoteServer { data, addr, token } = server;
    let data = data.as_path();
    let addr = match addr {
        Some(a) => a,
        None => read_trimmed(&data.join(remote::ADDR_FILE))?,
    };
    // --token, then the environment, then the token file.
    let from_env = std::env::var(remote::TOKEN_ENV)
        .ok()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let token = match token.or(from_env) {
        Some(t) => t,
        None => read_trimmed(&data.join(remote::TOKEN_FILE))?,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut client = runtime.block_on(remote::Client::connect(&addr, &token))?;
    if !command.is_empty() {
        // The words exactly as the shell passed them (a JSON array of strings): nothing is
        // re-quoted or re-split on the way.
        let line = serde_json::to_string(command)?;
        let reply = runtime.block_on(client.send(&line))?;
        println!("{}", reply.text);
        std::process::exit(if reply.ok { 0 } else { 1 });
    }
    console::local::prompt(&format!("wasmud@{addr}> "), None, |line| {
        if matches!(line, "exit" | "quit") {
            return false;
        }
        match runtime.block_on(client.send(line)) {
            Ok(reply) => {
                println!("{}", reply.text);
                line != "shutdown"
            }
            Err(e) => {
                eprintln!("error: {e}");
                false
            }
        }
    })
}
