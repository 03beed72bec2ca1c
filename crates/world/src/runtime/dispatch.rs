//! Calling a hook on an object.
//!
//! A hook call checks an instance of the object's typeclass out of its pool, moves the world
//! state into that instance's store data, pushes the hook's object arguments as fresh handles,
//! calls the export, removes the handles and moves the world back. A hook that needs another
//! hook to run synchronously (`move-to` runs `at-pre-move`, `delete` runs `at-object-delete`,
//! `create` runs `at-object-creation` and `at-init`) does the same from inside a host function:
//! the running instance is checked out, so the nested call gets another instance of the same
//! typeclass and no instance is ever re-entered. Hooks that may run later (`at-msg-receive`,
//! `at-post-move`) are queued instead; the world runs the queue after the top-level hook.

use std::time::{Duration, Instant};

use wasmtime::component::{Resource, ResourceTableError};

use crate::grants::Grant;
use crate::runtime::Checkout;
use crate::runtime::bindings::ObjectHandle;
use crate::runtime::budget::{HookClock, OutOfTime, TurnAborted};
use crate::runtime::host::wasi_poll::WouldBlock;
use crate::runtime::limiter::MemoryCapExceeded;
use crate::runtime::sandbox::STACK_PER_NESTED_HOOK;
use crate::symbol::Symbol;
use crate::value::ObjectId;
use crate::world::state::Frame;
use crate::world::{Limit, WorldError, WorldState};

/// Hook calls nested deeper than this fail the turn ([`Limit::Depth`]); each level is a
/// host→guest→host round trip on the world thread and needs its own native stack.
pub const MAX_HOOK_DEPTH: u32 = 24;

/// A hook with its arguments. Object arguments are ids; handles are made at the call.
#[derive(Clone, Copy, Debug)]
pub enum Hook<'a> {
    /// `at-object-creation`.
    ObjectCreation,
    /// `at-init`.
    Init,
    /// `at-msg-receive`.
    MsgReceive {
        /// The text.
        text: &'a str,
        /// Who sent it.
        sender: Option<ObjectId>,
    },
    /// `at-command`.
    Command {
        /// Who typed it.
        caller: ObjectId,
        /// What was typed.
        input: &'a str,
    },
    /// `at-pre-move`.
    PreMove {
        /// Where the object is going.
        destination: Option<ObjectId>,
    },
    /// `at-post-move`.
    PostMove {
        /// Where the object came from.
        source: Option<ObjectId>,
    },
    /// `at-object-delete`.
    ObjectDelete,
    /// `at-tick` (of `timer-hooks`; a component without it does nothing).
    Tick {
        /// The timer's name.
        name: &'a str,
    },
    /// `at-post-puppet` (of `puppet-hooks`; a component without it does nothing).
    PostPuppet,
    /// `at-pre-unpuppet` (of `puppet-hooks`; a component without it does nothing).
    PreUnpuppet,
}

impl Hook<'_> {
    /// The WIT name of the hook.
    pub fn name(&self) -> &'static str {
        match self {
            Hook::ObjectCreation => "at-object-creation",
            Hook::Init => "at-init",
            Hook::MsgReceive { .. } => "at-msg-receive",
            Hook::Command { .. } => "at-command",
            Hook::PreMove { .. } => "at-pre-move",
            Hook::PostMove { .. } => "at-post-move",
            Hook::ObjectDelete => "at-object-delete",
            Hook::Tick { .. } => "at-tick",
            Hook::PostPuppet => "at-post-puppet",
            Hook::PreUnpuppet => "at-pre-unpuppet",
        }
    }

    /// What a typeclass without a component answers (Evennia's defaults).
    fn default_answer(&self) -> bool {
        !matches!(self, Hook::Command { .. })
    }

    /// What a typeclass that should have a component but cannot run answers: veto hooks and
    /// everything a player could use to get past a check fail closed; notifications are
    /// skipped.
    fn unavailable_answer(&self, typeclass: String, reason: &str) -> Result<bool, WorldError> {
        match self {
            Hook::Init | Hook::PostMove { .. } | Hook::PostPuppet | Hook::PreUnpuppet => Ok(true),
            _ => Err(WorldError::Unavailable {
                typeclass,
                hook: self.name(),
                reason: reason.to_owned(),
            }),
        }
    }
}

