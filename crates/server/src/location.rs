//! [`StoreLocation`]: which store a world lives in, as the configuration names it (a redb
//! file, the embedded default, or a PostgreSQL database), and opening it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use wasmud_store_postgres::PgStore;
use wasmud_world::store::{Backend, RedbStore, StoreError};

/// How long a PostgreSQL world waits for its server before it counts the connection as lost.
pub const POSTGRES_TIMEOUT: Duration = wasmud_store_postgres::DEFAULT_TIMEOUT;

/// Where a world is stored: a redb file, or a PostgreSQL database.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A redb file.
    Redb(PathBuf),
    /// A PostgreSQL database: a `postgres://` URL or a `host=... dbname=...` string after
    /// `postgres:`.
    Postgres(String),
}

impl StoreLocation {
    /// Reads a location as the configuration writes it: `postgres://...` or
    /// `postgresql://...` (a URL), `postgres:host=... dbname=...` (key-value pairs), or else
    /// the path of a redb file (relative to `base`).
    pub fn parse(text: &str, base: &Path) -> StoreLocation {
        let text = text.trim();
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            StoreLocation::Postgres(text.to_owned())
        } else if let Some(pairs) = text.strip_prefix("postgres:") {
            StoreLocation::Postgres(pairs.trim().to_owned())
        } else {
            StoreLocation::Redb(base.join(text))
        }
    }

    /// Opens (or creates) the store.
    ///
    /// # Errors
    /// The backend's error: a corrupt or newer store, one in use by another server, a server
    /// that cannot be reached.
    pub fn open(&self, cache_bytes: usize) -> Result<Box<dyn Backend>, StoreError> {
        Ok(match self {
            StoreLocation::Redb(path) => Box::new(RedbStore::open(path, cache_bytes)?),
            StoreLocation::Postgres(url) => Box::new(PgStore::open(url, POSTGRES_TIMEOUT)?),
        })
    }

    /// Opens an existing store for `wasmud check` (a redb file is never created).
    ///
    /// # Errors
    /// As [`StoreLocation::open`]; a redb file that does not exist.
    pub fn open_existing(&self) -> Result<Box<dyn Backend>, StoreError> {
        Ok(match self {
            StoreLocation::Redb(path) => Box::new(RedbStore::open_for_check(path)?),
            StoreLocation::Postgres(url) => Box::new(PgStore::open(url, POSTGRES_TIMEOUT)?),
        })
    }
}

/// Shows the location without a password.
impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Redb(path) => write!(f, "{}", path.display()),
            StoreLocation::Postgres(url) => f.write_str(&redact(url)),
        }
    }
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// A connection string with its password replaced by `***`.
pub fn redact(url: &str) -> String {
    if let Some(rest) = url.split_once("://").map(|(_, r)| r)
        && let Some((auth, _)) = rest.split_once('@')
        && let Some((_, password)) = auth.split_once(':')
        && !password.is_empty()
    {
        return url.replacen(&format!(":{password}@"), ":***@", 1);
    }
    url.split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some(("password", _)) => "password=***".to_owned(),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_passwords_never_show() {
        let base = Path::new("/data");
        assert_eq!(
            StoreLocation::parse("world.redb", base),
            StoreLocation::Redb("/data/world.redb".into())
        );
        let url = StoreLocation::parse("postgres://mud:s3cret@db/world", base);
        assert_eq!(url.to_string(), "postgres://mud:***@db/world");
        let pairs = StoreLocation::parse("postgres: host=/run/pg dbname=w password=x", base);
        assert_eq!(
            pairs,
            StoreLocation::Postgres("host=/run/pg dbname=w password=x".into())
        );
        assert_eq!(pairs.to_string(), "host=/run/pg dbname=w password=***");
    }
}
