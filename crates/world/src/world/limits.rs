//! Per-turn, per-object and world-wide limits, and what happens when one is reached.
//!
//! A guest or a client must not be able to make the host spend unbounded time, memory or
//! stack. Every such resource has a [`Limit`]. Reaching one *fails the whole turn*: the first
//! failure is recorded ([`LimitExceeded`]), charged to the typeclass responsible (it counts
//! towards its quarantine), every guest still on the stack is unwound with a trap, the turn is
//! rolled back whole, and its caller gets [`WorldError::Limit`]. Nothing is dropped while the
//! caller is told "ok". The exceptions are the `ndb` budgets and the timer counts, which refuse
//! the one `ndb-set` or the one schedule with an error value the script can handle. How often each limit was hit is in the stats.

use std::time::{Duration, Instant};

use crate::symbol::Symbol;
use crate::world::{WorldError, WorldState};

/// A limit the world enforces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// One hook call's own time (`Sandbox::hook_deadline`).
    HookTime,
    /// One turn's time, everything included (`Sandbox::turn_budget`).
    TurnTime,
    /// Linear memory of one instance (`Sandbox::max_memory_bytes`).
    Memory,
    /// Handles one instance holds (`Sandbox::max_handles`).
    Handles,
    /// The wasm stack of one hook call (recursion).
    WasmStack,
    /// The native stack of the world thread (nested hooks).
    NativeStack,
    /// How deep hooks may nest.
    Depth,
    /// A guest tried to wait (sleep or poll) inside a hook.
    Blocking,
    /// Events queued in one turn (`WorldLimits::max_events_per_turn`).
    Events,
    /// Bytes of message text queued in one turn (`WorldLimits::max_event_bytes_per_turn`).
    EventBytes,
    /// `ndb` bytes of one object (`WorldLimits::ndb_bytes_per_object`).
    NdbObject,
    /// `ndb` bytes of the whole world (`WorldLimits::ndb_bytes_total`).
    NdbTotal,
    /// Bytes of overwritten or deleted data one turn keeps for its rollback
    /// (`WorldLimits::max_undo_bytes_per_turn`).
    UndoBytes,
    /// Timers of one object or of the whole world (`WorldLimits::timers_per_object`,
    /// `WorldLimits::timers_total`).
    Timers,
}

impl Limit {
    /// Every limit, in display order.
    pub const ALL: [Limit; 14] = [
        Limit::HookTime,
        Limit::TurnTime,
        Limit::Memory,
        Limit::Handles,
        Limit::WasmStack,
        Limit::NativeStack,
        Limit::Depth,
        Limit::Blocking,
        Limit::Events,
        Limit::EventBytes,
        Limit::NdbObject,
        Limit::NdbTotal,
        Limit::UndoBytes,
        Limit::Timers,
    ];

    /// A short name (kebab-case, as in JSON).
    pub fn name(self) -> &'static str {
        match self {
            Limit::HookTime => "hook-time",
            Limit::TurnTime => "turn-time",
            Limit::Memory => "memory",
            Limit::Handles => "handles",
            Limit::WasmStack => "wasm-stack",
            Limit::NativeStack => "native-stack",
            Limit::Depth => "depth",
            Limit::Blocking => "blocking",
            Limit::Events => "events",
            Limit::EventBytes => "event-bytes",
            Limit::NdbObject => "ndb-object",
            Limit::NdbTotal => "ndb-total",
            Limit::UndoBytes => "undo-bytes",
            Limit::Timers => "timers",
        }
    }
}

/// A limit that was reached; the turn it happened in failed whole and was rolled back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitExceeded {
    /// Which limit.
    pub limit: Limit,
    /// What happened, with the figures.
    pub detail: String,
    /// The typeclass charged with it (counts towards its quarantine), if a guest caused it.
    pub charged: Option<String>,
}

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} limit reached: {}", self.limit.name(), self.detail)?;
        if let Some(typeclass) = &self.charged {
            write!(f, " (charged to typeclass {typeclass})")?;
        }
        f.write_str("; the turn was rolled back")
    }
}

/// Failed hooks logged one by one per turn; the rest are counted in one line (a script must not
/// be able to flood the host's log through failing hooks).
pub const LOGGED_FAILURES_PER_TURN: usize = 5;

/// Limits of the world itself (the sandbox's are in `Sandbox`).
#[derive(Clone, Debug)]
pub struct WorldLimits {
    /// Events (`msg` deliveries, `at-post-move`) one turn may queue in all.
    pub max_events_per_turn: usize,
    /// Bytes of message text one turn may queue in all.
    pub max_event_bytes_per_turn: usize,
    /// Bytes of `ndb` data one object may hold.
    pub ndb_bytes_per_object: usize,
    /// Bytes of `ndb` data all cached objects may hold together.
    pub ndb_bytes_total: usize,
    /// Bytes of overwritten or deleted data one turn may keep for its rollback.
    pub max_undo_bytes_per_turn: usize,
    /// Timers one object may have.
    pub timers_per_object: usize,
    /// Timers the whole world may have.
    pub timers_total: u64,
}

