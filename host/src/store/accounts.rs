//! Account rows: [`ACCOUNTS`], by lower-cased name.
//!
//! Account rows carry their own record version (the first byte): version 1 (before roles) is
//! still read, as an account with the `player` role that never logged in; version 2 is written.
//! A build that only knows version 1 refuses a version 2 row as newer instead of misreading it.

use redb::ReadableTable;
use serde::Deserialize;

use super::schema::{ACCOUNTS, AccountRecord};
use super::{StoreError, StoreRead, StoreWrite};
use crate::roles::Roles;
use crate::value::ObjectId;

/// The record version account rows are written with.
const ACCOUNT_VERSION: u8 = 2;

/// An account row of version 1.
#[derive(Deserialize)]
struct AccountV1 {
    name: Box<str>,
    password: Box<str>,
    character: ObjectId,
    created_ms: u64,
}

fn encode(record: &AccountRecord) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![ACCOUNT_VERSION];
    postcard::to_io(record, &mut out).map_err(|e| StoreError::Decode {
        detail: format!("encode: {e}"),
    })?;
    Ok(out)
}

fn decode(raw: &[u8]) -> Result<AccountRecord, StoreError> {
    let bad = |e: postcard::Error| StoreError::Decode {
        detail: format!("account: {e}"),
    };
    match raw.split_first() {
        Some((1, body)) => {
            let v1: AccountV1 = postcard::from_bytes(body).map_err(bad)?;
            Ok(AccountRecord {
                name: v1.name,
                password: v1.password,
                character: v1.character,
                created_ms: v1.created_ms,
                roles: Roles::default(),
                last_login_ms: None,
            })
        }
        Some((&ACCOUNT_VERSION, body)) => {
            let mut record: AccountRecord = postcard::from_bytes(body).map_err(bad)?;
            record.roles = record.roles.normalized();
            Ok(record)
        }
        Some((&found, _)) if found > ACCOUNT_VERSION => Err(StoreError::NewerSchema {
            found: u64::from(found),
            supported: ACCOUNT_VERSION,
        }),
        Some((found, _)) => Err(StoreError::Decode {
            detail: format!("unknown account record version {found}"),
        }),
        None => Err(StoreError::Decode {
            detail: "empty account record".into(),
        }),
    }
}

/// Reading accounts, shared by read and write transactions.
pub trait AccountView {
    /// The account called `name` (any case).
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or an undecodable record.
    fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError>;

    /// Every account, by lower-cased name.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure or an undecodable record.
    fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError>;
}

macro_rules! impl_account_view {
    ($ty:ty) => {
        impl AccountView for $ty {
            fn account(&self, name: &str) -> Result<Option<AccountRecord>, StoreError> {
                let key = name.to_lowercase();
                match self.txn.open_table(ACCOUNTS)?.get(key.as_str())? {
                    Some(raw) => Ok(Some(decode(raw.value())?)),
                    None => Ok(None),
                }
            }

            fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
                let table = self.txn.open_table(ACCOUNTS)?;
                let mut out = Vec::new();
                for row in table.iter()? {
                    out.push(decode(row?.1.value())?);
                }
                Ok(out)
            }
        }
    };
}

impl_account_view!(StoreRead);
impl_account_view!(StoreWrite);

impl StoreWrite {
    /// Writes an account (keyed by its lower-cased name), new or changed.
    ///
    /// # Errors
    /// [`StoreError`] on a storage failure.
    pub fn put_account(&mut self, record: &AccountRecord) -> Result<(), StoreError> {
        let key = record.name.to_lowercase();
        self.txn
            .open_table(ACCOUNTS)?
            .insert(key.as_str(), encode(record)?.as_slice())?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::Role;

    #[test]
    fn version_1_rows_read_as_players_and_newer_rows_are_refused() {
        #[derive(serde::Serialize)]
        struct V1<'a>(&'a str, &'a str, u64, u64);
        let mut raw = vec![1];
        postcard::to_io(&V1("Alice", "$argon2id$x", 7, 99), &mut raw).unwrap();
        let old = decode(&raw).unwrap();
        assert_eq!(
            (&*old.name, old.character, old.created_ms, old.last_login_ms),
            ("Alice", 7, 99, None)
        );
        assert_eq!(old.roles, Roles::default());
        let new = AccountRecord {
            roles: Roles::default().with(Role::Builder),
            last_login_ms: Some(5),
            ..old
        };
        assert_eq!(decode(&encode(&new).unwrap()).unwrap(), new);
        let mut newer = encode(&new).unwrap();
        newer[0] = ACCOUNT_VERSION + 1;
        assert!(matches!(
            decode(&newer),
            Err(StoreError::NewerSchema { .. })
        ));
    }
}
