//! Account roles: `player` < `builder` < `admin`. Roles live on the account record, are given
//! and taken only by the admin console (`grant`, `revoke`), and a guest may only read them.
//! A role includes the ones below it: an admin may do what a builder may.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One role, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Every account: plays the game.
    Player,
    /// Builds in the game (`dig`, `open`, `create`, `desc`, ...).
    Builder,
    /// Runs the game from inside it.
    Admin,
}

impl Role {
    /// Every role, lowest first.
    pub const ALL: [Role; 3] = [Role::Player, Role::Builder, Role::Admin];

    /// The role's name as typed and shown (`player`, `builder`, `admin`).
    pub fn name(self) -> &'static str {
        match self {
            Role::Player => "player",
            Role::Builder => "builder",
            Role::Admin => "admin",
        }
    }

    /// The role called `name` (any case).
    ///
    /// # Errors
    /// [`UnknownRole`] if no role has that name.
    pub fn parse(name: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownRole(name.to_owned()))
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a role.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no role is called {0:?} (roles: player, builder, admin)")]
pub struct UnknownRole(pub String);

/// The roles an account holds. `player` is always among them.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Roles(u8);

impl Default for Roles {
    fn default() -> Self {
        Roles(Role::Player.bit())
    }
}

impl Roles {
    /// True if the account holds `role` or one above it.
    pub fn at_least(self, role: Role) -> bool {
        Role::ALL
            .into_iter()
            .any(|held| held >= role && self.0 & held.bit() != 0)
    }

    /// True if `role` itself was granted.
    pub fn holds(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    /// The highest role held.
    pub fn highest(self) -> Role {
        Role::ALL
            .into_iter()
            .rev()
            .find(|r| self.holds(*r))
            .unwrap_or(Role::Player)
    }

    /// These roles with `role` added.
    #[must_use]
    pub fn with(self, role: Role) -> Roles {
        Roles(self.0 | role.bit())
    }

    /// These roles with `role` taken away (`player` always stays).
    #[must_use]
    pub fn without(self, role: Role) -> Roles {
        Roles(self.0 & !role.bit()).normalized()
    }

    /// The roles held, lowest first.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |r| self.holds(*r))
    }

    /// The names of the roles held, lowest first.
    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Role::name).collect()
    }

    /// Unknown bits dropped and `player` present (a record from a later version, or damaged).
    #[must_use]
    pub fn normalized(self) -> Roles {
        let known = Role::ALL.iter().fold(0, |bits, r| bits | r.bit());
        Roles(self.0 & known | Role::Player.bit())
    }
}

impl fmt::Debug for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl fmt::Display for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_role_includes_the_ones_below_it_and_player_cannot_be_revoked() {
        let roles = Roles::default();
        assert!(roles.at_least(Role::Player) && !roles.at_least(Role::Builder));
        let admin = roles.with(Role::Admin);
        assert!(admin.at_least(Role::Builder) && admin.at_least(Role::Admin));
        assert!(!admin.holds(Role::Builder));
        assert_eq!(admin.highest(), Role::Admin);
        assert_eq!(admin.names(), ["player", "admin"]);
        let back = admin.without(Role::Admin).without(Role::Player);
        assert_eq!(back, Roles::default());
        assert_eq!(Roles(0xff).normalized(), Roles(0b111));
        assert_eq!(Role::parse("Builder"), Ok(Role::Builder));
        assert!(Role::parse("god").is_err());
    }
}
