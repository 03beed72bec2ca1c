//! The admins' dashboard on the web port (`/admin`): the cache and the world over the last
//! five minutes as charts updated every second, flush and reload buttons that run the same
//! console commands, and the recent log. An `admin` account logs in as on the web client,
//! through the same throttles ([`wasmud_net::net::Players::log_in`]).
//!
//! One sampler task ([`run_sampler`]) asks the world thread for its figures once a second
//! and keeps the last [`HISTORY`] samples; every open dashboard reads that history, so the
//! world thread's cost does not grow with the number of admins watching.

pub mod socket;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::watch;

use crate::console::ConsoleContext;
use wasmud_net::net::Players;

/// Samples kept (one a second: five minutes).
pub const HISTORY: usize = 300;

/// How often the world is sampled.
pub const PERIOD: Duration = Duration::from_secs(1);

/// The world in one second.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Sample {
    /// When (Unix ms).
    pub t_ms: u64,
    /// Cache entries.
    pub entries: u64,
    /// Cache hits per lookup over the second (1 when there were no lookups).
    pub hit_ratio: f64,
    /// Resident memory, MiB.
    pub rss_mib: f64,
    /// Entries evicted over the second.
    pub evicted: u64,
    /// Entries flushed over the second.
    pub flushed: u64,
    /// Flushes run since the start.
    pub flushes: u64,
    /// Hooks run over the second.
    pub hooks: u64,
    /// Limits hit over the second.
    pub limits_hit: u64,
    /// Turns run over the second.
    pub turns: u64,
    /// Their 99th percentile, ms.
    pub turn_p99_ms: f64,
    /// Durable commits (fsyncs) over the second.
    pub commits: u64,
    /// Their 99th percentile, ms.
    pub fsync_p99_ms: f64,
    /// Timers scheduled.
    pub timers: u64,
    /// Timers fired over the second.
    pub timers_fired: u64,
    /// Players logged in.
    pub players: usize,
}

/// What every dashboard reads: the history, and the console it runs commands through.
pub struct Dashboard {
    /// The last [`HISTORY`] samples, oldest first.
    pub history: watch::Receiver<Arc<VecDeque<Sample>>>,
    /// The console of this server (flush and reload run through it).
    pub console: ConsoleContext,
}

/// The dashboard's page (plain HTML and JavaScript, no build step).
const PAGE: &str = include_str!("page.html");

impl wasmud_net::net::web::AdminPage for Dashboard {
    fn page(&self) -> &'static str {
        PAGE
    }

    fn serve(
        self: Arc<Self>,
        socket: axum::extract::ws::WebSocket,
        peer: std::net::IpAddr,
        players: Arc<Players>,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> {
        Box::pin(socket::serve(socket, peer, players, self))
    }
}

/// Counters whose change over a second is charted.
#[derive(Clone, Copy, Default)]
struct Totals {
    hits: u64,
    lookups: u64,
    evicted: u64,
    flushed: u64,
    hooks: u64,
    limits: u64,
    fired: u64,
}

/// Samples the world every [`PERIOD`] into `history` until the world thread stops.
pub async fn run_sampler(players: Arc<Players>, history: watch::Sender<Arc<VecDeque<Sample>>>) {
    let mut ticker = tokio::time::interval(PERIOD);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut last: Option<Totals> = None;
    let mut kept: VecDeque<Sample> = VecDeque::with_capacity(HISTORY);
    loop {
        ticker.tick().await;
        let Ok((stats, perf)) = players.world.call(|w| (w.stats(), w.take_perf())).await else {
            return; // the world stopped
        };
        let c = &stats.cache;
        let totals = Totals {
            hits: c.hits,
            lookups: c.hits + c.misses,
            evicted: c.evictions,
            flushed: c.flushed,
            hooks: stats.hooks_run,
            limits: stats.limits.iter().map(|l| l.hits).sum(),
            fired: stats.timer_counters.fired,
        };
        let before = last.unwrap_or(totals);
        last = Some(totals);
        let lookups = totals.lookups.saturating_sub(before.lookups);
        let hits = totals.hits.saturating_sub(before.hits);
        let sample = Sample {
            t_ms: wasmud_world::world::Clock::now_ms(&wasmud_world::world::SystemClock),
            entries: c.entries as u64,
            hit_ratio: if lookups == 0 {
                1.0
            } else {
                hits as f64 / lookups as f64
            },
            rss_mib: stats.rss_bytes as f64 / f64::from(1 << 20),
            evicted: totals.evicted.saturating_sub(before.evicted),
            flushed: totals.flushed.saturating_sub(before.flushed),
            flushes: stats.flushes,
            hooks: totals.hooks.saturating_sub(before.hooks),
            limits_hit: totals.limits.saturating_sub(before.limits),
            turns: perf.turns,
            turn_p99_ms: f64::from(perf.turn_p99_us) / 1e3,
            commits: perf.fsyncs,
            fsync_p99_ms: f64::from(perf.fsync_p99_us) / 1e3,
            timers: stats.timers,
            timers_fired: totals.fired.saturating_sub(before.fired),
            players: players.online_count(),
        };
        if kept.len() == HISTORY {
            kept.pop_front();
        }
        kept.push_back(sample);
        if history.send(Arc::new(kept.clone())).is_err() {
            // No dashboard can ever read it: the web port is gone.
            return;
        }
    }
}
