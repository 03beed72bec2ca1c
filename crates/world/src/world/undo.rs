//! The undo log that makes every hook atomic.
//!
//! Each change the world makes (attribute write, rename, move, creation, deletion) first records
//! how to reverse it. A hook call takes a [`Mark`] before it runs; if the hook traps, is
//! interrupted or returns an error, the world undoes every change after the mark, in reverse
//! order, in the cache *and* in the turn's redb transaction, and drops the events the hook
//! queued. Nested hooks take their own marks, so a failed `at-pre-move` is undone while the hook
//! that called `move-to` carries on. The log is cleared when the turn commits; if the commit
//! itself fails, the whole turn is undone in the cache alone, so cache and store stay equal.

use crate::cache::{AttrKind, Entry};
use crate::store::{ObjectRecord, TimerRecord};
use crate::symbol::Symbol;
use crate::value::{ObjectId, Value};
use crate::world::{WorldError, WorldState};

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
    /// `id` had the typeclass `old`.
    Typeclass { id: ObjectId, old: Symbol },
    /// `id` was in `old`.
    Location { id: ObjectId, old: Option<ObjectId> },
    /// `id` was created.
    Created { id: ObjectId },
    /// `id` was deleted; this is its entry as it was.
    /// (`pending_init`: its `at-init` had not run yet, and must still run once it is back.)
    Deleted {
        id: ObjectId,
        entry: Box<Entry>,
        pending_init: bool,
    },
    /// Timer `name` of `id` was `old` (`None`: it did not exist).
    Timer {
        id: ObjectId,
        name: Box<str>,
        old: Option<TimerRecord>,
    },
    /// Account `name` was created.
    Account { name: Box<str> },
    /// An account was changed; this is how it was.
    AccountChanged {
        old: Box<crate::store::AccountRecord>,
    },
    /// `id` was loaded into the cache (undone by dropping it again: a load stands or falls
    /// with its `at-init` and with the hook that caused it).
    Loaded { id: ObjectId },
}

impl Undo {
    /// The object this step changed, if any.
    pub(crate) fn object(&self) -> Option<ObjectId> {
        match self {
            Undo::Attr { id, .. }
            | Undo::Key { id, .. }
            | Undo::Typeclass { id, .. }
            | Undo::Location { id, .. }
            | Undo::Created { id }
            | Undo::Deleted { id, .. }
            | Undo::Timer { id, .. }
            | Undo::Loaded { id } => Some(*id),
            Undo::Account { .. } | Undo::AccountChanged { .. } => None,
        }
    }
}

/// A point in the undo log and the event queue to roll back to.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    pub(crate) undo: usize,
    pub(crate) events: usize,
}

