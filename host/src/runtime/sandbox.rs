//! The limits every typeclass instance runs under, and the epoch ticker that enforces time.
//!
//! - **Time**: wasmtime epoch interruption. A background thread advances the engine's epoch
//!   every [`EPOCH_TICK`]; each hook call sets its store's deadline to
//!   [`Sandbox::hook_deadline`] ahead, so a looping guest traps with `interrupt`.
//! - **Memory**: [`wasmtime::StoreLimits`] on every store (linear memory, tables, instances),
//!   trapping on a failed grow instead of handing the guest a null pointer.
//! - **Handles**: the instance's `ResourceTable` is capped at [`Sandbox::max_handles`].
//! - **Faults**: a typeclass that traps [`Sandbox::quarantine_after`] times within
//!   [`Sandbox::quarantine_window`] is quarantined: its hooks are skipped until it is reloaded.
//!
//! Sizes of strings and values a guest passes in are bounded by the world (`world::state`).

use std::time::Duration;

use wasmtime::{Engine, StoreLimits, StoreLimitsBuilder};

/// How often the epoch advances. Deadlines are rounded up to whole ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(2);

/// Limits for typeclass instances.
#[derive(Clone, Debug)]
pub struct Sandbox {
    /// Wall-clock time one hook call may run (nested hooks have their own deadline).
    pub hook_deadline: Duration,
    /// Bytes of linear memory one instance may grow to.
    pub max_memory_bytes: usize,
    /// Handles (and WASI resources) one instance may hold at once.
    pub max_handles: usize,
    /// Traps within [`Sandbox::quarantine_window`] after which a typeclass is quarantined.
    pub quarantine_after: u32,
    /// The window over which traps are counted.
    pub quarantine_window: Duration,
    /// Lines per second one instance may write to stdout/stderr (the rest are dropped).
    pub output_lines_per_second: u32,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox {
            hook_deadline: Duration::from_millis(50),
            max_memory_bytes: 64 << 20,
            max_handles: 100_000,
            quarantine_after: 5,
            quarantine_window: Duration::from_secs(60),
            output_lines_per_second: 50,
        }
    }
}

impl Sandbox {
    /// The store limits for one instance.
    pub(crate) fn store_limits(&self) -> StoreLimits {
        StoreLimitsBuilder::new()
            .memory_size(self.max_memory_bytes)
            .table_elements(100_000)
            .instances(64)
            .tables(64)
            .memories(16)
            .trap_on_grow_failure(true)
            .build()
    }

    /// The epoch deadline for one hook call, in ticks beyond the current epoch.
    pub(crate) fn deadline_ticks(&self) -> u64 {
        let tick = EPOCH_TICK.as_micros().max(1);
        let ticks = self.hook_deadline.as_micros().div_ceil(tick);
        // +1: the current tick may be about to end.
        u64::try_from(ticks).unwrap_or(u64::MAX - 1).max(1) + 1
    }
}

/// Starts the thread that advances `engine`'s epoch; it stops when the engine is dropped.
pub(crate) fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            loop {
                std::thread::sleep(EPOCH_TICK);
                match weak.upgrade() {
                    Some(engine) => engine.increment_epoch(),
                    None => break,
                }
            }
        })
        .expect("spawn the epoch ticker");
}
