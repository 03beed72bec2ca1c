//! [`WorldState`]: the cache, the store and the script instances, owned together.
//!
//! Every operation here is domain logic on ids: it resolves ids through the identity map
//! (loading from the store on a miss), keeps the store in step (write-through into the one write
//! transaction of the running event), and knows nothing of WIT. Hooks are dispatched by
//! `runtime::dispatch`, which moves the whole `WorldState` into the store data of the instance it
//! calls; that is how a running hook reaches the world without shared ownership.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::time::{Duration, Instant};

pub use crate::cache::AttrKind;
use crate::cache::{Entry, IdSet, IdentityMap, attr_cost, attr_get};
use crate::runtime::Instances;
use crate::store::{Backend, ObjectRecord, Snapshot, StoreView, WriteTxn};
use crate::symbol::{Interner, Symbol};
use crate::value::{ObjectId, Value};
use crate::world::WorldError;
use crate::world::clock::Clock;
use crate::world::limits::{Limit, TurnMeter, WorldLimits};
use crate::world::timers::TimerCounters;
use crate::world::undo::Undo;

/// Ids reserved from the store's sequence per write (ids are never reused; gaps are fine).
const ID_BLOCK: u64 = 1024;
/// Longest key or attribute name accepted.
pub(crate) const MAX_NAME_LEN: usize = 256;
/// Largest attribute value accepted (text, bytes or JSON): one object must not be able to fill
/// the cache or a redb page run by itself.
pub(crate) const MAX_VALUE_BYTES: usize = 1 << 20;

/// A hook the world runs after the current one returns.
#[derive(Debug)]
pub(crate) enum Event {
    /// `target` received `text`: run its `at-msg-receive`.
    MsgReceive {
        target: ObjectId,
        text: String,
        sender: Option<ObjectId>,
    },
    /// `target` moved from `source`: run its `at-post-move`.
    PostMove {
        target: ObjectId,
        source: Option<ObjectId>,
    },
}

/// Text an object accepted (its `at-msg-receive` returned true), for whoever controls it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The receiving object.
    pub to: ObjectId,
    /// The text.
    pub text: String,
    /// Who sent it, if anyone.
    pub from: Option<ObjectId>,
}

/// A hook call on the stack: whose it is, when it started, and how long the calls it nested
/// (and that have returned) took.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    pub(crate) typeclass: Symbol,
    pub(crate) started: Instant,
    pub(crate) nested: Duration,
}

/// All world state, owned by one thread.
pub(crate) struct WorldState {
    pub(crate) cache: IdentityMap,
    pub(crate) names: Interner,
    pub(super) store: Box<dyn Backend>,
    /// The write transaction of the running event (opened on first use).
    pub(super) txn: Option<Box<dyn WriteTxn>>,
    /// A read snapshot for cache misses outside an event; dropped at every commit.
    pub(super) snapshot: Option<Box<dyn StoreView + Send>>,
    pub(super) ids: Range<ObjectId>,
    /// The running turn reserved a new block of ids: its commit must be durable before any of
    /// them is handed out beyond the world, so a crash can never issue an id twice.
    ids_reserved: bool,
    /// Commits made since the last durable checkpoint.
    pub(crate) unsynced: bool,
    /// Durable commits (fsyncs) made so far.
    pub(crate) fsyncs: u64,
    /// Turn and fsync timings since the dashboard last looked.
    pub(crate) perf: super::perf::Perf,
    pub(crate) events: VecDeque<Event>,
    pub(crate) deliveries: Vec<Delivery>,
    /// Objects loaded from the store whose `at-init` has not run yet.
    pub(crate) pending_init: Vec<ObjectId>,
    pub(crate) instances: Instances,
    /// How many hook calls are on the stack now.
    pub(crate) depth: u32,
    /// The hook calls running now (innermost last), for time accounting and blame.
    pub(crate) frames: Vec<Frame>,
    /// The running turn's deadline, counters and first failure.
    pub(crate) turn: TurnMeter,
    /// The world's own limits.
    pub(crate) limits: WorldLimits,
    /// How often each limit was hit.
    pub(crate) limit_hits: BTreeMap<Limit, u64>,
    /// Deliveries nobody took before the next turn began (counted, then dropped).
    pub(crate) deliveries_dropped: u64,
    /// How to reverse every change of the running turn (see `world::undo`).
    pub(super) undo: Vec<Undo>,
    /// Objects whose hooks are running now (innermost last); never flushed.
    pub(crate) active: Vec<ObjectId>,
    /// Objects being deleted now (their `at-object-delete` may be running): deleting one of
    /// them again returns at once instead of recursing.
    pub(crate) deleting: Vec<ObjectId>,
    /// Objects the host pinned in the cache.
    pub(crate) pins: IdSet,
    /// The roles of each account's character, read from the accounts on first use and
    /// forgotten whenever an account changes (`None`: not read yet).
    pub(crate) character_roles: Option<std::collections::HashMap<ObjectId, crate::roles::Roles>>,
    /// The cache's budget in entries, if any.
    pub(crate) max_entries: Option<usize>,
    /// Flush operations completed.
    pub(crate) flushes: u64,
    /// When the world opened; the cache's access stamps count seconds from here.
    started: Instant,
    /// The wall clock timers are scheduled and fired by.
    pub(crate) clock: std::sync::Arc<dyn Clock>,
    /// The due time of the next timer (`Some(None)`: none is scheduled), or `None` when
    /// unknown (a timer changed since it was read).
    pub(crate) next_timer: Option<Option<u64>>,
    /// Timers fire no earlier than this (Unix ms), after a storage failure.
    pub(crate) timers_paused_until: u64,
    /// Timers fired, failed, parked and waiting.
    pub(crate) timer_counters: TimerCounters,
    /// Whether the store works, and what to forget if it fails (see `world::storage`).
    pub(crate) storage: super::storage::StorageHealth,
}

