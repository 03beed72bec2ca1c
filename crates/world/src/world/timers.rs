//! Timers: scheduling and cancelling (for hooks and the host), listing, and firing one due
//! timer as a turn of its own.
//!
//! A timer is two store rows (see `store::timers`), written in the transaction of the turn
//! that changes it and reversed by the undo log like any other change, so a hook that fails
//! schedules nothing. Nothing about timers is kept in memory but the due time of the next one
//! (a cache of the queue's first row), so a million timers cost only their rows on disk.
//!
//! # Firing
//! [`World::fire_due_timer`] takes the queue's first row if it is due and runs one turn: the
//! row is deleted (one-shot) or moved to its next time in its rhythm (repeating), then the
//! object's `at-tick` runs (loading the object, with its `at-init`, if it was flushed). Both
//! commit together, so a crash before the commit fires the timer again after the restart and
//! one after it never does: each fire is kept exactly once. If the hook fails, its changes and
//! the row's move are rolled back and the failure is recorded on the row instead: a one-shot
//! is retried with backoff, a repeating timer keeps its rhythm, and after
//! [`MAX_TIMER_FAILURES`] failures in a row the timer is parked (out of the queue, shown to the
//! admin) until it is scheduled again. A timer whose typeclass cannot run (quarantined, or its
//! component missing) waits: it is looked at again [`WAIT_MS`] later (then twice as long each
//! time, up to [`MAX_WAIT_MS`]; a repeating timer on a beat of its rhythm), without counting a
//! failure. A timer whose object no longer exists is removed.

use std::time::Duration;

use crate::runtime::Hook;
use crate::runtime::dispatch::call_hook;
use crate::store::{StoreError, TimerRecord, TimerRow};
use crate::value::ObjectId;
use crate::world::undo::Undo;
use crate::world::{World, WorldError, WorldState};

/// The shortest delay or interval a timer may have.
pub const MIN_TIMER_MS: u64 = 100;
/// The longest delay or interval a timer may have (ten years).
pub const MAX_TIMER_MS: u64 = 10 * 365 * 24 * 60 * 60 * 1000;
/// Failures in a row after which a timer is parked.
pub const MAX_TIMER_FAILURES: u32 = 5;
/// How long a timer whose typeclass cannot run first waits before it is looked at again; each
/// further look waits twice as long, up to [`MAX_WAIT_MS`] (each look rewrites the row: a
/// quarantined typeclass with many timers must not keep the world busy). Also how long all
/// timers pause after a storage failure.
pub const WAIT_MS: u64 = 5_000;
/// The longest wait of a timer whose typeclass cannot run.
pub const MAX_WAIT_MS: u64 = 5 * 60 * 1000;
/// The longest retry delay of a failing one-shot timer.
const MAX_BACKOFF_MS: u64 = 5 * 60 * 1000;
/// How much of a failure's text a timer keeps for the admin.
const MAX_ERROR_TEXT: usize = 512;

/// A timer as the host reports it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TimerInfo {
    /// The object it belongs to.
    pub object: ObjectId,
    /// Its name, unique per object.
    pub name: String,
    /// When it fires next (Unix ms).
    pub due_ms: u64,
    /// The interval of a repeating timer; `None` for a one-shot.
    pub interval_ms: Option<u64>,
    /// `at-tick` failures in a row.
    pub failures: u32,
    /// Parked after repeated failures: it fires no more until scheduled again.
    pub parked: bool,
    /// The last failure.
    pub last_error: Option<String>,
}

impl TimerInfo {
    fn from_row((object, name, record): TimerRow) -> Self {
        TimerInfo {
            object,
            name: name.into(),
            due_ms: record.due_ms,
            interval_ms: record.interval_ms,
            failures: record.failures,
            parked: record.parked,
            last_error: record.last_error.map(Into::into),
        }
    }
}

