//! [`PgWrite`]: the contract's write transaction. The world's turns share one PostgreSQL
//! transaction per group commit: each turn is a savepoint in it, released when the turn
//! commits and rolled back when it fails; a durable commit (or the store's checkpoint) commits
//! the whole group in one transaction.

use std::time::Instant;

use wasmud_common::{ObjectId, Value};
use wasmud_store::records::{encode, encode_account};
use wasmud_store::{
    AccountRecord, LoadedObject, ObjectRecord, StoreError, StoreView, TimerRecord, TimerRow, Visit,
    WriteTxn, timings,
};

use crate::error::{id, unsigned};
use crate::link::{Link, Param};
use crate::view::forward_views;

/// A turn: a savepoint in the group's transaction.
pub struct PgWrite {
    pub(crate) link: Link,
    /// Committed or aborted already (else dropping it rolls the turn back).
    done: bool,
}

forward_views!(PgWrite);

impl PgWrite {
    /// Starts a turn on `link`, opening the group's transaction first if none is open.
    pub(crate) fn begin(link: Link) -> Result<Self, StoreError> {
        let open = {
            let conn = link.conn();
            if let Some(why) = &conn.poisoned {
                return Err(StoreError::backend(
                    true,
                    format!("the open transaction failed ({why}); reconnecting"),
                ));
            }
            conn.in_group
        };
        if !open {
            link.send_simple("BEGIN");
            link.conn().in_group = true;
        }
        link.send_simple("SAVEPOINT turn");
        Ok(PgWrite { link, done: false })
    }

    fn send(
        &self,
        pick: fn(&crate::statements::Statements) -> &tokio_postgres::Statement,
        params: Vec<Param>,
    ) {
        self.link.send(pick, params);
    }
}

/// Owned parameters.
macro_rules! params {
    ($($p:expr),* $(,)?) => {
        vec![$(Box::new($p) as Param),*]
    };
}

impl WriteTxn for PgWrite {
    fn allocate_ids(&mut self, count: u64) -> Result<ObjectId, StoreError> {
        let count = i64::try_from(count.max(1)).unwrap_or(i64::MAX);
        let row = self.link.row(|s| &s.allocate, &[&count])?;
        let last = unsigned(row.map_or(0, |r| r.get(0)))?;
        Ok(last + 1 - count.unsigned_abs())
    }

    fn raise_next_id(&mut self, next: ObjectId) -> Result<(), StoreError> {
        if next > self.link.next_id()? {
            self.link.row(|s| &s.set_next_id, &[&id(next)?])?;
        }
        Ok(())
    }

    fn put_object(
        &mut self,
        object: ObjectId,
        _old: Option<&ObjectRecord>,
        new: &ObjectRecord,
    ) -> Result<(), StoreError> {
        let location = new.location.map(id).transpose()?;
        self.send(
            |s| &s.put_object,
            params![
                id(object)?,
                new.key.to_string(),
                new.key.to_ascii_lowercase(),
                new.typeclass.to_string(),
                location,
            ],
        );
        Ok(())
    }

    fn put_attr(&mut self, object: ObjectId, name: &str, value: &Value) -> Result<(), StoreError> {
        self.send(
            |s| &s.put_attr,
            params![id(object)?, name.to_owned(), encode(value)?],
        );
        Ok(())
    }

    fn remove_attr(&mut self, object: ObjectId, name: &str) -> Result<(), StoreError> {
        self.send(|s| &s.remove_attr, params![id(object)?, name.to_owned()]);
        Ok(())
    }

    fn delete_object(&mut self, object: ObjectId, _old: &ObjectRecord) -> Result<(), StoreError> {
        let key = id(object)?;
        self.send(|s| &s.remove_object, params![key]);
        self.send(|s| &s.remove_attrs_of, params![key]);
        self.send(|s| &s.put_tombstone, params![key]);
        Ok(())
    }

    fn purge_object(&mut self, object: ObjectId, record: &ObjectRecord) -> Result<(), StoreError> {
        self.delete_object(object, record)?;
        self.send(|s| &s.remove_tombstone, params![id(object)?]);
        Ok(())
    }

    fn restore_object(
        &mut self,
        object: ObjectId,
        record: &ObjectRecord,
        attrs: &[(&str, &Value)],
    ) -> Result<(), StoreError> {
        self.put_object(object, None, record)?;
        for (name, value) in attrs {
            self.put_attr(object, name, value)?;
        }
        self.send(|s| &s.remove_tombstone, params![id(object)?]);
        Ok(())
    }