/// Why `id` is not in the store: it was deleted, or never existed.
///
/// # Errors
/// A storage failure while finding out.
pub(super) fn missing(view: &dyn StoreView, id: ObjectId) -> Result<WorldError, WorldError> {
    Ok(if view.is_deleted(id)? {
        WorldError::Deleted(id)
    } else {
        WorldError::NotFound(format!("object #{id}"))
    })
}

pub(super) fn check_name(what: &str, name: &str) -> Result<(), WorldError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(WorldError::InvalidArgument(format!(
            "{what} must be 1-{MAX_NAME_LEN} bytes without control characters"
        )));
    }
    Ok(())
}

impl WorldState {
    pub(crate) fn new(
        store: Box<dyn Backend>,
        instances: Instances,
        names: Interner,
        limits: WorldLimits,
        clock: std::sync::Arc<dyn Clock>,
    ) -> Self {
        let turn = TurnMeter::new(Instant::now(), instances.sandbox.turn_budget);
        WorldState {
            frames: Vec::new(),
            turn,
            limits,
            limit_hits: BTreeMap::new(),
            deliveries_dropped: 0,
            cache: IdentityMap::default(),
            names,
            store,
            txn: None,
            snapshot: None,
            ids: 0..0,
            ids_reserved: false,
            unsynced: false,
            fsyncs: 0,
            perf: super::perf::Perf::default(),
            events: VecDeque::new(),
            deliveries: Vec::new(),
            pending_init: Vec::new(),
            instances,
            depth: 0,
            undo: Vec::new(),
            active: Vec::new(),
            deleting: Vec::new(),
            pins: IdSet::default(),
            character_roles: None,
            max_entries: None,
            flushes: 0,
            started: Instant::now(),
            clock,
            next_timer: None,
            timers_paused_until: 0,
            timer_counters: TimerCounters::default(),
            storage: super::storage::StorageHealth::default(),
        }
    }

    pub(super) fn view(&mut self) -> Result<&dyn StoreView, WorldError> {
        if let Some(txn) = &self.txn {
            return Ok(txn.as_ref());
        }
        if self.snapshot.is_none() {
            self.snapshot = Some(self.store.read()?);
        }
        Ok(self.snapshot.as_deref().expect("snapshot just opened"))
    }

    pub(super) fn write(&mut self) -> Result<&mut dyn WriteTxn, WorldError> {
        if self.txn.is_none() {
            self.storage_gate()?;
            self.snapshot = None;
            self.txn = Some(self.store.write()?);
        }
        Ok(self.txn.as_deref_mut().expect("transaction just opened"))
    }

