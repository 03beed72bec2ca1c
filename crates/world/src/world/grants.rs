//! The world's side of capabilities (`crate::grants`): who started a turn (the `build` grant
//! holds only in a builder's, an admin's or the console's turn), the grant table, and
//! refusals (counted per typeclass, the first of a turn logged).

use crate::grants::GrantTable;
use crate::roles::Role;
use crate::runtime::Hook;
use crate::value::ObjectId;
use crate::world::{World, WorldState};

/// Who started a turn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Actor {
    /// Nobody in particular: a timer, a queued event, the host itself.
    #[default]
    Nobody,
    /// The player of this character typed a command (or arrived, or left).
    Player(ObjectId),
    /// The admin console (its `call`): the root of the world.
    Console,
}

impl WorldState {
    /// True if a hook on `target` is the builder's own part of the running turn: any hook in
    /// a turn the console started; in a turn a player started whose account holds `builder`
    /// or `admin`, a hook on that player's character or the `at-command` that handles their
    /// line. Not the other hooks the turn causes (another character hearing a builder speak,
    /// an object created or moved): `build` must not lend the builder's authority to code
    /// running for someone else.
    pub(crate) fn builder_turn_for(&mut self, target: ObjectId, hook: &Hook<'_>) -> bool {
        match self.turn.actor {
            Actor::Nobody => false,
            Actor::Console => true,
            Actor::Player(character) => {
                let theirs = target == character
                    || matches!(hook, Hook::Command { caller, .. } if *caller == character);
                theirs
                    && self
                        .roles_of(character)
                        .ok()
                        .flatten()
                        .is_some_and(|roles| roles.at_least(Role::Builder))
            }
        }
    }

    /// Counts a call of `typeclass` refused by its grants; the first refusal of a turn is
    /// logged (a loop of refused calls must not flood the log).
    pub(crate) fn note_refusal(&mut self, typeclass: &str, object: ObjectId, text: &str) {
        if let Some(symbol) = self.names.get(typeclass) {
            self.instances.note_refusal(symbol);
        }
        self.turn.refusals += 1;
        if self.turn.refusals == 1 {
            tracing::warn!(typeclass, object, "not permitted: {text}");
        }
    }
}

impl World {
    /// Replaces the grants of every typeclass (from the grants file); they apply from the next
    /// hook call.
    pub fn set_grants(&mut self, table: GrantTable) {
        self.state().instances.set_grants(table);
    }
}
