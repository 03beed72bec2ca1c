//! [`Attrs`]: typed access to an object's `db` (persistent) or `ndb` (temporary) attributes.

use serde::Serialize;
use serde::de::{DeserializeOwned, IntoDeserializer, value::Error as DeError};

use crate::error::Error;
use crate::object::Object;
use crate::wit::wasmud::runtime::object as raw;

/// An attribute value as the host stores it.
pub use raw::Value;

#[derive(Clone, Copy)]
pub(crate) enum Kind {
    Db,
    Ndb,
}

/// One object's `db` or `ndb` attributes, from [`Object::db`] or [`Object::ndb`].
///
/// Plain values (integers, floats, booleans, strings, `()`) are stored natively; any other
/// `serde` type is stored as JSON. Object references have their own methods and come back as
/// handles.
pub struct Attrs<'a> {
    obj: &'a Object,
    kind: Kind,
}

impl<'a> Attrs<'a> {
    pub(crate) fn new(obj: &'a Object, kind: Kind) -> Self {
        Attrs { obj, kind }
    }

    /// The raw value of `name`, if set.
    pub fn get_value(&self, name: &str) -> Result<Option<Value>, Error> {
        let raw = &self.obj.0;
        Ok(match self.kind {
            Kind::Db => raw.db_get(name)?,
            Kind::Ndb => raw.ndb_get(name)?,
        })
    }

    /// Sets `name` to a raw value.
    pub fn set_value(&self, name: &str, value: raw::ValueArg<'_>) -> Result<(), Error> {
        let raw = &self.obj.0;
        match self.kind {
            Kind::Db => raw.db_set(name, &value)?,
            Kind::Ndb => raw.ndb_set(name, &value)?,
        }
        Ok(())
    }

    /// Reads `name` as a `T`; `None` if it is not set, [`Error::Type`] if it holds another type.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, Error> {
        let Some(value) = self.get_value(name)? else {
            return Ok(None);
        };
        let typed: Result<T, DeError> = match value {
            Value::Null => T::deserialize(().into_deserializer()),
            Value::Boolean(b) => T::deserialize(b.into_deserializer()),
            Value::Integer(i) => T::deserialize(i.into_deserializer()),
            Value::Float(x) => T::deserialize(x.into_deserializer()),
            Value::Text(s) => T::deserialize(s.into_deserializer()),
            Value::Bytes(b) => T::deserialize(b.into_deserializer()),
            Value::Json(j) => return Ok(Some(serde_json::from_str(&j)?)),
            Value::Object(_) => {
                return Err(Error::Type(format!(
                    "attribute {name:?} holds an object: use get_object"
                )));
            }
        };
        typed
            .map(Some)
            .map_err(|e| Error::Type(format!("attribute {name:?}: {e}")))
    }

    /// Reads `name` as a `T`, or `default` if it is not set.
    pub fn get_or<T: DeserializeOwned>(&self, name: &str, default: T) -> Result<T, Error> {
        Ok(self.get(name)?.unwrap_or(default))
    }

    /// Writes any `serde` value to `name`.
    pub fn set<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<(), Error> {
        use serde_json::Value as J;
        let json = serde_json::to_value(value)?;
        let text;
        let arg = match json {
            J::Null => raw::ValueArg::Null,
            J::Bool(b) => raw::ValueArg::Boolean(b),
            J::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => raw::ValueArg::Integer(i),
                (None, Some(x)) => raw::ValueArg::Float(x),
                (None, None) => raw::ValueArg::Json(n.to_string()),
            },
            J::String(s) => raw::ValueArg::Text(s),
            other => {
                text = other.to_string();
                raw::ValueArg::Json(text)
            }
        };
        self.set_value(name, arg)
    }

    /// Writes a value a builder typed (see [`crate::parse_literal`]).
    pub fn set_literal(&self, name: &str, value: &crate::Literal) -> Result<(), Error> {
        use crate::Literal as L;
        let arg = match value {
            L::Null => raw::ValueArg::Null,
            L::Boolean(b) => raw::ValueArg::Boolean(*b),
            L::Integer(i) => raw::ValueArg::Integer(*i),
            L::Float(x) => raw::ValueArg::Float(*x),
            L::Text(s) => raw::ValueArg::Text(s.clone()),
            L::Json(j) => raw::ValueArg::Json(j.clone()),
        };
        self.set_value(name, arg)
    }

    /// Reads an object reference stored in `name`, as a handle.
    pub fn get_object(&self, name: &str) -> Result<Option<Object>, Error> {
        match self.get_value(name)? {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(Object(o))),
            Some(_) => Err(Error::Type(format!("attribute {name:?} is not an object"))),
        }
    }

    /// Stores a reference to `target` in `name` (the object's id, not a copy).
    pub fn set_object(&self, name: &str, target: &Object) -> Result<(), Error> {
        self.set_value(name, raw::ValueArg::Object(&target.0))
    }

    /// Removes `name`; true if it was set.
    pub fn remove(&self, name: &str) -> Result<bool, Error> {
        let raw = &self.obj.0;
        Ok(match self.kind {
            Kind::Db => raw.db_remove(name)?,
            Kind::Ndb => raw.ndb_remove(name)?,
        })
    }

    /// The names of the attributes that are set, sorted.
    pub fn names(&self) -> Result<Vec<String>, Error> {
        let raw = &self.obj.0;
        Ok(match self.kind {
            Kind::Db => raw.db_list()?,
            Kind::Ndb => raw.ndb_list()?,
        })
    }
}
