//! `wasmud:runtime/timers`: scheduling, cancelling and listing an object's timers. The world
//! does the work (`world::timers`); this module translates handles and records.

use wasmtime::component::Resource;

use crate::grants::Op;
use crate::runtime::bindings::wasmud::runtime::object::Error;
use crate::runtime::bindings::wasmud::runtime::timers::{Host, Timer};
use crate::runtime::ctx::Ctx;
use crate::runtime::handle::ObjectHandle;

type Handle = Resource<ObjectHandle>;
/// What a host function returns: a trap (outer) or a game-level result (inner).
type HostResult<T> = wasmtime::Result<Result<T, Error>>;

impl Host for Ctx {
    fn after(&mut self, target: Handle, name: String, delay_ms: u64) -> HostResult<()> {
        let id = self.id_of(&target)?;
        permit!(self, Op::Timers(id));
        self.op(|w| w.schedule_timer(id, &name, delay_ms, false))
    }

    fn every(&mut self, target: Handle, name: String, interval_ms: u64) -> HostResult<()> {
        let id = self.id_of(&target)?;
        permit!(self, Op::Timers(id));
        self.op(|w| w.schedule_timer(id, &name, interval_ms, true))
    }

    fn cancel(&mut self, target: Handle, name: String) -> HostResult<bool> {
        let id = self.id_of(&target)?;
        permit!(self, Op::Timers(id));
        self.op(|w| w.cancel_timer(id, &name))
    }

    fn list(&mut self, target: Handle) -> HostResult<Vec<Timer>> {
        let id = self.id_of(&target)?;
        let timers = self.op(|w| w.timers_of(id))?;
        Ok(timers.map(|list| {
            list.into_iter()
                .map(|t| Timer {
                    name: t.name,
                    due_ms: t.due_ms,
                    interval_ms: t.interval_ms,
                    failures: t.failures,
                    parked: t.parked,
                })
                .collect()
        }))
    }
}