    /// Commits the running turn's writes (not yet durable: see [`Self::checkpoint`]). If the
    /// commit fails (disk full, I/O error), the store keeps none of the turn, and the cache is
    /// rolled back to match it: cache and store never drift apart.
    pub(crate) fn commit_event(&mut self) -> Result<(), WorldError> {
        let Some(txn) = self.txn.take() else {
            self.undo.clear();
            return Ok(());
        };
        let durable = std::mem::take(&mut self.ids_reserved);
        let started = std::time::Instant::now();
        match txn.commit(durable) {
            Ok(()) => {
                if durable {
                    self.perf.fsync(started.elapsed());
                    self.storage_synced();
                } else {
                    // What a reopened store might not have, should the disk fail before the
                    // next checkpoint (see `world::storage`).
                    self.note_unsynced();
                }
                self.undo.clear();
                self.unsynced = !durable;
                self.fsyncs += u64::from(durable);
                Ok(())
            }
            Err(e) => {
                tracing::debug!("commit failed ({e}); the turn is rolled back in memory too");
                self.revert_cache_only();
                let error = WorldError::from(e);
                self.storage_failed(&error);
                Err(error)
            }
        }
    }

    /// A fresh read snapshot of everything committed (between turns: every completed turn).
    pub(crate) fn store_snapshot(&mut self) -> Result<Box<dyn Snapshot>, WorldError> {
        self.commit_event()?;
        Ok(self.store.snapshot()?)
    }

    /// Makes every committed event durable (one fsync), if any is not yet.
    pub(crate) fn checkpoint(&mut self) -> Result<(), WorldError> {
        self.commit_event()?;
        if self.unsynced {
            self.storage_gate()?;
            self.snapshot = None;
            let started = std::time::Instant::now();
            if let Err(e) = self.store.checkpoint() {
                let error = WorldError::from(e);
                self.storage_failed(&error);
                return Err(error);
            }
            self.perf.fsync(started.elapsed());
            self.unsynced = false;
            self.fsyncs += 1;
            self.storage_synced();
        }
        Ok(())
    }

    /// The entry for `id`, loading it from the store on a miss (its `at-init` is then queued
    /// in `pending_init`).
    ///
    /// # Errors
    /// `Deleted` or `NotFound` if there is no such object; `Store` on a storage failure.
    pub(crate) fn entry(&mut self, id: ObjectId) -> Result<&mut Entry, WorldError> {
        if self.cache.contains(id) {
            return Ok(self.cache.get(id).expect("checked"));
        }
        self.cache.get(id); // count the miss
        self.load(id)
    }

    #[cold]
    fn load(&mut self, id: ObjectId) -> Result<&mut Entry, WorldError> {
        let view = self.view()?;
        let Some((record, attrs)) = view.load(id)? else {
            return Err(missing(view, id)?);
        };
        let names = &mut self.names;
        let entry = Entry::new(
            record.key,
            names.intern(&record.typeclass),
            record.location,
            attrs
                .into_iter()
                .map(|(name, value)| (names.intern(&name), value))
                .collect(),
        );
        self.pending_init.push(id);
        self.undo.push(Undo::Loaded { id });
        Ok(self.cache.insert_loaded(id, entry))
    }

    /// True if `id` is cached and its `at-init` has run.
    pub(crate) fn is_ready(&self, id: ObjectId) -> bool {
        self.cache.contains(id)
            && (self.pending_init.is_empty() || !self.pending_init.contains(&id))
    }

    /// Drops `id` from the cache (a load whose `at-init` failed). The store keeps everything
    /// the turn wrote; the next use loads it again.
    pub(crate) fn unload(&mut self, id: ObjectId) {
        self.cache.remove(id);
        self.pending_init.retain(|&p| p != id);
    }

    /// Where `id` is, without loading it into the cache.
    fn location_uncached(&mut self, id: ObjectId) -> Result<Option<ObjectId>, WorldError> {
        if let Some(entry) = self.cache.peek(id) {
            return Ok(entry.location);
        }
        match self.view()?.record(id)? {
            Some(record) => Ok(record.location),
            None => Err(WorldError::NotFound(format!("object #{id}"))),
        }
    }

    /// The stored record of `id`: the cached entry's, or the store's when it is not cached.
    pub(super) fn current_record(&mut self, id: ObjectId) -> Result<ObjectRecord, WorldError> {
        if let Some(entry) = self.cache.peek(id) {
            return Ok(self.record(entry));
        }
        self.view()?
            .record(id)?
            .ok_or_else(|| WorldError::Internal(format!("undo: #{id} has no record")))
    }

