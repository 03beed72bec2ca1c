//! [`Connector`]: what it takes to open the world's session on the server (connect, take
//! the world's lock, create or migrate the schema, prepare the statements), cloneable so a
//! reconnect can run on a thread of its own while the world thread goes on serving reads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_postgres::{Client, Config, NoTls};
use wasmud_store::StoreError;

use crate::block::block_on;
use crate::error::pg;
use crate::statements::Statements;
use crate::{Io, SCHEMA_VERSION, WORLD_LOCK, schema, wait};

/// How long opening a world waits for its lock before it counts another server as holding it.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// The server's address and the deadline of every step.
#[derive(Clone)]
pub(crate) struct Connector {
    pub(crate) config: Config,
    /// Runs the connections' I/O.
    pub(crate) runtime: Arc<Io>,
    pub(crate) timeout: Duration,
}

impl Connector {
    /// A new session holding the world: connected, locked, migrated, statements prepared.
    pub(crate) fn session(&self) -> Result<(Client, Statements), StoreError> {
        let client = self.connect()?;
        let statements = self.prepare(&client)?;
        Ok((client, statements))
    }

    pub(crate) fn connect(&self) -> Result<Client, StoreError> {
        let mut config = self.config.clone();
        config.connect_timeout(self.timeout);
        config.application_name("wasmud");
        let connecting = self.runtime.spawn(async move {
            let (client, connection) = config.connect(NoTls).await?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!("the connection to PostgreSQL ended: {e}");
                }
            });
            Ok::<_, tokio_postgres::Error>(client)
        });
        match block_on(connecting, self.timeout + Duration::from_secs(1)) {
            Ok(Ok(connected)) => connected.map_err(pg),
            Ok(Err(join)) => Err(StoreError::backend(true, join)),
            Err(_) => Err(StoreError::backend(
                true,
                "connecting to PostgreSQL timed out",
            )),
        }
    }

    /// Takes the world's advisory lock, trying for [`LOCK_WAIT`]: a server killed a moment ago
    /// holds it until PostgreSQL has ended its session, which a restart right after the kill
    /// must not take for a second server.
    fn lock_world(&self, client: &Client) -> Result<(), StoreError> {
        let give_up = Instant::now() + LOCK_WAIT;
        loop {
            let locked = wait(
                client.query_one("SELECT pg_try_advisory_lock($1)", &[&WORLD_LOCK]),
                self.timeout,
            )?;
            if locked.get::<_, bool>(0) {
                return Ok(());
            }
            if Instant::now() >= give_up {
                return Err(StoreError::AlreadyOpen);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs `sql` (simple protocol) on `client` and waits.
    fn run(&self, client: &Client, sql: &str) -> Result<(), StoreError> {
        wait(client.batch_execute(sql), self.timeout)
    }

    /// Takes the world's lock, then creates or migrates the schema.
    fn prepare(&self, client: &Client) -> Result<Statements, StoreError> {
        self.lock_world(client)?;
        self.run(client, schema::PREPARE)?;
        self.run(client, "BEGIN; LOCK TABLE wasmud.schema_version")?;
        let migrated = (|| {
            let row = wait(
                client.query_one(
                    "SELECT coalesce(max(version), 0) FROM wasmud.schema_version",
                    &[],
                ),
                self.timeout,
            )?;
            let found: i32 = row.get(0);
            if found > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    found: u64::try_from(found).unwrap_or(0),
                    supported: u8::try_from(SCHEMA_VERSION).unwrap_or(u8::MAX),
                });
            }
            for (version, sql) in schema::MIGRATIONS.iter().filter(|(v, _)| *v > found) {
                self.run(client, sql)?;
                wait(
                    client.execute(
                        "INSERT INTO wasmud.schema_version (version) VALUES ($1)",
                        &[version],
                    ),
                    self.timeout,
                )?;
                tracing::info!(version, "PostgreSQL schema migrated");
            }
            Ok(())
        })();
        match migrated {
            Ok(()) => self.run(client, "COMMIT")?,
            Err(e) => {
                let _ = self.run(client, "ROLLBACK");
                return Err(e);
            }
        }
        wait(Statements::prepare(client), self.timeout)
    }
}
