//! Attribute values as the host keeps them, in the cache and (serialised) in the store.

use serde::{Deserialize, Serialize};

/// A unique, never reused object identifier.
pub type ObjectId = u64;

/// An attribute value. Object references hold only the referenced id, never the entry, so an
/// attribute cannot keep another object alive in the cache.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// No value.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// UTF-8 text.
    Text(Box<str>),
    /// Raw bytes.
    Bytes(Box<[u8]>),
    /// A reference to another object, by id.
    Object(ObjectId),
    /// Structured data as JSON text (validated when written).
    Json(Box<str>),
}

impl Value {
    /// The value as JSON, as the console and the test kit show it: an object reference is
    /// `{"object": id}`, bytes `{"bytes": length}`, stored JSON as itself.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(x) => (*x).into(),
            Value::Text(s) => s.as_ref().into(),
            Value::Bytes(b) => serde_json::json!({ "bytes": b.len() }),
            Value::Object(id) => serde_json::json!({ "object": id }),
            Value::Json(j) => serde_json::from_str(j).unwrap_or(serde_json::Value::Null),
        }
    }

    /// Approximate heap bytes owned by this value (for cache accounting).
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Text(s) | Value::Json(s) => s.len(),
            Value::Bytes(b) => b.len(),
            _ => 0,
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(s) => write!(f, "{s:?}"),
            Value::Bytes(b) => write!(f, "<{} bytes>", b.len()),
            Value::Object(id) => write!(f, "#{id}"),
            Value::Json(j) => f.write_str(j),
        }
    }
}
