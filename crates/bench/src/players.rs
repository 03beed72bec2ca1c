//! Player figures through the real telnet port of an in-process server (durable commits):
//! commands per second end to end (client → `at-command` → reply) with their p50/p99 latency
//! for 1, 100 and 500 connected players (flat out, and each paced at a command per 100 ms),
//! memory per connected player, and what a login costs. `stats` writes nothing
//! durable; `setdesc` (a `db` write, made durable before the reply) is measured too.
//!
//! The clients are tokio tasks on one thread with its own single-threaded runtime (like a
//! separate epoll-driven client process: they never queue behind the server's own tasks), in
//! the same process, so they share the 2 cores with the server: the figures are a lower bound.
//! The per-session command rate limit is lifted (a closed-loop client would otherwise measure
//! the limit).

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use wasmud_server::server::{ServeConfig, Server, TELNET_ADDR_FILE};
use wasmud_world::memory::rss_bytes;

/// How long each player count runs.
const RUN: Duration = Duration::from_secs(3);
const PASSWORD: &str = "benchmark-password";
/// How often a paced player types a command (players type far slower than this).
const PACE: Duration = Duration::from_millis(100);

/// A logged-in bench client.
struct Player {
    name: String,
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Player {
    /// Reads lines until one contains `needle`.
    async fn until(&mut self, needle: &str) -> anyhow::Result<()> {
        let mut line = Vec::new();
        loop {
            line.clear();
            if self.reader.read_until(b'\n', &mut line).await? == 0 {
                anyhow::bail!("connection closed while waiting for {needle:?}");
            }
            if String::from_utf8_lossy(&line).contains(needle) {
                return Ok(());
            }
        }
    }

    async fn login(addr: &str, name: &str) -> anyhow::Result<Player> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (reader, writer) = stream.into_split();
        let mut player = Player {
            name: name.to_owned(),
            reader: BufReader::new(reader),
            writer,
        };
        let line = format!("connect {name} {PASSWORD}\r\n");
        player.writer.write_all(line.as_bytes()).await?;
        player.until(&format!("Welcome, {name}!")).await?;
        player.until("Exits:").await?;
        Ok(player)
    }

    /// One command and its reply: the latency. With `durable`, the command is preceded by a
    /// `setdesc` (a `db` write, made durable before any later reply).
    async fn command(&mut self, durable: bool) -> anyhow::Result<Duration> {
        let sent = Instant::now();
        if durable {
            let desc = format!("setdesc {} is benchmarking.\r\nstats\r\n", self.name);
            self.writer.write_all(desc.as_bytes()).await?;
        } else {
            self.writer.write_all(b"stats\r\n").await?;
        }
        self.until("hp 100 level 1").await?;
        Ok(sent.elapsed())
    }
}

/// Prints the player figures.
///
/// # Errors
/// If the server cannot start or a client fails.
pub(super) fn players(dir: &Path) -> anyhow::Result<()> {
    println!();
    println!("players: telnet clients in this process, durable commits, `stats` each");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let data = dir.join("players");
    let (server, addr) = rt.block_on(start(&data))?;
    let clients = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let outcome = clients.block_on(run(&server, &addr));
    drop(clients);
    rt.block_on(server.shutdown())?;
    std::fs::remove_dir_all(&data).ok();
    outcome
}

/// A server on a loopback telnet port with the limits a load client needs lifted.
async fn start(data: &Path) -> anyhow::Result<(Server, String)> {
    let mut config = ServeConfig::new(data, wasmud_components::DIR);
    config.watch = false;
    config.net.telnet = Some("127.0.0.1:0".parse()?);
    config.net.limits.commands_per_second = u32::MAX;
    config.net.limits.max_new_accounts = 0;
    config.net.limits.connection_rate = 0;
    config.net.limits.connection_rate_per_address = 0;
    // Every client is on 127.0.0.1: no per-address caps (logins in flight count as failed
    // ones until they succeed, so 500 at once would be throttled).
    config.net.limits.max_connections_per_address = usize::MAX;
    config.net.limits.max_failed_logins = u32::MAX;
    let server = Server::start(config).await?;
    let addr = std::fs::read_to_string(data.join(TELNET_ADDR_FILE))?
        .trim()
        .to_owned();
    Ok((server, addr))
}