/// Runs `hook` on `target` and returns its answer (true for hooks without one).
///
/// The target is loaded first (with its `at-init`; see [`ensure_loaded`]). The call gets its
/// own deadline and runs inside the turn's budget; if it fails, its changes are rolled back. A
/// limit reached anywhere (time, memory, stack, queue) fails the whole turn: the turn's
/// failure is recorded in the world, charged to the typeclass responsible, and every guest
/// still on the stack is unwound. The world is moved in and returned in every case.
pub(crate) fn call_hook(
    world: Box<WorldState>,
    target: ObjectId,
    hook: Hook<'_>,
) -> (Box<WorldState>, Result<bool, WorldError>) {
    let (mut world, loaded) = if matches!(hook, Hook::Init) {
        (world, Ok(()))
    } else {
        ensure_loaded(world, target)
    };
    if let Err(e) = loaded {
        return (world, Err(e));
    }
    let typeclass = match world.typeclass_of(target) {
        Ok(t) => t,
        Err(e) => return (world, Err(e)),
    };
    // The base typeclass runs no guest code: nothing to time, nest or check out.
    if world.instances.is_base(typeclass) {
        return (world, Ok(hook.default_answer()));
    }
    let now = Instant::now();
    if let Err(e) = world.check_turn_at(now) {
        return (world, Err(e));
    }
    if world.depth >= MAX_HOOK_DEPTH {
        let detail = format!(
            "hooks nested deeper than {MAX_HOOK_DEPTH} (at {} on #{target})",
            hook.name()
        );
        let err = world.fail_turn_deepest(Limit::Depth, detail);
        return (world, Err(err));
    }
    if world.depth > 0
        && stacker::remaining_stack().is_some_and(|left| left < STACK_PER_NESTED_HOOK)
    {
        let detail = format!(
            "not enough native stack left for a nested hook ({} on #{target} at depth {}); \
             run the world on a thread with a larger stack",
            hook.name(),
            world.depth
        );
        let err = world.fail_turn_deepest(Limit::NativeStack, detail);
        return (world, Err(err));
    }
    let clock = HookClock::start(
        now,
        world.instances.sandbox.hook_deadline,
        world.turn.deadline,
    );
    let mut inst = match world.instances.checkout(typeclass, clock) {
        Ok(Checkout::Instance(inst)) => inst,
        Ok(Checkout::Base) => return (world, Ok(hook.default_answer())),
        Ok(Checkout::Unavailable(reason)) => {
            let name = world.names.name(typeclass).to_owned();
            return (world, hook.unavailable_answer(name, reason));
        }
        Err(e) => {
            // A component that fails (or loops) when instantiated is charged like a trap, with
            // the time it took.
            world.charge_time(typeclass, now.elapsed());
            world.record_fault(typeclass);
            return (world, Err(e));
        }
    };
    inst.store.data_mut().clock = clock;
    inst.store.set_epoch_deadline(clock.ticks(now));
    world.depth += 1;
    world.instances.hooks_run += 1;
    world.active.push(target);
    world.frames.push(Frame {
        typeclass,
        started: now,
        nested: Duration::ZERO,
    });
    let mark = world.mark();
    let grants = world.instances.grants_of(typeclass);
    // Only a `build` grant asks who started the turn.
    let grants =
        grants.effective(grants.holds(Grant::Build) && world.builder_turn_for(target, &hook));
    let caller = match hook {
        Hook::Command { caller, .. } => Some(caller),
        _ => None,
    };
    let data = inst.store.data_mut();
    data.world = Some(world);
    let outer = std::mem::replace(&mut data.current, target);
    // An instance is never re-entered (a nested call checks out another), so its grants and
    // scope are simply those of the call it runs now.
    data.grants = grants;
    data.scope.reset(target, caller);
    let result = invoke(&mut inst, target, hook);
    let data = inst.store.data_mut();
    data.current = outer;
    let mut world = data
        .world
        .take()
        .expect("host functions always return the world to the store");
    let frame = world.frames.pop().expect("pushed above");
    let elapsed = frame.started.elapsed();
    if let Some(caller) = world.frames.last_mut() {
        caller.nested += elapsed;
    }
    world.charge_time(typeclass, elapsed.saturating_sub(frame.nested));
    world.depth -= 1;
    world.active.pop();
    if !matches!(result, Ok(Ok(_))) {
        // The hook failed: none of its changes, creations or queued events remain.
        world.rollback_to(mark);
    }
    let result = match result {
        Ok(Ok(answer)) => {
            world.instances.checkin(typeclass, inst);
            Ok(answer)
        }
        Ok(Err(message)) => {
            world.instances.checkin(typeclass, inst);
            Err(WorldError::Hook {
                typeclass: world.names.name(typeclass).to_owned(),
                hook: hook.name(),
                object: target,
                trapped: false,
                detail: message,
            })
        }
        // A trapped instance is dropped, never reused.
        Err(trap) => Err(trapped(&mut world, typeclass, target, hook, &trap)),
    };
    (world, result)
}

