//! What a guest may reach outside its own memory: the WIT imports, and a WASI context that
//! grants nothing.
//!
//! Components built for `wasm32-wasip2` (and every componentize-py component) import WASI
//! interfaces, so they are linked, but the context behind them has no preopened directories (a
//! file open fails), no network (TCP, UDP and name lookup are denied), no environment variables
//! or arguments, an empty stdin, stdout/stderr routed to the host log with a rate limit, and
//! coarse clocks (one second wall clock, one millisecond monotonic).

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime_wasi::WasiCtx;

use super::guest_output::{GuestOutput, LineBudget};

/// The WASI context of one instance of `typeclass`.
pub(crate) fn wasi_ctx(typeclass: &Arc<str>, budget: &Arc<LineBudget>) -> WasiCtx {
    let budget = budget.clone();
    WasiCtx::builder()
        .stdout(GuestOutput::new(typeclass.clone(), false, budget.clone()))
        .stderr(GuestOutput::new(typeclass.clone(), true, budget))
        .wall_clock(CoarseWallClock)
        .monotonic_clock(CoarseMonotonicClock::new())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build()
}

/// A wall clock with one-second resolution: enough for game logic, useless for timing attacks.
pub(crate) struct CoarseWallClock;

impl wasmtime_wasi::HostWallClock for CoarseWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Duration::from_secs(now.as_secs())
    }
}

/// A monotonic clock with millisecond resolution.
pub(crate) struct CoarseMonotonicClock {
    start: Instant,
}

impl CoarseMonotonicClock {
    pub(crate) fn new() -> Self {
        CoarseMonotonicClock {
            start: Instant::now(),
        }
    }
}

impl wasmtime_wasi::HostMonotonicClock for CoarseMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000
    }

    fn now(&self) -> u64 {
        let ms = self.start.elapsed().as_millis();
        u64::try_from(ms).unwrap_or(u64::MAX / 1_000_000) * 1_000_000
    }
}
