//! The world: objects, their attributes and their typeclasses, owned by one thread.
//!
//! # Layout
//! - `state`: `WorldState`, the domain operations on ids (cache + store, no WIT).
//! - `lifecycle`: create / move / delete with their hooks, and the event queue.
//! - [`timers`]: scheduling, listing and firing timers (one turn per fire); [`clock`]: the
//!   wall clock they run by.
//! - `error`: [`WorldError`].
//! - this module: [`World`], the owner and the public API the server, tests and benches use.
//!
//! Every public operation is one *turn*: it runs its hooks, then every event they queued
//! (`at-msg-receive`, `at-post-move`), then commits the turn's store writes in one redb
//! transaction. A turn runs within limits (`limits`): reaching one fails the whole turn and
//! rolls it back. Commits are made durable by [`World::checkpoint`].

pub mod accounts;
pub mod batch;
pub mod clock;
mod error;
pub mod flush;
pub mod grants;
pub mod incidents;
pub mod input;
pub mod inspect;
pub(crate) mod lifecycle;
pub mod limits;
pub mod perf;
pub(crate) mod state;
pub mod storage;
pub mod timers;
pub(crate) mod undo;

use std::path::Path;

pub use accounts::AccountInfo;
pub use batch::Batch;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::WorldError;
pub use flush::{FlushJob, FlushReport, FlushScope, KeepReason};
pub use input::{Place, Puppeting};
pub use limits::{Limit, LimitExceeded, WorldLimits};
pub use state::{AttrKind, Delivery};
pub(crate) use state::{Event, WorldState};
pub use timers::{TickOutcome, TimerCounters, TimerFire, TimerInfo};

use std::collections::BTreeMap;

use crate::cache::CacheStats;
use crate::runtime::dispatch::{call_hook, ensure_loaded, run_pending_inits};
use crate::runtime::{Hook, Instances, Runtime, Sandbox, Script, Scripts};
use crate::store::{Backend, RedbStore, Snapshot};
use crate::symbol::Interner;
use crate::value::{ObjectId, Value};

/// Options for [`World::open`].
#[derive(Clone, Debug)]
pub struct WorldOptions {
    /// Bytes of redb page cache.
    pub store_cache_bytes: usize,
    /// Limits for typeclass instances.
    pub sandbox: Sandbox,
    /// Most entries the cache keeps; beyond it, least recently used unprotected entries are
    /// evicted after each turn (Evennia's `IDMAPPER_CACHE_MAXSIZE`). `None`: no limit.
    pub cache_max_entries: Option<usize>,
    /// Per-turn, per-object and world-wide limits of the world.
    pub limits: WorldLimits,
    /// The wall clock timers run by (tests inject a [`ManualClock`]).
    pub clock: std::sync::Arc<dyn Clock>,
}

impl Default for WorldOptions {
    fn default() -> Self {
        WorldOptions {
            store_cache_bytes: 64 << 20,
            sandbox: Sandbox::default(),
            cache_max_entries: None,
            limits: WorldLimits::default(),
            clock: std::sync::Arc::new(SystemClock),
        }
    }
}

/// Figures about a running world.
#[derive(Clone, Debug, Default)]
pub struct WorldStats {
    /// Identity map counters.
    pub cache: CacheStats,
    /// Approximate bytes held by the identity map.
    pub cache_bytes: usize,
    /// The cache's budget in entries, if any.
    pub cache_budget: Option<usize>,
    /// Cached entries a normal flush would keep, by reason.
    pub protected: BTreeMap<KeepReason, usize>,
    /// Flush operations completed.
    pub flushes: u64,
    /// Resident memory of the whole process.
    pub rss_bytes: u64,
    /// Typeclasses with a component.
    pub typeclasses: usize,
    /// Typeclass instances created so far.
    pub instantiations: u64,
    /// Distinct attribute and typeclass names.
    pub names: usize,
    /// Typeclasses whose hooks are skipped after repeated traps.
    pub quarantined: Vec<String>,
    /// Hook calls that ran guest code.
    pub hooks_run: u64,
    /// Hook calls that trapped (including interrupted ones).
    pub traps: u64,
    /// Contract calls refused by grants, per typeclass (only those with refusals), sorted.
    pub refusals: Vec<(String, u64)>,
    /// Every limit with its setting and how often it was hit.
    pub limits: Vec<LimitStat>,
    /// Bytes of `ndb` data held by cached objects.
    pub ndb_bytes: usize,
    /// Guest log lines written, and dropped by the rate limit.
    pub log_lines: (u64, u64),
    /// Deliveries nobody took before the next turn (dropped, counted).
    pub deliveries_dropped: u64,
    /// Idle instances dropped instead of pooled because their memory had grown.
    pub big_instances_dropped: u64,
    /// The pools of idle instances, all typeclasses together.
    pub idle_instances: IdleInstances,
    /// Durable commits (fsyncs) since the world opened.
    pub fsyncs: u64,
    /// Timers scheduled now (parked ones included).
    pub timers: u64,
    /// Timers fired, failed, parked and waiting since the world opened.
    pub timer_counters: TimerCounters,
    /// Whether the store takes changes (see `world::storage`).
    pub storage: storage::StorageStatus,
}