/// What firing one timer did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TickOutcome {
    /// `at-tick` ran and its turn was committed.
    Fired,
    /// `at-tick` (or loading the object for it) failed; nothing of it was kept. The timer will
    /// be retried, or was parked.
    Failed {
        /// Why.
        error: String,
        /// True if this failure parked the timer.
        parked: bool,
    },
    /// The object's typeclass cannot run now; the timer waits.
    Waiting {
        /// Why the typeclass cannot run.
        reason: String,
    },
    /// Nothing could fire: the timer's object no longer exists (the timer was removed), or
    /// the queue row named no timer (the row was removed).
    Dropped {
        /// Why.
        reason: String,
    },
}

/// One timer fired by [`World::fire_due_timer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimerFire {
    /// Its object.
    pub object: ObjectId,
    /// Its name.
    pub name: String,
    /// When it was due (Unix ms).
    pub due_ms: u64,
    /// What happened.
    pub outcome: TickOutcome,
}

/// Counters of fired timers, for the stats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TimerCounters {
    /// `at-tick` calls that ran and were kept.
    pub fired: u64,
    /// `at-tick` calls that failed (each retry counts).
    pub failed: u64,
    /// Timers parked after repeated failures.
    pub parked: u64,
    /// Times a due timer waited because its typeclass could not run.
    pub waited: u64,
    /// Timers of objects that no longer exist, and queue rows naming no timer, removed.
    pub dropped: u64,
}

/// The next time in a repeating timer's rhythm after `now`: intended times are `due`,
/// `due + interval`, ...; the ones missed (downtime, a busy world) are skipped, not made up.
fn next_in_rhythm(due: u64, interval: u64, now: u64) -> u64 {
    let missed = now.saturating_sub(due) / interval;
    due.saturating_add(interval.saturating_mul(missed + 1))
}

/// The delay before retry `failures` (1, 2, ...) of a one-shot: 1 s, 2 s, 4 s ... at most 5 min.
fn backoff_ms(failures: u32) -> u64 {
    (1_000u64 << failures.saturating_sub(1).min(20)).min(MAX_BACKOFF_MS)
}

/// The wait before look `waits` (1, 2, ...) at a timer whose typeclass cannot run.
fn wait_ms(waits: u32) -> u64 {
    (WAIT_MS << waits.saturating_sub(1).min(20)).min(MAX_WAIT_MS)
}

fn clip(text: &str) -> Box<str> {
    let mut end = text.len().min(MAX_ERROR_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].into()
}

impl WorldState {
    /// Now, by the world's clock (Unix ms).
    pub(crate) fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Schedules timer `name` of `id`, `delay_ms` from now, once or repeating every
    /// `delay_ms`; replaces a timer of that name.
    ///
    /// # Errors
    /// `InvalidArgument` for a bad name or delay, or when the object or the world has as many
    /// timers as allowed ([`crate::world::Limit::Timers`]); `NotFound` / `Deleted`.
    pub(crate) fn schedule_timer(
        &mut self,
        id: ObjectId,
        name: &str,
        delay_ms: u64,
        repeating: bool,
    ) -> Result<(), WorldError> {
        super::state::check_name("a timer name", name)?;
        if !(MIN_TIMER_MS..=MAX_TIMER_MS).contains(&delay_ms) {
            return Err(WorldError::InvalidArgument(format!(
                "timer {name:?}: {} must be {MIN_TIMER_MS}..={MAX_TIMER_MS} ms, not {delay_ms}",
                if repeating { "an interval" } else { "a delay" }
            )));
        }
        self.check_exists(id)?;
        let old = self.view()?.timer(id, name)?;
        if old.is_none() {
            self.check_timer_room(id)?;
        }
        let new = TimerRecord {
            due_ms: self.now_ms().saturating_add(delay_ms),
            interval_ms: repeating.then_some(delay_ms),
            failures: 0,
            waits: 0,
            parked: false,
            last_error: None,
        };
        self.put_timer(id, name, old, Some(new))
    }

