//! Crowded rooms (`bench --players`): players spread over a ring of five rooms joined by
//! `north`/`south` exits, each typing at a fixed rate a mix of `look` (35 %), a walk (25 %),
//! `say` (25 %) and `inventory` (15 %). Each `say` fans out to everyone in the room, so the
//! cost of one delivered message decides how many players a world carries. Latency is a
//! player's `say` until its own echo arrives (durable policy: after the group's fsync).
//!
//! The load client is one thread with its own single-threaded runtime (like a separate
//! epoll-driven client process), so the server keeps its own runtime and world thread; both
//! share the machine's cores, as they would on one box.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

use wasmud_server::server::{ServeConfig, Server, TELNET_ADDR_FILE};

const PASSWORD: &str = "benchmark-password";
const ROOMS: usize = 5;
/// How long each scenario runs (after every player has logged in).
const RUN: Duration = Duration::from_secs(6);

/// One scenario's figures.
struct Figures {
    says: usize,
    p50: Duration,
    p99: Duration,
    max: Duration,
    lines: u64,
    deliveries: u64,
    /// CPU seconds of the server's threads (the process minus the client thread).
    server_cpu: f64,
    /// CPU seconds of the world thread alone.
    world_cpu: f64,
    /// CPU seconds of the load client's thread.
    client_cpu: f64,
    /// Durable commits (fsyncs) and the other commits, in microseconds.
    commits: (Vec<u32>, Vec<u32>),
}

/// Prints the crowded-room figures: 200 players at ~400 commands/s, 500 at ~500 and ~1,000.
///
/// # Errors
/// If the server cannot start or a client fails.
pub(super) fn crowd(dir: &Path) -> anyhow::Result<()> {
    println!();
    println!("crowded rooms: 5 rooms in a ring; look 35%, walk 25%, say 25%, inventory 15%");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let data = dir.join("crowd");
    let (server, addr, names) = rt.block_on(start(&data))?;
    for (players, rate) in [(200usize, 405u32), (500, 512), (500, 1_000)] {
        let mut f = run(&addr, &names[..players], rate)?;
        let seconds = RUN.as_secs_f64();
        super::line(
            &format!("say latency, {players} players, {rate} cmd/s"),
            format!("p99 {:.1} ms", f.p99.as_secs_f64() * 1e3),
            &format!(
                "p50 {:.2} ms, max {:.1} ms, {} says (goal at 500 / 1,000: p99 < 10 ms)",
                f.p50.as_secs_f64() * 1e3,
                f.max.as_secs_f64() * 1e3,
                f.says
            ),
        );
        super::line(
            "... deliveries (messages to players)",
            format!("{:.0}/s", f.deliveries as f64 / seconds),
            &format!(
                "{:.1} µs of server CPU each (cores: world thread {:.2}, other server \
                 threads {:.2}, load client {:.2}); {:.0} lines/s read",
                f.server_cpu * 1e6 / f.deliveries.max(1) as f64,
                f.world_cpu / seconds,
                (f.server_cpu - f.world_cpu) / seconds,
                f.client_cpu / seconds,
                f.lines as f64 / seconds
            ),
        );
        let (fsyncs, others) = (&mut f.commits.0, &mut f.commits.1);
        super::line(
            "... fsyncs (group commits): p50 / p99 / max",
            format!("{:.0}/s", fsyncs.len() as f64 / seconds),
            &format!(
                "{}; other commits {}, {:.0}/s",
                super::spread(fsyncs),
                super::spread(others),
                others.len() as f64 / seconds
            ),
        );
    }
    rt.block_on(server.shutdown())?;
    std::fs::remove_dir_all(&data).ok();
    Ok(())
}

