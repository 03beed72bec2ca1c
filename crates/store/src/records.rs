//! The records the world keeps and their encoding, shared by every backend.
//!
//! Every record (object or attribute value, timer) is stored as one leading [`SCHEMA_VERSION`]
//! byte followed by the `postcard` encoding of the record. A reader rejects a newer version
//! byte instead of misreading it. Account rows carry their own record version: version 1
//! (before roles) is still read, as an account with the `player` role that never logged in;
//! version 2 is written. A build that only knows version 1 refuses a version 2 row as newer.

use serde::{Deserialize, Serialize, de::DeserializeOwned};
use wasmud_common::ObjectId;
use wasmud_common::roles::Roles;

use crate::StoreError;

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: u8 = 1;

/// The persistent part of an object other than its attributes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRecord {
    /// The object's key (name).
    pub key: Box<str>,
    /// The name of its typeclass.
    pub typeclass: Box<str>,
    /// The id of the object it is in, if any.
    pub location: Option<ObjectId>,
}

/// A player account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    /// The name as it was registered (its lower-cased form is the key).
    pub name: Box<str>,
    /// The password as an argon2id PHC string (`$argon2id$...`); never the password itself.
    pub password: Box<str>,
    /// The character created with the account and puppeted at login.
    pub character: ObjectId,
    /// When it was created (Unix ms).
    pub created_ms: u64,
    /// Its roles (given and taken only by the admin console).
    pub roles: Roles,
    /// When it last logged in (Unix ms); `None` if it never did since roles were recorded.
    pub last_login_ms: Option<u64>,
}

/// One timer of an object (its object id and name are its key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerRecord {
    /// When it fires next, in milliseconds since the Unix epoch. A repeating timer's rhythm
    /// counts from here.
    pub due_ms: u64,
    /// The interval of a repeating timer; `None` for a one-shot.
    pub interval_ms: Option<u64>,
    /// `at-tick` failures in a row.
    pub failures: u32,
    /// Times in a row it was due while its typeclass could not run (each wait is longer).
    pub waits: u32,
    /// Parked after repeated failures: not in the queue until scheduled again.
    pub parked: bool,
    /// The last failure, for the admin.
    pub last_error: Option<Box<str>>,
}

/// Encodes `value` with a leading schema version byte.
///
/// # Errors
/// [`StoreError::Decode`] if it cannot be encoded.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![SCHEMA_VERSION];
    postcard::to_io(value, &mut out).map_err(|e| StoreError::Decode {
        detail: format!("encode: {e}"),
    })?;
    Ok(out)
}

/// Decodes a record written by [`encode`], rejecting newer schema versions.
///
/// # Errors
/// [`StoreError::NewerSchema`] for a newer record, [`StoreError::Decode`] for a bad one.
pub fn decode<T: DeserializeOwned>(raw: &[u8]) -> Result<T, StoreError> {
    match raw.split_first() {
        Some((&SCHEMA_VERSION, body)) => {
            postcard::from_bytes(body).map_err(|e| StoreError::Decode {
                detail: e.to_string(),
            })
        }
        Some((&found, _)) if found > SCHEMA_VERSION => Err(StoreError::NewerSchema {
            found: u64::from(found),
            supported: SCHEMA_VERSION,
        }),
        Some((&found, _)) => Err(StoreError::Decode {
            detail: format!("unknown record version {found}"),
        }),
        None => Err(StoreError::Decode {
            detail: "empty record".into(),
        }),
    }
}

/// The record version account rows are written with.
pub const ACCOUNT_VERSION: u8 = 2;

/// An account row of version 1.
#[derive(Deserialize)]
struct AccountV1 {
    name: Box<str>,
    password: Box<str>,
    character: ObjectId,
    created_ms: u64,
}

/// Encodes an account row with its record version.
///
/// # Errors
/// [`StoreError::Decode`] if it cannot be encoded.
pub fn encode_account(record: &AccountRecord) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![ACCOUNT_VERSION];
    postcard::to_io(record, &mut out).map_err(|e| StoreError::Decode {
        detail: format!("encode: {e}"),
    })?;
    Ok(out)
}

/// Decodes an account row of any version this build reads (see the module docs).
///
/// # Errors
/// [`StoreError::NewerSchema`] for a newer row, [`StoreError::Decode`] for a bad one.
pub fn decode_account(raw: &[u8]) -> Result<AccountRecord, StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasmud_common::Value;

    #[test]
    fn records_round_trip_and_newer_versions_are_rejected() {
        let rec = ObjectRecord {
            key: "Limbo".into(),
            typeclass: "room".into(),
            location: Some(7),
        };
        assert_eq!(decode::<ObjectRecord>(&encode(&rec).unwrap()).unwrap(), rec);
        let v = Value::Text("hi".into());
        let mut raw = encode(&v).unwrap();
        assert_eq!(decode::<Value>(&raw).unwrap(), v);
        raw[0] = SCHEMA_VERSION + 1;
        assert!(matches!(
            decode::<Value>(&raw),
            Err(StoreError::NewerSchema { .. })
        ));
        assert!(matches!(
            decode::<Value>(&[]),
            Err(StoreError::Decode { .. })
        ));
    }
}

#[cfg(test)]
mod account_tests {
    use super::*;
    use wasmud_common::roles::Role;

    #[test]
    fn version_1_rows_read_as_players_and_newer_rows_are_refused() {
        #[derive(serde::Serialize)]
        struct V1<'a>(&'a str, &'a str, u64, u64);
        let mut raw = vec![1];
        postcard::to_io(&V1("Alice", "$argon2id$x", 7, 99), &mut raw).unwrap();
        let old = decode_account(&raw).unwrap();
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
        assert_eq!(decode_account(&encode_account(&new).unwrap()).unwrap(), new);
        let mut newer = encode_account(&new).unwrap();
        newer[0] = ACCOUNT_VERSION + 1;
        assert!(matches!(
            decode_account(&newer),
            Err(StoreError::NewerSchema { .. })
        ));
    }
}
