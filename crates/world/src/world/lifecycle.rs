//! Operations that run hooks around a change: create, move, delete, and the event queue.
//!
//! Each takes the world by value and gives it back (see `runtime::dispatch`), so the same code
//! serves the host API and guest calls nested inside a running hook.

use crate::runtime::Hook;
use crate::runtime::dispatch::{call_hook, ensure_loaded};
use crate::value::ObjectId;
use crate::world::{Delivery, Event, WorldError, WorldState};

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

/// Gives `id` the typeclass `typeclass` (keeping its id, key, location, `db` and `ndb`), then
/// runs the new typeclass's `at-init` on it, as if it had just been loaded. If the hook fails,
/// the object keeps its old typeclass.
pub(crate) fn retype_with_hooks(
    world: Box<WorldState>,
    id: ObjectId,
    typeclass: &str,
) -> Outcome<()> {
    let (mut world, loaded) = ensure_loaded(world, id);
    if let Err(e) = loaded {
        return (world, Err(e));
    }
    let mark = world.mark();
    if let Err(e) = world.set_typeclass(id, typeclass) {
        return (world, Err(e));
    }
    let (mut world, result) = call_hook(world, id, Hook::Init);
    if let Err(e) = result {
        world.rollback_to(mark);
        return (world, Err(e));
    }
    (world, Ok(()))
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
    let (mut world, loaded) = ensure_loaded(world, id);
    if let Err(e) = loaded {
        return (world, Err(e));
    }
    if let Err(e) = world.check_move(id, destination) {
        return (world, Err(e));
    }
    let mark = world.mark();
    let (mut world, allowed) = ask(world, id, Hook::PreMove { destination });
    let result = allowed.and_then(|()| {
        world
            .move_object(id, destination)
            .and_then(|source| world.push_event(Event::PostMove { target: id, source }))
    });
    if result.is_err() {
        // All or nothing: what `at-pre-move` changed goes with a move that did not happen.
        world.rollback_to(mark);
    }
    (world, result)
}

/// Deletes `id` after its `at-object-delete` agrees, atomically: either all of it happens or
/// none of it.
///
/// Hooks: the object's `at-object-delete` runs first and may veto. Its contents then move to
/// its location *without* `at-pre-move` (they cannot veto their container's deletion); each
/// gets `at-post-move` afterwards (queued), with the deleted object as the source (whose handle
/// reports `deleted`). A failure part-way (a content's `at-init`, a storage error, a limit)
/// rolls everything back: nothing is deleted and nothing has moved.
///
/// Deleting an object that is already being deleted (its own `at-object-delete` deleting it
/// again) returns at once: the outer delete goes on.
pub(crate) fn delete_with_hooks(world: Box<WorldState>, id: ObjectId) -> Outcome<()> {
    if world.deleting.contains(&id) {
        return (world, Ok(()));
    }
    let (mut world, loaded) = ensure_loaded(world, id);
    if let Err(e) = loaded {
        return (world, Err(e));
    }
    let mark = world.mark();
    world.deleting.push(id);
    let (mut world, result) = delete_steps(world, id);
    world.deleting.retain(|&d| d != id);
    if result.is_err() {
        world.rollback_to(mark);
    }
    (world, result)
}

fn delete_steps(world: Box<WorldState>, id: ObjectId) -> Outcome<()> {
    let (mut world, allowed) = ask(world, id, Hook::ObjectDelete);
    if let Err(e) = allowed {
        return (world, Err(e));
    }
    let children = match world.contents(id) {
        Ok(children) => children,
        Err(e) => return (world, Err(e)),
    };
    for &child in &children {
        let (w, loaded) = ensure_loaded(world, child);
        world = w;
        if let Err(e) = loaded {
            return (world, Err(e));
        }
    }
    // The contents actually moved (an at-init above may have moved things in or out).
    let moved = match world.delete(id) {
        Ok(moved) => moved,
        Err(e) => return (world, Err(e)),
    };
    for child in moved {
        let event = Event::PostMove {
            target: child,
            source: Some(id),
        };
        if let Err(e) = world.push_event(event) {
            return (world, Err(e));
        }
    }
    (world, Ok(()))
}

/// Runs queued events until the queue is empty, or until the turn fails (a limit reached: the
/// turn's time budget, or too many events or message bytes queued; see `world::limits`). A
/// failing event hook is logged and the turn goes on; a limit fails the whole turn.
pub(crate) fn run_events(mut world: Box<WorldState>) -> Box<WorldState> {
    while !world.turn_aborted() {
        let Some(event) = world.events.pop_front() else {
            break;
        };
        if world.check_turn().is_err() {
            break;
        }
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
                    Ok(false) | Err(WorldError::Deleted(_) | WorldError::Limit(_)) => {}
                    Err(e) => world.log_failure(&e),
                }
                world
            }
            Event::PostMove { target, source } => {
                let (mut world, result) = call_hook(world, target, Hook::PostMove { source });
                match result {
                    Ok(_) | Err(WorldError::Deleted(_) | WorldError::Limit(_)) => {}
                    Err(e) => world.log_failure(&e),
                }
                world
            }
        };
    }
    world
}