/// Classifies a trap of `typeclass`'s `hook` on `target`: a limit fails the turn (charged to
/// the typeclass responsible), a guest fault is this hook's failure; either counts towards
/// the quarantine of the typeclass charged.
fn trapped(
    world: &mut WorldState,
    typeclass: Symbol,
    target: ObjectId,
    hook: Hook<'_>,
    trap: &wasmtime::Error,
) -> WorldError {
    if trap.downcast_ref::<TurnAborted>().is_some()
        && let Some(error) = world.turn_error()
    {
        // Unwinding after a limit reached further in: not this guest's doing.
        return error;
    }
    let sandbox = &world.instances.sandbox;
    let limit = if let Some(out) = trap.downcast_ref::<OutOfTime>() {
        Some(match out {
            OutOfTime::Hook => (
                Limit::HookTime,
                format!(
                    "interrupted: still running after its {:?} deadline",
                    sandbox.hook_deadline
                ),
            ),
            OutOfTime::Turn => (
                Limit::TurnTime,
                format!("the turn ran past its {:?} budget", sandbox.turn_budget),
            ),
        })
    } else if let Some(cap) = trap.downcast_ref::<MemoryCapExceeded>() {
        Some((Limit::Memory, cap.to_string()))
    } else if let Some(e) = trap.downcast_ref::<WouldBlock>() {
        Some((Limit::Blocking, e.to_string()))
    } else if matches!(
        trap.downcast_ref::<ResourceTableError>(),
        Some(ResourceTableError::Full)
    ) {
        Some((
            Limit::Handles,
            format!(
                "handle limit: the instance already holds {} handles",
                sandbox.max_handles
            ),
        ))
    } else if let Some(wasmtime::Trap::StackOverflow) = trap.downcast_ref::<wasmtime::Trap>() {
        Some((
            Limit::WasmStack,
            "stack overflow (recursion too deep)".to_owned(),
        ))
    } else {
        None
    };
    match limit {
        Some((Limit::TurnTime, detail)) => {
            // The turn's time is charged to whoever used most of it, not to whoever was
            // running when it ran out.
            let charged = world.top_time_user(Instant::now()).unwrap_or(typeclass);
            world.fail_turn(Limit::TurnTime, detail, charged)
        }
        Some((limit, detail)) => {
            let depth = world.depth + 1;
            let detail = format!(
                "{} on #{target} at nesting depth {depth}: {detail}",
                hook.name()
            );
            world.fail_turn(limit, detail, typeclass)
        }
        None => {
            world.record_fault(typeclass);
            WorldError::Hook {
                typeclass: world.names.name(typeclass).to_owned(),
                hook: hook.name(),
                object: target,
                trapped: true,
                detail: format!("{trap:#}"),
            }
        }
    }
}

/// Pushes `id` as a handle in `inst`'s table; removed again by [`invoke`].
fn push(
    inst: &mut super::HookInstance,
    pushed: &mut Vec<Resource<ObjectHandle>>,
    id: ObjectId,
) -> wasmtime::Result<Resource<ObjectHandle>> {
    let own = inst.store.data_mut().new_handle(id)?;
    let borrow = Resource::new_borrow(own.rep());
    pushed.push(own);
    Ok(borrow)
}

fn invoke(
    inst: &mut super::HookInstance,
    target: ObjectId,
    hook: Hook<'_>,
) -> wasmtime::Result<Result<bool, String>> {
    let mut pushed = Vec::with_capacity(2);
    let other = match hook {
        Hook::MsgReceive { sender, .. } => sender,
        Hook::Command { caller, .. } => Some(caller),
        Hook::PreMove { destination } => destination,
        Hook::PostMove { source } => source,
        _ => None,
    };
    let result = (|| {
        let this = push(inst, &mut pushed, target)?;
        let other = other.map(|id| push(inst, &mut pushed, id)).transpose()?;
        inst.guests.call(&mut inst.store, this, other, hook)
    })();
    let table = &mut inst.store.data_mut().table;
    for handle in pushed {
        // The guest cannot drop a borrowed handle, so this only fails on a host bug.
        let _ = table.delete(handle);
    }
    result
}

/// Loads `id` into the cache if it is not there, and runs its `at-init` at once. A load and
/// its `at-init` stand or fall together: if `at-init` fails, its changes *and the load* are
/// rolled back (the object is not cached; the next use loads it and runs `at-init` again), and
/// the error is returned.
pub(crate) fn ensure_loaded(
    mut world: Box<WorldState>,
    id: ObjectId,
) -> (Box<WorldState>, Result<(), WorldError>) {
    if world.is_ready(id) {
        return (world, Ok(()));
    }
    let before = world.mark();
    if !world.cache.contains(id)
        && let Err(e) = world.entry(id)
    {
        return (world, Err(e));
    }
    // Loaded now, or earlier by an operation that has not run its at-init yet: run it now.
    world.pending_init.retain(|&p| p != id);
    let (mut world, result) = call_hook(world, id, Hook::Init);
    if let Err(e) = result {
        world.rollback_to(before);
        world.unload(id);
        return (world, Err(e));
    }
    let world = run_pending_inits(world);
    (world, Ok(()))
}

/// Runs the `at-init` hook of every object loaded since the last call (objects loaded by those
/// hooks included), for loads that happened in the middle of an operation. Each stands or falls
/// with its `at-init`: a failure rolls back that hook and drops the object from the cache
/// again (logged), so it is loaded afresh, with `at-init`, on next use.
pub(crate) fn run_pending_inits(mut world: Box<WorldState>) -> Box<WorldState> {
    while let Some(id) = world.pending_init.pop() {
        let (w, result) = call_hook(world, id, Hook::Init);
        world = w;
        if let Err(e) = result {
            // Logged (capped per turn); the object is not kept in the cache.
            world.log_failure(&e);
            world.unload(id);
        }
    }
    world
}
