//! Operations that run hooks around a change: create, move, delete, and the event queue.
//!
//! Each takes the world by value and gives it back (see `runtime::dispatch`), so the same code
//! serves the host API and guest calls nested inside a running hook.

use crate::runtime::Hook;
use crate::runtime::dispatch::call_hook;
use crate::value::ObjectId;
use crate::world::{Delivery, Event, WorldError, WorldState};

/// Events run per top-level operation at most: a guard against scripts that message each other
/// forever. The rest are dropped with a warning.
pub const MAX_EVENTS_PER_TURN: usize = 100_000;

type Outcome<T> = (Box<WorldState>, Result<T, WorldError>);

/// Creates an object and runs its `at-object-creation`, then its `at-init`. If either hook
/// fails, the object is not created.
pub(crate) fn create_with_hooks(
    mut world: Box<WorldState>,
    key: &str,
    typeclass: &str,
    location: Option<ObjectId>,
) -> Outcome<ObjectId> {
    let mark = world.mark();
    let id = match world.create(key, typeclass, location) {
        Ok(id) => id,
        Err(e) => return (world, Err(e)),
    };
    for hook in [Hook::ObjectCreation, Hook::Init] {
        let (w, result) = call_hook(world, id, hook);
        world = w;
        if let Err(e) = result {
            world.rollback_to(mark);
            return (world, Err(e));
        }
    }
    (world, Ok(id))
}

/// Asks a veto hook; `Vetoed` if it refuses or fails.
fn ask(world: Box<WorldState>, target: ObjectId, hook: Hook<'_>) -> Outcome<()> {
    let (world, answer) = call_hook(world, target, hook);
    let result = match answer {
        Ok(true) => Ok(()),
        Ok(false) => Err(WorldError::Vetoed(format!(
            "{} of #{target} refused",
            hook.name()
        ))),
        Err(e) => Err(WorldError::Vetoed(format!(
            "{} of #{target} failed: {e}",
            hook.name()
        ))),
    };
    (world, result)
}

/// Moves `id` into `destination` after its `at-pre-move` agrees; queues its `at-post-move`.
pub(crate) fn move_with_hooks(
    world: Box<WorldState>,
    id: ObjectId,
    destination: Option<ObjectId>,
) -> Outcome<()> {
    let mut world = world;
    if let Err(e) = world.check_move(id, destination) {
        return (world, Err(e));
    }
    let (mut world, allowed) = ask(world, id, Hook::PreMove { destination });
    if let Err(e) = allowed {
        return (world, Err(e));
    }
    let result = world.move_object(id, destination).map(|source| {
        world
            .events
            .push_back(Event::PostMove { target: id, source });
    });
    (world, result)
}

/// Deletes `id` after its `at-object-delete` agrees.
pub(crate) fn delete_with_hooks(world: Box<WorldState>, id: ObjectId) -> Outcome<()> {
    let (mut world, allowed) = ask(world, id, Hook::ObjectDelete);
    let result = allowed.and_then(|()| world.delete(id));
    (world, result)
}

/// Runs queued events until the queue is empty (or [`MAX_EVENTS_PER_TURN`] ran).
pub(crate) fn run_events(mut world: Box<WorldState>) -> Box<WorldState> {
    let mut ran = 0;
    while let Some(event) = world.events.pop_front() {
        if ran == MAX_EVENTS_PER_TURN {
            tracing::warn!(
                dropped = world.events.len() + 1,
                "event limit per turn reached; dropping the rest"
            );
            world.events.clear();
            break;
        }
        ran += 1;
        world = match event {
            Event::MsgReceive {
                target,
                text,
                sender,
            } => {
                let hook = Hook::MsgReceive {
                    text: &text,
                    sender,
                };
                let (mut world, result) = call_hook(world, target, hook);
                match result {
                    Ok(true) => world.deliveries.push(Delivery {
                        to: target,
                        text,
                        from: sender,
                    }),
                    Ok(false) | Err(WorldError::Deleted(_)) => {}
                    Err(e) => tracing::warn!("{e}"),
                }
                world
            }
            Event::PostMove { target, source } => {
                let (world, result) = call_hook(world, target, Hook::PostMove { source });
                match result {
                    Ok(_) | Err(WorldError::Deleted(_)) => {}
                    Err(e) => tracing::warn!("{e}"),
                }
                world
            }
        };
    }
    world
}
