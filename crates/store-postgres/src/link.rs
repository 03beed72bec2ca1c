//! [`Link`]: one connection to the server, shared by the store, its reads and its write
//! transaction on the world thread; the statements of a turn are pipelined on it.
//!
//! A write is sent at once and not waited for: the turn waits once, when it commits, for all of
//! its statements (one round trip per turn, not per write). A read is sent after them, so it
//! sees them. An error of a pipelined statement surfaces at the commit (or at a later read,
//! as PostgreSQL's "current transaction is aborted").

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};
use wasmud_store::StoreError;

use crate::block::{block_on, poll_once};
use crate::error::pg;
use crate::statements::Statements;

/// A statement's parameter, owned (it outlives the call that sent it).
pub(crate) type Param = Box<dyn ToSql + Sync + Send>;

/// A request sent and not yet waited for.
type Pending = Pin<Box<dyn Future<Output = Result<(), tokio_postgres::Error>> + Send>>;

/// Writes sent before the link waits for them anyway (a turn that writes a great deal).
const MAX_PENDING: usize = 4096;

/// The connection's state.
pub(crate) struct Conn {
    client: Arc<Client>,
    statements: Arc<Statements>,
    pending: Vec<Pending>,
    /// A group transaction is open (`BEGIN` sent, `COMMIT` not yet).
    pub(crate) in_group: bool,
    /// The group transaction failed in a way no savepoint undoes: it can only be rolled back.
    pub(crate) poisoned: Option<String>,
    /// How long to wait for the server.
    timeout: Duration,
    /// An error of a write waited for early (see [`MAX_PENDING`]), for the next settle.
    failed: Option<StoreError>,
    /// The server did not answer in time: the connection's state is unknown, and every use
    /// fails until the store reconnects.
    broken: bool,
    /// No due timer sorts below this key (due, object, name), so the next one is looked for
    /// from here on (see [`Conn::lower_timer_floor`]); `None`: from the start.
    pub(crate) timer_floor: Option<TimerKey>,
}

/// A timer's place in the due queue: (due ms, object, name).
pub(crate) type TimerKey = (i64, i64, String);

/// A shared handle on the connection (cheap to clone).
#[derive(Clone)]
pub(crate) struct Link(Arc<Mutex<Conn>>);

impl Link {
    /// A link over `client`, whose statements are prepared.
    pub(crate) fn new(client: Client, statements: Statements, timeout: Duration) -> Self {
        Link(Arc::new(Mutex::new(Conn {
            client: Arc::new(client),
            statements: Arc::new(statements),
            pending: Vec::new(),
            in_group: false,
            poisoned: None,
            timeout,
            failed: None,
            broken: false,
            timer_floor: None,
        })))
    }

    /// The connection's state.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Conn> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs a read (after every write sent) and returns its rows.
    pub(crate) fn rows(
        &self,
        pick: impl Fn(&Statements) -> &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let conn = self.conn();
        conn.usable()?;
        let (client, statements) = (conn.client.clone(), conn.statements.clone());
        let timeout = conn.timeout;
        drop(conn);
        let (rows, timed_out) = wait(client.query(pick(&statements), params), timeout);
        self.conn().broken |= timed_out;
        rows
    }

    /// Runs a read expected to return at most one row.
    pub(crate) fn row(
        &self,
        pick: impl Fn(&Statements) -> &Statement,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        Ok(self.rows(pick, params)?.into_iter().next())
    }

    /// Sends a write without waiting for it.
    pub(crate) fn send(&self, pick: fn(&Statements) -> &Statement, params: Vec<Param>) {
        let mut conn = self.conn();
        let (client, statements) = (conn.client.clone(), conn.statements.clone());
        conn.push(Box::pin(async move {
            let refs: Vec<&(dyn ToSql + Sync)> =
                params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
            client.execute(pick(&statements), &refs).await.map(drop)
        }));
    }

    /// Sends a statement of the simple protocol (`BEGIN`, `SAVEPOINT` ...) without waiting.
    pub(crate) fn send_simple(&self, sql: &'static str) {
        let mut conn = self.conn();
        if sql.starts_with("ROLLBACK") {
            // Timers removed since may come back: the floor no longer holds.
            conn.timer_floor = None;
        }
        let client = conn.client.clone();
        conn.push(Box::pin(async move { client.batch_execute(sql).await }));
    }

