//! The `wasmud` binary: `serve` runs a world, `console` talks to a running one, `bench` prints
//! performance figures.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tokio::signal::unix::{SignalKind, signal};
use wasmud::config::{self, LogFormat, SettingFlags};
use wasmud::console::{self, remote};
use wasmud::server::{ServeConfig, Server};

/// `wasmud --version`: the binary's version and the contracts its typeclasses may be built
/// against.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (contract wasmud:runtime@0.2.1; also loads 0.1.x components)"
);

/// wasmud: a MUD runtime hosting typeclasses as sandboxed WebAssembly components.
#[derive(Parser)]
#[command(version = VERSION, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
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

/// Where `serve` finds its world and its settings.
#[derive(clap::Args)]
struct ConfigArgs {
    /// Data directory; the world is stored in `<data>/world.redb`.
    #[arg(long, default_value = "data")]
    data: PathBuf,
    /// The configuration file (default: `<data>/wasmud.toml`).
    #[arg(long)]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: SettingFlags,
}

impl ConfigArgs {
    /// The file, then the environment, then the flags.
    fn resolve(&self) -> anyhow::Result<(PathBuf, config::Resolved)> {
        let file = self
            .config
            .clone()
            .unwrap_or_else(|| self.data.join(config::CONFIG_FILE));
        let resolved = config::resolve(&file, |var| std::env::var(var).ok(), &self.settings)?;
        Ok((file, resolved))
    }
}