    /// Fails if `id` or the world already has as many timers as allowed.
    fn check_timer_room(&mut self, id: ObjectId) -> Result<(), WorldError> {
        let (per_object, total) = (self.limits.timers_per_object, self.limits.timers_total);
        let view = self.view()?;
        let detail = if view.timer_count_of(id)? >= per_object {
            format!("#{id} already has {per_object} timers, the most an object may have")
        } else if view.timer_count()? >= total {
            format!("the world already has {total} timers, the most it may have")
        } else {
            return Ok(());
        };
        self.count_limit_hit(super::Limit::Timers);
        Err(WorldError::InvalidArgument(format!(
            "timer limit: {detail}"
        )))
    }

    /// Cancels timer `name` of `id`; true if there was one.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object; `Store` on a storage failure.
    pub(crate) fn cancel_timer(&mut self, id: ObjectId, name: &str) -> Result<bool, WorldError> {
        self.check_exists(id)?;
        let Some(old) = self.view()?.timer(id, name)? else {
            return Ok(false);
        };
        self.put_timer(id, name, Some(old), None)?;
        Ok(true)
    }

    /// The timers of `id`, sorted by name.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object; `Store` on a storage failure.
    pub(crate) fn timers_of(&mut self, id: ObjectId) -> Result<Vec<TimerInfo>, WorldError> {
        self.check_exists(id)?;
        let rows = self.view()?.timers_of(id)?;
        Ok(rows.into_iter().map(TimerInfo::from_row).collect())
    }

    /// Removes every timer of `id` (it is being deleted).
    pub(crate) fn remove_timers_of(&mut self, id: ObjectId) -> Result<(), WorldError> {
        for (_, name, record) in self.view()?.timers_of(id)? {
            self.put_timer(id, &name, Some(record), None)?;
        }
        Ok(())
    }

    /// Replaces timer `name` of `id` (stored as `old`) with `new` (`None`: removes it), in
    /// the turn's transaction and its undo log.
    pub(super) fn put_timer(
        &mut self,
        id: ObjectId,
        name: &str,
        old: Option<TimerRecord>,
        new: Option<TimerRecord>,
    ) -> Result<(), WorldError> {
        let txn = self.write()?;
        match (&old, &new) {
            (_, Some(new)) => txn.put_timer(id, name, old.as_ref(), new)?,
            (Some(old), None) => txn.remove_timer(id, name, old)?,
            (None, None) => return Ok(()),
        }
        self.next_timer = None;
        self.record_undo(Undo::Timer {
            id,
            name: name.into(),
            old,
        })
    }

    /// Reverses a timer change in the turn's transaction (see `undo`).
    pub(super) fn revert_timer(
        &mut self,
        id: ObjectId,
        name: &str,
        old: Option<TimerRecord>,
    ) -> Result<(), WorldError> {
        self.next_timer = None;
        let txn = self
            .txn
            .as_mut()
            .ok_or_else(|| WorldError::Internal("undo: no write transaction".into()))?;
        let current = txn.timer(id, name)?;
        match (old, current) {
            (Some(old), current) => txn.put_timer(id, name, current.as_ref(), &old)?,
            (None, Some(current)) => txn.remove_timer(id, name, &current)?,
            (None, None) => {}
        }
        Ok(())
    }

    /// The queue's first row: (due, object, name) of the next timer to fire.
    fn next_timer_row(&mut self) -> Result<Option<(u64, ObjectId, Box<str>)>, WorldError> {
        let row = self.view()?.next_timer()?;
        self.next_timer = Some(row.as_ref().map(|r| r.0));
        Ok(row)
    }

