//! [`StorageHealth`]: what the world does when its disk fails or fills up.
//!
//! After an I/O failure redb refuses every operation, reads included, until the database is
//! reopened. The world then:
//! - reopens the store at the next turn (so reads of objects not in the cache work again, on
//!   what was committed durably), and evicts from the cache every object a turn changed since
//!   the last durable checkpoint: those turns were never acknowledged (their answers reported
//!   the failure), and the reopened store does not have them;
//! - refuses changes at once with [`WorldError::StorageDown`] (a clear message, not a stream
//!   of I/O errors), while reads, cached or not, go on;
//! - after a pause that doubles from [`FIRST_RETRY`] to [`LAST_RETRY`], rewrites the store into
//!   fresh storage (a new file renamed over the old one: after a failed fsync the old file may
//!   never get pages the kernel's cache shows, see `store::source`), then tries an empty
//!   durable commit; once one succeeds, the world is healthy again. Nothing
//!   acknowledged is lost: an answer leaves only after its checkpoint, and a failed checkpoint
//!   fails every answer waiting for it.

use std::time::{Duration, Instant};

use crate::value::ObjectId;
use crate::world::{WorldError, WorldState};

/// The first pause before a write is tried again.
pub const FIRST_RETRY: Duration = Duration::from_millis(250);
/// The longest pause between two tries.
pub const LAST_RETRY: Duration = Duration::from_secs(8);
/// Ids noted as changed since the last durable checkpoint before the list is given up (a world
/// used without checkpoints); a recovery then empties the whole cache instead.
const MAX_UNSYNCED_IDS: usize = 1 << 20;

/// The store's health (see the module docs).
#[derive(Debug)]
pub(crate) struct StorageHealth {
    /// Set while writes fail.
    pub(crate) failing: Option<Failing>,
    /// Times the store failed since the world opened.
    pub(crate) failures: u64,
    /// Times it recovered.
    pub(crate) recoveries: u64,
    /// Objects changed by turns committed since the last durable checkpoint (with repeats);
    /// `None` once there were too many to note (see [`MAX_UNSYNCED_IDS`]).
    pub(crate) unsynced_ids: Option<Vec<ObjectId>>,
    /// The running turn was refused a write (its error is then [`WorldError::StorageDown`],
    /// whatever hook it surfaced through).
    pub(crate) refused: Option<String>,
}

impl Default for StorageHealth {
    fn default() -> Self {
        StorageHealth {
            failing: None,
            failures: 0,
            recoveries: 0,
            unsynced_ids: Some(Vec::new()),
            refused: None,
        }
    }
}

/// A failure in progress.
#[derive(Debug)]
pub(crate) struct Failing {
    /// When writes started failing.
    pub(crate) since: Instant,
    /// The last error.
    pub(crate) error: String,
    /// Failed tries in a row.
    pub(crate) tries: u32,
    /// The store was reopened since the last failure (reads work).
    pub(crate) reopened: bool,
    /// The store was rewritten into fresh storage since the failure began (see
    /// `store::source`: a file whose fsync failed is never written to again).
    pub(crate) rewritten: bool,
    /// When a write may be tried again.
    pub(crate) next_try: Instant,
    /// When reopening may be tried again (at once after a failure, then with the same pauses).
    pub(crate) reopen_at: Instant,
}

/// What `stats` shows of the store's health.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorageStatus {
    /// `Some` while writes are refused: how long, the last error, the failed tries, and how
    /// long until the next try.
    pub failing: Option<(Duration, String, u32, Duration)>,
    /// Failures since the world opened.
    pub failures: u64,
    /// Recoveries since the world opened.
    pub recoveries: u64,
}

impl WorldState {
    /// A commit or checkpoint failed with `error`: writes are refused until a retry succeeds.
    pub(crate) fn storage_failed(&mut self, error: &dyn std::fmt::Display) {
        let now = Instant::now();
        let health = &mut self.storage;
        let tries = health.failing.as_ref().map_or(0, |f| f.tries) + 1;
        let pause = FIRST_RETRY
            .saturating_mul(1 << (tries - 1).min(16))
            .min(LAST_RETRY);
        match &health.failing {
            None => {
                health.failures += 1;
                tracing::error!(
                    "the store failed ({error}): changes are refused, reads go on; retrying in \
                     {} ms",
                    pause.as_millis()
                );
            }
            Some(_) => tracing::debug!("the store failed again ({error}); retrying later"),
        }
        let since = health.failing.as_ref().map_or(now, |f| f.since);
        let rewritten = health.failing.as_ref().is_some_and(|f| f.rewritten);
        // redb's "previous I/O error" says nothing of the cause: the first error does.
        let text = error.to_string();
        let error = match &health.failing {
            Some(f) if text.contains("Previous I/O error") => f.error.clone(),
            _ => text,
        };
        health.failing = Some(Failing {
            since,
            error,
            tries,
            reopened: false,
            rewritten,
            next_try: now + pause,
            reopen_at: now,
        });
        self.snapshot = None;
    }

