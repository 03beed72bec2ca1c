//! [`Timers`]: an object's named, persistent timers, and [`Timer`], one of them as listed.

use std::time::Duration;

use crate::error::Error;
use crate::object::Object;
use crate::wit::wasmud::runtime::timers as raw;

/// The timers of one object, from [`Object::timers`].
///
/// A timer calls the object's [`Typeclass::at_tick`](crate::Typeclass::at_tick) with its
/// name. The host keeps timers with the world: they survive the object being flushed (it is
/// loaded to fire), hot reloads and restarts; scheduling is part of the running hook, so a
/// hook that fails schedules nothing. Names are unique per object: scheduling a name again
/// replaces that timer. Delays and intervals are at least 100 ms.
///
/// ```rust,no_run
/// use std::time::Duration;
/// use wasmud_sdk::{HookResult, Object, Typeclass};
///
/// struct Fountain;
///
/// impl Typeclass for Fountain {
///     fn at_object_creation(this: &Object) -> HookResult {
///         this.db().set("water", &0)?;
///         // Fills up every 10 seconds, from now on, across restarts.
///         this.timers().every("fill", Duration::from_secs(10))
///     }
///
///     fn at_tick(this: &Object, name: &str) -> HookResult {
///         if name == "fill" {
///             let water: i64 = this.db().get_or("water", 0)?;
///             this.db().set("water", &(water + 1).min(10))?;
///         }
///         Ok(())
///     }
/// }
///
/// wasmud_sdk::typeclass!(Fountain);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Timers<'a> {
    object: &'a Object,
}

/// One timer of an object, as [`Timers::list`] returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timer {
    /// Its name.
    pub name: String,
    /// When it fires next, in milliseconds since the Unix epoch.
    pub due_ms: u64,
    /// The interval of a repeating timer; `None` for a one-shot.
    pub interval: Option<Duration>,
    /// `at_tick` failures in a row (a failing one-shot is retried with backoff).
    pub failures: u32,
    /// Parked after repeated failures: it fires no more until scheduled again.
    pub parked: bool,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl<'a> Timers<'a> {
    pub(crate) fn new(object: &'a Object) -> Self {
        Timers { object }
    }

    /// Calls `at_tick(name)` once, `delay` from now (replacing a timer of that name).
    pub fn after(&self, name: &str, delay: Duration) -> Result<(), Error> {
        Ok(raw::after(self.object.raw(), name, millis(delay))?)
    }

    /// Calls `at_tick(name)` every `interval`, the first time one interval from now
    /// (replacing a timer of that name). After downtime it fires once, then keeps its rhythm.
    pub fn every(&self, name: &str, interval: Duration) -> Result<(), Error> {
        Ok(raw::every(self.object.raw(), name, millis(interval))?)
    }

    /// Cancels timer `name`; true if there was one.
    pub fn cancel(&self, name: &str) -> Result<bool, Error> {
        Ok(raw::cancel(self.object.raw(), name)?)
    }

    /// The object's timers, sorted by name.
    pub fn list(&self) -> Result<Vec<Timer>, Error> {
        Ok(raw::list(self.object.raw())?
            .into_iter()
            .map(|t| Timer {
                name: t.name,
                due_ms: t.due_ms,
                interval: t.interval_ms.map(Duration::from_millis),
                failures: t.failures,
                parked: t.parked,
            })
            .collect())
    }
}
