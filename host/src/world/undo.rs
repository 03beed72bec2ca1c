//! The undo log that makes every hook atomic.
//!
//! Each change the world makes (attribute write, rename, move, creation, deletion) first records
//! how to reverse it. A hook call takes a [`Mark`] before it runs; if the hook traps, is
//! interrupted or returns an error, the world undoes every change after the mark, in reverse
//! order, in the cache *and* in the turn's redb transaction, and drops the events the hook
//! queued. Nested hooks take their own marks, so a failed `at-pre-move` is undone while the hook
//! that called `move-to` carries on. The log is cleared when the turn commits.

use crate::cache::{AttrKind, Entry};
use crate::symbol::Symbol;
use crate::value::{ObjectId, Value};

/// How to reverse one change.
#[derive(Debug)]
pub(crate) enum Undo {
    /// Attribute `name` of `id` held `old` (`None`: it was not set).
    Attr {
        id: ObjectId,
        kind: AttrKind,
        name: Symbol,
        old: Option<Value>,
    },
    /// `id` was called `old`.
    Key { id: ObjectId, old: Box<str> },
    /// `id` was in `old`.
    Location { id: ObjectId, old: Option<ObjectId> },
    /// `id` was created.
    Created { id: ObjectId },
    /// `id` was deleted; this is its entry as it was.
    Deleted { id: ObjectId, entry: Box<Entry> },
    /// `id` was loaded into the cache (undone by dropping it again: a load stands or falls
    /// with its `at-init` and with the hook that caused it).
    Loaded { id: ObjectId },
}

/// A point in the undo log and the event queue to roll back to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    pub(crate) undo: usize,
    pub(crate) events: usize,
}