/// The idle instances kept for the next hook calls, all typeclasses together.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdleInstances {
    /// Idle instances in the pools.
    pub count: usize,
    /// Linear memory they hold.
    pub bytes: usize,
    /// Idle instances dropped to keep the pools within their budget.
    pub dropped: u64,
    /// The budget: [`crate::runtime::Sandbox::idle_memory_bytes`].
    pub budget: usize,
}

/// One limit in [`WorldStats`]: its setting and how often it was hit.
#[derive(Clone, Debug)]
pub struct LimitStat {
    /// The limit.
    pub limit: Limit,
    /// Its setting, for people ("250ms", "64 MiB").
    pub setting: String,
    /// Times it was hit since the world opened.
    pub hits: u64,
}

/// The game world: the one owner of the object cache, the store and the script instances.
pub struct World {
    state: Option<Box<WorldState>>,
    /// Players' failed commands, for admins.
    incidents: incidents::Incidents,
}

impl World {
    /// Opens (or creates) the world stored at `path`, running the typeclasses in `scripts`.
    ///
    /// # Errors
    /// [`WorldError::Store`] if the file is corrupt, from a newer schema or cannot be opened.
    pub fn open(
        path: &Path,
        runtime: &Runtime,
        scripts: &Scripts,
        options: &WorldOptions,
    ) -> Result<World, WorldError> {
        let store = RedbStore::open(path, options.store_cache_bytes)?;
        Ok(Self::on_store(Box::new(store), runtime, scripts, options))
    }

    /// Opens (or creates) a world on a custom redb storage backend (see
    /// [`RedbStore::open_with_backend`]).
    ///
    /// # Errors
    /// [`WorldError::Store`] if the store is corrupt, from a newer schema or cannot be opened.
    pub fn open_with_backend(
        backend: impl redb::StorageBackend,
        runtime: &Runtime,
        scripts: &Scripts,
        options: &WorldOptions,
    ) -> Result<World, WorldError> {
        let store = RedbStore::open_with_backend(backend, options.store_cache_bytes)?;
        Ok(Self::on_store(Box::new(store), runtime, scripts, options))
    }

    /// Opens (or creates) a world on storage backends made by `backend` for each
    /// [`crate::store::Storage`] request (see [`RedbStore::open_reopenable`] and `world::storage`;
    /// in tests, a disk that fills up, fails or loses power).
    ///
    /// # Errors
    /// [`WorldError::Store`] if the store is corrupt, from a newer schema or cannot be opened.
    pub fn open_reopenable<B: redb::StorageBackend>(
        backend: impl Fn(crate::store::Storage) -> std::io::Result<Option<B>> + Send + 'static,
        runtime: &Runtime,
        scripts: &Scripts,
        options: &WorldOptions,
    ) -> Result<World, WorldError> {
        let store = RedbStore::open_reopenable(backend, options.store_cache_bytes)?;
        Ok(Self::on_store(Box::new(store), runtime, scripts, options))
    }

    /// Opens a world on a store already open, of any backend.
    pub fn on_store(
        store: Box<dyn Backend>,
        runtime: &Runtime,
        scripts: &Scripts,
        options: &WorldOptions,
    ) -> World {
        let mut names = Interner::default();
        let instances = Instances::new(runtime, scripts, &mut names, options.sandbox.clone());
        let mut state = Box::new(WorldState::new(
            store,
            instances,
            names,
            options.limits.clone(),
            options.clock.clone(),
        ));
        state.max_entries = options.cache_max_entries;
        World {
            state: Some(state),
            incidents: incidents::Incidents::default(),
        }
    }

