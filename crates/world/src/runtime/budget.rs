//! Time budgets: each hook call's own deadline, and the turn's.
//!
//! Every store gets an epoch deadline and `on_epoch_deadline` as its callback. When the
//! deadline passes, the callback looks at the running call's `HookClock`: past the hook's
//! own deadline the guest traps with [`OutOfTime::Hook`] (it is blamed); past the turn's
//! deadline with [`OutOfTime::Turn`]; otherwise the deadline is moved to whichever comes first.
//! A hook's own deadline is pushed back by the time its nested hooks take (`Ctx` does that
//! around every nested call), so a caller is never interrupted, or blamed, for time a callee
//! spent; the turn's deadline counts everything.

use std::time::{Duration, Instant};

use wasmtime::{StoreContextMut, UpdateDeadline};

use super::sandbox::EPOCH_TICK;
use crate::runtime::Ctx;

/// Which time budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutOfTime {
    /// The running hook's own deadline (nested hooks not counted).
    #[error("interrupted: the hook ran past its own deadline")]
    Hook,
    /// The turn's budget (every hook and event of the turn counted).
    #[error("interrupted: the turn ran past its time budget")]
    Turn,
}

/// A trap that only carries an earlier failure of the turn up through the guests still on the
/// stack (their own code did nothing wrong: they are not blamed).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the turn was aborted by a limit reached in a nested call")]
pub struct TurnAborted;

/// The deadlines of the hook call running in one instance.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HookClock {
    /// When the running hook's own time is up (moved back by nested calls).
    pub(crate) own: Instant,
    /// When the turn's time is up.
    pub(crate) turn: Instant,
}

impl HookClock {
    /// A clock for a call starting at `now`.
    pub(crate) fn start(now: Instant, hook_deadline: Duration, turn: Instant) -> Self {
        HookClock {
            own: now + hook_deadline,
            turn,
        }
    }

    /// Time left before either deadline, or which one has passed.
    pub(crate) fn remaining(&self, now: Instant) -> Result<Duration, OutOfTime> {
        if now >= self.turn {
            return Err(OutOfTime::Turn);
        }
        if now >= self.own {
            return Err(OutOfTime::Hook);
        }
        Ok(self.own.min(self.turn) - now)
    }

    /// Epoch ticks from `now` until the first deadline (at least one).
    pub(crate) fn ticks(&self, now: Instant) -> u64 {
        ticks_for(self.remaining(now).unwrap_or_default())
    }
}

/// Epoch ticks covering `d`, rounded up. The current tick may be about to end, so the deadline
/// can fire up to a tick early: the callback then finds time left and continues, so a budget
/// is overrun by at most one tick.
pub(crate) fn ticks_for(d: Duration) -> u64 {
    let tick = EPOCH_TICK.as_micros().max(1);
    u64::try_from(d.as_micros().div_ceil(tick))
        .unwrap_or(u64::MAX)
        .max(1)
}

/// The epoch-deadline callback of every store.
///
/// # Errors
/// [`OutOfTime`] (a trap) once the running hook's or the turn's deadline has passed.
pub(crate) fn on_epoch_deadline(cx: StoreContextMut<'_, Ctx>) -> wasmtime::Result<UpdateDeadline> {
    match cx.data().clock.remaining(Instant::now()) {
        Ok(left) => Ok(UpdateDeadline::Continue(ticks_for(left))),
        Err(out) => Err(out.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_deadline_wins_and_names_itself() {
        let now = Instant::now();
        let clock = HookClock {
            own: now + Duration::from_millis(10),
            turn: now + Duration::from_millis(30),
        };
        assert_eq!(clock.remaining(now), Ok(Duration::from_millis(10)));
        let later = now + Duration::from_millis(20);
        assert_eq!(clock.remaining(later), Err(OutOfTime::Hook));
        let extended = HookClock {
            own: now + Duration::from_millis(50),
            ..clock
        };
        assert_eq!(extended.remaining(later), Ok(Duration::from_millis(10)));
        assert_eq!(
            extended.remaining(now + Duration::from_millis(40)),
            Err(OutOfTime::Turn)
        );
    }
}