/// A server whose world has the ring and 500 accounts, their characters spread over it.
async fn start(data: &Path) -> anyhow::Result<(Server, String, Vec<String>)> {
    let mut config = ServeConfig::new(data, wasmud_components::DIR);
    config.watch = false;
    config.net.telnet = Some("127.0.0.1:0".parse()?);
    config.net.web = None;
    let limits = &mut config.net.limits;
    limits.commands_per_second = u32::MAX;
    limits.max_new_accounts = 0;
    limits.connection_rate = 0;
    limits.connection_rate_per_address = 0;
    limits.max_connections_per_address = usize::MAX;
    limits.max_failed_logins = u32::MAX;
    let server = Server::start(config).await?;
    let addr = std::fs::read_to_string(data.join(TELNET_ADDR_FILE))?
        .trim()
        .to_owned();
    let phc = wasmud_world::accounts::hash_password(PASSWORD)?;
    let names: Vec<String> = (0..500).map(|i| format!("crowd{i}")).collect();
    let made = names.clone();
    server
        .handle()
        .call(move |w| -> anyhow::Result<()> {
            let rooms = w.atomically(|t| {
                let rooms = (0..ROOMS)
                    .map(|i| wasmud_world::seed::room(t, &format!("Ring {i}"), "A crowded room."))
                    .collect::<Result<Vec<_>, _>>()?;
                for i in 0..ROOMS {
                    let (next, prev) = (rooms[(i + 1) % ROOMS], rooms[(i + ROOMS - 1) % ROOMS]);
                    wasmud_world::seed::exit(t, "north", &["n"], rooms[i], next)?;
                    wasmud_world::seed::exit(t, "south", &["s"], rooms[i], prev)?;
                }
                Ok(rooms)
            })?;
            for (i, name) in made.iter().enumerate() {
                w.create_account(name, &phc, Some(rooms[i % ROOMS]))?;
            }
            Ok(())
        })
        .await??;
    Ok((server, addr, names))
}

/// The CPU seconds this thread has used.
fn thread_cpu() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the struct we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// The CPU seconds of the whole process, and of its thread called `name`.
fn process_cpu(name: &str) -> (f64, f64) {
    let ticks = 100.0; // USER_HZ
    let cpu = |stat: &str| -> f64 {
        // Fields after the command name: utime and stime are the 12th and 13th.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let fields: Vec<&str> = after.split_whitespace().collect();
        let get = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        (get(11) + get(12)) / ticks
    };
    let all = std::fs::read_to_string("/proc/self/stat").map_or(0.0, |s| cpu(&s));
    let mut thread = 0.0;
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim() == name {
                thread +=
                    std::fs::read_to_string(task.path().join("stat")).map_or(0.0, |s| cpu(&s));
            }
        }
    }
    (all, thread)
}

/// Runs `names.len()` players at `rate` commands a second in all, on a client thread.
fn run(addr: &str, names: &[String], rate: u32) -> anyhow::Result<Figures> {
    let (addr, names) = (addr.to_owned(), names.to_vec());
    let lines = Arc::new(AtomicU64::new(0));
    let client_lines = lines.clone();
    let client = std::thread::Builder::new()
        .name("crowd-client".into())
        .spawn(
            move || -> anyhow::Result<(Vec<Duration>, f64, f64, f64, u64)> {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                rt.block_on(async move {
                    let mut logins = tokio::task::JoinSet::new();
                    for (i, name) in names.iter().enumerate() {
                        let (addr, name) = (addr.clone(), name.clone());
                        logins.spawn(async move { (i, login(&addr, &name).await) });
                    }
                    let mut players: Vec<(usize, Conn)> = Vec::new();
                    while let Some(done) = logins.join_next().await {
                        let (i, conn) = done?;
                        players.push((i, conn?));
                    }
                    players.sort_by_key(|(i, _)| *i);
                    let interval = Duration::from_secs_f64(players.len() as f64 / f64::from(rate));
                    let (cpu0, (all0, world0)) = (thread_cpu(), process_cpu("world"));
                    let delivered0 = wasmud_world::outbox::delivered();
                    wasmud_world::store::timings::start();
                    let start = tokio::time::Instant::now();
                    let count = players.len();
                    let mut tasks = tokio::task::JoinSet::new();
                    for (i, p) in players {
                        let offset = interval.mul_f64(i as f64 / count as f64);
                        let lines = client_lines.clone();
                        tasks.spawn(play(
                            p,
                            start + offset,
                            interval,
                            start + RUN,
                            i as u64,
                            lines,
                        ));
                    }
                    let mut latencies = Vec::new();
                    // Connections stay open until every player is done: players that hang up
                    // as soon as they finish would make the last says wait behind hundreds of
                    // logouts (a disconnect storm is not the scenario measured).
                    let mut finished = Vec::new();
                    while let Some(done) = tasks.join_next().await {
                        let (said, conn) = done??;
                        latencies.extend(said);
                        finished.push(conn);
                    }
                    drop(finished);
                    let (cpu1, (all1, world1)) = (thread_cpu(), process_cpu("world"));
                    let delivered = wasmud_world::outbox::delivered() - delivered0;
                    let client_cpu = cpu1 - cpu0;
                    Ok((
                        latencies,
                        (all1 - all0) - client_cpu,
                        world1 - world0,
                        client_cpu,
                        delivered,
                    ))
                })
            },
        )?;
    let (mut says, server_cpu, world_cpu, client_cpu, deliveries) = client
        .join()
        .map_err(|_| anyhow::anyhow!("the client thread panicked"))??;
    let commits = wasmud_world::store::timings::take();
    anyhow::ensure!(!says.is_empty(), "no say came back");
    says.sort_unstable();
    let at = |q| super::quantile(&says, q);
    Ok(Figures {
        says: says.len(),
        p50: at(0.5),
        p99: at(0.99),
        max: *says.last().expect("not empty"),
        lines: lines.load(Ordering::Relaxed),
        deliveries,
        server_cpu,
        world_cpu,
        client_cpu,
        commits,
    })
}