    /// Records that `character`'s line `input` failed with `error` (logged, and kept for
    /// admins); returns the reference to show the player.
    pub fn report_incident(
        &mut self,
        character: ObjectId,
        input: &str,
        error: &WorldError,
    ) -> String {
        self.incidents.record(character, input, &error.to_string())
    }

    /// The players' failed commands kept for admins, oldest first.
    pub fn incidents(&self) -> Vec<incidents::Incident> {
        self.incidents.list().cloned().collect()
    }

    fn state(&mut self) -> &mut WorldState {
        self.state
            .as_mut()
            .expect("world state is home between turns")
    }

    /// Runs one turn: `op`, then the queued events, then the commit. If `op` fails, or any
    /// limit is reached, the whole turn is rolled back and its error returned.
    fn turn<T>(
        &mut self,
        op: impl FnOnce(Box<WorldState>) -> (Box<WorldState>, Result<T, WorldError>),
    ) -> Result<T, WorldError> {
        self.turn_as(grants::Actor::Nobody, op)
    }

    /// [`Self::turn`], started by `actor`.
    fn turn_as<T>(
        &mut self,
        actor: grants::Actor,
        op: impl FnOnce(Box<WorldState>) -> (Box<WorldState>, Result<T, WorldError>),
    ) -> Result<T, WorldError> {
        let mut world = self
            .state
            .take()
            .expect("world state is home between turns");
        let now = std::time::Instant::now();
        world.storage_recover();
        world.storage.refused = None;
        world.tick(now);
        world.begin_turn(now);
        world.turn.actor = actor;
        if !world.deliveries.is_empty() {
            world.deliveries_dropped += world.deliveries.len() as u64;
            world.deliveries.clear();
        }
        let start = world.mark();
        let (mut world, mut result) = op(world);
        if let Err(WorldError::Store(e)) = &result
            && e.is_io()
        {
            // The disk failed inside the turn (redb writes pages as a transaction grows).
            world.storage_failed(e);
        }
        if result.is_ok() {
            // Events, and the at-init of anything loaded late, until neither is left (an
            // at-init may queue events, an event may load objects).
            loop {
                world = lifecycle::run_events(world);
                if world.pending_init.is_empty() || world.turn_aborted() {
                    break;
                }
                world = run_pending_inits(world);
            }
        }
        world.end_failure_log();
        if let Some(error) = world.turn_error() {
            result = Err(error);
        }
        if result.is_err()
            && let Some(why) = world.storage.refused.take()
        {
            // Refused a write: that is why the turn failed, whichever hook it surfaced in.
            result = Err(WorldError::StorageDown(why));
        }
        if result.is_err() {
            // None of the turn stays: its own changes, its hooks', its events'.
            world.rollback_to(start);
            world.events.clear();
            world.deliveries.clear();
        }
        let committed = world.commit_event();
        if committed.is_err() {
            world.deliveries.clear();
        }
        world.enforce_budget(flush::EVICT_STEPS_PER_TURN);
        world.sweep_names_if_due();
        world.perf.turn(now.elapsed());
        self.state = Some(world);
        let value = result?;
        committed?;
        Ok(value)
    }

    /// A turn made of a plain world operation (no hooks of its own).
    fn plain<T>(
        &mut self,
        op: impl FnOnce(&mut WorldState) -> Result<T, WorldError>,
    ) -> Result<T, WorldError> {
        self.turn(|mut w| {
            let r = op(&mut w);
            (run_pending_inits(w), r)
        })
    }

    /// A turn made of a plain operation on `id`, which is loaded (with its `at-init`) first.
    fn on_object<T>(
        &mut self,
        id: ObjectId,
        op: impl FnOnce(&mut WorldState) -> Result<T, WorldError>,
    ) -> Result<T, WorldError> {
        self.turn(|w| {
            let (mut w, loaded) = ensure_loaded(w, id);
            let r = loaded.and_then(|()| op(&mut w));
            (run_pending_inits(w), r)
        })
    }

    /// Runs `f` as one turn: everything it does is kept together, or nothing is (if it
    /// returns an error or a limit is reached).
    ///
    /// # Errors
    /// The error `f` returned, or the turn's.
    pub fn atomically<T>(
        &mut self,
        f: impl FnOnce(&mut Batch) -> Result<T, WorldError>,
    ) -> Result<T, WorldError> {
        self.turn(|w| {
            let mut batch = Batch::new(w);
            let result = f(&mut batch);
            (batch.into_state(), result)
        })
    }