impl WorldState {
    /// The ids the running turn changed.
    pub(crate) fn undo_ids(&self) -> impl Iterator<Item = ObjectId> + '_ {
        self.undo.iter().filter_map(Undo::object)
    }

    /// True if the running turn changed nothing (yet).
    pub(crate) fn undo_is_empty(&self) -> bool {
        self.undo.is_empty()
    }

    /// The current point of the undo log and the event queue.
    pub(crate) fn mark(&self) -> Mark {
        Mark {
            undo: self.undo.len(),
            events: self.events.len(),
        }
    }

    /// Undoes every change made after `mark` (cache and store) and drops the events queued
    /// after it. If the store cannot be rolled back, the whole turn is discarded instead.
    pub(crate) fn rollback_to(&mut self, mark: Mark) {
        self.events.truncate(mark.events);
        while self.undo.len() > mark.undo {
            let step = self.undo.pop().expect("length checked");
            if let Err(e) = self.revert(step, true) {
                tracing::error!("rollback failed ({e}); discarding the turn and the cache");
                self.discard_turn();
                return;
            }
        }
    }

    /// Aborts the turn's transaction and empties the cache, so memory matches the store again.
    /// Loses `ndb` data: only used when a rollback itself fails.
    fn discard_turn(&mut self) {
        // Nothing of the turn may be kept: the guests still running are unwound and the turn
        // reports the failure.
        self.turn.poisoned = Some("a rollback failed; the cache was emptied".into());
        self.txn = None; // dropping a redb write transaction aborts it
        self.snapshot = None;
        self.undo.clear();
        self.events.clear();
        self.pending_init.clear();
        self.ids = 0..0;
        self.cache.clear();
    }

    /// Reverses one change in the cache and, with `in_store`, in the turn's transaction. An
    /// object that is no longer cached is reverted in the store alone (the store is the truth:
    /// the next load reads the reverted state).
    fn revert(&mut self, step: Undo, in_store: bool) -> Result<(), WorldError> {
        let no_txn = || WorldError::Internal("undo: no write transaction".into());
        match step {
            Undo::Attr {
                id,
                kind,
                name,
                old,
            } => {
                if kind == AttrKind::Db && in_store {
                    let txn = self.txn.as_mut().ok_or_else(no_txn)?;
                    let text = self.names.name(name);
                    match &old {
                        Some(value) => txn.put_attr(id, text, value)?,
                        None => txn.remove_attr(id, text)?,
                    }
                }
                match old {
                    Some(value) => self.cache.set_attr(id, kind, name, value),
                    None => self.cache.remove_attr(id, kind, name),
                };
            }
            Undo::Key { id, old } => {
                if in_store {
                    let current = self.current_record(id)?;
                    let previous = ObjectRecord {
                        key: old.clone(),
                        ..current.clone()
                    };
                    let txn = self.txn.as_mut().ok_or_else(no_txn)?;
                    txn.put_object(id, Some(&current), &previous)?;
                }
                if let Some(entry) = self.cache.peek_mut(id) {
                    entry.key = old;
                }
            }
            Undo::Typeclass { id, old } => {
                if in_store {
                    let current = self.current_record(id)?;
                    let previous = ObjectRecord {
                        typeclass: self.names.name(old).into(),
                        ..current.clone()
                    };
                    let txn = self.txn.as_mut().ok_or_else(no_txn)?;
                    txn.put_object(id, Some(&current), &previous)?;
                }
                if let Some(entry) = self.cache.peek_mut(id) {
                    entry.typeclass = old;
                }
            }
            Undo::Location { id, old } => {
                if in_store {
                    let current = self.current_record(id)?;
                    let previous = ObjectRecord {
                        location: old,
                        ..current.clone()
                    };
                    let txn = self.txn.as_mut().ok_or_else(no_txn)?;
                    txn.put_object(id, Some(&current), &previous)?;
                }
                if let Some(entry) = self.cache.peek_mut(id) {
                    entry.location = old;
                }
            }
            Undo::Created { id } => {
                if in_store {
                    let record = self.current_record(id)?;
                    let txn = self.txn.as_mut().ok_or_else(no_txn)?;
                    txn.purge_object(id, &record)?;
                }
                self.unload(id);
            }
            Undo::Deleted {
                id,
                entry,
                pending_init,
            } => {
                if in_store {
                    let record = self.record(&entry);
                    let attrs: Vec<(&str, &Value)> = entry
                        .db
                        .iter()
                        .map(|(name, value)| (self.names.name(*name), value))
                        .collect();
                    let txn = self.txn.as_mut().ok_or_else(no_txn)?;
                    txn.restore_object(id, &record, &attrs)?;
                }
                self.cache.insert_boxed(id, entry);
                if pending_init {
                    self.pending_init.push(id);
                }
            }
            Undo::Timer { id, name, old } => {
                if in_store {
                    self.revert_timer(id, &name, old)?;
                } else {
                    self.next_timer = None;
                }
            }
            Undo::Account { name } => {
                self.character_roles = None;
                if in_store {
                    self.revert_account(&name)?;
                }
            }
            Undo::AccountChanged { old } => {
                self.character_roles = None;
                if in_store {
                    self.restore_account(&old)?;
                }
            }
            Undo::Loaded { id } => self.unload(id),
        }
        Ok(())
    }

    /// Undoes the whole turn in the cache alone (its transaction is gone), and forgets the ids
    /// it reserved (they were never stored).
    pub(super) fn revert_cache_only(&mut self) {
        self.snapshot = None;
        self.events.clear();
        self.pending_init.clear();
        self.ids = 0..0;
        while let Some(step) = self.undo.pop() {
            if let Err(e) = self.revert(step, false) {
                tracing::error!("cache rollback failed ({e}); emptying the cache");
                self.cache.clear();
                self.undo.clear();
                return;
            }
        }
    }
}
