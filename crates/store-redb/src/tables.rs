//! The redb tables of a world. Records are encoded by `wasmud_store::records` (a version
//! byte, then postcard).

use redb::{MultimapTableDefinition, TableDefinition};

/// Object id → encoded `ObjectRecord`.
pub(crate) const OBJECTS: TableDefinition<u64, &[u8]> = TableDefinition::new("objects");
/// (object id, attribute name) → encoded `Value`.
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
/// (object id, timer name) → encoded `TimerRecord`: every timer, parked ones included.
pub(crate) const TIMERS: TableDefinition<(u64, &str), &[u8]> = TableDefinition::new("timers");
/// Lower-cased account name → encoded `AccountRecord`.
pub(crate) const ACCOUNTS: TableDefinition<&str, &[u8]> = TableDefinition::new("accounts");
/// (due time in Unix ms, object id, timer name): the timers that will fire, in firing order.
pub(crate) const TIMER_QUEUE: TableDefinition<(u64, u64, &str), ()> =
    TableDefinition::new("timer_queue");
