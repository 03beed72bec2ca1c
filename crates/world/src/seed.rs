//! The small world a fresh data directory starts with: the demo game of `scripts/`.
//!
//! Three rooms joined by exits (Limbo, where characters start; a tavern; a garden), a few
//! items to pick up, a notice board, a guest character and Whiskers, a cat that wanders between
//! the rooms on a repeating timer and answers greetings. The board and Ginger, Whiskers' twin,
//! are Python typeclasses (seeded when the scripts directory has them).

use crate::Value;
use crate::value::ObjectId;
use crate::world::{AttrKind, Batch, World, WorldError};

/// What [`seed_if_empty`] created.
#[derive(Clone, Copy, Debug)]
pub struct Seeded {
    /// The starting room.
    pub limbo: ObjectId,
    /// The tavern, east of Limbo.
    pub tavern: ObjectId,
    /// The garden, north of the tavern.
    pub garden: ObjectId,
    /// A character standing in Limbo.
    pub guest: ObjectId,
    /// A cat that wanders between the rooms on a repeating timer.
    pub cat: ObjectId,
    /// The exit from Limbo east to the tavern.
    pub limbo_east: ObjectId,
    /// A lantern lying in the garden.
    pub lantern: ObjectId,
}

/// Creates the demo world if the world has no objects, in one turn: a seed that fails part-way
/// leaves the world empty (and seeded next time), never half-seeded. Returns `None` if the
/// world was not empty.
///
/// # Errors
/// Any [`WorldError`] from creating the objects (for example a missing typeclass).
pub fn seed_if_empty(world: &mut World) -> Result<Option<Seeded>, WorldError> {
    if world.object_count()? > 0 {
        return Ok(None);
    }
    let seeded = world.atomically(|t| {
        let limbo = room(
            t,
            "Limbo",
            "|wA featureless grey void.|n Everything starts here. Warm light spills from a \
             doorway to the |geast|n.",
        )?;
        let tavern = room(
            t,
            "Tavern",
            "A warm room that smells of ale and woodsmoke. A |yfire|n crackles in the hearth; \
             a door leads |gnorth|n into a garden, and the grey void lies |gwest|n.",
        )?;
        let garden = room(
            t,
            "Garden",
            "A small walled garden, overgrown with |gmint|n and |mlavender|n. Bees drone \
             among the flowers. The tavern door is |gsouth|n.",
        )?;
        let limbo_east = exit(t, "east", &["e", "tavern", "doorway"], limbo, tavern)?;
        exit(t, "west", &["w", "limbo", "void"], tavern, limbo)?;
        exit(t, "north", &["n", "garden"], tavern, garden)?;
        exit(t, "south", &["s", "tavern"], garden, tavern)?;
        item(
            t,
            "a mug of ale",
            &["mug", "ale"],
            "A dented pewter mug, full to the brim with |yfoaming ale|n.",
            tavern,
        )?;
        // A Python typeclass beside the Rust ones (scripts/noticeboard/app.py), if the
        // scripts directory has it (a world served from a directory of Rust typeclasses only
        // is seeded without it).
        match t.create("a notice board", "noticeboard", Some(tavern)) {
            Ok(board) => {
                let aliases = Value::Json(r#"["board","notices"]"#.into());
                t.set_attr(board, AttrKind::Db, "aliases", aliases)?;
            }
            Err(WorldError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        let lantern = item(
            t,
            "a brass lantern",
            &["lantern", "lamp"],
            "An old brass lantern. Its glass is sooty, but it still holds a |ywarm glow|n.",
            garden,
        )?;
        item(
            t,
            "a red rose",
            &["rose", "flower"],
            "A single |rred rose|n, its stem wrapped in twine.",
            garden,
        )?;
        let guest = t.create("Guest", "character", Some(limbo))?;
        // An NPC on a repeating timer (its at-object-creation schedules it): it keeps walking
        // the rooms whether or not anyone is there, and answers a greeting.
        let cat = t.create("Whiskers", "wanderer", Some(limbo))?;
        let route = format!("[{limbo},{tavern},{garden},{tavern}]");
        t.set_attr(cat, AttrKind::Db, "route", Value::Json(route.into()))?;
        let desc = "A grey cat with somewhere to be. Say hello; it might answer.";
        t.set_attr(cat, AttrKind::Db, "desc", Value::Text(desc.into()))?;
        // Its Python twin (scripts/pywanderer/app.py), if the scripts directory has it: the
        // same behaviour in the other language, walking the garden and the tavern.
        match t.create("Ginger", "pywanderer", Some(garden)) {
            Ok(ginger) => {
                let route = format!("[{garden},{tavern}]");
                t.set_attr(ginger, AttrKind::Db, "route", Value::Json(route.into()))?;
                let desc = "A ginger cat, written in Python. Say hello; it might answer.";
                t.set_attr(ginger, AttrKind::Db, "desc", Value::Text(desc.into()))?;
            }
            Err(WorldError::NotFound(_)) => {}
            Err(e) => return Err(e),
        }
        Ok(Seeded {
            limbo,
            tavern,
            garden,
            guest,
            cat,
            limbo_east,
            lantern,
        })
    })?;
    world.checkpoint()?;
    Ok(Some(seeded))
}

/// Creates a room called `key` described as `desc`.
pub fn room(t: &mut Batch, key: &str, desc: &str) -> Result<ObjectId, WorldError> {
    let id = t.create(key, "room", None)?;
    t.set_attr(id, AttrKind::Db, "desc", Value::Text(desc.into()))?;
    Ok(id)
}

fn aliases(t: &mut Batch, id: ObjectId, names: &[&str]) -> Result<(), WorldError> {
    let json = serde_json::to_string(names).expect("a list of names is JSON");
    t.set_attr(id, AttrKind::Db, "aliases", Value::Json(json.into()))
}

/// Creates exit `key` (also answering to `names`) in `from`, leading to `to`.
pub fn exit(
    t: &mut Batch,
    key: &str,
    names: &[&str],
    from: ObjectId,
    to: ObjectId,
) -> Result<ObjectId, WorldError> {
    let id = t.create(key, "exit", Some(from))?;
    aliases(t, id, names)?;
    t.set_attr(id, AttrKind::Db, "destination", Value::Object(to))?;
    Ok(id)
}

fn item(
    t: &mut Batch,
    key: &str,
    names: &[&str],
    desc: &str,
    place: ObjectId,
) -> Result<ObjectId, WorldError> {
    let id = t.create(key, "item", Some(place))?;
    aliases(t, id, names)?;
    t.set_attr(id, AttrKind::Db, "desc", Value::Text(desc.into()))?;
    Ok(id)
}