    /// Some of `id`'s persistent attributes, read without loading it into the cache: from its
    /// cache entry if it is there, else from the store (one read for all of them).
    pub(super) fn peek_db_many<const N: usize>(
        &mut self,
        id: ObjectId,
        names: [&str; N],
    ) -> Result<[Option<Value>; N], WorldError> {
        if let Some(entry) = self.cache.peek(id) {
            return Ok(names.map(|name| {
                self.names
                    .get(name)
                    .and_then(|s| attr_get(entry.attrs(AttrKind::Db), s))
                    .cloned()
            }));
        }
        let attrs = match self.view()?.load(id)? {
            Some((_, attrs)) => attrs,
            None => Vec::new(),
        };
        Ok(names.map(|name| {
            attrs
                .iter()
                .find(|(n, _)| &**n == name)
                .map(|(_, v)| v.clone())
        }))
    }

    /// Fails unless `id` names a live object (without loading it into the cache).
    pub(crate) fn check_exists(&mut self, id: ObjectId) -> Result<(), WorldError> {
        if self.cache.contains(id) {
            return Ok(());
        }
        let view = self.view()?;
        if view.exists(id)? {
            Ok(())
        } else if view.is_deleted(id)? {
            Err(WorldError::Deleted(id))
        } else {
            Err(WorldError::NotFound(format!("object #{id}")))
        }
    }

    pub(super) fn record(&self, entry: &Entry) -> ObjectRecord {
        ObjectRecord {
            key: entry.key.clone(),
            typeclass: self.names.name(entry.typeclass).into(),
            location: entry.location,
        }
    }

    /// The typeclass symbol of `id`.
    pub(crate) fn typeclass_of(&mut self, id: ObjectId) -> Result<Symbol, WorldError> {
        Ok(self.entry(id)?.typeclass)
    }

    /// The key of `id`.
    pub(crate) fn key(&mut self, id: ObjectId) -> Result<&str, WorldError> {
        Ok(&self.entry(id)?.key)
    }

    /// Renames `id`.
    pub(crate) fn set_key(&mut self, id: ObjectId, key: &str) -> Result<(), WorldError> {
        check_name("a key", key)?;
        let old = self.rewrite_record(id, |r| r.key = key.into())?;
        let entry = self.cache.peek_mut(id).expect("resolved by rewrite_record");
        entry.key = key.into();
        self.record_undo(Undo::Key { id, old: old.key })
    }

    /// Writes `id`'s stored record changed by `change` (loading it first if needed) and
    /// returns the record as it was; the cache entry is the caller's to update.
    fn rewrite_record(
        &mut self,
        id: ObjectId,
        change: impl FnOnce(&mut ObjectRecord),
    ) -> Result<ObjectRecord, WorldError> {
        self.entry(id)?;
        let old = self.record(self.cache.peek(id).expect("resolved above"));
        let mut new = old.clone();
        change(&mut new);
        self.write()?.put_object(id, Some(&old), &new)?;
        Ok(old)
    }

    /// Gives `id` another typeclass (no hooks): its id, key, location, `db` and `ndb` stay;
    /// its hooks are the new typeclass's from the next call on.
    pub(crate) fn set_typeclass(
        &mut self,
        id: ObjectId,
        typeclass: &str,
    ) -> Result<(), WorldError> {
        check_name("a typeclass name", typeclass)?;
        if !self.instances.is_known(typeclass) {
            return Err(WorldError::NotFound(format!("typeclass {typeclass:?}")));
        }
        self.rewrite_record(id, |r| r.typeclass = typeclass.into())?;
        let symbol = self.names.intern(typeclass);
        let entry = self.cache.peek_mut(id).expect("resolved by rewrite_record");
        let old_symbol = std::mem::replace(&mut entry.typeclass, symbol);
        self.record_undo(Undo::Typeclass {
            id,
            old: old_symbol,
        })
    }

    /// The typeclass name of `id`.
    pub(crate) fn typeclass(&mut self, id: ObjectId) -> Result<&str, WorldError> {
        let sym = self.entry(id)?.typeclass;
        Ok(self.names.name(sym))
    }

    /// Where `id` is.
    pub(crate) fn location(&mut self, id: ObjectId) -> Result<Option<ObjectId>, WorldError> {
        Ok(self.entry(id)?.location)
    }

    /// The ids of the objects in `id`, ascending.
    pub(crate) fn contents(&mut self, id: ObjectId) -> Result<Vec<ObjectId>, WorldError> {
        self.entry(id)?;
        Ok(self.view()?.contents(id)?)
    }