type Conn = (
    BufReader<tokio::net::tcp::OwnedReadHalf>,
    tokio::net::tcp::OwnedWriteHalf,
);

async fn login(addr: &str, name: &str) -> anyhow::Result<Conn> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    writer
        .write_all(format!("connect {name} {PASSWORD}\r\n").as_bytes())
        .await?;
    let mut line = Vec::new();
    loop {
        line.clear();
        anyhow::ensure!(
            reader.read_until(b'\n', &mut line).await? > 0,
            "closed at login"
        );
        if line.starts_with(b"Exits:") {
            return Ok((reader, writer));
        }
    }
}

/// One player: a command every `interval` from `first` until `end`; the latencies of its
/// `say`s, and the connection (still open).
async fn play(
    (mut reader, mut writer): Conn,
    first: tokio::time::Instant,
    interval: Duration,
    end: tokio::time::Instant,
    seed: u64,
    lines: Arc<AtomicU64>,
) -> anyhow::Result<(Vec<Duration>, Conn)> {
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut ticker = tokio::time::interval_at(first, interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut seq, mut pending, mut latencies) = (0u64, Vec::<(u64, Instant)>::new(), Vec::new());
    let mut north = true;
    let mut line = Vec::new();
    let echo = format!("You say, \"t{seed}x");
    let deadline = tokio::time::sleep_until(end + Duration::from_secs(2));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            _ = ticker.tick(), if tokio::time::Instant::now() < end => {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let command = match rng % 100 {
                    0..35 => "look".to_owned(),
                    35..60 => {
                        north = !north;
                        (if north { "north" } else { "south" }).to_owned()
                    }
                    60..85 => {
                        seq += 1;
                        pending.push((seq, Instant::now()));
                        format!("say t{seed}x{seq}")
                    }
                    _ => "inventory".to_owned(),
                };
                writer.write_all(format!("{command}\r\n").as_bytes()).await?;
            }
            read = reader.read_until(b'\n', &mut line) => {
                anyhow::ensure!(read? > 0, "a player was disconnected");
                lines.fetch_add(1, Ordering::Relaxed);
                if let Some(rest) = line.strip_prefix(echo.as_bytes()) {
                    let digits: String = rest.iter().take_while(|b| b.is_ascii_digit()).map(|&b| char::from(b)).collect();
                    if let Ok(n) = digits.parse::<u64>()
                        && let Some(i) = pending.iter().position(|(s, _)| *s == n)
                    {
                        latencies.push(pending.swap_remove(i).1.elapsed());
                    }
                }
                line.clear();
                if pending.is_empty() && tokio::time::Instant::now() >= end {
                    break;
                }
            }
            () = &mut deadline => break,
        }
    }
    Ok((latencies, (reader, writer)))
}
