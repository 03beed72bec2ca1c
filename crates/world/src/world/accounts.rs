//! Player accounts in the world's store: each has a unique name (any case) and the character
//! created with it. Passwords arrive already hashed (see `crate::accounts`); the world only
//! stores and returns the PHC string.

use std::collections::HashMap;

use serde::Serialize;

use crate::roles::{Role, Roles};
use crate::store::AccountRecord;
use crate::value::ObjectId;
use crate::world::lifecycle::create_with_hooks;
use crate::world::undo::Undo;
use crate::world::{World, WorldError, WorldState};

/// The typeclass of the character created with an account.
pub const CHARACTER_TYPECLASS: &str = "character";

impl WorldState {
    /// Stores a new account; `InvalidArgument` if the name is taken (in any case).
    fn insert_account(&mut self, record: AccountRecord) -> Result<(), WorldError> {
        if self.view()?.account(&record.name)?.is_some() {
            return Err(WorldError::InvalidArgument(format!(
                "the name {:?} is taken",
                record.name
            )));
        }
        self.write()?.put_account(&record)?;
        self.character_roles = None;
        self.record_undo(Undo::Account { name: record.name })
    }

    /// Writes a changed account, keeping the old one for the undo log.
    fn update_account(
        &mut self,
        old: AccountRecord,
        new: &AccountRecord,
    ) -> Result<(), WorldError> {
        self.write()?.put_account(new)?;
        self.character_roles = None;
        self.record_undo(Undo::AccountChanged { old: Box::new(old) })
    }

    /// Puts an account back as it was (undo of a change) in the turn's transaction.
    pub(super) fn restore_account(&mut self, old: &AccountRecord) -> Result<(), WorldError> {
        let txn = self
            .txn
            .as_mut()
            .ok_or_else(|| WorldError::Internal("undo: no write transaction".into()))?;
        txn.put_account(old)?;
        Ok(())
    }

    /// The roles of the account whose character is `character`; `None` if no account has it.
    pub(crate) fn roles_of(&mut self, character: ObjectId) -> Result<Option<Roles>, WorldError> {
        if self.character_roles.is_none() {
            let map: HashMap<ObjectId, Roles> = self
                .view()?
                .accounts()?
                .into_iter()
                .map(|a| (a.character, a.roles))
                .collect();
            self.character_roles = Some(map);
        }
        Ok(self
            .character_roles
            .as_ref()
            .and_then(|m| m.get(&character).copied()))
    }

    /// Reverses [`Self::insert_account`] in the turn's transaction.
    pub(super) fn revert_account(&mut self, name: &str) -> Result<(), WorldError> {
        let txn = self
            .txn
            .as_mut()
            .ok_or_else(|| WorldError::Internal("undo: no write transaction".into()))?;
        txn.remove_account(name)?;
        Ok(())
    }
}

impl World {
    /// The account called `name` (any case), if there is one.
    ///
    /// # Errors
    /// `Store` on a storage failure.
    pub fn account(&mut self, name: &str) -> Result<Option<AccountRecord>, WorldError> {
        Ok(self.state().view()?.account(name)?)
    }

    /// Creates an account called `name` with the password hash `password_phc`, and its
    /// character (typeclass [`CHARACTER_TYPECLASS`], key `name`) in `home`, as one turn.
    ///
    /// # Errors
    /// `InvalidArgument` if the name is taken; whatever creating the character fails with.
    pub fn create_account(
        &mut self,
        name: &str,
        password_phc: &str,
        home: Option<ObjectId>,
    ) -> Result<AccountRecord, WorldError> {
        self.turn(|w| {
            let (mut w, character) = create_with_hooks(w, name, CHARACTER_TYPECLASS, home);
            let record = character.map(|character| AccountRecord {
                name: name.into(),
                password: password_phc.into(),
                character,
                created_ms: w.now_ms(),
                roles: Roles::default(),
                last_login_ms: Some(w.now_ms()),
            });
            let result = record.and_then(|r| w.insert_account(r.clone()).map(|()| r));
            (w, result)
        })
    }
}

/// An account as the admin console lists it (no password).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountInfo {
    /// The name as registered.
    pub name: String,
    /// Its roles, lowest first.
    pub roles: Vec<&'static str>,
    /// Its character.
    pub character: ObjectId,
    /// When it was created (Unix ms).
    pub created_ms: u64,
    /// When it last logged in (Unix ms), if it has since roles were recorded.
    pub last_login_ms: Option<u64>,
    /// A player is connected to its character now.
    pub online: bool,
}

impl World {
    /// Every account, sorted by name (any case), as the console lists them.
    ///
    /// # Errors
    /// `Store` on a storage failure.
    pub fn accounts(&mut self) -> Result<Vec<AccountInfo>, WorldError> {
        let state = self.state();
        let mut list: Vec<AccountInfo> = state
            .view()?
            .accounts()?
            .into_iter()
            .map(|a| AccountInfo {
                name: a.name.into(),
                roles: a.roles.names(),
                character: a.character,
                created_ms: a.created_ms,
                last_login_ms: a.last_login_ms,
                online: false,
            })
            .collect();
        for info in &mut list {
            info.online = state.pins.contains(&info.character);
        }
        list.sort_by_key(|a| a.name.to_lowercase());
        Ok(list)
    }

    /// Grants (`grant` true) or revokes `role` of account `name`, as one turn; returns the
    /// account's roles after. Granting a role held, or revoking one not held, changes nothing.
    ///
    /// # Errors
    /// `NotFound` if there is no such account; `InvalidArgument` for revoking `player` (every
    /// account is a player); `Store` on a storage failure.
    pub fn set_role(&mut self, name: &str, role: Role, grant: bool) -> Result<Roles, WorldError> {
        if role == Role::Player && !grant {
            return Err(WorldError::InvalidArgument(
                "every account is a player; revoke builder or admin instead".into(),
            ));
        }
        self.turn(|mut w| {
            let result = (|| {
                let old = w
                    .view()?
                    .account(name)?
                    .ok_or_else(|| WorldError::NotFound(format!("account {name:?}")))?;
                let roles = if grant {
                    old.roles.with(role)
                } else {
                    old.roles.without(role)
                };
                if roles != old.roles {
                    let new = AccountRecord {
                        roles,
                        ..old.clone()
                    };
                    w.update_account(old, &new)?;
                }
                Ok(roles)
            })();
            (w, result)
        })
    }

    /// Records that account `name` logged in now, as one turn.
    ///
    /// # Errors
    /// `NotFound` if there is no such account; `Store` on a storage failure.
    pub fn note_login(&mut self, name: &str) -> Result<(), WorldError> {
        self.turn(|mut w| {
            let result = (|| {
                let old = w
                    .view()?
                    .account(name)?
                    .ok_or_else(|| WorldError::NotFound(format!("account {name:?}")))?;
                let new = AccountRecord {
                    last_login_ms: Some(w.now_ms()),
                    ..old.clone()
                };
                w.update_account(old, &new)
            })();
            (w, result)
        })
    }
}