    /// Why the typeclass of `id` cannot run now (without loading `id`), if it cannot.
    fn tick_blocked(&mut self, id: ObjectId) -> Result<Option<String>, WorldError> {
        let typeclass = match self.cache.peek(id) {
            Some(entry) => Some(entry.typeclass),
            None => {
                let record = self.view()?.record(id)?;
                let record = record.ok_or_else(|| WorldError::NotFound(format!("#{id}")))?;
                self.names.get(&record.typeclass)
            }
        };
        Ok(match typeclass {
            Some(sym) => self.instances.unavailable(sym).map(str::to_owned),
            None => Some("its component is not installed".to_owned()),
        })
    }

    /// Records a failure of timer `name` of `id`, fired at `now`; true if it parked the timer.
    fn record_timer_failure(
        &mut self,
        id: ObjectId,
        name: &str,
        now: u64,
        error: &str,
    ) -> Result<bool, WorldError> {
        let Some(old) = self.view()?.timer(id, name)? else {
            return Ok(false);
        };
        let failures = old.failures.saturating_add(1);
        let parked = failures >= MAX_TIMER_FAILURES;
        let due_ms = match old.interval_ms {
            Some(interval) => next_in_rhythm(old.due_ms, interval, now),
            None => now.saturating_add(backoff_ms(failures)),
        };
        let new = TimerRecord {
            due_ms,
            failures,
            parked,
            last_error: Some(clip(error)),
            interval_ms: old.interval_ms,
            waits: 0,
        };
        self.put_timer(id, name, Some(old), Some(new))?;
        Ok(parked)
    }
}

/// What the first part of a fire decided.
enum Step {
    /// The timer's row moved on: run `at-tick`.
    Run,
    /// Nothing to run.
    Done(TickOutcome),
}

/// Moves the timer whose queue row is (`due`, `object`, `name`) on before its `at-tick` runs:
/// deleted (one-shot) or on its next beat (repeating). A queue row that names no timer (or an
/// old time of one, or a record that does not decode) is removed, so it cannot block the
/// queue (`wasmud check` reports such rows); the timer of an object that no longer exists is
/// removed; the timer of a typeclass that cannot run waits.
fn advance(
    world: &mut WorldState,
    due: u64,
    object: ObjectId,
    name: &str,
    now: u64,
) -> Result<Step, WorldError> {
    let stale = |world: &mut WorldState, reason: String| -> Result<Step, WorldError> {
        tracing::error!(object, name, due, "timer queue row removed: {reason}");
        world.write()?.remove_queue_row(due, object, name)?;
        world.next_timer = None;
        Ok(Step::Done(TickOutcome::Dropped { reason }))
    };
    let record = match world.view()?.timer(object, name) {
        Ok(Some(record)) if !record.parked && record.due_ms == due => record,
        Ok(Some(_)) => return stale(world, "the timer is due at another time".into()),
        Ok(None) => return stale(world, "no such timer".into()),
        Err(StoreError::Decode { detail }) => {
            return stale(world, format!("its record does not decode: {detail}"));
        }
        Err(e) => return Err(e.into()),
    };
    match world.check_exists(object) {
        Ok(()) => {}
        Err(WorldError::NotFound(_) | WorldError::Deleted(_)) => {
            world.put_timer(object, name, Some(record), None)?;
            let reason = format!("object #{object} no longer exists");
            return Ok(Step::Done(TickOutcome::Dropped { reason }));
        }
        Err(e) => return Err(e),
    }
    if let Some(reason) = world.tick_blocked(object)? {
        let waits = record.waits.saturating_add(1);
        let wait = wait_ms(waits);
        let due_ms = match record.interval_ms {
            // The first beat of its rhythm after the wait.
            Some(interval) => next_in_rhythm(record.due_ms, interval, now + wait - 1),
            None => now.saturating_add(wait),
        };
        let waiting = TimerRecord {
            due_ms,
            waits,
            ..record.clone()
        };
        world.put_timer(object, name, Some(record), Some(waiting))?;
        return Ok(Step::Done(TickOutcome::Waiting { reason }));
    }
    let next = record.interval_ms.map(|interval| TimerRecord {
        due_ms: next_in_rhythm(record.due_ms, interval, now),
        failures: 0,
        waits: 0,
        last_error: None,
        ..record.clone()
    });
    world.put_timer(object, name, Some(record), next)?;
    Ok(Step::Run)
}