impl Default for WorldLimits {
    fn default() -> Self {
        WorldLimits {
            max_events_per_turn: 50_000,
            max_event_bytes_per_turn: 8 << 20,
            ndb_bytes_per_object: 2 << 20,
            ndb_bytes_total: 32 << 20,
            max_undo_bytes_per_turn: 32 << 20,
            timers_per_object: 100,
            timers_total: 1_000_000,
        }
    }
}

/// The bookkeeping of the running turn.
#[derive(Debug)]
pub(crate) struct TurnMeter {
    /// When the turn's time is up.
    pub(crate) deadline: Instant,
    /// The first limit reached, if any: the turn fails.
    pub(crate) failure: Option<LimitExceeded>,
    /// Events queued so far.
    pub(crate) events: usize,
    /// Message bytes queued so far.
    pub(crate) event_bytes: usize,
    /// Bytes the undo log holds.
    pub(crate) undo_bytes: usize,
    /// Failed hooks this turn (only the first few are logged one by one).
    pub(crate) failures: usize,
    /// Why the turn cannot go on though no limit was reached (its rollback failed).
    pub(crate) poisoned: Option<String>,
    /// Guest time used per typeclass by calls that returned (nested calls counted to the
    /// callee).
    pub(crate) time: Vec<(Symbol, Duration)>,
    /// Events and message bytes queued per typeclass (`None`: by the host).
    pub(crate) queued: Vec<(Option<Symbol>, usize)>,
    /// Who started the turn (decides whether the `build` grant is in effect).
    pub(crate) actor: crate::world::grants::Actor,
    /// Calls refused by grants this turn (only the first is logged).
    pub(crate) refusals: usize,
}

impl TurnMeter {
    pub(crate) fn new(now: Instant, budget: Duration) -> Self {
        TurnMeter {
            deadline: now + budget,
            actor: crate::world::grants::Actor::Nobody,
            refusals: 0,
            failure: None,
            events: 0,
            event_bytes: 0,
            undo_bytes: 0,
            failures: 0,
            poisoned: None,
            time: Vec::new(),
            queued: Vec::new(),
        }
    }
}

impl WorldState {
    /// Starts the bookkeeping of a new turn at `now`.
    pub(crate) fn begin_turn(&mut self, now: Instant) {
        let mut time = std::mem::take(&mut self.turn.time);
        time.clear();
        let mut queued = std::mem::take(&mut self.turn.queued);
        queued.clear();
        self.turn = TurnMeter {
            time,
            queued,
            ..TurnMeter::new(now, self.instances.sandbox.turn_budget)
        };
    }

    /// True if the turn must stop: a limit was reached or its rollback failed. Guests still on
    /// the stack are unwound.
    pub(crate) fn turn_aborted(&self) -> bool {
        self.turn.failure.is_some() || self.turn.poisoned.is_some()
    }

    /// The error of an aborted turn.
    pub(crate) fn turn_error(&self) -> Option<WorldError> {
        if let Some(failure) = &self.turn.failure {
            return Some(WorldError::Limit(failure.clone()));
        }
        self.turn
            .poisoned
            .as_ref()
            .map(|why| WorldError::Internal(format!("the turn was abandoned: {why}")))
    }

    /// Fails unless the turn may go on: no limit reached yet and time left.
    pub(crate) fn check_turn(&mut self) -> Result<(), WorldError> {
        self.check_turn_at(Instant::now())
    }

    /// [`Self::check_turn`] at `now`.
    pub(crate) fn check_turn_at(&mut self, now: Instant) -> Result<(), WorldError> {
        if let Some(error) = self.turn_error() {
            return Err(error);
        }
        if now >= self.turn.deadline {
            let charged = self.top_time_user(now);
            let detail = format!(
                "the turn ran past its {:?} budget",
                self.instances.sandbox.turn_budget
            );
            return Err(match charged {
                Some(sym) => self.fail_turn(Limit::TurnTime, detail, sym),
                None => self.fail_turn_uncharged(Limit::TurnTime, detail),
            });
        }
        Ok(())
    }

    /// Records that `limit` was reached, charged to `charged`, and returns the turn's error.
    /// The first failure of a turn is the one kept.
    pub(crate) fn fail_turn(
        &mut self,
        limit: Limit,
        detail: String,
        charged: Symbol,
    ) -> WorldError {
        if self.turn.failure.is_none() {
            self.record_fault(charged);
        }
        let name = self.names.name(charged).to_owned();
        self.set_failure(limit, detail, Some(name))
    }

    /// [`Self::fail_turn`] charged to the typeclass whose hook is running now, if any.
    pub(crate) fn fail_turn_here(&mut self, limit: Limit, detail: String) -> WorldError {
        match self.frames.last().map(|f| f.typeclass) {
            Some(sym) => self.fail_turn(limit, detail, sym),
            None => self.fail_turn_uncharged(limit, detail),
        }
    }

