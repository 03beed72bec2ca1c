//! Table definitions and the versioned record encoding.
//!
//! Every record (object or attribute value) is stored as one leading [`SCHEMA_VERSION`] byte
//! followed by the `postcard` encoding of the record. A reader rejects a newer version byte
//! instead of misreading it.

use redb::{MultimapTableDefinition, TableDefinition};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::StoreError;
use crate::value::ObjectId;

/// The on-disk schema version this build reads and writes.
pub const SCHEMA_VERSION: u8 = 1;

/// Object id → encoded [`ObjectRecord`].
pub(crate) const OBJECTS: TableDefinition<u64, &[u8]> = TableDefinition::new("objects");
/// (object id, attribute name) → encoded [`crate::value::Value`].
pub(crate) const ATTRS: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("attrs");
/// Store metadata: `schema` (version), `next_id` (the id sequence).
pub(crate) const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// Ids of deleted objects, so their handles report `deleted` rather than `not-found`.
pub(crate) const TOMBSTONES: TableDefinition<u64, ()> = TableDefinition::new("tombstones");
/// Location id → ids of the objects in it.
pub(crate) const CONTENTS: MultimapTableDefinition<u64, u64> =
    MultimapTableDefinition::new("contents");
/// Lower-cased key → ids of the objects with that key.
pub(crate) const KEYS: MultimapTableDefinition<&str, u64> = MultimapTableDefinition::new("keys");
/// (object id, timer name) → encoded [`TimerRecord`]: every timer, parked ones included.
pub(crate) const TIMERS: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("timers");
/// Lower-cased account name → encoded [`AccountRecord`].
pub(crate) const ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("accounts");
/// (due time in Unix ms, object id, timer name): the timers that will fire, in firing order.
pub(crate) const TIMER_QUEUE: TableDefinition<(u64, u64, &str), ()> =
    TableDefinition::new("timer_queue");

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
    pub roles: crate::roles::Roles,
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
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    let mut out = vec![SCHEMA_VERSION];
    postcard::to_io(value, &mut out).map_err(|e| StoreError::Decode {
        detail: format!("encode: {e}"),
    })?;
    Ok(out)
}

/// Decodes a record written by [`encode`], rejecting newer schema versions.
pub(crate) fn decode<T: DeserializeOwned>(raw: &[u8]) -> Result<T, StoreError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

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