/// One turn firing the timer whose queue row is (`due`, `object`, `name`) at `now` (see the
/// module docs).
fn fire_in_turn(
    mut world: Box<WorldState>,
    due: u64,
    object: ObjectId,
    name: &str,
    now: u64,
) -> (Box<WorldState>, Result<TickOutcome, WorldError>) {
    let before = world.mark();
    match advance(&mut world, due, object, name, now) {
        Err(e) => return (world, Err(e)),
        Ok(Step::Done(outcome)) => return (world, Ok(outcome)),
        Ok(Step::Run) => {}
    }
    let (mut world, result) = call_hook(world, object, Hook::Tick { name });
    let error = match result {
        Ok(_) => return (world, Ok(TickOutcome::Fired)),
        Err(e) if world.turn_aborted() || matches!(e, WorldError::Limit(_)) => {
            return (world, Err(e));
        }
        Err(e) => e,
    };
    // The hook failed: nothing of it stays, and the timer records the failure instead of
    // moving on.
    world.log_failure(&error);
    world.rollback_to(before);
    let text = error.to_string();
    let parked = world.record_timer_failure(object, name, now, &text);
    (
        world,
        parked.map(|parked| TickOutcome::Failed {
            error: text,
            parked,
        }),
    )
}

impl World {
    /// When the next timer is due (Unix ms), if any is scheduled.
    ///
    /// # Errors
    /// `Store` on a storage failure.
    pub fn next_timer_due(&mut self) -> Result<Option<u64>, WorldError> {
        let w = self.state();
        match w.next_timer {
            Some(due) => Ok(due),
            None => Ok(w.next_timer_row()?.map(|r| r.0)),
        }
    }

    /// How long until a timer is due by the world's clock: `Some(ZERO)` if one is due now,
    /// `None` if none is scheduled (or timers are paused after a storage failure, see
    /// [`World::fire_due_timer`]).
    pub fn until_next_timer(&mut self) -> Option<Duration> {
        let due = match self.next_timer_due() {
            Ok(due) => due?,
            Err(e) => {
                tracing::error!("cannot read the timer queue: {e}");
                return None;
            }
        };
        let w = self.state();
        let due = due.max(w.timers_paused_until);
        Some(Duration::from_millis(due.saturating_sub(w.now_ms())))
    }

    /// Fires the earliest timer if it is due, as one turn (see the module docs), and says
    /// what happened; `None` if no timer is due.
    pub fn fire_due_timer(&mut self) -> Option<TimerFire> {
        let now = self.state().now_ms();
        if self.state().timers_paused_until > now {
            return None;
        }
        // The cached due time first: between timers this costs no store read.
        match self.next_timer_due() {
            Ok(Some(due)) if due <= now => {}
            Ok(_) => return None,
            Err(e) => {
                self.pause_timers(now, &e);
                return None;
            }
        }
        let (due_ms, object, name) = match self.state().next_timer_row() {
            Ok(Some(row)) if row.0 <= now => row,
            Ok(_) => return None,
            Err(e) => {
                self.pause_timers(now, &e);
                return None;
            }
        };
        let outcome = match self.turn(|w| fire_in_turn(w, due_ms, object, &name, now)) {
            Ok(outcome) => outcome,
            Err(error) => {
                // The turn failed whole (a limit, or the commit): record the failure in a turn
                // of its own, so the timer is not retried at once forever.
                let text = error.to_string();
                let parked = self.plain(|w| w.record_timer_failure(object, &name, now, &text));
                let parked = parked.unwrap_or_else(|e| {
                    self.pause_timers(now, &e);
                    false
                });
                TickOutcome::Failed {
                    error: text,
                    parked,
                }
            }
        };
        let counters = &mut self.state().timer_counters;
        match &outcome {
            TickOutcome::Fired => counters.fired += 1,
            TickOutcome::Failed { parked, .. } => {
                counters.failed += 1;
                counters.parked += u64::from(*parked);
            }
            TickOutcome::Waiting { .. } => counters.waited += 1,
            TickOutcome::Dropped { .. } => counters.dropped += 1,
        }
        Some(TimerFire {
            object,
            name: name.into(),
            due_ms,
            outcome,
        })
    }

