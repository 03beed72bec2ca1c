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

use wasmtime::component::Resource;

use crate::runtime::bindings::ObjectHandle;
use crate::value::ObjectId;
use crate::world::{WorldError, WorldState};

/// Hook calls nested deeper than this fail with an internal error instead of exhausting the
/// native stack (each level is a host→guest→host round trip on the world thread).
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
        }
    }

    /// What a typeclass without a component answers (Evennia's defaults).
    fn default_answer(&self) -> bool {
        !matches!(self, Hook::Command { .. })
    }
}

/// Runs `hook` on `target` and returns its answer (true for hooks without one).
///
/// The world is moved in and returned in every case, so a failed hook never loses it.
pub(crate) fn call_hook(
    mut world: Box<WorldState>,
    target: ObjectId,
    hook: Hook<'_>,
) -> (Box<WorldState>, Result<bool, WorldError>) {
    let typeclass = match world.typeclass_of(target) {
        Ok(t) => t,
        Err(e) => return (world, Err(e)),
    };
    if !world.pending_init.is_empty() && !matches!(hook, Hook::Init) {
        world = run_pending_inits(world);
    }
    if world.depth >= MAX_HOOK_DEPTH {
        let err = WorldError::Internal(format!(
            "hooks nested deeper than {MAX_HOOK_DEPTH} (at {} on #{target})",
            hook.name()
        ));
        return (world, Err(err));
    }
    let mut inst = match world.instances.checkout(typeclass) {
        Ok(Some(inst)) => inst,
        Ok(None) => return (world, Ok(hook.default_answer())),
        Err(e) => return (world, Err(e)),
    };
    world.depth += 1;
    world.instances.hooks_run += 1;
    world.active.push(target);
    let mark = world.mark();
    let data = inst.store.data_mut();
    data.world = Some(world);
    let outer = std::mem::replace(&mut data.current, target);
    let result = invoke(&mut inst, target, hook);
    let data = inst.store.data_mut();
    data.current = outer;
    let mut world = data
        .world
        .take()
        .expect("host functions always return the world to the store");
    world.depth -= 1;
    world.active.pop();
    if !matches!(result, Ok(Ok(_))) {
        // The hook failed: none of its changes, creations or queued events remain.
        world.rollback_to(mark);
    }
    let typeclass_name = || world.names.name(typeclass).to_owned();
    let result = match result {
        Ok(Ok(answer)) => {
            world.instances.checkin(typeclass, inst);
            Ok(answer)
        }
        Ok(Err(message)) => {
            world.instances.checkin(typeclass, inst);
            Err(WorldError::Hook {
                typeclass: typeclass_name(),
                hook: hook.name(),
                object: target,
                trapped: false,
                detail: message,
            })
        }
        // A trapped instance is dropped, never reused.
        Err(trap) => {
            let detail = describe_trap(&trap, &world.instances.sandbox);
            let name = typeclass_name();
            if world.instances.record_fault(typeclass) {
                tracing::error!(
                    typeclass = name,
                    "typeclass quarantined after repeated traps: its hooks are skipped until it \
                     is reloaded"
                );
            }
            Err(WorldError::Hook {
                typeclass: name,
                hook: hook.name(),
                object: target,
                trapped: true,
                detail,
            })
        }
    };
    (world, result)
}

/// A one-line reason for a trap: interruption and stack overflow named plainly.
fn describe_trap(trap: &wasmtime::Error, sandbox: &crate::runtime::Sandbox) -> String {
    match trap.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => format!(
            "interrupted: still running after its {:?} deadline",
            sandbox.hook_deadline
        ),
        Some(wasmtime::Trap::StackOverflow) => "stack overflow (recursion too deep)".into(),
        _ => format!("{trap:#}"),
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
    let result = (|| {
        let this = push(inst, &mut pushed, target)?;
        let mut opt = |inst: &mut super::HookInstance, id: Option<ObjectId>| {
            id.map(|id| push(inst, &mut pushed, id)).transpose()
        };
        let hooks = inst.hooks.wasmud_runtime_hooks();
        let store = &mut inst.store;
        Ok(match hook {
            Hook::ObjectCreation => hooks.call_at_object_creation(store, this)?.map(|()| true),
            Hook::Init => hooks.call_at_init(store, this)?.map(|()| true),
            Hook::MsgReceive { text, sender } => {
                let sender = opt(inst, sender)?;
                let hooks = inst.hooks.wasmud_runtime_hooks();
                hooks.call_at_msg_receive(&mut inst.store, this, text, sender)?
            }
            Hook::Command { caller, input } => {
                let caller = opt(inst, Some(caller))?.expect("some in, some out");
                let hooks = inst.hooks.wasmud_runtime_hooks();
                hooks.call_at_command(&mut inst.store, this, caller, input)?
            }
            Hook::PreMove { destination } => {
                let destination = opt(inst, destination)?;
                let hooks = inst.hooks.wasmud_runtime_hooks();
                hooks.call_at_pre_move(&mut inst.store, this, destination)?
            }
            Hook::PostMove { source } => {
                let source = opt(inst, source)?;
                let hooks = inst.hooks.wasmud_runtime_hooks();
                hooks
                    .call_at_post_move(&mut inst.store, this, source)?
                    .map(|()| true)
            }
            Hook::ObjectDelete => hooks.call_at_object_delete(store, this)?,
        })
    })();
    let table = &mut inst.store.data_mut().table;
    for handle in pushed {
        // The guest cannot drop a borrowed handle, so this only fails on a host bug.
        let _ = table.delete(handle);
    }
    result
}

/// Runs the `at-init` hook of every object loaded since the last call (objects loaded by those
/// hooks included). Failures are logged: an object stays usable when its `at-init` fails.
pub(crate) fn run_pending_inits(mut world: Box<WorldState>) -> Box<WorldState> {
    while let Some(id) = world.pending_init.pop() {
        let (w, result) = call_hook(world, id, Hook::Init);
        world = w;
        if let Err(e) = result {
            tracing::warn!(object = id, "{e}");
        }
    }
    world
}
