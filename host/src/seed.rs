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
    /// A cat that wanders between Limbo and the tavern on a repeating timer.
    pub cat: ObjectId,
}

/// Creates Limbo, a tavern, a guest character, a counter and a wandering cat, if the world has no objects, in
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
        // An NPC on a repeating timer (its at-object-creation schedules it): it keeps walking
        // between the two rooms whether or not anyone is there.
        let cat = t.create("Whiskers", "wanderer", Some(limbo))?;
        t.set_attr(
            cat,
            AttrKind::Db,
            "route",
            Value::Json(format!("[{limbo},{tavern}]").into()),
        )?;
        t.set_attr(
            cat,
            AttrKind::Db,
            "desc",
            Value::Text("A grey cat with somewhere to be.".into()),
        )?;
        Ok(Seeded {
            limbo,
            tavern,
            guest,
            cat,
        })
    })?;
    world.checkpoint()?;
    Ok(Some(seeded))
}
