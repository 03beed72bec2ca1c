//! The timer part of `wasmud check`: every timer row decodes and belongs to an object that
//! exists; the queue holds exactly (due, object, name) for every timer that is not parked.
//! `--repair` rebuilds the queue from the timer rows and removes timers of missing objects
//! (they could never fire).

use std::collections::BTreeSet;

use redb::{ReadableDatabase, ReadableTable};

use wasmud_common::ObjectId;
use wasmud_store::check::note;
use wasmud_store::records::decode;
use wasmud_store::{CheckReport, TimerRecord};

use crate::RedbStore;
use crate::error::R;
use crate::tables::{OBJECTS, TIMER_QUEUE, TIMERS};

type QueueRow = (u64, ObjectId, String);

impl RedbStore {
    /// Checks the timer tables into `report` (`problems` counts every problem found); with
    /// `repair`, fixes them in a durable transaction of their own.
    pub(super) fn check_timers(
        &self,
        repair: bool,
        report: &mut CheckReport,
        problems: &mut usize,
    ) -> R<()> {
        let read = self.db()?.begin_read()?;
        let objects = read.open_table(OBJECTS)?;
        let mut expected: BTreeSet<QueueRow> = BTreeSet::new();
        let mut undecodable: BTreeSet<(ObjectId, String)> = BTreeSet::new();
        let mut orphans: Vec<(ObjectId, String, TimerRecord)> = Vec::new();
        for row in read.open_table(TIMERS)?.iter()? {
            let (k, raw) = row?;
            let (object, name) = k.value();
            match decode::<TimerRecord>(raw.value()) {
                Ok(record) => {
                    if !record.parked {
                        expected.insert((record.due_ms, object, name.to_owned()));
                    }
                    if objects.get(object)?.is_none() {
                        note(
                            &mut report.problems,
                            problems,
                            format!("timer {name:?} belongs to #{object}, which does not exist"),
                        );
                        orphans.push((object, name.to_owned(), record));
                    }
                }
                Err(e) => {
                    undecodable.insert((object, name.to_owned()));
                    note(
                        &mut report.problems,
                        problems,
                        format!("timer {name:?} of #{object} does not decode: {e}"),
                    );
                }
            }
        }
        let mut found: BTreeSet<QueueRow> = BTreeSet::new();
        for row in read.open_table(TIMER_QUEUE)?.iter()? {
            let (key, _) = row?;
            let (due, object, name) = key.value();
            // Queue rows of undecodable timers cannot be judged.
            if !undecodable.contains(&(object, name.to_owned())) {
                found.insert((due, object, name.to_owned()));
            }
        }
        for (due, object, name) in expected.difference(&found) {
            let line = format!("timer queue lacks {name:?} of #{object} (due {due})");
            note(&mut report.problems, problems, line);
        }
        for (due, object, name) in found.difference(&expected) {
            let line = format!(
                "timer queue lists {name:?} of #{object} at {due}, but its timer says otherwise"
            );
            note(&mut report.problems, problems, line);
        }
        let queue_wrong = expected != found;
        if !repair || (!queue_wrong && orphans.is_empty()) {
            return Ok(());
        }
        drop((objects, read));
        let mut txn = self.db()?.begin_write()?;
        txn.set_durability(redb::Durability::Immediate)?;
        {
            let mut queue = txn.open_table(TIMER_QUEUE)?;
            for (due, object, name) in found.difference(&expected) {
                queue.remove((*due, *object, name.as_str()))?;
            }
            for (due, object, name) in expected.difference(&found) {
                queue.insert((*due, *object, name.as_str()), ())?;
            }
            if queue_wrong {
                report
                    .repaired
                    .push("rebuilt the timer queue from the timers".into());
            }
            let mut timers = txn.open_table(TIMERS)?;
            for (object, name, record) in &orphans {
                timers.remove((*object, name.as_str()))?;
                if !record.parked {
                    queue.remove((record.due_ms, *object, name.as_str()))?;
                }
                report.repaired.push(format!(
                    "removed timer {name:?} of missing #{object} (it could never fire)"
                ));
            }
        }
        txn.commit()?;
        Ok(())
    }
}