    /// The ids of the objects whose key folds to `key`, ascending.
    pub(crate) fn search(&mut self, key: &str) -> Result<Vec<ObjectId>, WorldError> {
        check_name("a search key", key)?;
        Ok(self.view()?.search(key)?)
    }

    /// Checks that `id` may move into `destination` (it exists and is not inside `id`).
    pub(crate) fn check_move(
        &mut self,
        id: ObjectId,
        destination: Option<ObjectId>,
    ) -> Result<(), WorldError> {
        self.entry(id)?;
        if let Some(place) = destination {
            // A stale handle to a deleted destination says so, as every other use does.
            self.check_exists(place)?;
        }
        let mut cursor = destination;
        let mut steps = 0;
        while let Some(place) = cursor {
            if place == id {
                return Err(WorldError::InvalidArgument(format!(
                    "#{id} cannot move into itself or its own contents"
                )));
            }
            steps += 1;
            if steps > 10_000 {
                return Err(WorldError::Internal("location chain too deep".into()));
            }
            // Reading the chain must not load (and `at-init`) every container on the way.
            cursor = self.location_uncached(place)?;
        }
        Ok(())
    }

    /// Moves `id` into `destination` (no hooks; see `check_move`) and returns where it was.
    pub(crate) fn move_object(
        &mut self,
        id: ObjectId,
        destination: Option<ObjectId>,
    ) -> Result<Option<ObjectId>, WorldError> {
        self.check_move(id, destination)?;
        let entry = self.cache.peek(id).expect("resolved by check_move");
        let old = self.record(entry);
        let new = ObjectRecord {
            location: destination,
            ..old.clone()
        };
        self.write()?.put_object(id, Some(&old), &new)?;
        self.cache.peek_mut(id).expect("resolved above").location = destination;
        self.undo.push(Undo::Location {
            id,
            old: old.location,
        });
        Ok(old.location)
    }

    /// Creates an object (no hooks) and returns its id.
    pub(crate) fn create(
        &mut self,
        key: &str,
        typeclass: &str,
        location: Option<ObjectId>,
    ) -> Result<ObjectId, WorldError> {
        check_name("a key", key)?;
        check_name("a typeclass name", typeclass)?;
        if !self.instances.is_known(typeclass) {
            return Err(WorldError::NotFound(format!("typeclass {typeclass:?}")));
        }
        if let Some(place) = location {
            self.check_exists(place)?;
        }
        if self.ids.is_empty() {
            let first = self.write()?.allocate_ids(ID_BLOCK)?;
            self.ids = first..first + ID_BLOCK;
            self.ids_reserved = true;
        }
        let id = self.ids.next().expect("refilled above");
        let record = ObjectRecord {
            key: key.into(),
            typeclass: typeclass.into(),
            location,
        };
        self.write()?.put_object(id, None, &record)?;
        let typeclass = self.names.intern(typeclass);
        self.cache
            .insert_new(id, Entry::new(record.key, typeclass, location, Vec::new()));
        self.undo.push(Undo::Created { id });
        Ok(id)
    }

    /// Deletes `id` (no hooks): its contents move to its location; its handles report
    /// `deleted`.
    /// Returns the contents it moved out.
    pub(crate) fn delete(&mut self, id: ObjectId) -> Result<Vec<ObjectId>, WorldError> {
        let entry = self.entry(id)?;
        let parent = entry.location;
        let moved = self.contents(id)?;
        for &child in &moved {
            self.move_object(child, parent)?;
        }
        self.remove_timers_of(id)?;
        let record = self.record(self.cache.peek(id).expect("resolved above"));
        self.write()?.delete_object(id, &record)?;
        let entry = self.cache.remove(id).expect("resolved above");
        let pending_init = self.pending_init.contains(&id);
        self.pending_init.retain(|&p| p != id);
        self.record_undo(Undo::Deleted {
            id,
            entry,
            pending_init,
        })?;
        Ok(moved)
    }

    /// Reads attribute `name` of `id`.
    pub(crate) fn attr_get(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
        name: &str,
    ) -> Result<Option<Value>, WorldError> {
        // Load first: loading interns the names of the object's attributes.
        self.entry(id)?;
        let sym = self.names.get(name);
        let entry = self.cache.peek(id).expect("resolved above");
        Ok(sym.and_then(|s| attr_get(entry.attrs(kind), s)).cloned())
    }

