//! Test wasmud typeclasses the way Evennia's `EvenniaTest` tests typeclasses: a throwaway
//! world with the real runtime and a real store in a temporary directory, a manual clock, and
//! the text each object received. Add it as a dev-dependency of the crate holding your tests:
//!
//! ```no_run
//! use std::time::Duration;
//! use wasmud_testkit::{Role, TestWorld};
//!
//! let mut world = TestWorld::builder()
//!     .demo_game()
//!     .component("target/wasm32-wasip2/release/lamp.wasm")
//!     .grant("lamp", &["msg"])
//!     .open()?;
//! let alice = world.player("alice", Role::Builder)?;
//! world.type_handled(alice, "create lamp : lamp")?;
//! world.type_handled(alice, "drop lamp")?;
//! world.type_handled(alice, "touch lamp")?;
//! assert_eq!(world.received(alice).last().unwrap(), "You touch lamp (1 so far).");
//! world.advance(Duration::from_secs(20)); // timers that come due fire
//! # Ok::<(), wasmud_testkit::KitError>(())
//! ```
//!
//! Transcripts (`*.transcript`, see [`transcript`]) run with `wasmud test <files>`, or with
//! [`Transcript::run`](transcript::Transcript::run) from a test; [`protocol`] serves the kit as
//! JSON lines to other languages (`wasmud kit`).

pub mod protocol;
pub mod transcript;

pub use wasmud_world::AttrKind;
pub use wasmud_world::roles::Role;
pub use wasmud_world::runtime::Hook;
pub use wasmud_world::value::{ObjectId, Value};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use wasmud_net::net::markup::{self, ColorLevel};
use wasmud_world::grants::GrantTable;
use wasmud_world::runtime::{ArtifactCache, Runtime};
use wasmud_world::world::{ManualClock, World, WorldError, WorldOptions};

