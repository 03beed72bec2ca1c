//! Capabilities per typeclass: what a typeclass's code may do beyond its own object.
//!
//! Each typeclass runs with a set of [`Grant`]s given by the operator in a grants file (TOML,
//! one line per typeclass: `exit = ["msg", "move-caller"]`). A typeclass that is not listed
//! gets none: it may read what it was handed and change only its own object. Every contract
//! call that reaches or changes the world is checked by [`decide`] against the calling
//! typeclass's grants, the call's [`Scope`] and the target before it runs; a refusal is a
//! [`Refusal`] naming what was refused and the grant that would allow it.
//!
//! The rules (also in `docs/design.md`):
//! - **Own objects** need no grant: the object whose hook runs (`this`) and the objects the hook
//!   created in this call. A hook may rename, write `db`/`ndb` of, move, delete and schedule
//!   timers on them, and send them text.
//! - **Reading** what a hook holds a handle to (key, typeclass, location, contents, attributes,
//!   timers, roles) needs no grant; the handles are the reach.
//! - `reach`: `lookup` any id and `search` by key. Without it, `lookup` gives only objects the
//!   call was handed (its arguments and every handle the host returned to it), and `search`
//!   is refused.
//! - `create`: create objects, and change the typeclass of its own objects (a retyped object's
//!   code runs with its new typeclass's grants, as a created one's does). `edit`: rename, write
//!   `db`/`ndb` of and (with `create`) change the typeclass of any object.
//! - `move`: move any object. `carry`: move an object into or out of `this` (picking up,
//!   dropping, giving). `move-caller`: move the caller of an `at-command` (an exit walking
//!   the one who typed its name).
//! - `delete`: delete any object. `timers`: schedule and cancel timers of any object.
//!   `msg`: send text to any object.
//! - `build`: every grant above, in a turn started by a builder's or an admin's command (for
//!   the code handling the command and hooks on their character) or by the admin console; in
//!   any other turn or hook, nothing beyond the typeclass's other grants: the host, not the
//!   script, decides who may build.
//! - `all`: every grant, in every turn (code the operator trusts fully).

use std::collections::BTreeMap;
use std::path::Path;

use crate::value::ObjectId;

/// One capability a typeclass may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grant {
    /// `lookup` any id, `search` by key.
    Reach,
    /// Create objects.
    Create,
    /// Rename and write `db`/`ndb` of objects not its own.
    Edit,
    /// Move any object.
    Move,
    /// Move objects into or out of `this`.
    Carry,
    /// Move the caller of an `at-command`.
    MoveCaller,
    /// Delete objects not its own.
    Delete,
    /// Schedule and cancel timers of objects not its own.
    Timers,
    /// Send text to objects not its own.
    Msg,
    /// Every grant, in turns started by a builder, an admin or the console.
    Build,
    /// Every grant, always.
    All,
}

impl Grant {
    /// Every grant, in the order [`Grants::names`] lists them.
    pub const ALL: [Grant; 11] = [
        Grant::Reach,
        Grant::Create,
        Grant::Edit,
        Grant::Move,
        Grant::Carry,
        Grant::MoveCaller,
        Grant::Delete,
        Grant::Timers,
        Grant::Msg,
        Grant::Build,
        Grant::All,
    ];

    /// The grant's name in grants files and listings.
    pub fn name(self) -> &'static str {
        match self {
            Grant::Reach => "reach",
            Grant::Create => "create",
            Grant::Edit => "edit",
            Grant::Move => "move",
            Grant::Carry => "carry",
            Grant::MoveCaller => "move-caller",
            Grant::Delete => "delete",
            Grant::Timers => "timers",
            Grant::Msg => "msg",
            Grant::Build => "build",
            Grant::All => "all",
        }
    }

    /// The grant called `name`, if any (exact, lowercase).
    pub fn parse(name: &str) -> Option<Grant> {
        Grant::ALL.into_iter().find(|g| g.name() == name)
    }

    fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// A set of grants (a bitset; `Default` is the empty set, what an unlisted typeclass gets).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Grants(u16);

impl Grants {
    /// No grants.
    pub const NONE: Grants = Grants(0);

    /// True if the set holds `grant` itself.
    pub fn holds(self, grant: Grant) -> bool {
        self.0 & grant.bit() != 0
    }

    /// The set with `grant` added.
    #[must_use]
    pub fn with(self, grant: Grant) -> Grants {
        Grants(self.0 | grant.bit())
    }

