//! Shared helpers for the integration tests: one compiled set of the example typeclasses per
//! test process, and worlds in temporary directories that can be closed and reopened.

use std::path::PathBuf;
use std::sync::OnceLock;

use tempfile::TempDir;
use wasmud::store::{Backend, PgStore, RedbStore};
use wasmud::{AttrKind, Limit, ObjectId, Runtime, Scripts, Value, World, WorldError, WorldOptions};

/// The engine and the typeclasses built from `scripts/` and `tests/typeclasses/` (plus the
/// `adversary` fixture), compiled once per process.
pub fn runtime() -> &'static (Runtime, Scripts) {
    static RUNTIME: OnceLock<(Runtime, Scripts)> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let mut runtime = Runtime::new().expect("engine");
        // The artifact cache cargo points every test at (`.cargo/config.toml`): the Python
        // typeclass takes seconds to compile, once per machine instead of once per process.
        if let Some(dir) = std::env::var_os("WASMUD_ARTIFACTS") {
            runtime = runtime.with_artifact_cache(wasmud::runtime::ArtifactCache::new(dir));
        }
        let mut scripts = runtime
            .load_dir(std::path::Path::new(wasmud::scripts::TEST_DIR))
            .expect("compile scripts/");
        // The hostile test typeclass is a fixture: not part of the default world.
        let adversary = std::path::Path::new(wasmud::scripts::fixtures::ADVERSARY);
        scripts.insert(runtime.load_file(adversary).expect("compile the adversary"));
        (runtime, scripts)
    })
}

/// Where a test world's store lives: the suites in `all/` run on [`Redb`] and the world's
/// behavioural ones again on [`Postgres`] (`postgres/main.rs`), with the same bodies.
pub trait Place: Sized {
    /// A new, empty store.
    fn fresh() -> Self;
    /// Opens the store (again, after a close: a server restart).
    fn open(&self, options: &WorldOptions) -> Box<dyn Backend>;
}

/// A redb file in a temporary directory (the embedded default).
pub struct Redb(TempDir);

impl Redb {
    /// The store file.
    pub fn path(&self) -> PathBuf {
        self.0.path().join("world.redb")
    }
}

impl Place for Redb {
    fn fresh() -> Self {
        Redb(tempfile::tempdir().expect("tempdir"))
    }

    fn open(&self, options: &WorldOptions) -> Box<dyn Backend> {
        Box::new(RedbStore::open(&self.path(), options.store_cache_bytes).expect("open redb"))
    }
}

/// A new database in this test process's PostgreSQL cluster (one cluster per process,
/// [`wasmud_pg_cluster::Cluster::shared`]).
pub struct Postgres {
    url: String,
}

impl Postgres {
    /// Its connection string.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Place for Postgres {
    fn fresh() -> Self {
        let cluster = wasmud_pg_cluster::Cluster::shared().expect("a PostgreSQL cluster");
        let url = cluster.database().expect("a new database");
        Postgres { url }
    }

    fn open(&self, _: &WorldOptions) -> Box<dyn Backend> {
        Box::new(PgStore::open(&self.url, wasmud::store::POSTGRES_TIMEOUT).expect("open postgres"))
    }
}

/// A world on a store of its own, which it can close and open again.
pub struct TestWorldOn<P: Place> {
    place: P,
    options: WorldOptions,
    world: Option<World>,
}

/// A test world on redb, the embedded default.
pub type TestWorld = TestWorldOn<Redb>;

impl<P: Place> TestWorldOn<P> {
    /// A new, empty world.
    pub fn new() -> Self {
        Self::with_options(WorldOptions::default())
    }

    /// A new, empty world with these options.
    pub fn with_options(options: WorldOptions) -> Self {
        let mut t = TestWorldOn {
            place: P::fresh(),
            options,
            world: None,
        };
        t.open();
        t
    }

    /// Where its store is.
    pub fn place(&self) -> &P {
        &self.place
    }

    fn open(&mut self) {
        self.open_with(&runtime().1);
    }

    fn open_with(&mut self, scripts: &Scripts) {
        let store = self.place.open(&self.options);
        self.world = Some(World::on_store(store, &runtime().0, scripts, &self.options));
    }

    /// Closes the world (final checkpoint) and opens the same store again: a server restart.
    pub fn restart(&mut self) {
        self.world.take().expect("open").close().expect("close");
        self.open();
    }

    /// Closes the world (if it is open), runs `downtime` (e.g. moves an injected clock), and
    /// opens the same store again.
    pub fn restart_after(&mut self, downtime: impl FnOnce()) {
        if let Some(world) = self.world.take() {
            world.close().expect("close");
        }
        downtime();
        self.open();
    }

    /// Takes the open world out (for tests that move it to another thread), with the place
    /// that holds its store.
    pub fn into_world(mut self) -> (World, P) {
        let world = self.world.take().expect("open");
        (world, self.place)
    }

    /// Closes the world and opens the same store with only `scripts` installed.
    pub fn reopen_with(&mut self, scripts: &Scripts) {
        self.world.take().expect("open").close().expect("close");
        self.open_with(scripts);
    }

    /// Closes the world, leaving the store for inspection.
    pub fn close(&mut self) {
        if let Some(w) = self.world.take() {
            w.close().expect("close");
        }
    }

    /// The world.
    pub fn w(&mut self) -> &mut World {
        self.world.as_mut().expect("open")
    }

    /// Reads a `db` attribute.
    pub fn db(&mut self, id: ObjectId, name: &str) -> Option<Value> {
        self.w().attr(id, AttrKind::Db, name).expect("db get")
    }

    /// Reads an `ndb` attribute.
    pub fn ndb(&mut self, id: ObjectId, name: &str) -> Option<Value> {
        self.w().attr(id, AttrKind::Ndb, name).expect("ndb get")
    }

    /// Runs a command on `target` typed by `target` itself; panics if it is not handled.
    pub fn cmd(&mut self, target: ObjectId, input: &str) {
        let handled = self.w().command(target, target, input).expect(input);
        assert!(handled, "{input:?} was not handled");
    }
}

impl TestWorldOn<Redb> {
    /// The store file.
    pub fn path(&self) -> PathBuf {
        self.place.path()
    }
}

impl<P: Place> Default for TestWorldOn<P> {
    fn default() -> Self {
        Self::new()
    }
}

/// Shorthand for a text value.
pub fn text(s: &str) -> Option<Value> {
    Some(Value::Text(s.into()))
}

/// Asserts that `result` is the failure of a turn at `limit` and returns its detail and the
/// typeclass charged.
#[track_caller]
pub fn expect_limit<T: std::fmt::Debug>(
    result: Result<T, WorldError>,
    limit: Limit,
) -> (String, Option<String>) {
    match result {
        Err(WorldError::Limit(hit)) if hit.limit == limit => (hit.detail, hit.charged),
        other => panic!("expected the {} limit, got {other:?}", limit.name()),
    }
}

/// How often `limit` was hit in `world`.
pub fn hits(world: &mut World, limit: Limit) -> u64 {
    world
        .stats()
        .limits
        .iter()
        .find(|l| l.limit == limit)
        .map_or(0, |l| l.hits)
}

/// Compiles the example typeclass or test fixture called `name`.
pub fn load_script(runtime: &Runtime, name: &str) -> wasmud::runtime::Script {
    let path = if name == "adversary" {
        std::path::PathBuf::from(wasmud::scripts::fixtures::ADVERSARY)
    } else {
        std::path::Path::new(wasmud::scripts::TEST_DIR).join(format!("{name}.wasm"))
    };
    runtime.load_file(&path).expect("compile the script")
}
