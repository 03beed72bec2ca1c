//! Flushing the identity map: explicit flushes with a report, and the memory budget.
//!
//! Both walk the cache's CLOCK ring in slices of at most [`FLUSH_SLICE_STEPS`] steps, so a
//! flush of a million entries is many short pauses, not one long one (the server runs other
//! jobs between slices). An entry is *protected* from a normal flush while it holds `ndb` data,
//! is pinned by the host, is used by a running hook, or has changes of the running turn that
//! are not committed yet; `force` also drops `ndb` data, and reports what it discarded (a
//! pinned entry, a connected player's character, stays even then). Nothing else in the world holds an entry (handles, attribute
//! values, indexes and queues hold ids), so a dropped entry is really freed, and a flushed
//! object reloads on next use, running its `at-init` again.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::cache::{AttrKind, Entry, IdSet, entry_footprint};
use crate::memory;
use crate::value::ObjectId;
use crate::world::WorldState;

/// Ring steps per flush slice (~1–2 ms of work on this machine).
pub const FLUSH_SLICE_STEPS: usize = 8192;
/// Ring steps of budget eviction after one turn at most.
pub const EVICT_STEPS_PER_TURN: usize = 1024;
/// Bytes released by a flush above which memory is handed back to the OS.
const RELEASE_THRESHOLD: usize = 4 << 20;

/// What a flush covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushScope {
    /// Every entry that may be flushed.
    All,
    /// One object.
    Object(ObjectId),
    /// Entries not touched for at least this long.
    IdleFor(Duration),
}

/// Why a flush kept an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeepReason {
    /// It holds `ndb` data (dropped only by a forced flush).
    Ndb,
    /// The host pinned it (a player is connected to it): kept even by a forced flush.
    Pinned,
    /// A hook is running on it now.
    InUse,
    /// The running turn changed it and has not committed yet.
    Unsaved,
}

impl KeepReason {
    /// A short label for reports.
    pub fn label(self) -> &'static str {
        match self {
            KeepReason::Ndb => "holds ndb data",
            KeepReason::Pinned => "pinned",
            KeepReason::InUse => "in use by a running hook",
            KeepReason::Unsaved => "unsaved changes",
        }
    }
}

/// What a flush did.
#[derive(Clone, Debug, Default)]
pub struct FlushReport {
    /// Entries dropped from the cache.
    pub dropped: usize,
    /// Entries kept, by reason.
    pub kept: BTreeMap<KeepReason, usize>,
    /// Up to 100 of the kept entries, for display.
    pub kept_examples: Vec<(ObjectId, KeepReason)>,
    /// `ndb` data a forced flush discarded: object and attribute names.
    pub discarded_ndb: Vec<(ObjectId, Vec<String>)>,
    /// Estimated bytes released by the dropped entries.
    pub bytes_released: usize,
    /// Slices the flush ran in.
    pub slices: usize,
    /// The longest slice (the longest pause of the world).
    pub max_pause: Duration,
    /// Time from the first slice to the end, memory release included.
    pub took: Duration,
    /// Process RSS before and after.
    pub rss_before: u64,
    /// Process RSS after the flush and the release of memory to the OS.
    pub rss_after: u64,
}

/// A flush in progress: run it with `World::flush_step` until it reports done.
#[derive(Debug)]
pub struct FlushJob {
    scope: FlushScope,
    force: bool,
    /// Ring steps left (the ring's length when the job started: one full turn of the hand).
    remaining: usize,
    started: Option<Instant>,
    unsaved: IdSet,
    report: FlushReport,
}

impl FlushJob {
    /// A flush of `scope`; `force` also drops protected entries that are safe to drop.
    pub fn new(scope: FlushScope, force: bool) -> Self {
        FlushJob {
            scope,
            force,
            remaining: usize::MAX,
            started: None,
            unsaved: IdSet::default(),
            report: FlushReport::default(),
        }
    }

    /// The report so far (complete once the job is done).
    pub fn report(&self) -> &FlushReport {
        &self.report
    }

    /// Takes the report.
    pub fn into_report(self) -> FlushReport {
        self.report
    }
}