    /// The grants in effect in a turn: `all` always, and `build` when the turn was started by
    /// a builder, an admin or the console and the hook is theirs (`builder_turn`), stand for
    /// every grant.
    #[must_use]
    pub fn effective(self, builder_turn: bool) -> Grants {
        if self.holds(Grant::All) || (builder_turn && self.holds(Grant::Build)) {
            Grant::ALL.into_iter().fold(self, Grants::with)
        } else {
            self
        }
    }

    /// The names of the grants held, in [`Grant::ALL`] order.
    pub fn names(self) -> Vec<&'static str> {
        Grant::ALL
            .into_iter()
            .filter(|g| self.holds(*g))
            .map(Grant::name)
            .collect()
    }
}

impl FromIterator<Grant> for Grants {
    fn from_iter<I: IntoIterator<Item = Grant>>(iter: I) -> Self {
        iter.into_iter().fold(Grants::NONE, Grants::with)
    }
}

/// The grants of every typeclass an operator listed; any other typeclass has none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GrantTable {
    by_typeclass: BTreeMap<String, Grants>,
}

/// Why a grants file cannot be used. The server keeps the grants it had (or, at start,
/// refuses to start): a typo must not silently give or take authority.
#[derive(Debug, thiserror::Error)]
pub enum GrantsError {
    /// The file could not be read.
    #[error("cannot read the grants file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape (the text has the line and column).
    #[error("the grants file {path} is not valid: {detail}")]
    Syntax {
        /// The file.
        path: String,
        /// What the TOML parser said.
        detail: String,
    },
    /// A typeclass was given a grant that does not exist.
    #[error(
        "the grants file {path} gives `{typeclass}` the unknown grant \"{grant}\" \
         (grants: reach, create, edit, move, carry, move-caller, delete, timers, msg, build, all)"
    )]
    UnknownGrant {
        /// The file.
        path: String,
        /// The typeclass line.
        typeclass: String,
        /// The name that is not a grant.
        grant: String,
    },
}

impl GrantTable {
    /// Parses a grants file's text (`path` names it in errors).
    ///
    /// # Errors
    /// [`GrantsError::Syntax`] for text that is not a table of string lists,
    /// [`GrantsError::UnknownGrant`] for a name that is not a grant.
    pub fn parse(text: &str, path: &str) -> Result<GrantTable, GrantsError> {
        let raw: BTreeMap<String, Vec<String>> =
            toml::from_str(text).map_err(|e| GrantsError::Syntax {
                path: path.to_owned(),
                detail: e.to_string().trim().replace('\n', " "),
            })?;
        let mut by_typeclass = BTreeMap::new();
        for (typeclass, names) in raw {
            let mut grants = Grants::NONE;
            for name in names {
                let Some(grant) = Grant::parse(&name) else {
                    return Err(GrantsError::UnknownGrant {
                        path: path.to_owned(),
                        typeclass,
                        grant: name,
                    });
                };
                grants = grants.with(grant);
            }
            by_typeclass.insert(typeclass, grants);
        }
        Ok(GrantTable { by_typeclass })
    }

    /// Reads a grants file; a missing file is an empty table (every typeclass gets nothing).
    ///
    /// # Errors
    /// As [`GrantTable::parse`], or [`GrantsError::Read`] if the file exists but cannot be read.
    pub fn load(path: &Path) -> Result<GrantTable, GrantsError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => GrantTable::parse(&text, &shown),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(GrantTable::default()),
            Err(source) => Err(GrantsError::Read {
                path: shown,
                source,
            }),
        }
    }

    /// How many typeclasses the table lists.
    pub fn len(&self) -> usize {
        self.by_typeclass.len()
    }

    /// True if it lists no typeclass.
    pub fn is_empty(&self) -> bool {
        self.by_typeclass.is_empty()
    }

    /// True if `typeclass` has a line (perhaps an empty list).
    pub fn lists(&self, typeclass: &str) -> bool {
        self.by_typeclass.contains_key(typeclass)
    }

    /// The grants of `typeclass` (none if it is not listed).
    pub fn of(&self, typeclass: &str) -> Grants {
        self.by_typeclass
            .get(typeclass)
            .copied()
            .unwrap_or_default()
    }
}

