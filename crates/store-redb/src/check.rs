//! `wasmud check`: the store's invariants, verified, and repaired where no data is lost.
//!
//! Invariants: every record decodes; `contents` holds exactly (location, id) for every object
//! with a location, and every location exists; `keys` holds exactly (folded key, id) for every
//! object; the id sequence is above every object and tombstone id; no id is both an object and
//! a tombstone; every attribute belongs to an object; every object reference in an attribute
//! names an object that exists or was deleted (never an id that was never issued); timers (see
//! `check_timers`) belong to objects that exist and are queued exactly when not parked.
//!
//! `--repair` rebuilds both indexes from the records, raises the id sequence, drops tombstones
//! of live objects and clears locations that name missing objects (the object moves to
//! nowhere). Attributes of missing objects and references to never-issued ids are reported,
//! not removed: removing them would lose data an operator may want back.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use redb::{ReadableDatabase, ReadableMultimapTable, ReadableTable};

use wasmud_common::{ObjectId, Value};
use wasmud_store::check::{MAX_LISTED, note};
use wasmud_store::records::{decode, encode};
use wasmud_store::{CheckReport, ObjectRecord, StoreError};

use crate::RedbStore;
use crate::error::R;
use crate::tables::{ATTRS, CONTENTS, KEYS, META, OBJECTS, TOMBSTONES};

/// The contents and keys indexes, as sets of rows.
type Indexes<'a> = (
    &'a BTreeSet<(ObjectId, ObjectId)>,
    &'a BTreeSet<(String, ObjectId)>,
);

/// Everything read from the store in one snapshot.
struct Snapshot {
    records: BTreeMap<ObjectId, ObjectRecord>,
    /// Objects whose record does not decode: present, but their location and key unknown
    /// (their index rows are left alone, their contents are not orphans).
    undecodable: BTreeSet<ObjectId>,
    contents: BTreeSet<(ObjectId, ObjectId)>,
    keys: BTreeSet<(String, ObjectId)>,
    tombstones: HashSet<ObjectId>,
    next_id: ObjectId,
    orphan_attrs: Vec<(ObjectId, String)>,
    dangling_refs: Vec<(ObjectId, String, ObjectId)>,
    attributes: u64,
}

impl RedbStore {
    /// Verifies the store's invariants; with `repair`, fixes what can be fixed without losing
    /// data (one write transaction, made durable).
    ///
    /// # Errors
    /// [`StoreError`] if the store cannot be read (a record that does not decode is a
    /// problem in the report, not an error).
    pub fn check(&self, repair: bool) -> Result<CheckReport, StoreError> {
        Ok(self.check_inner(repair)?)
    }

    fn check_inner(&self, repair: bool) -> R<CheckReport> {
        let mut report = CheckReport::default();
        let mut problems = 0usize;
        let snap = self.snapshot(&mut report, &mut problems)?;
        report.objects = snap.records.len() as u64;
        report.attributes = snap.attributes;
        let expected_contents: BTreeSet<(ObjectId, ObjectId)> = snap
            .records
            .iter()
            .filter_map(|(&id, r)| r.location.map(|l| (l, id)))
            .collect();
        let expected_keys: BTreeSet<(String, ObjectId)> = snap
            .records
            .iter()
            .map(|(&id, r)| (r.key.to_ascii_lowercase(), id))
            .collect();
        // Rows about undecodable objects cannot be judged: leave them out of both sides.
        let judged = |l: &ObjectId, id: &ObjectId| {
            !snap.undecodable.contains(id) && !snap.undecodable.contains(l)
        };
        let found_contents: BTreeSet<(ObjectId, ObjectId)> = snap
            .contents
            .iter()
            .filter(|(l, id)| judged(l, id))
            .copied()
            .collect();
        let found_keys: BTreeSet<(String, ObjectId)> = snap
            .keys
            .iter()
            .filter(|(_, id)| !snap.undecodable.contains(id))
            .cloned()
            .collect();
        let mut p = |line: String| note(&mut report.problems, &mut problems, line);
        for (l, id) in expected_contents.difference(&found_contents) {
            p(format!("contents index lacks #{id} in #{l}"));
        }
        for (l, id) in found_contents.difference(&expected_contents) {
            p(format!(
                "contents index lists #{id} in #{l}, but its record says otherwise"
            ));
        }
        for (k, id) in expected_keys.difference(&found_keys) {
            p(format!("keys index lacks {k:?} for #{id}"));
        }
        for (k, id) in found_keys.difference(&expected_keys) {
            p(format!(
                "keys index lists {k:?} for #{id}, but its record says otherwise"
            ));
        }
        let highest = snap
            .records
            .keys()
            .chain(snap.undecodable.iter())
            .chain(snap.tombstones.iter())
            .max()
            .copied()
            .unwrap_or(0);
        if snap.next_id <= highest {
            p(format!(
                "id sequence at {} is not above the highest id in use (#{highest}): ids would be \
                 reused",
                snap.next_id
            ));
        }
        let mut missing_locations = Vec::new();
        for (&id, record) in &snap.records {
            if snap.tombstones.contains(&id) {
                p(format!("#{id} is both an object and a tombstone"));
            }
            if let Some(l) = record.location
                && !snap.records.contains_key(&l)
                && !snap.undecodable.contains(&l)
            {
                p(format!("#{id} is in #{l}, which does not exist"));
                missing_locations.push(id);
            }
        }
        for (id, name) in &snap.orphan_attrs {
            p(format!(
                "attribute {name:?} belongs to #{id}, which does not exist"
            ));
        }
        for (id, name, target) in &snap.dangling_refs {
            p(format!(
                "attribute {name:?} of #{id} refers to #{target}, which never existed"
            ));
        }
        self.check_timers(repair, &mut report, &mut problems)?;
        if problems > MAX_LISTED {
            report
                .problems
                .push(format!("... and {} more", problems - MAX_LISTED));
        }
        for (id, name) in &snap.orphan_attrs {
            report
                .left_alone
                .push(format!("attribute {name:?} of missing #{id} (kept: data)"));
        }
        for (id, name, target) in &snap.dangling_refs {
            report.left_alone.push(format!(
                "attribute {name:?} of #{id} refers to #{target} (kept: data)"
            ));
        }
        report.left_alone.truncate(MAX_LISTED);
        if repair && !report.is_clean() {
            let found = (&found_contents, &found_keys);
            let expected = (&expected_contents, &expected_keys);
            self.repair(
                &snap,
                found,
                expected,
                highest,
                &missing_locations,
                &mut report,
            )?;
        }
        Ok(report)
    }

