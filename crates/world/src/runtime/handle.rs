//! [`ObjectHandle`]: what a guest's `object` resource is on the host side.

use crate::value::ObjectId;

/// The host side of a guest's `object` handle: only the id of the object it names.
///
/// The handle never points at a cache entry, so it can neither keep a flushed entry alive nor
/// dangle: every call resolves the id through the identity map, which reloads a flushed object
/// and reports a deleted one. Ids are never reused, so an id is its own generation check;
/// the `ResourceTable` slot that stores this (and is reused after a drop) is never used as
/// identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ObjectHandle {
    /// The object this handle names.
    pub id: ObjectId,
}
