//! `wasmud:runtime/object`: the `object` resource and the `lookup` / `search` / `create`
//! functions.
//!
//! Every method resolves its handle to an id (a trap if the handle is forged), then calls the
//! world. Game-level failures come back as the WIT `error` variant; only host bugs trap.

use wasmtime::component::{Resource, ResourceTableError};

use crate::grants::{Grant, Op};
use crate::runtime::bindings::wasmud::runtime::object::{
    Error, Host, HostObject, ObjectId as WitId, Value as WitValue, ValueArg,
};
use crate::runtime::ctx::Ctx;
use crate::runtime::handle::ObjectHandle;
use crate::value::{ObjectId, Value};
use crate::world::{AttrKind, WorldError, lifecycle};

type Handle = Resource<ObjectHandle>;

/// Returns the guest's `not-permitted` error from the host function unless the running call's
/// grants allow `op`.
macro_rules! permit {
    ($ctx:expr, $op:expr) => {
        if let Err(refused) = $ctx.permit($op)? {
            return Ok(Err(refused));
        }
    };
}
/// What a host function returns: a trap (outer) or a game-level result (inner).
type HostResult<T> = wasmtime::Result<Result<T, Error>>;

impl From<WorldError> for Error {
    fn from(e: WorldError) -> Self {
        match e {
            WorldError::NotFound(s) => Error::NotFound(s),
            WorldError::Deleted(id) => Error::Deleted(id),
            WorldError::InvalidArgument(s) => Error::InvalidArgument(s),
            WorldError::Vetoed(s) => Error::Vetoed(s),
            other => Error::Internal(other.to_string()),
        }
    }
}

impl Ctx {
    /// Runs a world operation for the guest.
    pub(super) fn op<T>(
        &mut self,
        op: impl FnOnce(&mut crate::world::WorldState) -> Result<T, WorldError>,
    ) -> HostResult<T> {
        Ok(self.with_world(op)?.map_err(Error::from))
    }

    /// Runs a world operation on object `id` for the guest, after loading it (with its
    /// `at-init`) if it is not cached.
    fn op_on<T>(
        &mut self,
        id: ObjectId,
        op: impl FnOnce(&mut crate::world::WorldState) -> Result<T, WorldError>,
    ) -> HostResult<T> {
        if let Err(e) = self.prepare(id)? {
            return Ok(Err(e.into()));
        }
        self.op(op)
    }

    fn lower_value(&mut self, value: Value) -> wasmtime::Result<WitValue> {
        Ok(match value {
            Value::Null => WitValue::Null,
            Value::Bool(b) => WitValue::Boolean(b),
            Value::Int(i) => WitValue::Integer(i),
            Value::Float(x) => WitValue::Float(x),
            Value::Text(s) => WitValue::Text(s.into()),
            Value::Bytes(b) => WitValue::Bytes(b.into()),
            Value::Object(id) => WitValue::Object(self.new_handle(id)?),
            Value::Json(j) => WitValue::Json(j.into()),
        })
    }

    fn lift_value(&self, value: ValueArg) -> wasmtime::Result<Value> {
        Ok(match value {
            ValueArg::Null => Value::Null,
            ValueArg::Boolean(b) => Value::Bool(b),
            ValueArg::Integer(i) => Value::Int(i),
            ValueArg::Float(x) => Value::Float(x),
            ValueArg::Text(s) => Value::Text(s.into()),
            ValueArg::Bytes(b) => Value::Bytes(b.into()),
            ValueArg::Object(h) => Value::Object(self.id_of(&h)?),
            ValueArg::Json(j) => Value::Json(j.into()),
        })
    }