    /// Creates an object of `typeclass` (a script name, or `"object"` for a plain object) in
    /// `location`, running its `at-object-creation` and `at-init`.
    ///
    /// # Errors
    /// `InvalidArgument` for an empty or overlong key, `NotFound` for an unknown typeclass or
    /// location, `Hook` if a hook fails.
    pub fn create(
        &mut self,
        key: &str,
        typeclass: &str,
        location: Option<ObjectId>,
    ) -> Result<ObjectId, WorldError> {
        self.atomically(|b| b.create(key, typeclass, location))
    }

    /// `caller` typed `input` at `target`: runs `target`'s `at-command`; true if handled.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object, `Hook` if the hook fails.
    pub fn command(
        &mut self,
        caller: ObjectId,
        target: ObjectId,
        input: &str,
    ) -> Result<bool, WorldError> {
        self.turn_as(grants::Actor::Console, |mut w| {
            if let Err(e) = w.check_exists(caller) {
                return (w, Err(e));
            }
            call_hook(w, target, Hook::Command { caller, input })
        })
    }

    /// Sends `text` to `target` (its `at-msg-receive` decides whether it is delivered).
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object.
    pub fn msg(
        &mut self,
        target: ObjectId,
        text: &str,
        sender: Option<ObjectId>,
    ) -> Result<(), WorldError> {
        self.plain(|w| w.queue_msg(target, text.to_owned(), sender))
    }

    /// Moves `id` into `destination` after its `at-pre-move` agrees.
    ///
    /// # Errors
    /// `Vetoed` if the hook refuses, `InvalidArgument` for a move into itself.
    pub fn move_to(
        &mut self,
        id: ObjectId,
        destination: Option<ObjectId>,
    ) -> Result<(), WorldError> {
        self.turn(|w| lifecycle::move_with_hooks(w, id, destination))
    }

    /// Deletes `id` after its `at-object-delete` agrees; its contents move to its location.
    ///
    /// # Errors
    /// `Vetoed` if the hook refuses; `NotFound` / `Deleted` for a missing object.
    pub fn delete(&mut self, id: ObjectId) -> Result<(), WorldError> {
        self.turn(|w| lifecycle::delete_with_hooks(w, id))
    }

    /// The key of `id`.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object.
    pub fn key(&mut self, id: ObjectId) -> Result<String, WorldError> {
        self.on_object(id, |w| w.key(id).map(str::to_owned))
    }

    /// The typeclass of `id`.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object.
    pub fn typeclass(&mut self, id: ObjectId) -> Result<String, WorldError> {
        self.on_object(id, |w| w.typeclass(id).map(str::to_owned))
    }

    /// Where `id` is.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object.
    pub fn location(&mut self, id: ObjectId) -> Result<Option<ObjectId>, WorldError> {
        self.on_object(id, |w| w.location(id))
    }

    /// What is inside `id`, in id order.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object.
    pub fn contents(&mut self, id: ObjectId) -> Result<Vec<ObjectId>, WorldError> {
        self.on_object(id, |w| w.contents(id))
    }

    /// The objects whose key equals `key` (ASCII case ignored), in id order.
    ///
    /// # Errors
    /// `Store` on a storage failure.
    pub fn search(&mut self, key: &str) -> Result<Vec<ObjectId>, WorldError> {
        self.plain(|w| w.search(key))
    }

    /// Reads an attribute.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object.
    pub fn attr(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
        name: &str,
    ) -> Result<Option<Value>, WorldError> {
        self.on_object(id, |w| w.attr_get(id, kind, name))
    }

    /// Writes an attribute.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad name or invalid JSON, `NotFound` / `Deleted` for a missing
    /// object (or a missing referenced object).
    pub fn set_attr(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
        name: &str,
        value: Value,
    ) -> Result<(), WorldError> {
        self.atomically(|b| b.set_attr(id, kind, name, value))
    }

    /// Renames `id` as one turn.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad key; `NotFound` / `Deleted` for a missing object.
    pub fn rename(&mut self, id: ObjectId, key: &str) -> Result<(), WorldError> {
        self.atomically(|b| b.rename(id, key))
    }

    /// Removes an attribute as one turn; true if it was set.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object.
    pub fn remove_attr(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
        name: &str,
    ) -> Result<bool, WorldError> {
        self.atomically(|b| b.remove_attr(id, kind, name))
    }

