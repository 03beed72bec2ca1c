//! [`Error`]: what an SDK call or a hook can fail with.

use crate::wit::wasmud::runtime::object as raw;

/// Why a call failed. Hooks return it (through [`HookResult`]); the host logs it with the
/// typeclass, hook and object id.
#[derive(Debug)]
pub enum Error {
    /// No object has this id, or no attribute or typeclass has this name.
    NotFound(String),
    /// The object was deleted: every handle to it reports this.
    Deleted(u64),
    /// An argument was malformed, out of range or too large.
    InvalidArgument(String),
    /// A hook refused the operation.
    Vetoed(String),
    /// The host could not complete the operation.
    Internal(String),
    /// The typeclass's grants do not allow this operation on this object (the text says what
    /// was refused and which grant would allow it). Nothing changed; the hook may go on.
    NotPermitted(String),
    /// An attribute did not have the type the script asked for.
    Type(String),
    /// A failure raised by the script itself (from a `&str` or `String`).
    Script(String),
}

/// What every hook returns: `Ok` with the hook's answer, or an [`Error`].
pub type HookResult<T = ()> = Result<T, Error>;

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::NotFound(what) => write!(f, "not found: {what}"),
            Error::Deleted(id) => write!(f, "object #{id} was deleted"),
            Error::InvalidArgument(why) => write!(f, "invalid argument: {why}"),
            Error::Vetoed(why) => write!(f, "vetoed: {why}"),
            Error::Internal(why) => write!(f, "host error: {why}"),
            Error::NotPermitted(why) => write!(f, "not permitted: {why}"),
            Error::Type(why) => write!(f, "wrong attribute type: {why}"),
            Error::Script(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

impl From<raw::Error> for Error {
    fn from(e: raw::Error) -> Self {
        match e {
            raw::Error::NotFound(s) => Error::NotFound(s),
            raw::Error::Deleted(id) => Error::Deleted(id),
            raw::Error::InvalidArgument(s) => Error::InvalidArgument(s),
            raw::Error::Vetoed(s) => Error::Vetoed(s),
            raw::Error::Internal(s) => Error::Internal(s),
            raw::Error::NotPermitted(s) => Error::NotPermitted(s),
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Type(e.to_string())
    }
}

impl From<&str> for Error {
    fn from(s: &str) -> Self {
        Error::Script(s.to_owned())
    }
}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error::Script(s)
    }
}
