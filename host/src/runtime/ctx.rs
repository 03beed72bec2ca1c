//! [`Ctx`]: the data of one instance's wasmtime `Store`.

use std::sync::Arc;

use wasmtime::StoreLimits;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::runtime::Sandbox;

use crate::runtime::handle::ObjectHandle;
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
    /// Memory, table and instance limits of this store.
    pub(crate) limits: StoreLimits,
    /// The typeclass this instance runs.
    pub(crate) typeclass: Arc<str>,
    /// The object whose hook is running.
    pub(crate) current: ObjectId,
}

impl Ctx {
    pub(crate) fn new(typeclass: Arc<str>, sandbox: &Sandbox) -> Self {
        let mut table = ResourceTable::new();
        table.set_max_capacity(sandbox.max_handles);
        Ctx {
            world: None,
            table,
            wasi: crate::runtime::capabilities::wasi_ctx(&typeclass, sandbox),
            limits: sandbox.store_limits(),
            typeclass,
            current: 0,
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
        Ok(self.table.push(ObjectHandle { id })?)
    }

    /// Runs `op` on the world, then the `at-init` of any object it loaded (nested, before the
    /// guest continues), and converts the result for the guest.
    pub(crate) fn with_world<T>(
        &mut self,
        op: impl FnOnce(&mut WorldState) -> Result<T, WorldError>,
    ) -> wasmtime::Result<Result<T, WorldError>> {
        let world = self.world()?;
        let result = op(world);
        if !world.pending_init.is_empty() {
            let world = self.world.take().expect("checked above");
            self.world = Some(crate::runtime::dispatch::run_pending_inits(world));
        }
        Ok(result)
    }

    /// Runs `f` with the world moved out of this store (for nested hook calls) and puts it back.
    pub(crate) fn with_world_box<T>(
        &mut self,
        f: impl FnOnce(Box<WorldState>) -> (Box<WorldState>, T),
    ) -> wasmtime::Result<T> {
        let world = self
            .world
            .take()
            .ok_or_else(|| wasmtime::format_err!("world not present in store data"))?;
        let (world, out) = f(world);
        self.world = Some(world);
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
