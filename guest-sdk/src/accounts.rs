//! [`Role`]: what the account behind a character may do, read from the host (roles are given
//! and taken by the server's admin console, never by a script).

use crate::error::Error;
use crate::object::Object;
use crate::wit::wasmud::runtime::accounts as raw;

/// An account role, lowest first. A role includes the ones below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Every account.
    Player,
    /// Builds in the game.
    Builder,
    /// Runs the game from inside it.
    Admin,
}

impl Role {
    /// The role called `name` as the host spells it (`player`, `builder`, `admin`).
    pub fn from_name(name: &str) -> Option<Role> {
        match name {
            "player" => Some(Role::Player),
            "builder" => Some(Role::Builder),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

impl Object {
    /// The roles of the account whose character this object is, lowest first; empty for an
    /// object no account plays. (Names from a newer host that this SDK does not know are left
    /// out.)
    pub fn roles(&self) -> Result<Vec<Role>, Error> {
        Ok(raw::roles(&self.0)?
            .iter()
            .filter_map(|name| Role::from_name(name))
            .collect())
    }

    /// True if the account behind this character holds `role` or one above it (an admin
    /// may do what a builder may); false for an object no account plays.
    pub fn has_role(&self, role: Role) -> Result<bool, Error> {
        Ok(self.roles()?.into_iter().any(|held| held >= role))
    }
}