    /// Between turns: reopens a failed store (reads work again on what is durable) and
    /// forgets what it lost. Cheap when healthy.
    pub(crate) fn storage_recover(&mut self) {
        let Some(failing) = &self.storage.failing else {
            return;
        };
        if failing.reopened {
            if Instant::now() >= failing.next_try {
                self.storage_retry();
            }
            return;
        }
        if Instant::now() < failing.reopen_at {
            return;
        }
        self.snapshot = None;
        self.txn = None;
        if let Err(e) = self.store.reopen() {
            tracing::debug!("the store cannot be reopened yet: {e}");
            if let Some(failing) = &mut self.storage.failing {
                failing.reopen_at = failing.next_try;
            }
            return;
        }
        let lost = match self.storage.unsynced_ids.replace(Vec::new()) {
            Some(mut lost) => {
                lost.sort_unstable();
                lost.dedup();
                for &id in &lost {
                    self.cache.remove(id);
                }
                lost.len()
            }
            None => {
                let all = self.cache.stats().entries;
                self.cache.clear();
                all
            }
        };
        // Ids, the next timer and the `unsynced` flag are read afresh from the store.
        self.ids = 0..0;
        self.next_timer = None;
        self.unsynced = false;
        tracing::warn!(
            objects = lost,
            "the store was reopened on what was durable; objects changed by unacknowledged turns \
             were dropped from the cache"
        );
        if let Some(failing) = &mut self.storage.failing {
            failing.reopened = true;
        }
    }

    /// Time to try writing again: first the store is rewritten into fresh storage (once per
    /// failure), then an empty durable commit (a header write and an fsync) tells whether the
    /// disk takes writes.
    fn storage_retry(&mut self) {
        self.snapshot = None;
        let rewritten = self.storage.failing.as_ref().is_some_and(|f| f.rewritten);
        if !rewritten {
            let started = Instant::now();
            match self.store.rewrite() {
                Ok(()) => {
                    tracing::warn!(
                        took_ms = started.elapsed().as_millis(),
                        "the store was rewritten into a new file (a file whose fsync failed is \
                         not written to again)"
                    );
                    if let Some(f) = &mut self.storage.failing {
                        f.rewritten = true;
                    }
                }
                Err(e) => {
                    self.storage_failed(&e);
                    // A rewrite that failed after closing the store leaves it to reopen.
                    let open = self.store.is_open();
                    if let Some(f) = &mut self.storage.failing {
                        f.reopened = open;
                    }
                    return;
                }
            }
        }
        match self.store.checkpoint() {
            Ok(()) => self.storage_synced(),
            Err(e) => self.storage_failed(&e),
        }
    }

    /// Refuses a write while the store is failing and it is not time to try again.
    pub(crate) fn storage_gate(&mut self) -> Result<(), WorldError> {
        // Writes resume only once a retry (at a turn's start) rewrote the store and saw a
        // durable commit succeed, which clears `failing`.
        match &self.storage.failing {
            Some(f) => {
                let why = format!(
                    "changes cannot be saved since {} s ago ({}); nothing was changed, reads go \
                     on, and saving is retried by itself",
                    f.since.elapsed().as_secs(),
                    f.error
                );
                self.storage.refused = Some(why.clone());
                Err(WorldError::StorageDown(why))
            }
            None => Ok(()),
        }
    }

    /// A turn's commit (not durable) succeeded: notes the objects it changed, which a store
    /// reopened after a failure might not have.
    pub(crate) fn note_unsynced(&mut self) {
        let Some(ids) = &mut self.storage.unsynced_ids else {
            return;
        };
        for step in &self.undo {
            if let Some(id) = step.object() {
                ids.push(id);
            }
        }
        if ids.len() > MAX_UNSYNCED_IDS {
            ids.sort_unstable();
            ids.dedup();
            if ids.len() > MAX_UNSYNCED_IDS / 2 {
                self.storage.unsynced_ids = None;
            }
        }
    }

    /// A durable checkpoint succeeded: the store is healthy (again).
    pub(crate) fn storage_synced(&mut self) {
        self.storage.unsynced_ids = Some(Vec::new());
        if let Some(failing) = self.storage.failing.take() {
            self.storage.recoveries += 1;
            tracing::warn!(
                after_s = failing.since.elapsed().as_secs(),
                tries = failing.tries,
                "the store works again: changes are saved"
            );
        }
    }

    /// The store's health for `stats`.
    pub(crate) fn storage_status(&self) -> StorageStatus {
        let now = Instant::now();
        StorageStatus {
            failing: self.storage.failing.as_ref().map(|f| {
                (
                    now.saturating_duration_since(f.since),
                    f.error.clone(),
                    f.tries,
                    f.next_try.saturating_duration_since(now),
                )
            }),
            failures: self.storage.failures,
            recoveries: self.storage.recoveries,
        }
    }
}
