//! Player accounts in the world's store: each has a unique name (any case) and the character
//! created with it. Passwords arrive already hashed (see `crate::accounts`); the world only
//! stores and returns the PHC string.

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
        self.record_undo(Undo::Account { name: record.name })
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
            });
            let result = record.and_then(|r| w.insert_account(r.clone()).map(|()| r));
            (w, result)
        })
    }
}