    /// Writes attribute `name` of `id` (a `db` write goes to the store at once).
    pub(crate) fn attr_set(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
        name: &str,
        value: Value,
    ) -> Result<(), WorldError> {
        check_name("an attribute name", name)?;
        if value.heap_bytes() > MAX_VALUE_BYTES {
            return Err(WorldError::InvalidArgument(format!(
                "attribute {name:?}: value of {} bytes is over the {MAX_VALUE_BYTES}-byte limit",
                value.heap_bytes()
            )));
        }
        match &value {
            Value::Json(text) => {
                serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(|e| {
                    WorldError::InvalidArgument(format!("attribute {name:?}: invalid JSON: {e}"))
                })?;
            }
            Value::Object(target) => self.check_exists(*target)?,
            _ => {}
        }
        // Resolve the object before interning: a failing call must not grow the interner.
        self.entry(id)?;
        if kind == AttrKind::Ndb {
            self.check_ndb_budget(id, name, &value)?;
        }
        let sym = self.names.intern(name);
        if kind == AttrKind::Db {
            self.write()?.put_attr(id, name, &value)?;
        }
        let old = self
            .cache
            .set_attr(id, kind, sym, value)
            .expect("resolved above");
        self.record_undo(Undo::Attr {
            id,
            kind,
            name: sym,
            old,
        })
    }

    /// Removes attribute `name` of `id`; true if it was set.
    pub(crate) fn attr_remove(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
        name: &str,
    ) -> Result<bool, WorldError> {
        // Load first: loading interns the names of the object's attributes.
        self.entry(id)?;
        let Some(sym) = self.names.get(name) else {
            return Ok(false);
        };
        let entry = self.cache.peek(id).expect("resolved above");
        if attr_get(entry.attrs(kind), sym).is_none() {
            return Ok(false);
        }
        if kind == AttrKind::Db {
            self.write()?.remove_attr(id, name)?;
        }
        let old = self
            .cache
            .remove_attr(id, kind, sym)
            .expect("resolved above");
        self.record_undo(Undo::Attr {
            id,
            kind,
            name: sym,
            old,
        })?;
        Ok(true)
    }

    /// Records how to reverse a change, within the turn's budget of bytes the undo log may
    /// hold (old values kept for a rollback are memory too: past the budget the turn fails).
    pub(super) fn record_undo(&mut self, step: Undo) -> Result<(), WorldError> {
        let bytes = 64
            + match &step {
                Undo::Attr { old, .. } => old.as_ref().map_or(0, Value::heap_bytes),
                Undo::Key { old, .. } => old.len(),
                Undo::Timer { name, old, .. } => {
                    name.len()
                        + old
                            .as_ref()
                            .map_or(0, |o| o.last_error.as_ref().map_or(0, |e| e.len()))
                }
                Undo::Deleted { entry, .. } => entry.heap_bytes(),
                Undo::Account { name } => name.len(),
                Undo::AccountChanged { old } => old.name.len() + old.password.len(),
                Undo::Location { .. }
                | Undo::Typeclass { .. }
                | Undo::Created { .. }
                | Undo::Loaded { .. } => 0,
            };
        self.undo.push(step);
        self.turn.undo_bytes += bytes;
        if self.turn.undo_bytes > self.limits.max_undo_bytes_per_turn {
            let detail = format!(
                "more than {} bytes of overwritten or deleted data kept for rollback in one turn",
                self.limits.max_undo_bytes_per_turn
            );
            return Err(self.fail_turn_here(Limit::UndoBytes, detail));
        }
        Ok(())
    }

    /// Fails if setting `ndb` attribute `name` of `id` (cached) to `value` would take the
    /// object or the world past its `ndb` budget (counted as a limit hit; the turn goes on:
    /// the script gets the error and may handle it).
    fn check_ndb_budget(
        &mut self,
        id: ObjectId,
        name: &str,
        value: &Value,
    ) -> Result<(), WorldError> {
        let entry = self.cache.peek(id).expect("resolved by the caller");
        let old = self
            .names
            .get(name)
            .and_then(|sym| attr_get(entry.attrs(AttrKind::Ndb), sym))
            .map_or(0, attr_cost);
        let grow = attr_cost(value).saturating_sub(old);
        let object = entry.ndb_bytes() + grow;
        let total = self.cache.ndb_bytes() + grow;
        let (per_object, world) = (
            self.limits.ndb_bytes_per_object,
            self.limits.ndb_bytes_total,
        );
        if grow > 0 && object > per_object {
            self.count_limit_hit(Limit::NdbObject);
            return Err(WorldError::InvalidArgument(format!(
                "ndb budget: #{id} would hold {object} bytes of ndb data, over its budget of \
                 {per_object} bytes"
            )));
        }
        if grow > 0 && total > world {
            self.count_limit_hit(Limit::NdbTotal);
            return Err(WorldError::Internal(format!(
                "ndb budget: the world's ndb data would reach {total} bytes, over the world-wide \
                 budget of {world} bytes"
            )));
        }
        Ok(())
    }

