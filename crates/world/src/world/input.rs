//! A player's input line: offered, as `at-command`, to the character typing it, then to its
//! location, then to the other objects there, until one handles it (Evennia merges the command
//! sets of the same objects). All of it is one turn. Also the puppet hooks, run when a
//! player arrives at or leaves their character.

use crate::runtime::Hook;
use crate::runtime::dispatch::call_hook;
use crate::value::{ObjectId, Value};
use crate::world::{World, WorldError, WorldState};

/// Objects in the room asked at most (a room with thousands of items must not make every
/// command cost thousands of hook calls).
pub const MAX_ASKED_CONTENTS: usize = 200;

type Outcome<T> = (Box<WorldState>, Result<T, WorldError>);

/// Offers `line` to the objects in reach of `character`; true if one handled it. The first
/// hook that fails ends the offer and fails the whole turn: the line is the player's, and a
/// failure answers the player rather than passing the line on to someone else.
fn dispatch(world: Box<WorldState>, character: ObjectId, line: &str) -> Outcome<bool> {
    let hook = Hook::Command {
        caller: character,
        input: line,
    };
    let (mut world, handled) = call_hook(world, character, hook);
    if !matches!(handled, Ok(false)) {
        return (world, handled);
    }
    let place = match world.location(character) {
        Ok(place) => place,
        Err(e) => return (world, Err(e)),
    };
    let Some(place) = place else {
        return (world, Ok(false));
    };
    let (w, handled) = call_hook(world, place, hook);
    world = w;
    if !matches!(handled, Ok(false)) {
        return (world, handled);
    }
    let contents = match world.contents(place) {
        Ok(contents) => contents,
        Err(e) => return (world, Err(e)),
    };
    for target in contents
        .into_iter()
        .filter(|&id| id != character)
        .take(MAX_ASKED_CONTENTS)
    {
        let (w, handled) = call_hook(world, target, hook);
        world = w;
        if !matches!(handled, Ok(false)) {
            return (world, handled);
        }
    }
    (world, Ok(false))
}

/// The kind of exits: objects in a room with a `db.destination`.
pub const EXIT_KIND: &str = "exit";

/// The attribute that says what kind of thing an object is (`exit`, `item`, `character`,
/// `room`), whatever its typeclass: a `door` typeclass declares itself an exit. An object
/// without one is of the kind its typeclass is named after (the SDK's `Object::kind` reads it
/// the same way).
pub const KIND_ATTR: &str = "kind";

/// A room as a player's client is told about it (see [`World::place`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// The room's id.
    pub id: ObjectId,
    /// The room's key.
    pub key: String,
    /// Its exits: each one's key and the id of the room it leads to.
    pub exits: Vec<(String, ObjectId)>,
}

/// A player arriving at or leaving an object they control (see [`World::puppet_hook`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Puppeting {
    /// The first session attached: `at-post-puppet`.
    Arrived,
    /// The last session left: `at-pre-unpuppet`.
    Left,
}

impl World {
    /// Runs `character`'s `at-post-puppet` or `at-pre-unpuppet` as a turn of its own. A failure
    /// is logged (and, for a limit, charged as usual); the login or logout goes on regardless.
    pub fn puppet_hook(&mut self, character: ObjectId, event: Puppeting) {
        let hook = match event {
            Puppeting::Arrived => Hook::PostPuppet,
            Puppeting::Left => Hook::PreUnpuppet,
        };
        let actor = crate::world::grants::Actor::Player(character);
        if let Err(e) = self.turn_as(actor, |w| call_hook(w, character, hook)) {
            tracing::warn!(character, hook = hook.name(), "puppet hook failed: {e}");
        }
    }

    /// The id of the room `character` is in, read without a turn (no loading, no hooks).
    pub fn whereabouts(&mut self, character: ObjectId) -> Option<ObjectId> {
        self.state().current_record(character).ok()?.location
    }

    /// Room `id` as GMCP `Room.Info` tells it (key and exits), read without a turn: for
    /// reports right after a command. (A turn would begin by dropping the deliveries of the
    /// command's turn before the world thread hands them out.)
    pub fn place(&mut self, id: ObjectId) -> Option<Place> {
        let w = self.state();
        let key = w.current_record(id).ok()?.key.into();
        let mut exits = Vec::new();
        let contents = w.view().ok()?.contents(id).ok()?;
        for thing in contents.into_iter().take(MAX_ASKED_CONTENTS) {
            let Ok(record) = w.current_record(thing) else {
                continue;
            };
            let Ok([kind, destination]) = w.peek_db_many(thing, [KIND_ATTR, "destination"]) else {
                continue;
            };
            let is_exit = match kind {
                Some(Value::Text(kind)) => &*kind == EXIT_KIND,
                _ => &*record.typeclass == EXIT_KIND,
            };
            if let (true, Some(Value::Object(to))) = (is_exit, destination) {
                exits.push((record.key.into(), to));
            }
        }
        Some(Place { id, key, exits })
    }

    /// `character`'s player typed `line`: offered to the character, its location and the
    /// objects there, in that order, as one turn. True if one of them handled it.
    ///
    /// # Errors
    /// `NotFound` / `Deleted` for a missing character; the first hook that failed (the turn
    /// is rolled back and nobody after it is asked); a limit.
    pub fn player_input(&mut self, character: ObjectId, line: &str) -> Result<bool, WorldError> {
        let actor = crate::world::grants::Actor::Player(character);
        self.turn_as(actor, |mut w| match w.check_exists(character) {
            Ok(()) => dispatch(w, character, line),
            Err(e) => (w, Err(e)),
        })
    }
}
