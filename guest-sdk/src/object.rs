//! [`Object`]: a handle to one game object, and the functions that find and create objects.

use crate::attrs::{Attrs, Kind};
use crate::error::Error;
use crate::timers::Timers;
use crate::wit::wasmud::runtime::object as raw;

/// A unique, never reused object id (Evennia's `#dbref`).
pub type ObjectId = u64;

/// A handle to one game object.
///
/// It names the object by id; the host resolves it on every call, so it stays valid while the
/// object is flushed from the host's cache, and reports [`Error::Deleted`] once the object is
/// gone. Handles are cheap; do not keep them between hooks (an instance's memory is scratch).
#[repr(transparent)]
#[derive(Debug)]
pub struct Object(pub(crate) raw::Object);

impl Object {
    /// Views a borrowed raw handle as an [`Object`].
    pub(crate) fn from_raw_ref(raw: &raw::Object) -> &Object {
        // SAFETY: `Object` is `repr(transparent)` over `raw::Object`.
        unsafe { &*std::ptr::from_ref(raw).cast::<Object>() }
    }

    /// The raw wit-bindgen handle, for calls the SDK does not wrap.
    pub fn raw(&self) -> &raw::Object {
        &self.0
    }

    /// The object's id.
    pub fn id(&self) -> ObjectId {
        self.0.id()
    }

    /// The object's key (its name).
    pub fn key(&self) -> Result<String, Error> {
        Ok(self.0.key()?)
    }

    /// Renames the object.
    pub fn set_key(&self, key: &str) -> Result<(), Error> {
        Ok(self.0.set_key(key)?)
    }

    /// The name of the object's typeclass.
    pub fn typeclass(&self) -> Result<String, Error> {
        Ok(self.0.typeclass()?)
    }

    /// Gives the object another typeclass, keeping its id, key, location, `db` and `ndb`; the
    /// new typeclass's `at_init` runs on it before this returns. Needs the `create` grant
    /// (and `edit` for another object than `this`).
    pub fn set_typeclass(&self, typeclass: &str) -> Result<(), Error> {
        Ok(self.0.set_typeclass(typeclass)?)
    }

    /// What kind of thing the object is: its `db.kind` (see [`crate::parts::kind`]) if it has
    /// one, else its typeclass's name. A `door` typeclass that declares itself an `exit` is
    /// walked through and listed as one.
    pub fn kind(&self) -> Result<String, Error> {
        match self.db().get_value(crate::parts::kind::ATTR)? {
            Some(crate::Value::Text(kind)) => Ok(kind),
            _ => self.typeclass(),
        }
    }

    /// True if the object is of this kind (see [`Object::kind`]).
    pub fn is_kind(&self, kind: &str) -> Result<bool, Error> {
        Ok(self.kind()? == kind)
    }

    /// Where the object is, if anywhere.
    pub fn location(&self) -> Result<Option<Object>, Error> {
        Ok(self.0.location()?.map(Object))
    }

    /// The objects inside this one, in id order.
    pub fn contents(&self) -> Result<Vec<Object>, Error> {
        Ok(self.0.contents()?.into_iter().map(Object).collect())
    }

    /// Moves the object into `destination` (or nowhere). Its `at_pre_move` hook may veto
    /// ([`Error::Vetoed`]); its `at_post_move` runs after the current hook returns.
    pub fn move_to(&self, destination: Option<&Object>) -> Result<(), Error> {
        Ok(self.0.move_to(destination.map(|d| &d.0))?)
    }

    /// Persistent attributes: saved with the object, kept across restarts.
    pub fn db(&self) -> Attrs<'_> {
        Attrs::new(self, Kind::Db)
    }

    /// Temporary attributes: kept in memory until the object is flushed or the server restarts.
    pub fn ndb(&self) -> Attrs<'_> {
        Attrs::new(self, Kind::Ndb)
    }

    /// The object's timers: named, persistent calls of its `at_tick` hook.
    pub fn timers(&self) -> Timers<'_> {
        Timers::new(self)
    }

    /// Sends text to the object (its `at_msg_receive` runs after the current hook).
    pub fn msg(&self, text: &str) -> Result<(), Error> {
        Ok(self.0.msg(text, None)?)
    }

    /// Sends text to the object on behalf of `sender`.
    pub fn msg_from(&self, text: &str, sender: &Object) -> Result<(), Error> {
        Ok(self.0.msg(text, Some(&sender.0))?)
    }

    /// Deletes the object once its `at_object_delete` hook agrees.
    pub fn delete(&self) -> Result<(), Error> {
        Ok(self.0.delete()?)
    }

    /// True if a player calling it `name` means this object: `name` equals the key, one word
    /// of the key (not an article), or one of the names in the `db.aliases` list, ignoring case (Evennia's
    /// aliases: `e` for the `east` exit, `lantern` for `a brass lantern`).
    pub fn answers_to(&self, name: &str) -> Result<bool, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(false);
        }
        let key = self.key()?;
        if key
            .split_whitespace()
            .filter(|w| !ARTICLES.iter().any(|a| a.eq_ignore_ascii_case(w)))
            .any(|w| w.eq_ignore_ascii_case(name))
        {
            return Ok(true);
        }
        self.is_called(name)
    }

    /// True if `name` is exactly the object's key or one of its `db.aliases`, ignoring case:
    /// the stricter match, for builders naming the `Cellar` next to a `cellar door`.
    pub fn is_called(&self, name: &str) -> Result<bool, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(false);
        }
        if self.key()?.eq_ignore_ascii_case(name) {
            return Ok(true);
        }
        let aliases: Vec<String> = self.db().get_or("aliases", Vec::new())?;
        Ok(aliases.iter().any(|a| a.eq_ignore_ascii_case(name)))
    }
}

/// Words of a key that never name the object alone (`get a` does not mean `a lantern`).
const ARTICLES: &[&str] = &["a", "an", "the", "of", "some"];

/// The first of `candidates` that [`Object::answers_to`] `name`.
pub fn find_named(candidates: Vec<Object>, name: &str) -> Result<Option<Object>, Error> {
    for candidate in candidates {
        if candidate.answers_to(name)? {
            return Ok(Some(candidate));
        }
    }
    Ok(None)
}

impl PartialEq for Object {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

/// The object with this id.
pub fn lookup(id: ObjectId) -> Result<Object, Error> {
    Ok(Object(raw::lookup(id)?))
}

/// The objects whose key equals `key`, ignoring ASCII case, in id order.
pub fn search(key: &str) -> Result<Vec<Object>, Error> {
    Ok(raw::search(key)?.into_iter().map(Object).collect())
}

/// Creates an object of `typeclass` in `location`; its `at_object_creation` and `at_init` hooks
/// have run when this returns.
pub fn create(key: &str, typeclass: &str, location: Option<&Object>) -> Result<Object, Error> {
    Ok(Object(raw::create(key, typeclass, location.map(|l| &l.0))?))
}