    /// The names of the attributes of `id`, sorted.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object.
    pub fn attr_names(&mut self, id: ObjectId, kind: AttrKind) -> Result<Vec<String>, WorldError> {
        self.on_object(id, |w| w.attr_names(id, kind))
    }

    /// Flushes `scope` from the cache in one go and reports what it did. (`flush_step` runs
    /// the same flush one slice at a time, for callers that interleave other work.)
    pub fn flush(&mut self, scope: FlushScope, force: bool) -> FlushReport {
        let mut job = FlushJob::new(scope, force);
        while !self.flush_step(&mut job) {}
        job.into_report()
    }

    /// Runs one slice (a few milliseconds at most) of a flush; true when it is done.
    pub fn flush_step(&mut self, job: &mut FlushJob) -> bool {
        self.state().flush_step(job)
    }

    /// Evicts until the cache is within its budget (or nothing more may be evicted) and returns
    /// how many entries went. Turns do this a slice at a time already.
    pub fn enforce_budget(&mut self) -> usize {
        let w = self.state();
        let mut total = 0;
        loop {
            let n = w.enforce_budget(flush::FLUSH_SLICE_STEPS);
            total += n;
            if n == 0 {
                return total;
            }
        }
    }

    /// Installs a compiled typeclass, new or replacing the running version, between turns: the
    /// next hook runs on it. Objects, their `ndb` data and everything else stay as they are.
    /// Returns true if it replaced a version.
    ///
    /// # Errors
    /// [`WorldError::Script`] if the script was compiled by another [`Runtime`].
    pub fn install(&mut self, script: Script) -> Result<bool, WorldError> {
        let w = self.state();
        w.instances.install(script, &mut w.names)
    }

    /// The installed typeclasses, sorted by name.
    pub fn typeclasses(&mut self) -> Vec<crate::runtime::Installed> {
        self.state().instances.scripts()
    }

    /// Runs one hook on `target` as a turn (the console's `call`) and returns its answer.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object, `Hook` if the hook fails.
    pub fn run_hook(&mut self, target: ObjectId, hook: Hook<'_>) -> Result<bool, WorldError> {
        self.turn_as(grants::Actor::Console, |w| call_hook(w, target, hook))
    }

    /// How many cached objects each typeclass has (a scan of the cache, for the console).
    pub fn cached_by_typeclass(&mut self) -> BTreeMap<String, usize> {
        let w = self.state();
        let mut counts = BTreeMap::new();
        for (_, entry) in w.cache.iter() {
            *counts
                .entry(w.names.name(entry.typeclass).to_owned())
                .or_default() += 1;
        }
        counts
    }

    /// Sets (or removes) the cache's budget in entries; the next turns evict down to it.
    pub fn set_cache_budget(&mut self, max_entries: Option<usize>) {
        self.state().max_entries = max_entries;
    }

    /// Keeps `id` in the cache through every flush, forced ones included, and evictions (the
    /// world thread pins a character while a player is connected to it).
    pub fn pin(&mut self, id: ObjectId) {
        self.state().pins.insert(id);
    }

    /// Undoes [`World::pin`].
    pub fn unpin(&mut self, id: ObjectId) {
        self.state().pins.remove(&id);
    }

    /// Takes the text objects accepted in the last turn, oldest first. Deliveries are kept
    /// only until the next turn begins: those nobody took are then counted
    /// ([`WorldStats::deliveries_dropped`]) and dropped, so they never pile up in memory. (So a
    /// world-thread job that runs a turn for a player must not run another turn after it: the
    /// thread hands out the deliveries of the job's last turn.)
    pub fn take_deliveries(&mut self) -> Vec<Delivery> {
        std::mem::take(&mut self.state().deliveries)
    }

    /// A copy of the text objects accepted in the last turn (left for the world thread to
    /// hand to the sessions attached to them).
    pub fn deliveries(&mut self) -> Vec<Delivery> {
        self.state().deliveries.clone()
    }

    /// The number of stored objects.
    ///
    /// # Errors
    /// `Store` on a storage failure.
    pub fn object_count(&mut self) -> Result<u64, WorldError> {
        self.state().object_count()
    }