#[derive(Subcommand)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once at start; `serve` has many options"
)]
enum Cmd {
    /// Open (or create and seed) a world and run it until Ctrl-C, SIGTERM or `shutdown`.
    /// Settings come from `<data>/wasmud.toml` (written with commented defaults on first
    /// start), then `WASMUD_*` environment variables, then these flags.
    Serve {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Print the configuration `serve` would run with, and where each value came from (the
    /// file and line, an environment variable, a flag, or the default).
    Config {
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Make a typeclass project in `./<name>`: a Rust crate (`Cargo.toml`, `src/lib.rs`) or,
    /// with `--python`, a Python module (`app.py`). Build it with `wasmud build <name>`.
    New {
        /// The typeclass's name (lowercase letters, digits and `_`): also the crate's and the
        /// component's file name.
        name: String,
        /// A Python module instead of a Rust crate.
        #[arg(long)]
        python: bool,
        /// Where to make it (default: `./<name>`).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// The Rust SDK (`guest-sdk` of a wasmud source tree; default: the one this binary
        /// was built from).
        #[arg(long)]
        sdk: Option<PathBuf>,
    },
    /// Build a typeclass project (a Rust crate or a Python `app.py`) and install the component
    /// into the world's scripts directory, where a running server swaps it in.
    Build {
        /// The project's directory.
        project: PathBuf,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Run transcript tests (`*.transcript`: lines typed by players and the lines expected
    /// back), each in a throwaway world with the demo game and the given typeclasses.
    Test {
        /// Transcript files, or directories of them.
        #[arg(required = true)]
        transcripts: Vec<PathBuf>,
        /// A typeclass project to build first and load (repeatable).
        #[arg(long)]
        project: Vec<PathBuf>,
        /// A directory of components (and its grants.toml) to load (repeatable).
        #[arg(long)]
        typeclasses: Vec<PathBuf>,
        /// Grants for a typeclass, `name=grant,grant` (repeatable; `name=` for none).
        #[arg(long, value_name = "NAME=GRANTS")]
        grant: Vec<String>,
        /// Without the demo game and world (the transcript's typeclasses make their own).
        #[arg(long)]
        no_demo: bool,
    },
    /// The test kit as JSON lines on standard input and output, for test kits in other
    /// languages (the Python one: `guest-sdk/python/wasmud_testkit.py`).
    Kit,
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
        /// The store instead: a redb file or `postgres://...` (as the `store` setting).
        #[arg(long)]
        store: Option<String>,
        /// Fix what can be fixed without losing data, and say what was done.
        #[arg(long)]
        repair: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Copy a stopped world into a new store (redb file or PostgreSQL, either way) and verify
    /// the copy: the same digest of every record as the source, and `check` clean.
    Migrate {
        /// The world to copy: a redb file, `postgres://...` or `postgres:host=... dbname=...`.
        #[arg(long)]
        from: String,
        /// The empty store to copy it into (a redb file is created).
        #[arg(long)]
        to: String,
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
        /// Instead: redb and PostgreSQL side by side (transfers, cold load, open, migrate),
        /// PostgreSQL in a private cluster started for the run (needs Debian's `postgresql`).
        #[arg(long)]
        backends: bool,
        /// With `--backends`: an empty PostgreSQL database to use instead of a private cluster
        /// (it receives the large world; the transfer runs are skipped).
        #[arg(long, requires = "backends")]
        postgres: Option<String>,
    },
    /// Internal: the cold-load half of `bench`, run in a fresh process.
    #[command(hide = true)]
    BenchLoad {
        store: PathBuf,
        first: u64,
        count: u64,
    },
}

/// Says where the served scripts directory comes from, writing the demo game into it first if
/// it is the default one and does not exist yet (a new world).
fn scripts_dir_ready(resolved: &config::Resolved, serve: &ServeConfig) -> anyhow::Result<String> {
    Ok(match &resolved.sources["scripts"] {
        config::Source::Default if !serve.scripts.exists() => {
            wasmud::game::write_game(&serve.scripts, DEMO_GAME)
                .with_context(|| format!("write the demo game into {}", serve.scripts.display()))?;
            "default: typeclasses/ in the data directory, written now with the demo game".into()
        }
        config::Source::Default => "default: typeclasses/ in the data directory".into(),
        other => other.to_string(),
    })
}

/// `wasmud new`: makes the project and says what to do next.
fn new_project(
    name: &str,
    python: bool,
    dir: Option<PathBuf>,
    sdk: Option<PathBuf>,
) -> anyhow::Result<()> {
    use wasmud::authoring::{self, Language};
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    let language = if python {
        Language::Python
    } else {
        Language::Rust
    };
    let sdk = sdk.unwrap_or_else(authoring::default_sdk);
    let files = authoring::new_project(&dir, name, language, &sdk)?;
    for file in &files {
        println!("created {}", file.display());
    }
    println!(
        "next: give it its grants in the world's grants.toml ({name} = [\"msg\"] lets it answer),\n\
         then `wasmud build {} --data <data>`; a running server swaps it in",
        dir.display()
    );
    Ok(())
}

/// `wasmud build`: builds the project and installs it where `serve` with the same settings
/// loads typeclasses from.
fn build_project(project: &Path, args: &ConfigArgs) -> anyhow::Result<()> {
    let (_, resolved) = args.resolve()?;
    let serve_config = resolved.serve_config(&args.data)?;
    let built = wasmud::authoring::build(project)?;
    let why = scripts_dir_ready(&resolved, &serve_config)?;
    let installed = wasmud::authoring::install(&built, &serve_config.scripts)?;
    println!(
        "installed {} ({:?}, {} KiB) as {} (scripts directory: {why}); a running server swaps it in",
        built.name,
        built.language,
        built.bytes.len().div_ceil(1024),
        installed.display(),
    );
    let grants_file = serve_config.grants_file();
    match wasmud::grants::GrantTable::load(&grants_file) {
        Ok(table) if table.lists(&built.name) => {}
        Ok(_) => println!(
            "note: {} does not list {}: it may change only its own objects and cannot send \
             text (add `{} = [\"msg\"]`)",
            grants_file.display(),
            built.name,
            built.name
        ),
        Err(e) => println!("note: {e}"),
    }
    Ok(())
}

/// `wasmud test`: builds the projects, then runs each transcript in a world of its own.
fn run_transcripts(
    paths: &[PathBuf],
    projects: &[PathBuf],
    typeclasses: &[PathBuf],
    grants: &[String],
    no_demo: bool,
) -> anyhow::Result<()> {
    use wasmud::testkit::{TestWorld, transcript::Transcript};
    let mut components = Vec::new();
    let built = tempfile::tempdir()?;
    for project in projects {
        let component = wasmud::authoring::build(project)?;
        components.push(wasmud::authoring::install(&component, built.path())?);
    }
    let mut grant_lines = Vec::new();
    for spec in grants {
        let (name, list) = spec
            .split_once('=')
            .with_context(|| format!("--grant {spec}: write it as name=grant,grant"))?;
        let list: Vec<String> = (list.split(',').map(str::trim))
            .filter(|g| !g.is_empty())
            .map(str::to_owned)
            .collect();
        grant_lines.push((name.to_owned(), list));
    }
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("read {}", path.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "transcript"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    anyhow::ensure!(!files.is_empty(), "no *.transcript files in {paths:?}");
    let mut failed = 0;
    for file in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("read {}", file.display()))?;
        let transcript = Transcript::parse(&file.display().to_string(), &text)?;
        let mut builder = TestWorld::builder();
        if !no_demo {
            builder = builder.demo_game();
        }
        for dir in typeclasses {
            builder = builder.typeclasses_dir(dir);
        }
        for component in &components {
            builder = builder.component(component);
        }
        for (name, list) in &grant_lines {
            let list: Vec<&str> = list.iter().map(String::as_str).collect();
            builder = builder.grant(name, &list);
        }
        let mut world = builder.open()?;
        match transcript.run(&mut world) {
            Ok(()) => println!("ok      {} ({} steps)", file.display(), transcript.len()),
            Err(e) => {
                failed += 1;
                println!("FAILED  {e}");
            }
        }
    }
    println!("{} passed, {failed} failed", files.len() - failed);
    anyhow::ensure!(
        failed == 0,
        "{failed} of {} transcripts failed",
        files.len()
    );
    Ok(())
}

/// The demo game (`scripts/`, built by `crates/components/build.rs`): file names and contents,
/// written into a new world's scripts directory.
const DEMO_GAME: &[(&str, &[u8])] = wasmud::components::DEMO_GAME;

fn main() -> anyhow::Result<()> {
    no_error_backtraces();
    let cli = Cli::parse();
    // `serve` logs in the format its configuration asks for.
    let serving = match &cli.command {
        Cmd::Serve { config } => Some(config.resolve()?),
        _ => None,
    };
    let log_format = serving
        .as_ref()
        .map_or(LogFormat::Text, |(_, r)| r.settings.log_format);
    wasmud::logs::init(log_format).map_err(|e| anyhow::anyhow!("install the log: {e}"))?;
    match cli.command {
        Cmd::Serve { config } => {
            let (file, resolved) = serving.expect("resolved above");
            let serve_config = resolved.serve_config(&config.data)?;
            std::fs::create_dir_all(&config.data)
                .with_context(|| format!("create {}", config.data.display()))?;
            if config.config.is_none() && wasmud::config::write_defaults(&file)? {
                tracing::info!(file = %file.display(), "wrote the configuration's defaults");
            } else if resolved.file.is_none() {
                anyhow::bail!("{}: no such configuration file", file.display());
            }
            let why = match &resolved.sources["scripts"] {
                config::Source::Default if !serve_config.scripts.exists() => {
                    wasmud::game::write_game(&serve_config.scripts, DEMO_GAME).with_context(
                        || {
                            format!(
                                "write the demo game into {}",
                                serve_config.scripts.display()
                            )
                        },
                    )?;
                    "default: typeclasses/ in the data directory, written now with the demo game"
                        .to_owned()
                }
                config::Source::Default => "default: typeclasses/ in the data directory".into(),
                other => other.to_string(),
            };
            tracing::info!(dir = %serve_config.scripts.display(), from = %why, "typeclasses served");
            let prompt = resolved.settings.prompt && std::io::stdin().is_terminal();
            serve(serve_config, prompt)
        }
        Cmd::Config { config } => {
            let (_, resolved) = config.resolve()?;
            // The same checks `serve` makes.
            resolved.serve_config(&config.data)?;
            print!("{}", config::effective(&resolved));
            Ok(())
        }
        Cmd::New {
            name,
            python,
            dir,
            sdk,
        } => new_project(&name, python, dir, sdk),
        Cmd::Build { project, config } => build_project(&project, &config),
        Cmd::Test {
            transcripts,
            project,
            typeclasses,
            grant,
            no_demo,
        } => run_transcripts(&transcripts, &project, &typeclasses, &grant, no_demo),
        Cmd::Kit => {
            let stdin = std::io::stdin().lock();
            wasmud::testkit::protocol::serve(stdin, std::io::stdout().lock())?;
            Ok(())
        }
        Cmd::Console { server, command } => remote_console(server, &command),
        Cmd::Backup { server, file } => {
            let words = ["backup".to_owned(), file.display().to_string()];
            remote_console(server, &words)
        }
        Cmd::Check {
            data,
            store,
            repair,
            json,
        } => check(&data, store.as_deref(), repair, json),
        Cmd::Migrate { from, to, json } => migrate(&from, &to, json),
        Cmd::Bench { players: true, .. } => wasmud::bench::players_only(),
        Cmd::Bench { crowd: true, .. } => wasmud::bench::crowd_only(),
        Cmd::Bench {
            backends: true,
            objects,
            postgres,
            ..
        } => wasmud::bench::backends(objects, postgres),
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

fn migrate(from: &str, to: &str, json: bool) -> anyhow::Result<()> {
    use wasmud::store::StoreLocation;
    let here = std::env::current_dir()?;
    let (from, to) = (
        StoreLocation::parse(from, &here),
        StoreLocation::parse(to, &here),
    );
    if from == to {
        anyhow::bail!("--from and --to name the same store");
    }
    let report =
        wasmud::migrate::migrate(&from, &to).with_context(|| format!("migrate {from} to {to}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let c = &report.digest.counts;
        println!(
            "copied {} objects, {} attributes, {} deleted ids, {} timers, {} accounts from {from} \
             to {to} in {} ms; verified (same digest, check clean) in {} ms",
            c.objects,
            c.attributes,
            c.tombstones,
            c.timers,
            c.accounts,
            report.copy.as_millis(),
            report.verify.as_millis()
        );
    }
    Ok(())
}

fn check(data: &Path, store: Option<&str>, repair: bool, json: bool) -> anyhow::Result<()> {
    let location = match store {
        Some(text) => wasmud::store::StoreLocation::parse(text, &std::env::current_dir()?),
        None => wasmud::store::StoreLocation::Redb(data.join(wasmud::server::STORE_FILE)),
    };
    let path = location.to_string();
    let mut store = location.open_existing().map_err(|e| match e {
        wasmud::store::StoreError::AlreadyOpen => anyhow::anyhow!(
            "{} is open in a running server: stop it first (`shutdown` in the console)",
            path
        ),
        other => anyhow::Error::new(other).context(format!("open {}", path)),
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
            path, report.objects, report.attributes
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

/// A backup file named relative to where the command was typed, as the server must see it
/// (it runs elsewhere): `backup rel.redb` means the same from `wasmud backup`, `wasmud
/// console` and its prompt as at the server's own prompt.
fn absolute(file: &str) -> anyhow::Result<String> {
    let path = std::path::absolute(file).context("resolve the backup path")?;
    Ok(path.display().to_string())
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
        // re-quoted or re-split on the way, but a backup file is made absolute here.
        let mut command = command.to_vec();
        if command.first().is_some_and(|w| w == "backup")
            && let Some(file) = command.get_mut(1)
        {
            *file = absolute(file)?;
        }
        let line = serde_json::to_string(&command)?;
        let reply = runtime.block_on(client.send(&line))?;
        println!("{}", reply.text);
        std::process::exit(if reply.ok { 0 } else { 1 });
    }
    console::local::prompt(&format!("wasmud@{addr}> "), None, |line| {
        if matches!(line, "exit" | "quit") {
            return false;
        }
        // `backup <file>`: the file as the server must see it, the words sent as JSON.
        let words = console::parse::words(line).unwrap_or_default();
        let line = match words.as_slice() {
            [command, file] if command == "backup" => match absolute(file) {
                Ok(file) => serde_json::json!([command, file]).to_string(),
                Err(e) => {
                    eprintln!("error: {e}");
                    return true;
                }
            },
            _ => line.to_owned(),
        };
        match runtime.block_on(client.send(&line)) {
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