/// What one hook call may count as its own and was handed, for [`decide`].
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// The object whose hook runs.
    pub this: ObjectId,
    /// The caller of an `at-command`, if this call is one.
    pub caller: Option<ObjectId>,
    /// Objects created by this call (its own, like `this`), sorted: a hook may create
    /// thousands and change each, so [`Scope::owns`] must not scan them.
    created: Vec<ObjectId>,
    /// Objects the call was handed (arguments and returned handles), sorted on demand.
    handed: Vec<ObjectId>,
    /// True when `handed` reached [`MAX_HANDED`] distinct objects: later ones are not noted
    /// (a `lookup` of them needs `reach`).
    handed_full: bool,
}

/// Distinct objects a call remembers as handed (bounds the memory a guest can make the host
/// spend by asking for handles in a loop).
pub const MAX_HANDED: usize = 4096;

impl Scope {
    /// The scope of a hook call on `this` (with the command's `caller`, if any).
    pub fn new(this: ObjectId, caller: Option<ObjectId>) -> Scope {
        let mut scope = Scope::default();
        scope.reset(this, caller);
        scope
    }

    /// Makes this the scope of a new hook call, keeping its allocations (an instance's scope is
    /// reset for every call it runs: no allocation per hook call).
    pub fn reset(&mut self, this: ObjectId, caller: Option<ObjectId>) {
        self.this = this;
        self.caller = caller;
        self.created.clear();
        self.handed.clear();
        self.handed_full = false;
    }

    /// Notes that the call was handed `id`.
    pub fn note_handed(&mut self, id: ObjectId) {
        if self.handed_full || self.handed.last() == Some(&id) {
            return;
        }
        self.handed.push(id);
        if self.handed.len() >= MAX_HANDED {
            self.handed.sort_unstable();
            self.handed.dedup();
            self.handed_full = self.handed.len() >= MAX_HANDED / 2;
        }
    }

    /// Notes that the call created `id` (ids are handed out in increasing order, so this is
    /// almost always a push).
    pub fn note_created(&mut self, id: ObjectId) {
        match self.created.last() {
            Some(&last) if last >= id => {
                if let Err(at) = self.created.binary_search(&id) {
                    self.created.insert(at, id);
                }
            }
            _ => self.created.push(id),
        }
    }

    /// Whether the call was handed `id`.
    pub fn was_handed(&self, id: ObjectId) -> bool {
        self.owns(id) || self.caller == Some(id) || self.handed.contains(&id)
    }

    /// Whether `id` is the call's own: `this` or created by it.
    pub fn owns(&self, id: ObjectId) -> bool {
        id == self.this || self.created.binary_search(&id).is_ok()
    }
}

/// A contract call to check (its targets as ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `lookup(id)`.
    Lookup(ObjectId),
    /// `search(key)`.
    Search,
    /// `create(...)`.
    Create,
    /// `set-key`, `db-set`, `db-remove`, `ndb-set`, `ndb-remove` on the object.
    Edit(ObjectId),
    /// `move-to`: the object, where it is now, where it goes.
    Move {
        /// The object moved.
        target: ObjectId,
        /// Its location now.
        from: Option<ObjectId>,
        /// Where it goes.
        to: Option<ObjectId>,
    },
    /// `delete` of the object.
    Delete(ObjectId),
    /// `after`, `every` or `cancel` on the object.
    Timers(ObjectId),
    /// `msg` to the object.
    Msg(ObjectId),
    /// `set-typeclass` of the object: like creating an object of that typeclass (its code will
    /// run with its own grants), so it needs `create`, and `edit` for an object not its own.
    Retype(ObjectId),
}

/// A refused call: what was refused and the grant that would allow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// What was refused, e.g. "delete #5".
    pub what: String,
    /// The grant that would have allowed it.
    pub needs: Grant,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (needs the `{}` grant)", self.what, self.needs.name())
    }
}