    /// [`Self::fail_turn`] charged to the typeclass with the most hook calls on the stack (the
    /// one that built the nesting), if any.
    pub(crate) fn fail_turn_deepest(&mut self, limit: Limit, detail: String) -> WorldError {
        let mut counts: Vec<(Symbol, usize)> = Vec::new();
        for frame in &self.frames {
            match counts.iter_mut().find(|(t, _)| *t == frame.typeclass) {
                Some((_, n)) => *n += 1,
                None => counts.push((frame.typeclass, 1)),
            }
        }
        match counts.iter().max_by_key(|(_, n)| *n) {
            Some(&(sym, _)) => self.fail_turn(limit, detail, sym),
            None => self.fail_turn_uncharged(limit, detail),
        }
    }

    /// [`Self::fail_turn`] for a queue cap: charged to the typeclass that queued the most in
    /// this turn (not to whoever queued the last event).
    pub(crate) fn fail_turn_queued(&mut self, limit: Limit, detail: String) -> WorldError {
        match self.turn.queued.iter().max_by_key(|(_, n)| *n) {
            Some(&(Some(sym), _)) => self.fail_turn(limit, detail, sym),
            _ => self.fail_turn_uncharged(limit, detail),
        }
    }

    /// Counts `weight` queued by the typeclass running now (the host when none is).
    pub(crate) fn count_queued(&mut self, weight: usize) {
        let by = self.frames.last().map(|f| f.typeclass);
        match self.turn.queued.iter_mut().find(|(t, _)| *t == by) {
            Some((_, n)) => *n += weight,
            None => self.turn.queued.push((by, weight)),
        }
    }

    fn fail_turn_uncharged(&mut self, limit: Limit, detail: String) -> WorldError {
        self.set_failure(limit, detail, None)
    }

    fn set_failure(&mut self, limit: Limit, detail: String, charged: Option<String>) -> WorldError {
        if self.turn.failure.is_none() {
            *self.limit_hits.entry(limit).or_default() += 1;
            tracing::warn!(limit = limit.name(), charged, "{detail}; failing the turn");
            self.turn.failure = Some(LimitExceeded {
                limit,
                detail,
                charged,
            });
        }
        WorldError::Limit(self.turn.failure.clone().expect("set above"))
    }

    /// Logs a hook that failed without failing the turn (an event hook, an `at-init`): at most
    /// [`LOGGED_FAILURES_PER_TURN`] lines a turn, escaped and cut (the text is a guest's), the
    /// rest counted by [`Self::end_failure_log`].
    pub(crate) fn log_failure(&mut self, error: &WorldError) {
        self.turn.failures += 1;
        if self.turn.failures <= LOGGED_FAILURES_PER_TURN {
            let text = error.to_string();
            let mut end = text.len().min(4096);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            tracing::warn!(
                "{}",
                crate::runtime::guest_output::escape_line(&text[..end])
            );
        }
    }

    /// Logs how many failures [`Self::log_failure`] did not show this turn.
    pub(crate) fn end_failure_log(&mut self) {
        if self.turn.failures > LOGGED_FAILURES_PER_TURN {
            tracing::warn!(
                more = self.turn.failures - LOGGED_FAILURES_PER_TURN,
                "more hooks failed in this turn"
            );
        }
        self.turn.failures = 0;
    }

    /// Counts a refusal that does not fail the turn (the `ndb` budgets).
    pub(crate) fn count_limit_hit(&mut self, limit: Limit) {
        *self.limit_hits.entry(limit).or_default() += 1;
    }

    /// Counts a trap of `typeclass` towards its quarantine (logged if that quarantines it).
    pub(crate) fn record_fault(&mut self, typeclass: Symbol) {
        if self.instances.record_fault(typeclass) {
            tracing::error!(
                typeclass = self.names.name(typeclass),
                "typeclass quarantined after repeated traps: until it is reloaded its vetoes, \
                 commands, message receipts and creations refuse, at-init and at-post-move are \
                 skipped"
            );
        }
    }

    /// Adds guest time used by `typeclass` in this turn.
    pub(crate) fn charge_time(&mut self, typeclass: Symbol, used: Duration) {
        match self.turn.time.iter_mut().find(|(t, _)| *t == typeclass) {
            Some((_, total)) => *total += used,
            None => self.turn.time.push((typeclass, used)),
        }
    }

    /// The typeclass that used most of this turn's time up to `now`: calls that returned, plus
    /// the own time so far of the calls still on the stack (each frame's time before the frame
    /// above it started, minus what its returned calls took).
    pub(crate) fn top_time_user(&self, now: Instant) -> Option<Symbol> {
        let mut totals = self.turn.time.clone();
        for (i, frame) in self.frames.iter().enumerate() {
            let until = self.frames.get(i + 1).map_or(now, |above| above.started);
            let own = until
                .saturating_duration_since(frame.started)
                .saturating_sub(frame.nested);
            match totals.iter_mut().find(|(t, _)| *t == frame.typeclass) {
                Some((_, total)) => *total += own,
                None => totals.push((frame.typeclass, own)),
            }
        }
        totals.into_iter().max_by_key(|(_, d)| *d).map(|(t, _)| t)
    }
}
