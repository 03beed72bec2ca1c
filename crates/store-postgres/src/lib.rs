//! wasmud's PostgreSQL store: the world in a database the operator already runs, backs up and
//! replicates. It implements the store contract of `wasmud-store` with the semantics of the
//! embedded redb store: a turn is atomic, group commit acknowledges only what is durable, ids
//! are never reused.
//!
//! # How a world maps onto PostgreSQL
//! - One connection, owned by the world thread, driven by a one-thread runtime of the store's
//!   own; the world thread waits for answers (within a deadline), never for a socket of a
//!   player.
//! - One transaction per group commit; each turn is a savepoint in it (see `write`). A turn's
//!   writes are pipelined: one round trip per turn.
//! - Ids come in blocks from a sequence (`wasmud.object_ids`).
//! - The schema is versioned (`schema`); a database migrated by a newer wasmud is refused.
//! - An advisory lock keeps a second server off the same world.
//! - A lost connection is a failure of the storage: the world refuses changes, serves reads
//!   from its cache, and reconnects with [`Backend::reopen`]; nothing acknowledged is lost,
//!   since acknowledgements wait for the group's commit.

mod block;
mod check;
mod connect;
mod error;
mod link;
mod schema;
mod statements;
mod view;
mod write;

pub use schema::SCHEMA_VERSION;
pub use write::PgWrite;

use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::Duration;

use tokio_postgres::{Client, Config};
use wasmud_common::{ObjectId, Value};
use wasmud_store::{
    AccountRecord, Backend, BackupReport, CheckReport, LoadedObject, ObjectRecord, Snapshot,
    StoreError, StoreView, TimerRecord, TimerRow, Visit, WriteTxn,
};

use connect::Connector;
use link::Link;
use statements::Statements;
use view::forward_views;

/// How long the world waits for the server before it counts the connection as lost.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a reconnect waits for a new session before the world goes on without one (the
/// session keeps being made on a thread of its own; the next try picks it up).
const RECONNECT_WAIT: Duration = Duration::from_millis(250);

/// The advisory lock a running world holds on its database ("wasmud" in ASCII).
const WORLD_LOCK: i64 = 0x7761_736d_7564;

/// The runtime that drives the connections' I/O (one thread), shut down without blocking
/// when the last user goes (a store may be dropped inside another runtime, as in tests).
pub(crate) struct Io(Option<tokio::runtime::Runtime>);

impl Io {
    pub(crate) fn spawn<F>(&self, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.0
            .as_ref()
            .expect("running until dropped")
            .spawn(future)
    }
}

impl Drop for Io {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// A world stored in PostgreSQL.
pub struct PgStore {
    connector: Connector,
    /// `None` while disconnected (a reconnect failed or is under way).
    link: Option<Link>,
    /// A session being made on a thread of its own (see [`Backend::reopen`]).
    reconnecting: Option<mpsc::Receiver<Result<(Client, Statements), StoreError>>>,
}

impl PgStore {
    /// Connects to the database named by `url` (`postgres://user@host/db` or `host=... dbname=...`),
    /// creates or migrates the world's schema, and takes the world's lock.
    ///
    /// # Errors
    /// [`StoreError::AlreadyOpen`] if another server holds the world (after 5 s of trying: a
    /// server killed a moment ago holds it until its session ends), [`StoreError::NewerSchema`]
    /// if a newer wasmud migrated it, [`StoreError::Backend`] if it cannot connect.
    pub fn open(url: &str, timeout: Duration) -> Result<Self, StoreError> {
        let config: Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| StoreError::backend(false, e))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("wasmud-postgres")
            .enable_all()
            .build()?;
        let connector = Connector {
            config,
            runtime: Arc::new(Io(Some(runtime))),
            timeout,
        };
        let (client, statements) = connector.session()?;
        Ok(PgStore {
            connector,
            link: Some(Link::new(client, statements, timeout)),
            reconnecting: None,
        })
    }

    fn link(&self) -> Result<&Link, StoreError> {
        self.link
            .as_ref()
            .ok_or_else(|| StoreError::backend(true, "not connected to PostgreSQL (reconnecting)"))
    }
}