    fn put_tombstone(&mut self, object: ObjectId) -> Result<(), StoreError> {
        self.send(|s| &s.put_tombstone, params![id(object)?]);
        Ok(())
    }

    fn put_timer(
        &mut self,
        object: ObjectId,
        name: &str,
        _old: Option<&TimerRecord>,
        new: &TimerRecord,
    ) -> Result<(), StoreError> {
        let due = i64::try_from(new.due_ms).unwrap_or(i64::MAX);
        if !new.parked {
            self.link
                .conn()
                .lower_timer_floor((due, id(object)?, name.to_owned()));
        }
        self.send(
            |s| &s.put_timer,
            params![id(object)?, name.to_owned(), due, new.parked, encode(new)?],
        );
        Ok(())
    }

    fn remove_timer(
        &mut self,
        object: ObjectId,
        name: &str,
        _old: &TimerRecord,
    ) -> Result<(), StoreError> {
        self.send(|s| &s.remove_timer, params![id(object)?, name.to_owned()]);
        Ok(())
    }

    fn remove_queue_row(
        &mut self,
        _due: u64,
        _object: ObjectId,
        _name: &str,
    ) -> Result<(), StoreError> {
        // The due queue is an index of the timers table: it has no rows of its own.
        Ok(())
    }

    fn put_account(&mut self, record: &AccountRecord) -> Result<(), StoreError> {
        self.send(
            |s| &s.put_account,
            params![record.name.to_lowercase(), encode_account(record)?],
        );
        Ok(())
    }

    fn remove_account(&mut self, name: &str) -> Result<(), StoreError> {
        self.send(|s| &s.remove_account, params![name.to_lowercase()]);
        Ok(())
    }

    fn commit(mut self: Box<Self>, durable: bool) -> Result<(), StoreError> {
        self.done = true;
        let started = timings::recording().then(Instant::now);
        self.link.send_simple("RELEASE SAVEPOINT turn");
        if let Err(e) = self.link.settle() {
            // Undo the turn alone; the group goes on without it.
            rollback_turn(&self.link);
            return Err(e);
        }
        if durable {
            commit_group(&self.link)?;
        }
        if let Some(started) = started {
            timings::record(durable, started.elapsed());
        }
        Ok(())
    }

    fn abort(mut self: Box<Self>) -> Result<(), StoreError> {
        self.done = true;
        rollback_turn(&self.link);
        self.link.settle()
    }
}

impl Drop for PgWrite {
    fn drop(&mut self) {
        if !self.done {
            // Dropped without a commit: the turn is rolled back (sent now, waited for later).
            self.link.send_simple("ROLLBACK TO SAVEPOINT turn");
            self.link.send_simple("RELEASE SAVEPOINT turn");
        }
    }
}

/// Rolls the running turn back to its savepoint. If even that fails, the group's transaction
/// cannot go on: it is marked so, and the next checkpoint rolls it back and reports it.
fn rollback_turn(link: &Link) {
    link.send_simple("ROLLBACK TO SAVEPOINT turn");
    link.send_simple("RELEASE SAVEPOINT turn");
    if let Err(e) = link.settle() {
        link.conn().poisoned.get_or_insert(e.to_string());
    }
}

/// Commits the group's transaction, if one is open: every turn since the last commit becomes
/// durable (PostgreSQL flushes its WAL before it answers).
///
/// # Errors
/// The commit's error; the group is lost then (no turn of it was acknowledged).
pub(crate) fn commit_group(link: &Link) -> Result<(), StoreError> {
    let (open, poisoned) = {
        let conn = link.conn();
        (conn.in_group, conn.poisoned.clone())
    };
    if !open {
        return link.settle();
    }
    if let Some(why) = poisoned {
        // COMMIT of a failed transaction would answer as a ROLLBACK does, silently.
        link.send_simple("ROLLBACK");
        let _ = link.settle();
        let mut conn = link.conn();
        conn.in_group = false;
        conn.poisoned = None;
        return Err(StoreError::backend(
            true,
            format!("the group's transaction failed and was rolled back: {why}"),
        ));
    }
    link.send_simple("COMMIT");
    let result = link.settle();
    let mut conn = link.conn();
    conn.in_group = false;
    if result.is_err() {
        // The whole group is gone, the timers it removed with it.
        conn.timer_floor = None;
    }
    result
}
