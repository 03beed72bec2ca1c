//! Account rows: [`ACCOUNTS`], by lower-cased name.

use redb::ReadableTable;

use super::schema::{self, ACCOUNTS, AccountRecord};
use super::{StoreError, StoreRead, StoreWrite};

/// Reading accounts, shared by read and write transactions.
pub trait AccountView {
    /// The account called `name` (any case).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or an undecodable record.
    fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError>;
}

macro_rules! impl_account_view {
    ($ty:ty) => {
        impl AccountView for $ty {
            fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError> {
                let key = name.to_lowercase();
                match self.txn.open_table(ACCOUNTS)?.get(key.as_str())? {
                    Some(raw) => Ok(Some(schema::decode(raw.value())?)),
                    None => Ok(None),
                }
            }
        }
    };
}

impl_account_view!(StoreRead);
impl_account_view!(StoreWrite);

impl StoreWrite {
    /// Writes an account (keyed by its lower-cased name).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn put_account(&mut self, record: &AccountRecord) -> Result<(), StoreError> {
        let key = record.name.to_lowercase();
        self.txn
            .open_table(ACCOUNTS)?
            .insert(key.as_str(), schema::encode(record)?.as_slice())?;
        Ok(())
    }

    /// Removes the account called `name` (undo of a creation).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn remove_account(&mut self, name: &str) -> Result<(), StoreError> {
        self.txn
            .open_table(ACCOUNTS)?
            .remove(name.to_lowercase().as_str())?;
        Ok(())
    }
}