impl PgStore {
    /// Ends the world's session, if any (see [`Link::close`]), waiting at most 2 s.
    fn close_link(&mut self) {
        if let Some(link) = self.link.take() {
            link.close(self.connector.timeout.min(Duration::from_secs(2)));
        }
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.close_link();
    }
}

/// Waits for a request on a client that is not a [`Link`]'s.
fn wait<T>(
    request: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    timeout: Duration,
) -> Result<T, StoreError> {
    link::wait(request, timeout).0
}

/// A read-only snapshot on a connection of its own (`REPEATABLE READ`), for other threads.
pub struct PgSnapshot {
    link: Link,
    /// Keeps the connection's runtime alive as long as the snapshot.
    _runtime: Arc<Io>,
}

forward_views!(PgSnapshot);

impl Snapshot for PgSnapshot {
    fn backup_to(&self, dest: &Path) -> Result<BackupReport, StoreError> {
        wasmud_store_redb::backup_view(self, dest)
    }
}

/// Reads between turns, on the world's connection.
struct PgRead {
    link: Link,
}

forward_views!(PgRead);

impl Backend for PgStore {
    fn describe(&self) -> String {
        let hosts: Vec<String> = self
            .connector
            .config
            .get_hosts()
            .iter()
            .map(|h| match h {
                tokio_postgres::config::Host::Tcp(name) => name.clone(),
                tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
            })
            .collect();
        format!(
            "postgres host={} dbname={} user={}",
            hosts.join(","),
            self.connector.config.get_dbname().unwrap_or("?"),
            self.connector.config.get_user().unwrap_or("?")
        )
    }

    fn read(&self) -> Result<Box<dyn StoreView + Send>, StoreError> {
        Ok(Box::new(PgRead {
            link: self.link()?.clone(),
        }))
    }

    fn snapshot(&mut self) -> Result<Box<dyn Snapshot>, StoreError> {
        // Another connection sees only what is committed: commit the group first.
        self.checkpoint()?;
        let client = self.connector.connect()?;
        wait(
            client.batch_execute(
                "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET search_path = wasmud",
            ),
            self.connector.timeout,
        )?;
        let statements = wait(Statements::prepare(&client), self.connector.timeout)?;
        Ok(Box::new(PgSnapshot {
            link: Link::new(client, statements, self.connector.timeout),
            _runtime: self.connector.runtime.clone(),
        }))
    }

    fn write(&mut self) -> Result<Box<dyn WriteTxn>, StoreError> {
        Ok(Box::new(PgWrite::begin(self.link()?.clone())?))
    }

    fn checkpoint(&mut self) -> Result<(), StoreError> {
        write::commit_group(self.link()?)
    }

    fn reopen(&mut self) -> Result<(), StoreError> {
        self.close_link();
        // Making a session can take the whole deadline when the server does not answer (a
        // network partition, a stopped server): it runs on a thread of its own, and the world
        // thread waits only briefly for it, so reads from the cache go on meanwhile.
        let pending = self.reconnecting.get_or_insert_with(|| {
            let (done, pending) = mpsc::sync_channel(1);
            let connector = self.connector.clone();
            let spawned = std::thread::Builder::new()
                .name("wasmud-pg-connect".into())
                .spawn(move || {
                    let _ = done.send(connector.session());
                });
            if let Err(e) = spawned {
                tracing::warn!("cannot start a thread to reconnect to PostgreSQL: {e}");
            }
            pending
        });
        match pending.recv_timeout(RECONNECT_WAIT) {
            Ok(session) => {
                self.reconnecting = None;
                let (client, statements) = session?;
                self.link = Some(Link::new(client, statements, self.connector.timeout));
                Ok(())
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                Err(StoreError::backend(true, "still connecting to PostgreSQL"))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                self.reconnecting = None;
                Err(StoreError::backend(
                    true,
                    "reconnecting to PostgreSQL failed",
                ))
            }
        }
    }

    fn rewrite(&mut self) -> Result<(), StoreError> {
        // The server keeps its own files whole (its WAL); nothing to rewrite here.
        Ok(())
    }

    fn is_open(&self) -> bool {
        self.link.is_some()
    }

    fn check(&mut self, repair: bool) -> Result<CheckReport, StoreError> {
        self.checkpoint()?;
        check::check(self.link()?, repair)
    }
}