    /// Handles for a list of objects (`contents`, `search`). A list longer than the instance's
    /// handle table can take is refused whole with an error value, not a trap: its length is
    /// not the caller's doing (anyone may fill a room), so it must not be charged for it.
    fn handles(&mut self, ids: Vec<ObjectId>) -> HostResult<Vec<Handle>> {
        let n = ids.len();
        let mut out = Vec::with_capacity(n);
        for id in ids {
            match self.table.push(ObjectHandle { id }) {
                Ok(handle) => {
                    self.scope.note_handed(id);
                    out.push(handle);
                }
                Err(ResourceTableError::Full) => {
                    for handle in out {
                        self.table.delete(handle)?;
                    }
                    return Ok(Err(Error::Internal(format!(
                        "the list has {n} objects, more than this hook's handle limit leaves room for"
                    ))));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Ok(out))
    }

    fn opt_id(&self, handle: Option<&Handle>) -> wasmtime::Result<Option<ObjectId>> {
        handle.map(|h| self.id_of(h)).transpose()
    }

    fn attr_get(&mut self, h: &Handle, kind: AttrKind, name: &str) -> HostResult<Option<WitValue>> {
        let id = self.id_of(h)?;
        match self.op_on(id, |w| w.attr_get(id, kind, name))? {
            Ok(Some(v)) => Ok(Ok(Some(self.lower_value(v)?))),
            Ok(None) => Ok(Ok(None)),
            Err(e) => Ok(Err(e)),
        }
    }

    fn attr_set(&mut self, h: &Handle, kind: AttrKind, name: &str, v: ValueArg) -> HostResult<()> {
        let id = self.id_of(h)?;
        permit!(self, Op::Edit(id));
        let value = self.lift_value(v)?;
        self.op_on(id, |w| w.attr_set(id, kind, name, value))
    }
}

impl HostObject for Ctx {
    fn id(&mut self, this: Handle) -> wasmtime::Result<WitId> {
        self.id_of(&this)
    }

    fn key(&mut self, this: Handle) -> HostResult<String> {
        let id = self.id_of(&this)?;
        self.op_on(id, |w| w.key(id).map(str::to_owned))
    }

    fn set_key(&mut self, this: Handle, key: String) -> HostResult<()> {
        let id = self.id_of(&this)?;
        permit!(self, Op::Edit(id));
        self.op_on(id, |w| w.set_key(id, &key))
    }

    fn typeclass(&mut self, this: Handle) -> HostResult<String> {
        let id = self.id_of(&this)?;
        self.op_on(id, |w| w.typeclass(id).map(str::to_owned))
    }

    fn set_typeclass(&mut self, this: Handle, typeclass: String) -> HostResult<()> {
        let id = self.id_of(&this)?;
        permit!(self, Op::Retype(id));
        let retyped = self.with_world_box(|w| lifecycle::retype_with_hooks(w, id, &typeclass))?;
        Ok(retyped.map_err(Error::from))
    }

    fn location(&mut self, this: Handle) -> HostResult<Option<Handle>> {
        let id = self.id_of(&this)?;
        match self.op_on(id, |w| w.location(id))? {
            Ok(Some(place)) => Ok(Ok(Some(self.new_handle(place)?))),
            Ok(None) => Ok(Ok(None)),
            Err(e) => Ok(Err(e)),
        }
    }

    fn contents(&mut self, this: Handle) -> HostResult<Vec<Handle>> {
        let id = self.id_of(&this)?;
        match self.op_on(id, |w| w.contents(id))? {
            Ok(ids) => self.handles(ids),
            Err(e) => Ok(Err(e)),
        }
    }

    fn move_to(&mut self, this: Handle, destination: Option<Handle>) -> HostResult<()> {
        let id = self.id_of(&this)?;
        let destination = self.opt_id(destination.as_ref())?;
        // Where it is now matters only to `carry`: read it only then.
        let from = if self.grants.holds(Grant::Carry) && !self.grants.holds(Grant::Move) {
            match self.op_on(id, |w| w.location(id))? {
                Ok(from) => from,
                Err(e) => return Ok(Err(e)),
            }
        } else {
            None
        };
        permit!(
            self,
            Op::Move {
                target: id,
                from,
                to: destination
            }
        );
        let moved = self.with_world_box(|w| lifecycle::move_with_hooks(w, id, destination))?;
        Ok(moved.map_err(Error::from))
    }

    fn db_get(&mut self, this: Handle, name: String) -> HostResult<Option<WitValue>> {
        self.attr_get(&this, AttrKind::Db, &name)
    }

    fn db_set(&mut self, this: Handle, name: String, value: ValueArg) -> HostResult<()> {
        self.attr_set(&this, AttrKind::Db, &name, value)
    }

    fn db_remove(&mut self, this: Handle, name: String) -> HostResult<bool> {
        let id = self.id_of(&this)?;
        permit!(self, Op::Edit(id));
        self.op_on(id, |w| w.attr_remove(id, AttrKind::Db, &name))
    }

    fn db_list(&mut self, this: Handle) -> HostResult<Vec<String>> {
        let id = self.id_of(&this)?;
        self.op_on(id, |w| w.attr_names(id, AttrKind::Db))
    }

    fn ndb_get(&mut self, this: Handle, name: String) -> HostResult<Option<WitValue>> {
        self.attr_get(&this, AttrKind::Ndb, &name)
    }

    fn ndb_set(&mut self, this: Handle, name: String, value: ValueArg) -> HostResult<()> {
        self.attr_set(&this, AttrKind::Ndb, &name, value)
    }

    fn ndb_remove(&mut self, this: Handle, name: String) -> HostResult<bool> {
        let id = self.id_of(&this)?;
        permit!(self, Op::Edit(id));
        self.op_on(id, |w| w.attr_remove(id, AttrKind::Ndb, &name))
    }

    fn ndb_list(&mut self, this: Handle) -> HostResult<Vec<String>> {
        let id = self.id_of(&this)?;
        self.op_on(id, |w| w.attr_names(id, AttrKind::Ndb))
    }

    fn msg(&mut self, this: Handle, text: String, sender: Option<Handle>) -> HostResult<()> {
        let id = self.id_of(&this)?;
        permit!(self, Op::Msg(id));
        let sender = self.opt_id(sender.as_ref())?;
        self.op(|w| w.queue_msg(id, text, sender))
    }

    fn delete(&mut self, this: Handle) -> HostResult<()> {
        let id = self.id_of(&this)?;
        permit!(self, Op::Delete(id));
        let deleted = self.with_world_box(|w| lifecycle::delete_with_hooks(w, id))?;
        Ok(deleted.map_err(Error::from))
    }

    fn drop(&mut self, rep: Handle) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl Host for Ctx {
    fn lookup(&mut self, id: WitId) -> HostResult<Handle> {
        permit!(self, Op::Lookup(id));
        match self.op_on(id, |w| w.entry(id).map(drop))? {
            Ok(()) => Ok(Ok(self.new_handle(id)?)),
            Err(e) => Ok(Err(e)),
        }
    }

    fn search(&mut self, key: String) -> HostResult<Vec<Handle>> {
        permit!(self, Op::Search);
        match self.op(|w| w.search(&key))? {
            Ok(ids) => self.handles(ids),
            Err(e) => Ok(Err(e)),
        }
    }

    fn create(
        &mut self,
        key: String,
        typeclass: String,
        location: Option<Handle>,
    ) -> HostResult<Handle> {
        permit!(self, Op::Create);
        let location = self.opt_id(location.as_ref())?;
        let created =
            self.with_world_box(|w| lifecycle::create_with_hooks(w, &key, &typeclass, location))?;
        match created {
            Ok(id) => {
                self.scope.note_created(id);
                Ok(Ok(self.new_handle(id)?))
            }
            Err(e) => Ok(Err(e.into())),
        }
    }
}
