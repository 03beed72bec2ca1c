//! Contract 0.1.x, still served: components built before 0.2.0 keep loading and running.
//!
//! 0.2.0 added a case to the `error` variant (`not-permitted`), and wasmtime checks variant
//! types case by case, so a 0.1.x component cannot be linked with the 0.2.0 functions. The
//! host therefore links the 0.1.3 interfaces (`crates/world/legacy-wit/0.1/`, the last 0.1 contract;
//! wasmtime matches 0.1.0 to 0.1.2 imports to them too) next to the current ones, each function
//! delegating to its 0.2.0 twin. The only difference a 0.1.x component can see: a refusal by
//! its grants arrives as `vetoed("not permitted: ...")`, an existing case with the same
//! meaning for the caller (the operation was refused, nothing changed).

use wasmtime::component::Resource;

use crate::runtime::bindings::wasmud::runtime as current;
use crate::runtime::ctx::Ctx;
pub use crate::runtime::handle::ObjectHandle;

wasmtime::component::bindgen!({
    world: "typeclass",
    path: "legacy-wit/0.1",
    with: { "wasmud:runtime/object.object": ObjectHandle },
    imports: { default: trappable },
});

use self::wasmud::runtime as old;

type Handle = Resource<ObjectHandle>;
type OldResult<T> = wasmtime::Result<Result<T, old::object::Error>>;

/// A 0.2.0 error as a 0.1.x component sees it.
fn error(e: current::object::Error) -> old::object::Error {
    use current::object::Error as E;
    use old::object::Error as Old;
    match e {
        E::NotFound(s) => Old::NotFound(s),
        E::Deleted(id) => Old::Deleted(id),
        E::InvalidArgument(s) => Old::InvalidArgument(s),
        E::Vetoed(s) => Old::Vetoed(s),
        E::Internal(s) => Old::Internal(s),
        E::NotPermitted(s) => Old::Vetoed(format!("not permitted: {s}")),
    }
}

/// Converts the result of a 0.2.0 host function for a 0.1.x caller.
fn down<T, U>(
    result: wasmtime::Result<Result<T, current::object::Error>>,
    map: impl FnOnce(T) -> U,
) -> OldResult<U> {
    Ok(result?.map(map).map_err(error))
}

fn value(v: current::object::Value) -> old::object::Value {
    use current::object::Value as V;
    use old::object::Value as Old;
    match v {
        V::Null => Old::Null,
        V::Boolean(b) => Old::Boolean(b),
        V::Integer(i) => Old::Integer(i),
        V::Float(x) => Old::Float(x),
        V::Text(s) => Old::Text(s),
        V::Bytes(b) => Old::Bytes(b),
        V::Object(h) => Old::Object(h),
        V::Json(j) => Old::Json(j),
    }
}

fn value_arg(v: old::object::ValueArg) -> current::object::ValueArg {
    use current::object::ValueArg as V;
    use old::object::ValueArg as Old;
    match v {
        Old::Null => V::Null,
        Old::Boolean(b) => V::Boolean(b),
        Old::Integer(i) => V::Integer(i),
        Old::Float(x) => V::Float(x),
        Old::Text(s) => V::Text(s),
        Old::Bytes(b) => V::Bytes(b),
        Old::Object(h) => V::Object(h),
        Old::Json(j) => V::Json(j),
    }
}

fn same<T>(t: T) -> T {
    t
}

