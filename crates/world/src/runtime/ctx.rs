//! [`Ctx`]: the data of one instance's wasmtime `Store`.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::grants::{Grants, Op, Scope, decide};
use crate::runtime::Sandbox;
use crate::runtime::budget::{HookClock, TurnAborted};
use crate::runtime::guest_output::LineBudget;
use crate::runtime::handle::ObjectHandle;
use crate::runtime::limiter::InstanceLimiter;
use crate::value::ObjectId;
use crate::world::{WorldError, WorldState};

/// Store data of a typeclass instance.
///
/// While the instance runs a hook, `world` holds the whole world state (moved in by
/// `dispatch`); between hooks it is `None`. So exactly one place owns the world at any time:
/// the world thread, or the instance running on it.
pub struct Ctx {
    pub(crate) world: Option<Box<WorldState>>,
    pub(crate) table: ResourceTable,
    wasi: WasiCtx,
    /// Linear memory and table limits of this store.
    pub(crate) limits: InstanceLimiter,
    /// The deadlines of the running hook call.
    pub(crate) clock: HookClock,
    /// Log lines this instance may still write (log import, stdout and stderr together).
    pub(crate) log_budget: Arc<LineBudget>,
    /// The typeclass this instance runs.
    pub(crate) typeclass: Arc<str>,
    /// The object whose hook is running.
    pub(crate) current: ObjectId,
    /// The grants in effect for the running call (see `crate::grants`).
    pub(crate) grants: Grants,
    /// What the running call owns and was handed.
    pub(crate) scope: Scope,
}

impl Ctx {
    /// Store data for an instance of `typeclass`; `log_budget` is the typeclass's (shared by
    /// all its instances, so making fresh instances does not make fresh log lines).
    pub(crate) fn new(typeclass: Arc<str>, sandbox: &Sandbox, log_budget: Arc<LineBudget>) -> Self {
        let mut table = ResourceTable::new();
        table.set_max_capacity(sandbox.max_handles);
        Ctx {
            world: None,
            table,
            wasi: crate::runtime::capabilities::wasi_ctx(&typeclass, &log_budget),
            limits: InstanceLimiter::new(sandbox.max_memory_bytes),
            clock: {
                let now = Instant::now();
                HookClock::start(now, sandbox.hook_deadline, now + sandbox.turn_budget)
            },
            log_budget,
            typeclass,
            current: 0,
            grants: Grants::NONE,
            scope: Scope::default(),
        }
    }

    /// The world, while a hook runs.
    ///
    /// # Errors
    /// A trap if called outside a hook (a host bug).
    pub(crate) fn world(&mut self) -> wasmtime::Result<&mut WorldState> {
        self.world
            .as_deref_mut()
            .ok_or_else(|| wasmtime::format_err!("world not present in store data"))
    }

    /// The id a guest handle names.
    ///
    /// # Errors
    /// A trap if the handle is not in this instance's table (forged or already dropped).
    pub(crate) fn id_of(&self, handle: &Resource<ObjectHandle>) -> wasmtime::Result<ObjectId> {
        Ok(self.table.get(handle)?.id)
    }

    /// A new owned handle to `id` for the guest.
    ///
    /// # Errors
    /// A trap if the table is full.
    pub(crate) fn new_handle(&mut self, id: ObjectId) -> wasmtime::Result<Resource<ObjectHandle>> {
        let handle = self.table.push(ObjectHandle { id })?;
        self.scope.note_handed(id);
        Ok(handle)
    }

    /// Checks `op` against the running call's grants. A refusal is counted for the typeclass,
    /// logged (the first in a turn) and returned as the guest's `not-permitted` error.
    ///
    /// # Errors
    /// A trap only if called outside a hook (a host bug).
    pub(crate) fn permit(
        &mut self,
        op: Op,
    ) -> wasmtime::Result<Result<(), crate::runtime::bindings::wasmud::runtime::object::Error>>
    {
        let Err(refusal) = decide(self.grants, &self.scope, op) else {
            return Ok(Ok(()));
        };
        let text = format!("{}: {refusal}", self.typeclass);
        let (object, typeclass) = (self.current, self.typeclass.clone());
        self.world()?.note_refusal(&typeclass, object, &text);
        Ok(Err(
            crate::runtime::bindings::wasmud::runtime::object::Error::NotPermitted(text),
        ))
    }

    /// Makes sure `id` is cached with its `at-init` done before an operation uses it, so a
    /// load and its `at-init` stand or fall together (see `dispatch::ensure_loaded`).
    ///
    /// # Errors
    /// A trap if the turn was aborted meanwhile.
    pub(crate) fn prepare(&mut self, id: ObjectId) -> wasmtime::Result<Result<(), WorldError>> {
        if self.world()?.is_ready(id) {
            return Ok(Ok(()));
        }
        self.with_world_box(|w| crate::runtime::dispatch::ensure_loaded(w, id))
    }

    /// Runs `op` on the world, then the `at-init` of any object it loaded (nested, before the
    /// guest continues), and converts the result for the guest.
    ///
    /// # Errors
    /// A trap if the turn was aborted by a limit ([`TurnAborted`]): the guest must not go on.
    pub(crate) fn with_world<T>(
        &mut self,
        op: impl FnOnce(&mut WorldState) -> Result<T, WorldError>,
    ) -> wasmtime::Result<Result<T, WorldError>> {
        let world = self.world()?;
        let result = op(world);
        if !world.pending_init.is_empty() {
            return self
                .with_world_box(|w| (crate::runtime::dispatch::run_pending_inits(w), result));
        }
        if world.turn_aborted() {
            return Err(TurnAborted.into());
        }
        Ok(result)
    }

    /// Runs `f` with the world moved out of this store (for nested hook calls) and puts it back.
    /// The time `f` takes does not count against this hook's own deadline.
    ///
    /// # Errors
    /// A trap if the turn was aborted by a limit ([`TurnAborted`]).
    pub(crate) fn with_world_box<T>(
        &mut self,
        f: impl FnOnce(Box<WorldState>) -> (Box<WorldState>, T),
    ) -> wasmtime::Result<T> {
        let world = self
            .world
            .take()
            .ok_or_else(|| wasmtime::format_err!("world not present in store data"))?;
        let started = Instant::now();
        let (world, out) = f(world);
        self.clock.own += started.elapsed();
        let aborted = world.turn_aborted();
        self.world = Some(world);
        if aborted {
            return Err(TurnAborted.into());
        }
        Ok(out)
    }
}

impl WasiView for Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
