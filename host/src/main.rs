//! The `wasmud` binary: `serve` runs a world, `bench` prints performance figures.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// wasmud: a MUD runtime hosting typeclasses as sandboxed WebAssembly components.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Open (or create and seed) a world and run it until Ctrl-C.
    Serve {
        /// Data directory; the world is stored in `<data>/world.redb`.
        #[arg(long, default_value = "data")]
        data: PathBuf,
        /// Directory of typeclass components (`<name>.wasm`); defaults to the examples built
        /// from `scripts/`.
        #[arg(long, default_value = wasmud::scripts::DIR)]
        scripts: PathBuf,
        /// Do not reload changed components automatically.
        #[arg(long)]
        no_watch: bool,
    },
    /// Measure the cache, the store and the guest/host boundary, and print the figures.
    Bench {
        /// Objects for the cold-load, create and memory measurements.
        #[arg(long, default_value_t = 100_000)]
        objects: u64,
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Cmd::Serve {
            data,
            scripts,
            no_watch,
        } => {
            let runtime = tokio::runtime::Runtime::new()?;
            let mut config = wasmud::server::ServeConfig::new(data, scripts);
            config.watch = !no_watch;
            runtime.block_on(wasmud::server::run(config, async {
                let _ = tokio::signal::ctrl_c().await;
            }))
        }
        Cmd::Bench { objects } => wasmud::bench::run(objects),
        Cmd::BenchLoad {
            store,
            first,
            count,
        } => wasmud::bench::run_cold_load(&store, first, count),
    }
}