    /// Fires due timers, each as its own turn, until none is due or `max` were fired; returns
    /// what happened to each.
    pub fn fire_due_timers(&mut self, max: usize) -> Vec<TimerFire> {
        let mut fired = Vec::new();
        while fired.len() < max {
            match self.fire_due_timer() {
                Some(fire) => fired.push(fire),
                None => break,
            }
        }
        fired
    }

    /// After a storage failure, timers wait [`WAIT_MS`] before the next attempt (the world
    /// thread must not spin on a failing store).
    fn pause_timers(&mut self, now: u64, error: &WorldError) {
        tracing::error!("timers paused for {WAIT_MS} ms after a storage failure: {error}");
        self.state().timers_paused_until = now.saturating_add(WAIT_MS);
    }

    /// Schedules timer `name` of `id` after `delay`, once or (with `repeating`) every
    /// `delay`, as one turn, as a hook would.
    ///
    /// # Errors
    /// As the WIT `after` / `every`.
    pub fn schedule_timer(
        &mut self,
        id: ObjectId,
        name: &str,
        delay: Duration,
        repeating: bool,
    ) -> Result<(), WorldError> {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.plain(|w| w.schedule_timer(id, name, ms, repeating))
    }

    /// Cancels timer `name` of `id`; true if there was one.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object.
    pub fn cancel_timer(&mut self, id: ObjectId, name: &str) -> Result<bool, WorldError> {
        self.plain(|w| w.cancel_timer(id, name))
    }

    /// The timers of `object`, or (with `None`) up to `limit` timers of the world in object
    /// order.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object; `Store` on a storage failure.
    pub fn timers(
        &mut self,
        object: Option<ObjectId>,
        limit: usize,
    ) -> Result<Vec<TimerInfo>, WorldError> {
        let w = self.state();
        match object {
            Some(id) => w.timers_of(id),
            None => {
                let rows = w.view()?.first_timers(limit)?;
                Ok(rows.into_iter().map(TimerInfo::from_row).collect())
            }
        }
    }

    /// Now, by the world's clock (Unix ms).
    pub fn now_ms(&mut self) -> u64 {
        self.state().now_ms()
    }

    /// How many timers the world has (parked ones included).
    ///
    /// # Errors
    /// `Store` on a storage failure.
    pub fn timer_count(&mut self) -> Result<u64, WorldError> {
        Ok(self.state().view()?.timer_count()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeating_timer_keeps_its_rhythm_and_skips_what_it_missed() {
        assert_eq!(next_in_rhythm(1_000, 1_000, 1_000), 2_000);
        assert_eq!(next_in_rhythm(1_000, 1_000, 1_003), 2_000);
        // 10 s of downtime with a 1 s interval: one catch-up fire now, then on the beat.
        assert_eq!(next_in_rhythm(1_000, 1_000, 11_500), 12_000);
        assert_eq!(next_in_rhythm(1_000, 1_000, 12_000), 13_000);
    }

    #[test]
    fn one_shot_retries_back_off_up_to_five_minutes() {
        let delays: Vec<u64> = (1..=6).map(backoff_ms).collect();
        assert_eq!(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 32_000]);
        assert_eq!(backoff_ms(40), MAX_BACKOFF_MS);
    }
}
