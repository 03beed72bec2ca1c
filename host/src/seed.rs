//! The small world a fresh data directory starts with.

use crate::Value;
use crate::value::ObjectId;
use crate::world::{AttrKind, World, WorldError};

/// What [`seed_if_empty`] created.
#[derive(Clone, Copy, Debug)]
pub struct Seeded {
    /// The starting room.
    pub limbo: ObjectId,
    /// A second room.
    pub tavern: ObjectId,
    /// A character standing in Limbo.
    pub guest: ObjectId,
}

/// Creates Limbo, a tavern, a guest character and a counter, if the world has no objects, in
/// one turn: a seed that fails part-way leaves the world empty (and seeded next time), never
/// half-seeded. Returns `None` if the world was not empty.
///
/// # Errors
/// Any [`WorldError`] from creating the objects (for example a missing typeclass).
pub fn seed_if_empty(world: &mut World) -> Result<Option<Seeded>, WorldError> {
    if world.object_count()? > 0 {
        return Ok(None);
    }
    let seeded = world.atomically(|t| {
        let limbo = t.create("Limbo", "room", None)?;
        t.set_attr(
            limbo,
            AttrKind::Db,
            "desc",
            Value::Text("A featureless grey void. Everything starts here.".into()),
        )?;
        let tavern = t.create("Tavern", "room", None)?;
        t.set_attr(
            tavern,
            AttrKind::Db,
            "desc",
            Value::Text("A warm room that smells of ale and woodsmoke.".into()),
        )?;
        let guest = t.create("Guest", "character", Some(limbo))?;
        t.create("tally", "counter", Some(tavern))?;
        Ok(Seeded {
            limbo,
            tavern,
            guest,
        })
    })?;
    world.checkpoint()?;
    Ok(Some(seeded))
}