/// The measurements, from the client runtime.
async fn run(server: &Server, addr: &str) -> anyhow::Result<()> {
    let started = Instant::now();
    let phc = wasmud_world::accounts::hash_password(PASSWORD)?;
    let hash_took = started.elapsed();
    let started = Instant::now();
    let _ = wasmud_world::accounts::verify_password(Some(&phc), PASSWORD);
    let verify_took = started.elapsed();
    super::line(
        "login: argon2id hash / verify (m=19 MiB, t=2)",
        format!(
            "{:.1} / {:.1} ms",
            hash_took.as_secs_f64() * 1e3,
            verify_took.as_secs_f64() * 1e3
        ),
        "off the world thread, 2 at a time",
    );
    // The accounts, made directly (one hash for all), so the run measures logins and play.
    let most = 500;
    let names: Vec<String> = (0..most).map(|i| format!("bench{i}")).collect();
    let (to_make, phc2) = (names.clone(), phc.clone());
    server
        .handle()
        .call(move |w| -> anyhow::Result<()> {
            let home = w.search("Limbo")?.first().copied();
            for name in &to_make {
                w.create_account(name, &phc2, home)?;
            }
            Ok(())
        })
        .await??;

    let mut players = Vec::new();
    for count in [1usize, 100, 500] {
        let rss_before = rss_bytes();
        let login_started = Instant::now();
        let newcomers = count - players.len();
        let mut logins = Vec::new();
        for name in &names[players.len()..count] {
            let (addr, name) = (addr.to_owned(), name.clone());
            logins.push(tokio::spawn(
                async move { Player::login(&addr, &name).await },
            ));
        }
        for login in logins {
            players.push(login.await??);
        }
        let login_took = login_started.elapsed();
        let rss_after = rss_bytes();
        if count > 1 {
            super::line(
                &format!("memory per connected player ({newcomers} logged in)"),
                format!(
                    "{:.1} KiB",
                    rss_after.saturating_sub(rss_before) as f64 / 1024.0 / newcomers as f64
                ),
                &format!(
                    "logins took {:.2} s ({:.1} ms each, end to end)",
                    login_took.as_secs_f64(),
                    login_took.as_secs_f64() * 1e3 / newcomers as f64
                ),
            );
        }
        let (per_second, p50, p99, _) = play(&mut players, None, false).await?;
        super::line(
            &format!("commands end to end, {count} players, flat out"),
            format!("{per_second:.0}/s"),
            &format!(
                "p50 {:.2} ms, p99 {:.2} ms",
                p50.as_secs_f64() * 1e3,
                p99.as_secs_f64() * 1e3
            ),
        );
        if count == 1 {
            python_command(&mut players[0]).await?;
        }
        for durable in [false, true] {
            wasmud_world::store::timings::start();
            let (per_second, p50, p99, max) = play(&mut players, Some(PACE), durable).await?;
            let (mut fsyncs, mut others) = wasmud_world::store::timings::take();
            super::line(
                &format!(
                    "... each player a command per {}ms{}",
                    PACE.as_millis(),
                    if durable { ", + a db write" } else { "" }
                ),
                format!("{per_second:.0}/s"),
                &format!(
                    "p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms (goal at 500: p99 < 5 ms)",
                    p50.as_secs_f64() * 1e3,
                    p99.as_secs_f64() * 1e3,
                    max.as_secs_f64() * 1e3
                ),
            );
            if durable {
                // What the world waited on meanwhile (a slow fsync is the usual stall).
                super::line(
                    "... fsyncs (group commits): p50 / p99 / max",
                    format!("{:.0}/s", fsyncs.len() as f64 / RUN.as_secs_f64()),
                    &format!(
                        "{}; other commits {}",
                        super::spread(&mut fsyncs),
                        super::spread(&mut others)
                    ),
                );
            }
        }
    }
    drop(players);
    Ok(())
}

/// One player in the tavern reads the notice board (a Python typeclass's `at-command`, after
/// the Rust character's has passed the line on) back to back for [`RUN`]: commands per second
/// and latency, to set beside the Rust `stats` above.
async fn python_command(player: &mut Player) -> anyhow::Result<()> {
    player.writer.write_all(b"east\r\n").await?;
    player.until("a notice board").await?;
    let deadline = Instant::now() + RUN;
    let mut all = Vec::new();
    while Instant::now() < deadline {
        let sent = Instant::now();
        player.writer.write_all(b"read board\r\n").await?;
        player.until("The notice board is empty.").await?;
        all.push(sent.elapsed());
    }
    player.writer.write_all(b"west\r\n").await?;
    player.until("Exits:").await?;
    all.sort_unstable();
    let at = |q| super::quantile(&all, q);
    super::line(
        "python: a command end to end (read board), 1 player",
        format!("{:.0}/s", all.len() as f64 / RUN.as_secs_f64()),
        &format!(
            "p50 {:.2} ms, p99 {:.2} ms",
            at(0.5).as_secs_f64() * 1e3,
            at(0.99).as_secs_f64() * 1e3
        ),
    );
    Ok(())
}

/// Every player runs commands for [`RUN`], back to back or (with `pace`) one per `pace`
/// (starting at spread-out moments): commands per second and latency (p50, p99, max).
async fn play(
    players: &mut Vec<Player>,
    pace: Option<Duration>,
    durable: bool,
) -> anyhow::Result<(f64, Duration, Duration, Duration)> {
    let deadline = Instant::now() + RUN;
    let mut tasks = Vec::new();
    let count = players.len() as u32;
    for (i, mut player) in players.drain(..).enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut ticker = pace.map(|pace| {
                let offset = pace * u32::try_from(i).unwrap_or(0) / count.max(1);
                tokio::time::interval_at(tokio::time::Instant::now() + offset, pace)
            });
            while Instant::now() < deadline {
                if let Some(ticker) = &mut ticker {
                    ticker.tick().await;
                }
                latencies.push(player.command(durable).await?);
            }
            anyhow::Ok((player, latencies))
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        let (player, latencies) = task.await??;
        players.push(player);
        all.extend(latencies);
    }
    anyhow::ensure!(!all.is_empty(), "no command completed");
    all.sort_unstable();
    let at = |q| super::quantile(&all, q);
    let max = *all.last().expect("not empty");
    Ok((
        all.len() as f64 / RUN.as_secs_f64(),
        at(0.50),
        at(0.99),
        max,
    ))
}
