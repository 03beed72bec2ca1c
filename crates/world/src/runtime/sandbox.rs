//! The limits every typeclass instance runs under, and the epoch ticker that enforces time.
//!
//! - **Time**: wasmtime epoch interruption. A background thread advances the engine's epoch
//!   every [`EPOCH_TICK`]; each hook call has its own deadline ([`Sandbox::hook_deadline`],
//!   not counting its nested hooks) and every turn a budget ([`Sandbox::turn_budget`], counting
//!   everything); see `budget`. WASI calls that would wait (sleep, poll) never block: see
//!   `host::wasi_poll`.
//! - **Native stack**: each nested hook needs [`WASM_STACK_BYTES`] of the calling thread's
//!   stack plus host frames; a nested call that would not fit fails with a typed error instead
//!   of overflowing the thread (see [`STACK_PER_NESTED_HOOK`], [`WORLD_STACK_BYTES`]).
//! - **Memory**: `limiter::InstanceLimiter` on every store: [`Sandbox::max_memory_bytes`] of
//!   linear memory per instance, all its memories together, trapping on a failed grow instead of
//!   handing the guest a null pointer. An instance that grew by more than
//!   [`Sandbox::pool_memory_bytes`] is dropped after its call instead of pooled, and the idle
//!   instances of all typeclasses together hold at most [`Sandbox::idle_memory_bytes`] (the
//!   least recently used typeclasses' give way), so many big typeclasses (CPython is ~12 MiB
//!   of linear memory per instance) cannot pile up idle memory.
//! - **Handles**: the instance's `ResourceTable` is capped at [`Sandbox::max_handles`].
//! - **Faults**: a typeclass that traps [`Sandbox::quarantine_after`] times within
//!   [`Sandbox::quarantine_window`] is quarantined: its hooks are skipped until it is reloaded.
//!
//! Sizes of strings and values a guest passes in are bounded by the world (`world::state`).

use std::time::Duration;

use wasmtime::Engine;

/// How often the epoch advances. Deadlines are rounded up to whole ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(2);

/// The native stack wasm code of one hook call may use (wasmtime's `max_wasm_stack`).
pub const WASM_STACK_BYTES: usize = 512 << 10;
/// Native stack one nested hook call needs: its wasm stack plus the host frames around it.
pub const STACK_PER_NESTED_HOOK: usize = WASM_STACK_BYTES + (256 << 10);
/// The stack of the server's world thread: room for every nesting level up to
/// [`super::dispatch::MAX_HOOK_DEPTH`] with a deep-recursing guest at each.
pub const WORLD_STACK_BYTES: usize =
    (super::dispatch::MAX_HOOK_DEPTH as usize + 2) * STACK_PER_NESTED_HOOK;

/// Limits for typeclass instances.
#[derive(Clone, Debug)]
pub struct Sandbox {
    /// Wall-clock time one hook call may run, not counting the hooks it causes to run nested
    /// (they have their own deadline).
    pub hook_deadline: Duration,
    /// Wall-clock time one turn may take in all: its hooks, nested hooks and queued events.
    /// Past it the turn fails whole and is rolled back.
    pub turn_budget: Duration,
    /// Bytes of linear memory one instance may hold, all its memories together. The default
    /// (64 MiB) lets CPython start (~12 MiB after start, the interpreter and the SDK) and
    /// leaves a Python hook ~50 MiB to work in.
    pub max_memory_bytes: usize,
    /// An instance whose linear memory grew by more than this since it was instantiated is
    /// dropped after its call instead of pooled (idle instances must not keep grown memory).
    pub pool_memory_bytes: usize,
    /// Bytes of linear memory the idle instances of all typeclasses may hold together. Past
    /// it, idle instances of the least recently used typeclasses are dropped (and made again
    /// when next needed, ~1.6 ms for a Python one). A Python instance holds ~12 MiB after
    /// CPython starts (~7 MiB of it resident), a Rust one ~1 MiB: the default keeps about
    /// twenty Python instances idle.
    pub idle_memory_bytes: usize,
    /// Handles (and WASI resources) one instance may hold at once.
    pub max_handles: usize,
    /// Traps within [`Sandbox::quarantine_window`] after which a typeclass is quarantined.
    pub quarantine_after: u32,
    /// The window over which traps are counted.
    pub quarantine_window: Duration,
    /// Lines per second one instance may write to its log, stdout and stderr together (the
    /// rest are dropped and counted).
    pub output_lines_per_second: u32,
}

impl Default for Sandbox {
    fn default() -> Self {
        Sandbox {
            hook_deadline: Duration::from_millis(50),
            turn_budget: Duration::from_millis(250),
            max_memory_bytes: 64 << 20,
            pool_memory_bytes: 4 << 20,
            idle_memory_bytes: 256 << 20,
            max_handles: 100_000,
            quarantine_after: 5,
            quarantine_window: Duration::from_secs(60),
            output_lines_per_second: 50,
        }
    }
}

impl Sandbox {
    /// The epoch deadline for one hook call, in ticks beyond the current epoch.
    pub(crate) fn deadline_ticks(&self) -> u64 {
        super::budget::ticks_for(self.hook_deadline)
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