/// Decides whether a call with `grants` (already [`Grants::effective`]) and `scope` may do
/// `op`.
///
/// # Errors
/// The [`Refusal`] if it may not.
pub fn decide(grants: Grants, scope: &Scope, op: Op) -> Result<(), Refusal> {
    let (allowed, needs) = match op {
        Op::Lookup(id) => (
            scope.was_handed(id) || grants.holds(Grant::Reach),
            Grant::Reach,
        ),
        Op::Search => (grants.holds(Grant::Reach), Grant::Reach),
        Op::Create => (grants.holds(Grant::Create), Grant::Create),
        Op::Edit(id) => (scope.owns(id) || grants.holds(Grant::Edit), Grant::Edit),
        Op::Move { target, from, to } => {
            let carried =
                grants.holds(Grant::Carry) && (from == Some(scope.this) || to == Some(scope.this));
            let walked = grants.holds(Grant::MoveCaller) && scope.caller == Some(target);
            (
                scope.owns(target) || grants.holds(Grant::Move) || carried || walked,
                Grant::Move,
            )
        }
        Op::Delete(id) => (scope.owns(id) || grants.holds(Grant::Delete), Grant::Delete),
        Op::Timers(id) => (scope.owns(id) || grants.holds(Grant::Timers), Grant::Timers),
        Op::Msg(id) => (scope.owns(id) || grants.holds(Grant::Msg), Grant::Msg),
        Op::Retype(id) => {
            let creates = grants.holds(Grant::Create);
            (
                creates && (scope.owns(id) || grants.holds(Grant::Edit)),
                if creates { Grant::Edit } else { Grant::Create },
            )
        }
    };
    if allowed {
        Ok(())
    } else {
        Err(Refusal {
            what: describe(op),
            needs,
        })
    }
}