    fn snapshot(&self, report: &mut CheckReport, problems: &mut usize) -> R<Snapshot> {
        let read = self.db()?.begin_read()?;
        let mut records = BTreeMap::new();
        let mut undecodable = BTreeSet::new();
        for row in read.open_table(OBJECTS)?.iter()? {
            let (id, raw) = row?;
            match decode::<ObjectRecord>(raw.value()) {
                Ok(record) => {
                    records.insert(id.value(), record);
                }
                Err(e) => {
                    undecodable.insert(id.value());
                    note(
                        &mut report.problems,
                        problems,
                        format!("record of #{} does not decode: {e}", id.value()),
                    );
                }
            }
        }
        let mut contents = BTreeSet::new();
        for row in read.open_multimap_table(CONTENTS)?.iter()? {
            let (location, ids) = row?;
            for id in ids {
                contents.insert((location.value(), id?.value()));
            }
        }
        let mut keys = BTreeSet::new();
        for row in read.open_multimap_table(KEYS)?.iter()? {
            let (key, ids) = row?;
            for id in ids {
                keys.insert((key.value().to_owned(), id?.value()));
            }
        }
        let mut tombstones = HashSet::new();
        for row in read.open_table(TOMBSTONES)?.iter()? {
            tombstones.insert(row?.0.value());
        }
        let next_id = read
            .open_table(META)?
            .get("next_id")?
            .map_or(1, |v| v.value());
        let mut orphan_attrs = Vec::new();
        let mut dangling_refs = Vec::new();
        let mut attributes = 0;
        for row in read.open_table(ATTRS)?.iter()? {
            let (k, raw) = row?;
            let (id, name) = k.value();
            attributes += 1;
            if !records.contains_key(&id) && !undecodable.contains(&id) {
                orphan_attrs.push((id, name.to_owned()));
            }
            match decode::<Value>(raw.value()) {
                Ok(Value::Object(target))
                    if !records.contains_key(&target) && !tombstones.contains(&target) =>
                {
                    dangling_refs.push((id, name.to_owned(), target));
                }
                Ok(_) => {}
                Err(e) => note(
                    &mut report.problems,
                    problems,
                    format!("attribute {name:?} of #{id} does not decode: {e}"),
                ),
            }
        }
        Ok(Snapshot {
            records,
            undecodable,
            contents,
            keys,
            tombstones,
            next_id,
            orphan_attrs,
            dangling_refs,
            attributes,
        })
    }

    fn repair(
        &self,
        snap: &Snapshot,
        (found_contents, found_keys): Indexes<'_>,
        (contents, keys): Indexes<'_>,
        highest: ObjectId,
        missing_locations: &[ObjectId],
        report: &mut CheckReport,
    ) -> R<()> {
        let missing: HashSet<ObjectId> = missing_locations.iter().copied().collect();
        let mut txn = self.db()?.begin_write()?;
        txn.set_durability(redb::Durability::Immediate)?;
        {
            let mut objects = txn.open_table(OBJECTS)?;
            for &id in missing_locations {
                let mut record = snap.records[&id].clone();
                let was = record.location.take();
                objects.insert(id, encode(&record)?.as_slice())?;
                report.repaired.push(format!(
                    "#{id} was in missing #{}; it is now nowhere",
                    was.unwrap_or_default()
                ));
            }
            let fixed: BTreeSet<(ObjectId, ObjectId)> = contents
                .iter()
                .filter(|(_, id)| !missing.contains(id))
                .copied()
                .collect();
            let mut table = txn.open_multimap_table(CONTENTS)?;
            for (l, id) in found_contents.difference(&fixed) {
                table.remove(l, id)?;
            }
            for (l, id) in fixed.difference(found_contents) {
                table.insert(l, id)?;
            }
            if fixed != *found_contents {
                report
                    .repaired
                    .push("rebuilt the contents index from the records".into());
            }
            let mut table = txn.open_multimap_table(KEYS)?;
            for (k, id) in found_keys.difference(keys) {
                table.remove(k.as_str(), id)?;
            }
            for (k, id) in keys.difference(found_keys) {
                table.insert(k.as_str(), id)?;
            }
            if keys != found_keys {
                report
                    .repaired
                    .push("rebuilt the keys index from the records".into());
            }
            if snap.next_id <= highest {
                // A block beyond the highest id: ids handed out but lost with their objects
                // cannot be told apart, so leave room.
                let next = highest + 1 + 1024;
                txn.open_table(META)?.insert("next_id", next)?;
                report
                    .repaired
                    .push(format!("raised the id sequence to {next}"));
            }
            let mut tombstones = txn.open_table(TOMBSTONES)?;
            for &id in snap.records.keys() {
                if snap.tombstones.contains(&id) {
                    tombstones.remove(id)?;
                    report
                        .repaired
                        .push(format!("removed the tombstone of live #{id}"));
                }
            }
        }
        txn.commit()?;
        Ok(())
    }
}