    /// Current figures. Counting protected entries scans the cache (milliseconds for a
    /// million entries): for the console, not for hot paths.
    pub fn stats(&mut self) -> WorldStats {
        let w = self.state();
        WorldStats {
            cache: w.cache.stats(),
            cache_bytes: w.cache.approx_bytes(),
            cache_budget: w.max_entries,
            protected: w.protected_counts(),
            flushes: w.flushes,
            rss_bytes: crate::memory::rss_bytes(),
            typeclasses: w.instances.typeclass_count(),
            instantiations: w.instances.instantiations,
            names: w.names.len(),
            quarantined: w.instances.quarantined(),
            refusals: w.instances.refusals(),
            hooks_run: w.instances.hooks_run,
            traps: w.instances.traps,
            limits: limit_stats(w),
            ndb_bytes: w.cache.ndb_bytes(),
            log_lines: (w.instances.logs.logged(), w.instances.logs.dropped()),
            deliveries_dropped: w.deliveries_dropped,
            big_instances_dropped: w.instances.dropped_big,
            idle_instances: {
                let (count, bytes) = w.instances.idle();
                IdleInstances {
                    count,
                    bytes,
                    dropped: w.instances.dropped_over_budget,
                    budget: w.instances.sandbox.idle_memory_bytes,
                }
            },
            fsyncs: w.fsyncs,
            timers: w.view().and_then(|v| Ok(v.timer_count()?)).unwrap_or(0),
            timer_counters: w.timer_counters,
            storage: w.storage_status(),
        }
    }

    /// A read snapshot of the store as of the last completed turn, for a backup taken off the
    /// world thread ([`crate::store::Snapshot::backup_to`]) while the world keeps serving.
    ///
    /// # Errors
    /// `Store` if the store cannot start a read transaction.
    pub fn snapshot(&mut self) -> Result<Box<dyn Snapshot>, WorldError> {
        self.state().store_snapshot()
    }

    /// Makes every completed turn durable (one fsync if anything changed).
    ///
    /// # Errors
    /// `Store` if the commit fails.
    pub fn checkpoint(&mut self) -> Result<(), WorldError> {
        self.state().checkpoint()
    }

    /// The turns and fsyncs since the last call, with their 99th percentiles (the dashboard's
    /// sampler calls it once a second).
    pub fn take_perf(&mut self) -> perf::PerfWindow {
        self.state().perf.take()
    }

    /// Checkpoints and closes the store.
    ///
    /// # Errors
    /// `Store` if the final commit fails.
    pub fn close(mut self) -> Result<(), WorldError> {
        self.checkpoint()
    }
}

fn mib(bytes: usize) -> String {
    format!("{} MiB", bytes >> 20)
}

/// Every limit with its setting and hit count.
fn limit_stats(w: &WorldState) -> Vec<LimitStat> {
    let (sandbox, limits) = (&w.instances.sandbox, &w.limits);
    Limit::ALL
        .iter()
        .map(|&limit| {
            let setting = match limit {
                Limit::HookTime => format!("{:?} per hook", sandbox.hook_deadline),
                Limit::TurnTime => format!("{:?} per turn", sandbox.turn_budget),
                Limit::Memory => format!("{} per instance", mib(sandbox.max_memory_bytes)),
                Limit::Handles => format!("{} per instance", sandbox.max_handles),
                Limit::WasmStack => format!(
                    "{} KiB per hook",
                    crate::runtime::sandbox::WASM_STACK_BYTES >> 10
                ),
                Limit::NativeStack => format!(
                    "{} KiB free per nested hook",
                    crate::runtime::sandbox::STACK_PER_NESTED_HOOK >> 10
                ),
                Limit::Depth => {
                    format!("{} nested hooks", crate::runtime::dispatch::MAX_HOOK_DEPTH)
                }
                Limit::Blocking => "hooks never wait".to_owned(),
                Limit::Events => format!("{} per turn", limits.max_events_per_turn),
                Limit::EventBytes => format!("{} per turn", mib(limits.max_event_bytes_per_turn)),
                Limit::NdbObject => format!("{} per object", mib(limits.ndb_bytes_per_object)),
                Limit::NdbTotal => format!("{} world-wide", mib(limits.ndb_bytes_total)),
                Limit::UndoBytes => format!("{} per turn", mib(limits.max_undo_bytes_per_turn)),
                Limit::Timers => format!(
                    "{} per object, {} world-wide",
                    limits.timers_per_object, limits.timers_total
                ),
            };
            LimitStat {
                limit,
                setting,
                hits: w.limit_hits.get(&limit).copied().unwrap_or(0),
            }
        })
        .collect()
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(state) = self.state.as_mut()
            && let Err(e) = state.checkpoint()
        {
            tracing::error!("final checkpoint failed: {e}");
        }
    }
}
