//! Read-only snapshots of objects for the admin console (`examine`).
//!
//! [`World::inspect`] copies what `examine` shows into an [`ObjectSnapshot`] in one turn, in time
//! linear in the object's attributes (plus sorting), so the world thread is busy for as little as
//! possible; the console formats the snapshot on its own task. The snapshot is capped
//! ([`SnapshotLimits`]): an object with a million attributes, or a room with a million objects,
//! must not make the world thread copy, or an admin reply carry, hundreds of megabytes.

use crate::symbol::Interner;
use crate::value::{ObjectId, Value};
use crate::world::{AttrKind, World, WorldError, WorldState};

/// How much of an object a snapshot copies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SnapshotLimits {
    /// Most attributes of each kind copied (the first ones by name).
    pub max_attrs: usize,
    /// Most bytes of names and values copied for each kind; at least one attribute is always
    /// copied (a value is at most 1 MiB).
    pub max_attr_bytes: usize,
    /// Most objects of the contents listed (the first ones by id).
    pub max_contents: usize,
}

impl SnapshotLimits {
    /// No limits: everything is copied (for tests and tools, not for the console).
    pub const UNLIMITED: SnapshotLimits = SnapshotLimits {
        max_attrs: usize::MAX,
        max_attr_bytes: usize::MAX,
        max_contents: usize::MAX,
    };
}

impl Default for SnapshotLimits {
    /// 1,000 attributes (and at most 4 MiB) of each kind, 1,000 contents: a reply of a few MiB
    /// at worst, whatever the object holds.
    fn default() -> Self {
        SnapshotLimits {
            max_attrs: 1_000,
            max_attr_bytes: 4 << 20,
            max_contents: 1_000,
        }
    }
}

/// What `examine` shows of one object, copied out of the world.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectSnapshot {
    /// The object's id.
    pub id: ObjectId,
    /// Its key.
    pub key: String,
    /// Its typeclass name.
    pub typeclass: String,
    /// Where it is: the location's id and key, or `None` for nowhere.
    pub location: Option<(ObjectId, String)>,
    /// The first objects inside it (id and key), by id; see `contents_total`.
    pub contents: Vec<(ObjectId, String)>,
    /// How many objects are inside it in all (`contents` may hold fewer).
    pub contents_total: usize,
    /// The first persistent attributes by name, sorted by name; see `db_total`.
    pub db: Vec<(String, Value)>,
    /// How many persistent attributes it has in all (`db` may hold fewer).
    pub db_total: usize,
    /// The first temporary attributes by name, sorted by name; see `ndb_total`.
    pub ndb: Vec<(String, Value)>,
    /// How many temporary attributes it has in all (`ndb` may hold fewer).
    pub ndb_total: usize,
    /// Why the object cannot be loaded, if it cannot: its `at-init` fails (the snapshot is
    /// then what the store holds, read without running any hook).
    pub init_error: Option<String>,
}

impl World {
    /// A snapshot of `id` for display, within [`SnapshotLimits::default`], in one turn.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object, `Store` on a storage failure.
    pub fn inspect(&mut self, id: ObjectId) -> Result<ObjectSnapshot, WorldError> {
        self.inspect_with(id, SnapshotLimits::default())
    }

    /// A snapshot of `id` within `limits`. An object that is not cached is read from the
    /// store without running any hook, then loaded (with its `at-init`) in a turn of its own:
    /// if that fails, the snapshot says why instead of failing (an admin must be able to see
    /// an object whose `at-init` is broken).
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing object, `Store` on a storage failure.
    pub fn inspect_with(
        &mut self,
        id: ObjectId,
        limits: SnapshotLimits,
    ) -> Result<ObjectSnapshot, WorldError> {
        let cached = self.state().cache.contains(id);
        let mut snapshot = self.plain(|w| w.snapshot(id, limits))?;
        if !cached && let Err(e) = self.on_object(id, |_| Ok(())) {
            snapshot.init_error = Some(e.to_string());
        }
        Ok(snapshot)
    }
}

impl WorldState {
    fn snapshot(
        &mut self,
        id: ObjectId,
        limits: SnapshotLimits,
    ) -> Result<ObjectSnapshot, WorldError> {
        let (key, typeclass, place, db, db_total, ndb, ndb_total) =
            if let Some(entry) = self.cache.peek(id) {
                let (db, db_total) = first_attrs(entry.attrs(AttrKind::Db), &self.names, limits);
                let (ndb, ndb_total) = first_attrs(entry.attrs(AttrKind::Ndb), &self.names, limits);
                let typeclass = self.names.name(entry.typeclass).to_owned();
                (
                    entry.key.to_string(),
                    typeclass,
                    entry.location,
                    db,
                    db_total,
                    ndb,
                    ndb_total,
                )
            } else {
                let view = self.view()?;
                let Some((record, attrs)) = view.load(id)? else {
                    return Err(super::state::missing(view, id)?);
                };
                let named: Vec<(&str, &Value)> = attrs.iter().map(|(n, v)| (&**n, v)).collect();
                let (db, db_total) = first_named(named, limits);
                let key = record.key.to_string();
                (
                    key,
                    record.typeclass.to_string(),
                    record.location,
                    db,
                    db_total,
                    Vec::new(),
                    0,
                )
            };
        // Keys are read without loading anything (no hooks run for an examine).
        let location = match place {
            Some(place) => Some((place, self.current_record(place)?.key.to_string())),
            None => None,
        };
        let inside = self.view()?.contents(id)?;
        let contents = inside
            .iter()
            .take(limits.max_contents)
            .map(|&c| Ok((c, self.current_record(c)?.key.to_string())))
            .collect::<Result<Vec<_>, WorldError>>()?;
        Ok(ObjectSnapshot {
            id,
            key,
            typeclass,
            location,
            contents,
            contents_total: inside.len(),
            db,
            db_total,
            ndb,
            ndb_total,
            init_error: None,
        })
    }
}

/// The first of `attrs` by name, within `limits`, and how many there are in all.
fn first_attrs(
    attrs: &[(crate::symbol::Symbol, Value)],
    names: &Interner,
    limits: SnapshotLimits,
) -> (Vec<(String, Value)>, usize) {
    let named = attrs
        .iter()
        .map(|(sym, value)| (names.name(*sym), value))
        .collect();
    first_named(named, limits)
}

/// The first of `named` by name, within `limits`, and how many there are in all. Linear in
/// the attributes, plus sorting the ones copied.
fn first_named(
    mut named: Vec<(&str, &Value)>,
    limits: SnapshotLimits,
) -> (Vec<(String, Value)>, usize) {
    let total = named.len();
    if named.len() > limits.max_attrs {
        // Partition around the cut (linear), then sort only what is kept.
        named.select_nth_unstable_by(limits.max_attrs, |a, b| a.0.cmp(b.0));
        named.truncate(limits.max_attrs);
    }
    named.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut bytes = 0usize;
    let mut copied = Vec::with_capacity(named.len());
    for (name, value) in named {
        let size = name.len() + value.heap_bytes();
        if !copied.is_empty() && bytes.saturating_add(size) > limits.max_attr_bytes {
            break;
        }
        bytes = bytes.saturating_add(size);
        copied.push((name.to_owned(), value.clone()));
    }
    (copied, total)
}