    /// Waits for every write sent; the first error, if any (all are waited for).
    pub(crate) fn settle(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        conn.settle()
    }

    /// Ends the session's business before the connection goes: rolls back a group never
    /// committed and releases the session's advisory locks, waiting at most `within`.
    ///
    /// Why wait: PostgreSQL frees a closed session's locks when its backend process notices
    /// the client left, a moment later; a server (or a test) that opens the world right after
    /// this one closes it would find it still held.
    pub(crate) fn close(&self, within: Duration) {
        let mut conn = self.conn();
        if conn.broken {
            return;
        }
        // Their answers no longer matter; the server runs them before what is sent next.
        conn.pending.clear();
        conn.failed = None;
        let (client, in_group) = (conn.client.clone(), conn.in_group);
        drop(conn);
        let _ = wait(
            async move {
                if in_group {
                    client.batch_execute("ROLLBACK").await?;
                }
                client
                    .batch_execute("SELECT pg_advisory_unlock_all()")
                    .await
            },
            within,
        );
    }
}

impl Conn {
    /// A timer was written due at `key`: the next due timer may now sort there.
    ///
    /// Why a floor: firing timers deletes their rows, and within the group's transaction those
    /// rows' index entries stay (no other transaction may see them gone yet), so asking "the
    /// first due timer" from the start skips every timer fired so far in the group: 100,000
    /// timers due at once cost O(n²) index entries. The floor keeps each look at the live end:
    /// the last timer found was the first then, and only a timer written since can sort lower.
    pub(crate) fn lower_timer_floor(&mut self, key: TimerKey) {
        if let Some(floor) = &self.timer_floor
            && key < *floor
        {
            self.timer_floor = Some(key);
        }
    }

    fn push(&mut self, mut request: Pending) {
        // The first poll sends the request (tokio-postgres sends before its first await).
        match poll_once(&mut request) {
            Some(Ok(())) => {}
            Some(Err(e)) => self.pending.push(Box::pin(std::future::ready(Err(e)))),
            None => self.pending.push(request),
        }
        if self.pending.len() >= MAX_PENDING
            && let Err(e) = self.settle()
        {
            // Bounded: the error is kept for the commit to report.
            self.failed.get_or_insert(e);
        }
    }

    /// One deadline for all of them: a server that stops answering costs the turn one
    /// timeout, not one per statement in flight (the rest are dropped once it passed).
    fn settle(&mut self) -> Result<(), StoreError> {
        let mut first = self.failed.take();
        let deadline = std::time::Instant::now() + self.timeout;
        for request in std::mem::take(&mut self.pending) {
            if self.broken {
                break;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            // Polled once before the deadline is looked at: answers already in count.
            let (mut result, timed_out) = wait(request, left);
            if timed_out {
                self.broken = true;
                result = Err(no_answer(self.timeout));
            }
            if let Err(e) = result
                && first.is_none()
            {
                first = Some(e);
            }
        }
        match first {
            Some(e) => Err(e),
            None => self.usable(),
        }
    }

    /// Fails once the connection is broken.
    fn usable(&self) -> Result<(), StoreError> {
        if self.broken {
            return Err(StoreError::backend(
                true,
                "the connection to PostgreSQL stopped answering; reconnecting",
            ));
        }
        Ok(())
    }
}

/// Waits for a request, within `timeout`; true if it timed out.
pub(crate) fn wait<T>(
    request: impl Future<Output = Result<T, tokio_postgres::Error>>,
    timeout: Duration,
) -> (Result<T, StoreError>, bool) {
    match block_on(request, timeout) {
        Ok(result) => (result.map_err(pg), false),
        Err(timed_out) => (Err(no_answer(timed_out.0)), true),
    }
}

/// The server did not answer within `limit`.
fn no_answer(limit: Duration) -> StoreError {
    StoreError::backend(
        true,
        format!("PostgreSQL did not answer within {} ms", limit.as_millis()),
    )
}