/// What `op` would do, in the words a refusal uses (only built when one is refused: a hook
/// makes millions of allowed calls).
fn describe(op: Op) -> String {
    match op {
        Op::Lookup(id) => format!("lookup #{id}, which this call was not handed"),
        Op::Search => "search by key".to_owned(),
        Op::Create => "create an object".to_owned(),
        Op::Edit(id) => format!("change #{id}"),
        Op::Move { target, .. } => format!("move #{target}"),
        Op::Delete(id) => format!("delete #{id}"),
        Op::Timers(id) => format!("schedule timers of #{id}"),
        Op::Msg(id) => format!("send text to #{id}"),
        Op::Retype(id) => format!("change the typeclass of #{id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(names: &[Grant]) -> Grants {
        names.iter().copied().collect()
    }

    #[test]
    fn a_typeclass_without_grants_may_change_only_its_own_objects() {
        let mut scope = Scope::new(1, Some(2));
        scope.note_created(9);
        let none = Grants::NONE;
        for own in [1, 9] {
            assert_eq!(decide(none, &scope, Op::Edit(own)), Ok(()));
            assert_eq!(decide(none, &scope, Op::Delete(own)), Ok(()));
            assert_eq!(decide(none, &scope, Op::Timers(own)), Ok(()));
            assert_eq!(decide(none, &scope, Op::Msg(own)), Ok(()));
            let moved = Op::Move {
                target: own,
                from: None,
                to: Some(3),
            };
            assert_eq!(decide(none, &scope, moved), Ok(()));
        }
        for (op, needs) in [
            (Op::Edit(2), Grant::Edit),
            (Op::Delete(2), Grant::Delete),
            (Op::Timers(2), Grant::Timers),
            (Op::Msg(2), Grant::Msg),
            (Op::Create, Grant::Create),
            (Op::Search, Grant::Reach),
            (Op::Lookup(3), Grant::Reach),
            (
                Op::Move {
                    target: 2,
                    from: Some(3),
                    to: Some(4),
                },
                Grant::Move,
            ),
        ] {
            assert_eq!(decide(none, &scope, op).unwrap_err().needs, needs, "{op:?}");
        }
        // What it was handed it may look up again.
        assert_eq!(decide(none, &scope, Op::Lookup(2)), Ok(()));
    }

    #[test]
    fn retyping_needs_create_and_for_another_object_edit() {
        let scope = Scope::new(1, Some(2));
        let none = Grants::NONE;
        let create = grants(&[Grant::Create]);
        let edit = grants(&[Grant::Edit]);
        let both = grants(&[Grant::Create, Grant::Edit]);
        // Even its own object: a typeclass with nothing may not turn itself into trusted code.
        assert_eq!(
            decide(none, &scope, Op::Retype(1)).unwrap_err().needs,
            Grant::Create
        );
        assert_eq!(decide(create, &scope, Op::Retype(1)), Ok(()));
        assert_eq!(
            decide(create, &scope, Op::Retype(2)).unwrap_err().needs,
            Grant::Edit
        );
        assert_eq!(
            decide(edit, &scope, Op::Retype(2)).unwrap_err().needs,
            Grant::Create
        );
        assert_eq!(decide(both, &scope, Op::Retype(2)), Ok(()));
    }

    #[test]
    fn carry_and_move_caller_are_narrow() {
        let scope = Scope::new(1, Some(2));
        let carry = grants(&[Grant::Carry]);
        let into = Op::Move {
            target: 5,
            from: Some(3),
            to: Some(1),
        };
        let out_of = Op::Move {
            target: 5,
            from: Some(1),
            to: Some(3),
        };
        let elsewhere = Op::Move {
            target: 5,
            from: Some(3),
            to: Some(4),
        };
        assert_eq!(decide(carry, &scope, into), Ok(()));
        assert_eq!(decide(carry, &scope, out_of), Ok(()));
        assert!(decide(carry, &scope, elsewhere).is_err());
        let walk = grants(&[Grant::MoveCaller]);
        let caller = Op::Move {
            target: 2,
            from: Some(3),
            to: Some(4),
        };
        assert_eq!(decide(walk, &scope, caller), Ok(()));
        assert!(decide(walk, &scope, elsewhere).is_err());
        // Not a command: no caller to move.
        assert!(decide(walk, &Scope::new(1, None), caller).is_err());
    }

    #[test]
    fn build_counts_only_in_a_builders_turn_and_all_always() {
        let scope = Scope::new(1, None);
        let build = grants(&[Grant::Build]);
        assert!(decide(build.effective(false), &scope, Op::Delete(7)).is_err());
        assert_eq!(decide(build.effective(true), &scope, Op::Delete(7)), Ok(()));
        let all = grants(&[Grant::All]);
        assert_eq!(decide(all.effective(false), &scope, Op::Search), Ok(()));
        assert_eq!(
            Grants::NONE.effective(true),
            Grants::NONE,
            "a builder's turn lends nothing by itself"
        );
    }

    #[test]
    fn objects_created_in_any_order_are_the_calls_own() {
        let mut scope = Scope::new(1, None);
        for id in [10, 12, 11, 30, 2, 12] {
            scope.note_created(id);
        }
        for own in [1, 2, 10, 11, 12, 30] {
            assert!(scope.owns(own), "#{own} was created by the call");
        }
        for other in [3, 13, 29, 31] {
            assert!(!scope.owns(other), "#{other} was not");
        }
        scope.reset(5, None);
        assert!(!scope.owns(10), "a new call owns nothing it did not create");
    }

    #[test]
    fn the_handed_set_is_bounded_and_refuses_once_full() {
        let mut scope = Scope::new(1, None);
        for id in 0..(MAX_HANDED as u64 * 4) {
            scope.note_handed(id);
            scope.note_handed(id);
        }
        assert!(scope.handed.len() <= MAX_HANDED);
        assert!(scope.was_handed(10));
        assert!(!scope.was_handed(MAX_HANDED as u64 * 3));
        assert!(decide(Grants::NONE, &scope, Op::Lookup(MAX_HANDED as u64 * 3)).is_err());
    }

    #[test]
    fn grants_files_parse_and_name_their_mistakes() {
        let table = GrantTable::parse(
            "# demo\nexit = [\"msg\", \"move-caller\"]\nitem = []\n",
            "grants.toml",
        )
        .unwrap();
        assert_eq!(table.of("exit").names(), ["move-caller", "msg"]);
        assert_eq!(table.of("item"), Grants::NONE);
        assert_eq!(table.of("unlisted"), Grants::NONE);
        let unknown = GrantTable::parse("exit = [\"fly\"]", "g.toml").unwrap_err();
        assert!(
            unknown
                .to_string()
                .contains("`exit` the unknown grant \"fly\""),
            "{unknown}"
        );
        let bad = GrantTable::parse("exit = \"msg\"\n", "g.toml").unwrap_err();
        assert!(matches!(bad, GrantsError::Syntax { .. }), "{bad}");
        assert!(bad.to_string().contains("line 1"), "{bad}");
        let missing = GrantTable::load(Path::new("/nonexistent/grants.toml")).unwrap();
        assert_eq!(missing, GrantTable::default());
    }

    proptest::proptest! {
        /// No text makes the parser panic, and whatever parses only holds real grants.
        #[test]
        fn any_text_parses_or_fails_cleanly(text in "[a-z\\-=\\[\\]\",# \\n]{0,80}") {
            if let Ok(table) = GrantTable::parse(&text, "p.toml") {
                for grants in table.by_typeclass.values() {
                    proptest::prop_assert!(grants.0 < 1 << Grant::ALL.len());
                }
            }
        }
    }
}
