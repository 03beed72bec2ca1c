//! [`Batch`]: several world operations as one turn, kept or rolled back together.

use crate::runtime::dispatch::{ensure_loaded, run_pending_inits};
use crate::value::{ObjectId, Value};
use crate::world::{AttrKind, WorldError, WorldState, lifecycle};

/// The operations of one turn run by [`super::World::atomically`]. Each runs its hooks as the
/// single operations of [`super::World`] do; if the closure returns an error (or a limit is
/// reached), nothing of the whole batch is kept.
pub struct Batch {
    state: Option<Box<WorldState>>,
}

impl Batch {
    pub(crate) fn new(state: Box<WorldState>) -> Self {
        Batch { state: Some(state) }
    }

    pub(crate) fn into_state(mut self) -> Box<WorldState> {
        self.state.take().expect("the batch holds the world")
    }

    fn with<T>(
        &mut self,
        f: impl FnOnce(Box<WorldState>) -> (Box<WorldState>, Result<T, WorldError>),
    ) -> Result<T, WorldError> {
        let world = self.state.take().expect("the batch holds the world");
        let (world, result) = f(world);
        self.state = Some(world);
        result
    }

    /// Creates an object, running its `at-object-creation` and `at-init`.
    ///
    /// # Errors
    /// As [`super::World::create`].
    pub fn create(
        &mut self,
        key: &str,
        typeclass: &str,
        location: Option<ObjectId>,
    ) -> Result<ObjectId, WorldError> {
        self.with(|w| lifecycle::create_with_hooks(w, key, typeclass, location))
    }

    /// Writes an attribute.
    ///
    /// # Errors
    /// As [`super::World::set_attr`].
    pub fn set_attr(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
        name: &str,
        value: Value,
    ) -> Result<(), WorldError> {
        self.with(|w| {
            let (mut w, loaded) = ensure_loaded(w, id);
            let result = loaded.and_then(|()| w.attr_set(id, kind, name, value));
            (run_pending_inits(w), result)
        })
    }

    /// Schedules timer `name` of `id` after `delay`, once or (with `repeating`) every
    /// `delay` (the object is not loaded).
    ///
    /// # Errors
    /// As [`super::World::schedule_timer`].
    pub fn schedule_timer(
        &mut self,
        id: ObjectId,
        name: &str,
        delay: std::time::Duration,
        repeating: bool,
    ) -> Result<(), WorldError> {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.with(|mut w| {
            let result = w.schedule_timer(id, name, ms, repeating);
            (w, result)
        })
    }

    /// Renames `id` (no hooks run; its `at-init` does if it was not cached).
    ///
    /// # Errors
    /// `InvalidArgument` for a bad key; `NotFound` / `Deleted` for a missing object.
    pub fn rename(&mut self, id: ObjectId, key: &str) -> Result<(), WorldError> {
        self.with(|w| {
            let (mut w, loaded) = ensure_loaded(w, id);
            let result = loaded.and_then(|()| w.set_key(id, key));
            (run_pending_inits(w), result)
        })
    }

    /// Removes an attribute; true if it was set.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object.
    pub fn remove_attr(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
        name: &str,
    ) -> Result<bool, WorldError> {
        self.with(|w| {
            let (mut w, loaded) = ensure_loaded(w, id);
            let result = loaded.and_then(|()| w.attr_remove(id, kind, name));
            (run_pending_inits(w), result)
        })
    }
}