    /// The names of the attributes of `id`, sorted.
    pub(crate) fn attr_names(
        &mut self,
        id: ObjectId,
        kind: AttrKind,
    ) -> Result<Vec<String>, WorldError> {
        let entry = self.entry(id)?;
        let syms: Vec<Symbol> = entry.attrs(kind).iter().map(|(s, _)| *s).collect();
        let mut names: Vec<String> = syms
            .into_iter()
            .map(|s| self.names.name(s).to_owned())
            .collect();
        names.sort_unstable();
        Ok(names)
    }

    /// The number of stored objects (committed or written by the running event).
    pub(crate) fn object_count(&mut self) -> Result<u64, WorldError> {
        Ok(self.view()?.object_count()?)
    }
}

/// Longest text accepted by `msg` (a guest must not queue unbounded data).
pub(crate) const MAX_MSG_LEN: usize = 64 * 1024;

impl WorldState {
    /// Queues `text` for `target`'s `at-msg-receive`.
    pub(crate) fn queue_msg(
        &mut self,
        target: ObjectId,
        text: String,
        sender: Option<ObjectId>,
    ) -> Result<(), WorldError> {
        if text.len() > MAX_MSG_LEN {
            return Err(WorldError::InvalidArgument(format!(
                "message longer than {MAX_MSG_LEN} bytes"
            )));
        }
        self.check_exists(target)?;
        self.push_event(Event::MsgReceive {
            target,
            text,
            sender,
        })
    }

    /// Queues an event, within the turn's event limits (past one, the turn fails).
    pub(crate) fn push_event(&mut self, event: Event) -> Result<(), WorldError> {
        let bytes = match &event {
            Event::MsgReceive { text, .. } => text.len(),
            Event::PostMove { .. } => 0,
        };
        self.turn.events += 1;
        self.turn.event_bytes += bytes;
        // Weigh an event like 1 KiB of text, so the biggest queuer by either measure is charged.
        self.count_queued(1024 + bytes);
        let limits = &self.limits;
        if self.turn.events > limits.max_events_per_turn {
            let detail = format!(
                "more than {} events queued in one turn",
                limits.max_events_per_turn
            );
            return Err(self.fail_turn_queued(Limit::Events, detail));
        }
        if self.turn.event_bytes > limits.max_event_bytes_per_turn {
            let detail = format!(
                "more than {} bytes of messages queued in one turn",
                limits.max_event_bytes_per_turn
            );
            return Err(self.fail_turn_queued(Limit::EventBytes, detail));
        }
        self.events.push_back(event);
        Ok(())
    }
}

impl WorldState {
    /// Advances the cache's clock to `now` (called at the start of every turn).
    pub(crate) fn tick(&mut self, now: Instant) {
        let secs = u32::try_from(now.duration_since(self.started).as_secs()).unwrap_or(u32::MAX);
        self.cache.set_now(secs);
    }
}

impl WorldState {
    /// Reclaims interned names no cached object, attribute or typeclass uses any more, once
    /// enough were interned since the last sweep (amortised O(1) per name). Runs between
    /// turns, when the undo log (which also holds symbols) is empty.
    pub(crate) fn sweep_names_if_due(&mut self) {
        if !self.names.sweep_due() || !self.undo.is_empty() {
            return;
        }
        let mut used = vec![false; self.names.slots()];
        let mut mark = |sym: Symbol| used[sym.index()] = true;
        for sym in self.instances.typeclass_symbols() {
            mark(sym);
        }
        for (_, entry) in self.cache.iter() {
            mark(entry.typeclass);
            for kind in [AttrKind::Db, AttrKind::Ndb] {
                for (name, _) in entry.attrs(kind) {
                    mark(*name);
                }
            }
        }
        let freed = self.names.retain(&used);
        tracing::debug!(freed, live = self.names.len(), "interned names swept");
    }
}
