//! `wasmud check` on a PostgreSQL world. The indexes are PostgreSQL's own, so what is checked
//! is what it cannot enforce by itself: the id sequence is above every id in use; no id is both
//! an object and a tombstone; every location exists; every attribute belongs to an object and
//! decodes, and every object it refers to exists or was deleted; timers belong to objects and
//! their columns agree with their records.
//!
//! `--repair` raises the sequence, drops tombstones of live objects and clears locations that
//! name missing objects (one transaction). Orphan attributes and timers, and references to
//! ids never issued, are reported and kept, as on redb.

use wasmud_common::{ObjectId, Value};
use wasmud_store::check::{MAX_LISTED, note};
use wasmud_store::records::decode;
use wasmud_store::{CheckReport, StoreError, StoreView, TimerRecord};

use crate::error::{id, unsigned};
use crate::link::Link;

/// Checks the world on `link` (whose group is committed), repairing when asked.
pub(crate) fn check(link: &Link, repair: bool) -> Result<CheckReport, StoreError> {
    let mut report = CheckReport {
        objects: link.object_count()?,
        ..CheckReport::default()
    };
    let attributes = link.row(|s| &s.attr_count, &[])?;
    report.attributes = attributes.map_or(Ok(0), |r| unsigned(r.get(0)))?;
    let mut problems = 0usize;
    let mut p =
        |report: &mut CheckReport, line: String| note(&mut report.problems, &mut problems, line);

    let next = link.next_id()?;
    let highest: Option<i64> = link.row(|s| &s.highest_id, &[])?.and_then(|r| r.get(0));
    let highest = highest.map(unsigned).transpose()?.unwrap_or(0);
    if next <= highest {
        p(
            &mut report,
            format!(
                "id sequence at {next} is not above the highest id in use (#{highest}): ids would be \
             reused"
            ),
        );
    }
    let live_tombstones: Vec<ObjectId> = link
        .rows(|s| &s.live_tombstones, &[])?
        .iter()
        .map(|r| unsigned(r.get(0)))
        .collect::<Result<_, _>>()?;
    for id in &live_tombstones {
        p(
            &mut report,
            format!("#{id} is both an object and a tombstone"),
        );
    }
    let mut missing_locations = Vec::new();
    for row in link.rows(|s| &s.missing_locations, &[])? {
        let (object, location) = (unsigned(row.get(0))?, unsigned(row.get(1))?);
        p(
            &mut report,
            format!("#{object} is in #{location}, which does not exist"),
        );
        missing_locations.push(object);
    }
    // Attributes of missing objects (at most what is listed), then every value in batches:
    // undecodable ones, and references to ids never issued.
    let listed = i64::try_from(MAX_LISTED).unwrap_or(i64::MAX);
    let orphan_attrs: Vec<(ObjectId, String)> = link
        .rows(|s| &s.orphan_attrs, &[&listed])?
        .iter()
        .map(|r| Ok((unsigned(r.get(0))?, r.get::<_, &str>(1).to_owned())))
        .collect::<Result<_, StoreError>>()?;
    let mut dangling = Vec::new();
    let (mut after_object, mut after_name) = (-1i64, String::new());
    loop {
        let rows = link.rows(|s| &s.attrs_after, &[&after_object, &after_name, &2048i64])?;
        let Some(last) = rows.last() else { break };
        (after_object, after_name) = (last.get(0), last.get::<_, &str>(1).to_owned());
        for row in &rows {
            let object = unsigned(row.get(0))?;
            let name: &str = row.get(1);
            match decode::<Value>(row.get(2)) {
                Ok(Value::Object(target))
                    if !link.exists(target)? && !link.is_deleted(target)? =>
                {
                    dangling.push((object, name.to_owned(), target));
                }
                Ok(_) => {}
                Err(e) => p(
                    &mut report,
                    format!("attribute {name:?} of #{object} does not decode: {e}"),
                ),
            }
        }
    }
    for (object, name) in &orphan_attrs {
        p(
            &mut report,
            format!("attribute {name:?} belongs to #{object}, which does not exist"),
        );
    }
    for (object, name, target) in &dangling {
        p(
            &mut report,
            format!("attribute {name:?} of #{object} refers to #{target}, which never existed"),
        );
    }
    for row in link.rows(|s| &s.orphan_timers, &[])? {
        let name: &str = row.get(1);
        p(
            &mut report,
            format!(
                "timer {name:?} belongs to #{}, which does not exist",
                unsigned(row.get(0))?
            ),
        );
    }
    // The due index reads the columns; the world reads the record: they must agree.
    let (mut after_object, mut after_name) = (-1i64, String::new());
    loop {
        let rows = link.rows(|s| &s.timers_after, &[&after_object, &after_name, &2048i64])?;
        let Some(last) = rows.last() else { break };
        (after_object, after_name) = (last.get(0), last.get::<_, &str>(1).to_owned());
        for row in &rows {
            let (object, name) = (unsigned(row.get(0))?, row.get::<_, &str>(1));
            match decode::<TimerRecord>(row.get(2)) {
                Ok(record)
                    if i64::try_from(record.due_ms).ok() != Some(row.get::<_, i64>(3))
                        || record.parked != row.get::<_, bool>(4) =>
                {
                    p(
                        &mut report,
                        format!("timer {name:?} of #{object} disagrees with its record"),
                    );
                }
                Ok(_) => {}
                Err(e) => p(
                    &mut report,
                    format!("timer {name:?} of #{object} does not decode: {e}"),
                ),
            }
        }
    }
    if problems > MAX_LISTED {
        report
            .problems
            .push(format!("... and {} more", problems - MAX_LISTED));
    }
    for (object, name) in &orphan_attrs {
        report.left_alone.push(format!(
            "attribute {name:?} of missing #{object} (kept: data)"
        ));
    }
    for (object, name, target) in &dangling {
        report.left_alone.push(format!(
            "attribute {name:?} of #{object} refers to #{target} (kept: data)"
        ));
    }
    report.left_alone.truncate(MAX_LISTED);
    if repair && !report.is_clean() {
        repair_world(
            link,
            next,
            highest,
            &live_tombstones,
            &missing_locations,
            &mut report,
        )?;
    }
    Ok(report)
}

fn repair_world(
    link: &Link,
    next: ObjectId,
    highest: ObjectId,
    live_tombstones: &[ObjectId],
    missing_locations: &[ObjectId],
    report: &mut CheckReport,
) -> Result<(), StoreError> {
    link.send_simple("BEGIN");
    for &object in missing_locations {
        link.send(|s| &s.clear_location, vec![Box::new(id(object)?)]);
        report.repaired.push(format!(
            "#{object} was in a missing object; it is now nowhere"
        ));
    }
    for &object in live_tombstones {
        link.send(|s| &s.remove_tombstone, vec![Box::new(id(object)?)]);
        report
            .repaired
            .push(format!("removed the tombstone of live #{object}"));
    }
    if next <= highest {
        // A block beyond the highest id, as on redb.
        let raised = highest + 1 + 1024;
        link.send(|s| &s.set_next_id, vec![Box::new(id(raised)?)]);
        report
            .repaired
            .push(format!("raised the id sequence to {raised}"));
    }
    link.send_simple("COMMIT");
    link.settle()
}