impl WorldState {
    /// Why the entry of `id` must stay cached, if it must; `force` overrides the reason that
    /// only protects data (ndb), not the ones that protect correctness (running hooks,
    /// unsaved changes) or a connected player (pins).
    fn protection(
        &self,
        id: ObjectId,
        entry: &Entry,
        unsaved: &IdSet,
        force: bool,
    ) -> Option<KeepReason> {
        if self.active.contains(&id) {
            return Some(KeepReason::InUse);
        }
        if !unsaved.is_empty() && unsaved.contains(&id) {
            return Some(KeepReason::Unsaved);
        }
        if !self.pins.is_empty() && self.pins.contains(&id) {
            return Some(KeepReason::Pinned);
        }
        if force {
            return None;
        }
        if entry.has_ndb() {
            return Some(KeepReason::Ndb);
        }
        None
    }

    /// Records a dropped entry in `report` and frees it.
    fn account_flushed(&self, id: ObjectId, entry: Box<Entry>, report: &mut FlushReport) {
        if entry.has_ndb() {
            let mut names: Vec<String> = entry
                .attrs(AttrKind::Ndb)
                .iter()
                .map(|(name, _)| self.names.name(*name).to_owned())
                .collect();
            names.sort_unstable();
            report.discarded_ndb.push((id, names));
        }
        report.bytes_released += entry_footprint(&entry);
        report.dropped += 1;
    }

    fn keep(report: &mut FlushReport, id: ObjectId, reason: KeepReason) {
        *report.kept.entry(reason).or_default() += 1;
        if report.kept_examples.len() < 100 {
            report.kept_examples.push((id, reason));
        }
    }

    /// Runs one slice of `job`; true when the job is done.
    pub(crate) fn flush_step(&mut self, job: &mut FlushJob) -> bool {
        let slice_start = Instant::now();
        if job.started.is_none() {
            job.started = Some(slice_start);
            job.report.rss_before = memory::rss_bytes();
            job.unsaved = self.unsaved_ids();
            job.remaining = self.cache.ring_len();
        }
        let done = match job.scope {
            FlushScope::Object(id) => {
                if let Some(entry) = self.cache.remove(id) {
                    match self.protection(id, &entry, &job.unsaved, job.force) {
                        Some(reason) => {
                            Self::keep(&mut job.report, id, reason);
                            self.cache.put_back(id, entry);
                        }
                        None => self.account_flushed(id, entry, &mut job.report),
                    }
                }
                true
            }
            FlushScope::All | FlushScope::IdleFor(_) => {
                let idle_secs = match job.scope {
                    FlushScope::IdleFor(d) => u32::try_from(d.as_secs()).unwrap_or(u32::MAX),
                    _ => 0,
                };
                let now = self.cache.now();
                let mut steps = 0;
                while job.remaining > 0 && steps < FLUSH_SLICE_STEPS {
                    job.remaining -= 1;
                    steps += 1;
                    // One hash lookup per step: take the entry out, put it back if it stays.
                    let Some(taken) = self.cache.hand_take() else {
                        job.remaining = 0;
                        break;
                    };
                    let Some((id, entry)) = taken else { continue };
                    let reason = if now.saturating_sub(entry.last_touched()) < idle_secs {
                        Some(None)
                    } else {
                        self.protection(id, &entry, &job.unsaved, job.force)
                            .map(Some)
                    };
                    match reason {
                        None => self.account_flushed(id, entry, &mut job.report),
                        Some(why) => {
                            if let Some(why) = why {
                                Self::keep(&mut job.report, id, why);
                            }
                            self.cache.put_back(id, entry);
                        }
                    }
                }
                job.remaining == 0
            }
        };
        job.report.slices += 1;
        if done {
            self.finish_flush(job);
        }
        job.report.max_pause = job.report.max_pause.max(slice_start.elapsed());
        done
    }

    /// How many cached entries each protection holds now (a scan of the cache: for the admin
    /// console's stats, not for hot paths).
    pub(crate) fn protected_counts(&self) -> BTreeMap<KeepReason, usize> {
        let unsaved = self.unsaved_ids();
        let mut counts = BTreeMap::new();
        for (id, entry) in self.cache.iter() {
            if let Some(reason) = self.protection(id, entry, &unsaved, false) {
                *counts.entry(reason).or_default() += 1;
            }
        }
        counts
    }