/// Why a test world could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum KitError {
    /// The world refused (a hook failed, a limit was hit, an object is missing...).
    #[error(transparent)]
    World(#[from] WorldError),
    /// A grants file or grant name is wrong.
    #[error("{0}")]
    Grants(String),
    /// The temporary directory could not be made.
    #[error("make a temporary world: {0}")]
    Io(#[from] std::io::Error),
    /// A player line nobody handled (the player would read "Huh?").
    #[error("nothing handled {0:?}")]
    NotHandled(String),
}

/// Where the clock of a test world starts: 2026-01-01 00:00 UTC, so timers' due times read
/// the same in every run.
pub const START_MS: u64 = 1_767_225_600_000;

/// How a [`TestWorld`] is made: its typeclasses, their grants, and whether the demo world is
/// seeded.
#[derive(Default)]
pub struct Builder {
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
    grant_files: Vec<PathBuf>,
    grants: BTreeMap<String, Vec<String>>,
    seed: bool,
}

impl Builder {
    /// The demo game's typeclasses (as this build made them) and its grants, and the demo
    /// world seeded with them: Limbo, where players start, the tavern, the garden, the cats.
    pub fn demo_game(mut self) -> Self {
        let dir = PathBuf::from(wasmud_components::DIR);
        self.grant_files
            .push(dir.join(wasmud_world::reload::GRANTS_FILE));
        self.dirs.push(dir);
        self.seed = true;
        self
    }

    /// Every `<name>.wasm` in `dir` (and its `grants.toml`, if it has one).
    pub fn typeclasses_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        self.grant_files
            .push(dir.join(wasmud_world::reload::GRANTS_FILE));
        self.dirs.push(dir);
        self
    }

    /// One component; its file name is its typeclass name. Loaded after the directories, so
    /// it replaces a typeclass of the same name.
    pub fn component(mut self, path: impl Into<PathBuf>) -> Self {
        self.files.push(path.into());
        self
    }

    /// Gives `typeclass` these grants (names as in `grants.toml`), over what the files say.
    pub fn grant(mut self, typeclass: &str, grants: &[&str]) -> Self {
        let names = grants.iter().map(|g| (*g).to_owned()).collect();
        self.grants.insert(typeclass.to_owned(), names);
        self
    }

    /// Seeds the demo world's rooms even without [`Builder::demo_game`] (its typeclasses
    /// must then be loaded some other way).
    pub fn seed_demo_world(mut self) -> Self {
        self.seed = true;
        self
    }

    /// Opens the world: compiles the components (cached by content under `WASMUD_ARTIFACTS`
    /// when set), puts the grants in force and seeds it if asked.
    ///
    /// # Errors
    /// A component that does not load, a bad grants file, or a store that cannot be made.
    pub fn open(self) -> Result<TestWorld, KitError> {
        let dir = tempfile::tempdir()?;
        let mut runtime = Runtime::new()?;
        if let Some(cache) = std::env::var_os("WASMUD_ARTIFACTS") {
            runtime = runtime.with_artifact_cache(ArtifactCache::new(cache));
        }
        let mut scripts = wasmud_world::runtime::Scripts::default();
        for typeclasses in &self.dirs {
            scripts.extend(runtime.load_dir(typeclasses)?);
        }
        for file in &self.files {
            scripts.insert(runtime.load_file(file)?);
        }
        let table = self.grant_table()?;
        let clock = ManualClock::new(START_MS);
        let options = WorldOptions {
            clock: Arc::new(clock.clone()),
            ..WorldOptions::default()
        };
        let mut world = World::open(&dir.path().join("world.redb"), &runtime, &scripts, &options)?;
        world.set_grants(table);
        let start = if self.seed {
            wasmud_world::seed::seed_if_empty(&mut world)?.map(|seeded| seeded.limbo)
        } else {
            None
        };
        world.take_deliveries();
        Ok(TestWorld {
            world,
            clock,
            start,
            inbox: BTreeMap::new(),
            _dir: dir,
        })
    }

    /// The grants files' lines, then [`Builder::grant`]'s.
    fn grant_table(&self) -> Result<GrantTable, KitError> {
        let mut text = String::new();
        for file in &self.grant_files {
            match std::fs::read_to_string(file) {
                Ok(lines) => {
                    // Checked on its own first, so an error names its file.
                    GrantTable::parse(&lines, &file.display().to_string())
                        .map_err(|e| KitError::Grants(e.to_string()))?;
                    for line in lines.lines() {
                        let typeclass = line.split('=').next().unwrap_or_default().trim();
                        if !self.grants.contains_key(typeclass) {
                            text.push_str(line);
                            text.push('\n');
                        }
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        for (typeclass, names) in &self.grants {
            let names: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
            text.push_str(&format!("{typeclass} = [{}]\n", names.join(", ")));
        }
        GrantTable::parse(&text, "the test world's grants")
            .map_err(|e| KitError::Grants(e.to_string()))
    }
}

/// A world in a temporary directory, deleted when dropped.
pub struct TestWorld {
    world: World,
    clock: ManualClock,
    start: Option<ObjectId>,
    inbox: BTreeMap<ObjectId, Vec<String>>,
    _dir: tempfile::TempDir,
}

impl TestWorld {
    /// How the world is made.
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// The demo world with the demo game ([`Builder::demo_game`]).
    ///
    /// # Errors
    /// As [`Builder::open`].
    pub fn demo() -> Result<TestWorld, KitError> {
        Builder::default().demo_game().open()
    }

    /// The room new players start in (Limbo in the demo world), if there is one.
    pub fn start_room(&self) -> Option<ObjectId> {
        self.start
    }

    /// Creates an object (its `at-object-creation` runs) and returns its id.
    ///
    /// # Errors
    /// A missing typeclass or location, or a hook that fails.
    pub fn create(
        &mut self,
        key: &str,
        typeclass: &str,
        location: Option<ObjectId>,
    ) -> Result<ObjectId, KitError> {
        let id = self.world.create(key, typeclass, location)?;
        self.collect();
        Ok(id)
    }

    /// A player with an account called `name` holding `role`, and their character, arrived
    /// in the start room (its `at-post-puppet` ran). Returns the character.
    ///
    /// # Errors
    /// A name already taken, or a hook that fails.
    pub fn player(&mut self, name: &str, role: Role) -> Result<ObjectId, KitError> {
        let account = self.world.create_account(name, "!test", self.start)?;
        if role != Role::Player {
            self.world.set_role(name, role, true)?;
        }
        self.collect();
        self.world
            .puppet_hook(account.character, wasmud_world::world::Puppeting::Arrived);
        self.collect();
        Ok(account.character)
    }

    /// `character`'s player types `line`: made safe to show to others as the player ports do
    /// ([`markup::player_text`]), then offered to the character, its room and what is there.
    /// True if something handled it.
    ///
    /// # Errors
    /// The failure of the turn (a hook, a limit), which the player would be told about.
    pub fn type_line(&mut self, character: ObjectId, line: &str) -> Result<bool, KitError> {
        let handled = self
            .world
            .player_input(character, &markup::player_text(line));
        self.collect();
        Ok(handled?)
    }

    /// As [`TestWorld::type_line`], and a line nobody handled is an error.
    ///
    /// # Errors
    /// As [`TestWorld::type_line`], and [`KitError::NotHandled`].
    pub fn type_handled(&mut self, character: ObjectId, line: &str) -> Result<(), KitError> {
        if self.type_line(character, line)? {
            Ok(())
        } else {
            Err(KitError::NotHandled(line.to_owned()))
        }
    }

    /// Runs one hook on `target` as the console's `call` does; its answer.
    ///
    /// # Errors
    /// A missing object, or the hook's failure.
    pub fn call(&mut self, target: ObjectId, hook: Hook<'_>) -> Result<bool, KitError> {
        let answer = self.world.run_hook(target, hook);
        self.collect();
        Ok(answer?)
    }

    /// Moves the clock on by `by` and fires every timer that came due, in order; how many
    /// fired (a failing timer is retried later, as on a server, and counts too).
    pub fn advance(&mut self, by: Duration) -> usize {
        self.clock.advance(by);
        let mut fired = 0;
        while self.world.fire_due_timer().is_some() {
            self.collect();
            fired += 1;
        }
        fired
    }

    /// The text `id` received since the last call, one entry per message, rendered as a
    /// client without colours shows it.
    pub fn received(&mut self, id: ObjectId) -> Vec<String> {
        self.inbox.remove(&id).unwrap_or_default()
    }

    /// A `db` attribute of `id`.
    ///
    /// # Errors
    /// A missing object.
    pub fn db(&mut self, id: ObjectId, name: &str) -> Result<Option<Value>, KitError> {
        Ok(self.world.attr(id, AttrKind::Db, name)?)
    }

    /// An `ndb` attribute of `id`.
    ///
    /// # Errors
    /// A missing object.
    pub fn ndb(&mut self, id: ObjectId, name: &str) -> Result<Option<Value>, KitError> {
        Ok(self.world.attr(id, AttrKind::Ndb, name)?)
    }

    /// The only object called `key` (case-insensitively), if exactly one is.
    ///
    /// # Errors
    /// A storage failure.
    pub fn find(&mut self, key: &str) -> Result<Option<ObjectId>, KitError> {
        let found = self.world.search(key)?;
        Ok(match found.as_slice() {
            [only] => Some(*only),
            _ => None,
        })
    }

    /// The world itself, for what the kit does not wrap.
    pub fn world(&mut self) -> &mut World {
        &mut self.world
    }

    /// Files the last turn's deliveries into the inbox.
    fn collect(&mut self) {
        for delivery in self.world.take_deliveries() {
            let text = markup::render(&delivery.text, ColorLevel::None, false);
            self.inbox.entry(delivery.to).or_default().push(text);
        }
    }
}