impl old::object::HostObject for Ctx {
    fn id(&mut self, this: Handle) -> wasmtime::Result<u64> {
        current::object::HostObject::id(self, this)
    }
    fn key(&mut self, this: Handle) -> OldResult<String> {
        down(current::object::HostObject::key(self, this), same)
    }
    fn set_key(&mut self, this: Handle, key: String) -> OldResult<()> {
        down(current::object::HostObject::set_key(self, this, key), same)
    }
    fn typeclass(&mut self, this: Handle) -> OldResult<String> {
        down(current::object::HostObject::typeclass(self, this), same)
    }
    fn location(&mut self, this: Handle) -> OldResult<Option<Handle>> {
        down(current::object::HostObject::location(self, this), same)
    }
    fn contents(&mut self, this: Handle) -> OldResult<Vec<Handle>> {
        down(current::object::HostObject::contents(self, this), same)
    }
    fn move_to(&mut self, this: Handle, destination: Option<Handle>) -> OldResult<()> {
        down(
            current::object::HostObject::move_to(self, this, destination),
            same,
        )
    }
    fn db_get(&mut self, this: Handle, name: String) -> OldResult<Option<old::object::Value>> {
        down(current::object::HostObject::db_get(self, this, name), |v| {
            v.map(value)
        })
    }
    fn db_set(&mut self, this: Handle, name: String, v: old::object::ValueArg) -> OldResult<()> {
        let v = value_arg(v);
        down(
            current::object::HostObject::db_set(self, this, name, v),
            same,
        )
    }
    fn db_remove(&mut self, this: Handle, name: String) -> OldResult<bool> {
        down(
            current::object::HostObject::db_remove(self, this, name),
            same,
        )
    }
    fn db_list(&mut self, this: Handle) -> OldResult<Vec<String>> {
        down(current::object::HostObject::db_list(self, this), same)
    }
    fn ndb_get(&mut self, this: Handle, name: String) -> OldResult<Option<old::object::Value>> {
        down(
            current::object::HostObject::ndb_get(self, this, name),
            |v| v.map(value),
        )
    }
    fn ndb_set(&mut self, this: Handle, name: String, v: old::object::ValueArg) -> OldResult<()> {
        let v = value_arg(v);
        down(
            current::object::HostObject::ndb_set(self, this, name, v),
            same,
        )
    }
    fn ndb_remove(&mut self, this: Handle, name: String) -> OldResult<bool> {
        down(
            current::object::HostObject::ndb_remove(self, this, name),
            same,
        )
    }
    fn ndb_list(&mut self, this: Handle) -> OldResult<Vec<String>> {
        down(current::object::HostObject::ndb_list(self, this), same)
    }
    fn msg(&mut self, this: Handle, text: String, sender: Option<Handle>) -> OldResult<()> {
        down(
            current::object::HostObject::msg(self, this, text, sender),
            same,
        )
    }
    fn delete(&mut self, this: Handle) -> OldResult<()> {
        down(current::object::HostObject::delete(self, this), same)
    }
    fn drop(&mut self, rep: Handle) -> wasmtime::Result<()> {
        current::object::HostObject::drop(self, rep)
    }
}

impl old::object::Host for Ctx {
    fn lookup(&mut self, id: u64) -> OldResult<Handle> {
        down(current::object::Host::lookup(self, id), same)
    }
    fn search(&mut self, key: String) -> OldResult<Vec<Handle>> {
        down(current::object::Host::search(self, key), same)
    }
    fn create(&mut self, key: String, typeclass: String, at: Option<Handle>) -> OldResult<Handle> {
        down(
            current::object::Host::create(self, key, typeclass, at),
            same,
        )
    }
}

impl old::timers::Host for Ctx {
    fn after(&mut self, target: Handle, name: String, delay_ms: u64) -> OldResult<()> {
        down(
            current::timers::Host::after(self, target, name, delay_ms),
            same,
        )
    }
    fn every(&mut self, target: Handle, name: String, interval_ms: u64) -> OldResult<()> {
        let every = current::timers::Host::every(self, target, name, interval_ms);
        down(every, same)
    }
    fn cancel(&mut self, target: Handle, name: String) -> OldResult<bool> {
        down(current::timers::Host::cancel(self, target, name), same)
    }
    fn list(&mut self, target: Handle) -> OldResult<Vec<old::timers::Timer>> {
        down(current::timers::Host::list(self, target), |timers| {
            timers
                .into_iter()
                .map(|t| old::timers::Timer {
                    name: t.name,
                    due_ms: t.due_ms,
                    interval_ms: t.interval_ms,
                    failures: t.failures,
                    parked: t.parked,
                })
                .collect()
        })
    }
}

impl old::accounts::Host for Ctx {
    fn roles(&mut self, character: Handle) -> OldResult<Vec<String>> {
        down(current::accounts::Host::roles(self, character), same)
    }
}

impl old::log::Host for Ctx {
    fn log(&mut self, level: old::log::Level, message: String) -> wasmtime::Result<()> {
        use current::log::Level as L;
        use old::log::Level as Old;
        let level = match level {
            Old::Trace => L::Trace,
            Old::Debug => L::Debug,
            Old::Info => L::Info,
            Old::Warn => L::Warn,
            Old::Error => L::Error,
        };
        current::log::Host::log(self, level, message)
    }
}