    fn finish_flush(&mut self, job: &mut FlushJob) {
        self.flushes += 1;
        for (id, _) in &job.report.discarded_ndb {
            self.pins.remove(id);
        }
        self.cache.count_removed(0, job.report.dropped as u64);
        self.cache.shrink_if_sparse();
        if job.report.bytes_released >= RELEASE_THRESHOLD {
            memory::release_to_os();
        }
        job.report.rss_after = memory::rss_bytes();
        job.report.took = job.started.map_or(Duration::ZERO, |s| s.elapsed());
    }

    /// Ids with changes in the running turn's undo log.
    fn unsaved_ids(&self) -> IdSet {
        self.undo_ids().collect()
    }

    /// Evicts least recently used, unprotected entries while the cache is over its budget, for
    /// at most `max_steps` steps of the hand. Returns how many it evicted.
    pub(crate) fn enforce_budget(&mut self, max_steps: usize) -> usize {
        let Some(max) = self.max_entries else {
            return 0;
        };
        let unsaved = if self.undo_is_empty() {
            IdSet::default()
        } else {
            self.unsaved_ids()
        };
        let mut evicted = 0;
        let mut steps = 0;
        while self.cache.len() > max && steps < max_steps {
            steps += 1;
            let Some(next) = self.cache.hand_next() else {
                break;
            };
            let Some(id) = next else { continue };
            let protected = self
                .cache
                .peek(id)
                .and_then(|e| self.protection(id, e, &unsaved, false));
            if self.cache.take_reference(id) || protected.is_some() {
                self.cache.hand_keep(id);
                continue;
            }
            self.cache.remove(id);
            evicted += 1;
        }
        self.cache.count_removed(evicted as u64, 0);
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{Instances, Runtime, Scripts};
    use crate::store::RedbStore;
    use crate::symbol::Interner;

    fn world(dir: &std::path::Path) -> Box<WorldState> {
        let runtime = Runtime::new().unwrap();
        let mut names = Interner::default();
        let instances = Instances::new(
            &runtime,
            &Scripts::default(),
            &mut names,
            crate::runtime::Sandbox::default(),
        );
        let store = Box::new(RedbStore::open(&dir.join("w.redb"), 1 << 20).unwrap());
        Box::new(WorldState::new(
            store,
            instances,
            names,
            crate::world::WorldLimits::default(),
            std::sync::Arc::new(crate::world::SystemClock),
        ))
    }

    fn flush_all(w: &mut WorldState, force: bool) -> FlushReport {
        let mut job = FlushJob::new(FlushScope::All, force);
        while !w.flush_step(&mut job) {}
        job.into_report()
    }

    #[test]
    fn entries_in_use_or_with_unsaved_changes_are_kept_even_when_forced() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = world(dir.path());
        let a = w.create("a", "object", None).unwrap();
        let b = w.create("b", "object", None).unwrap();
        // Both creations are in the running turn's undo log: unsaved.
        let report = flush_all(&mut w, true);
        assert_eq!(report.kept[&KeepReason::Unsaved], 2);
        assert_eq!(report.dropped, 0);
        w.commit_event().unwrap();
        // A hook running on `a` protects it.
        w.active.push(a);
        let report = flush_all(&mut w, true);
        assert_eq!(report.kept[&KeepReason::InUse], 1);
        assert_eq!(report.dropped, 1);
        assert!(w.cache.contains(a) && !w.cache.contains(b));
        w.active.clear();
        assert_eq!(flush_all(&mut w, false).dropped, 1);
    }

    #[test]
    fn a_large_flush_runs_in_short_slices() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = world(dir.path());
        for i in 0..(3 * FLUSH_SLICE_STEPS) {
            w.create(&format!("o{i}"), "object", None).unwrap();
        }
        w.commit_event().unwrap();
        let report = flush_all(&mut w, false);
        assert_eq!(report.dropped, 3 * FLUSH_SLICE_STEPS);
        assert!(report.slices >= 3, "{report:?}");
        assert_eq!(w.cache.len(), 0);
    }
}
