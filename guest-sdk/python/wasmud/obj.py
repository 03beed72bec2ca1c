"""`Object`: a handle to one game object, with Evennia's `db` and `ndb`, and the functions
that find and create objects.

A handle names an object by id; the host resolves it on every call. Handles are valid only
during the hook call that received or made them: keep ids (`obj.id`) across calls, never
objects, and `lookup(id)` again next time.
"""

from wit_world.imports import accounts as _accounts
from wit_world.imports import object as _object
from wit_world.imports import timers as _timers

from .errors import call
from .values import from_value, to_arg

#: Words of a key that never name the object alone (`get a` does not mean `a lantern`).
ARTICLES = ("a", "an", "the", "of", "some")

#: The roles an account may hold, lowest first; a role includes the ones below it.
ROLES = ("player", "builder", "admin")

#: The attribute that holds an object's kind (see `Object.kind`).
KIND_ATTR = "kind"


class Attributes:
    """An object's `db` (persistent) or `ndb` (temporary) attributes, Evennia-style:
    `obj.db.gold = 10`, `obj.db.gold` (None if unset), `del obj.db.gold`.

    A value read is a copy: `obj.db.items.append(x)` changes nothing stored; assign the
    changed list back (`items = obj.db.items; items.append(x); obj.db.items = items`).
    """

    __slots__ = ("_raw", "_get", "_set", "_remove", "_list")

    def __init__(self, raw, persistent):
        prefix = "db" if persistent else "ndb"
        object.__setattr__(self, "_raw", raw)
        for op in ("get", "set", "remove", "list"):
            object.__setattr__(self, f"_{op}", getattr(raw, f"{prefix}_{op}"))

    def get(self, name, default=None):
        """The value of `name`, or `default` if it is not set."""
        value = call(self._get, name)
        return default if value is None else from_value(value)

    def set(self, name, value):
        """Sets `name` (saved when the hook completes, for `db`)."""
        call(self._set, name, to_arg(value))

    def remove(self, name):
        """Removes `name`; True if it was set."""
        return call(self._remove, name)

    def all(self):
        """The names of the attributes that are set, sorted."""
        return call(self._list)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get(name)

    def __setattr__(self, name, value):
        self.set(name, value)

    def __delattr__(self, name):
        self.remove(name)

    def __contains__(self, name):
        return call(self._get, name) is not None


class Timers:
    """An object's timers: named, persistent calls of its `at_tick` hook."""

    __slots__ = ("_raw",)

    def __init__(self, raw):
        self._raw = raw

    def after(self, name, seconds):
        """Calls `at_tick(name)` once, `seconds` from now (replacing a timer of that name)."""
        call(_timers.after, self._raw, name, round(seconds * 1000))

    def every(self, name, seconds):
        """Calls `at_tick(name)` every `seconds` (the first one interval from now)."""
        call(_timers.every, self._raw, name, round(seconds * 1000))

    def cancel(self, name):
        """Cancels timer `name`; True if there was one."""
        return call(_timers.cancel, self._raw, name)

    def list(self):
        """The object's timers (name, due_ms, interval_ms, failures, parked)."""
        return call(_timers.list, self._raw)


class Object:
    """A handle to one game object (see the module's note on handle lifetime)."""

    def __init__(self, raw):
        self.raw = raw

    # Identity ------------------------------------------------------------------------------

    @property
    def id(self):
        """The object's id (its `#dbref`); never fails, even once it is deleted."""
        return self.raw.id()

    def __eq__(self, other):
        return isinstance(other, Object) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<{type(self).__name__} #{self.id}>"

    @property
    def key(self):
        """The object's name; assigning renames it."""
        return call(self.raw.key)

    @key.setter
    def key(self, key):
        call(self.raw.set_key, key)

    @property
    def typeclass(self):
        """The name of the object's typeclass."""
        return call(self.raw.typeclass)

    def set_typeclass(self, typeclass):
        """Gives the object another typeclass, keeping its id and attributes (needs the
        `create` grant, and `edit` for another object)."""
        call(self.raw.set_typeclass, typeclass)

    # Place ---------------------------------------------------------------------------------

    @property
    def location(self):
        """Where the object is, or None."""
        place = call(self.raw.location)
        return None if place is None else Object(place)

    @property
    def contents(self):
        """The objects inside this one, in id order."""
        return [Object(raw) for raw in call(self.raw.contents)]

    def move_to(self, destination):
        """Moves the object into `destination` (or nowhere); `at_pre_move` may veto."""
        call(self.raw.move_to, None if destination is None else destination.raw)

    # Attributes, timers --------------------------------------------------------------------

    @property
    def db(self):
        """Persistent attributes, saved with the object."""
        return Attributes(self.raw, persistent=True)

    @property
    def ndb(self):
        """Temporary attributes, kept until the object is flushed or the server restarts."""
        return Attributes(self.raw, persistent=False)

    @property
    def timers(self):
        """The object's timers (`after`, `every`, `cancel`, `list`)."""
        return Timers(self.raw)

    # Talking, deleting ---------------------------------------------------------------------

    def msg(self, text, sender=None):
        """Sends text to the object (its `at_msg_receive` runs after the current hook)."""
        call(self.raw.msg, text, None if sender is None else sender.raw)

    def msg_from(self, text, sender):
        """Sends text to the object on behalf of `sender`."""
        self.msg(text, sender)

    def delete(self):
        """Deletes the object once its `at_object_delete` agrees."""
        call(self.raw.delete)

    # Names, kinds, roles -------------------------------------------------------------------

    def is_called(self, name):
        """True if `name` is exactly the key or one of `db.aliases`, ignoring case."""
        name = name.strip().lower()
        if not name:
            return False
        if self.key.lower() == name:
            return True
        aliases = self.db.get("aliases") or []
        return any(str(a).lower() == name for a in aliases)

    def answers_to(self, name):
        """True if a player calling it `name` means it: the key, a word of the key (not an
        article), or an alias, ignoring case (`lantern` for `a brass lantern`)."""
        word = name.strip().lower()
        if not word:
            return False
        words = [w.lower() for w in self.key.split() if w.lower() not in ARTICLES]
        return word in words or self.is_called(word)

    @property
    def kind(self):
        """What kind of thing it is: `db.kind` if set (`exit`, `item`, `room`,
        `character`), else its typeclass's name."""
        kind = self.db.get(KIND_ATTR)
        return kind if isinstance(kind, str) else self.typeclass

    def is_kind(self, kind):
        """True if the object is of this kind."""
        return self.kind == kind

    @property
    def roles(self):
        """The roles of the account whose character this is, lowest first (empty for an
        object no account plays)."""
        return [r for r in call(_accounts.roles, self.raw) if r in ROLES]

    def has_role(self, role):
        """True if the account holds `role` or one above it."""
        want = ROLES.index(role)
        return any(ROLES.index(r) >= want for r in self.roles)


def lookup(object_id):
    """The object with this id (`NotFound` if there is none; `NotPermitted` without `reach`
    for an id this call was not handed)."""
    return Object(call(_object.lookup, object_id))


def search(key):
    """The objects whose key equals `key`, ignoring case, in id order (needs `reach`)."""
    return [Object(raw) for raw in call(_object.search, key)]


def create(key, typeclass, location=None):
    """Creates an object of `typeclass` in `location`; its `at_object_creation` and `at_init`
    have run when this returns (needs `create`)."""
    where = None if location is None else location.raw
    return Object(call(_object.create, key, typeclass, where))


def find_named(candidates, name):
    """The first of `candidates` that answers to `name`, or None."""
    for candidate in candidates:
        if candidate.answers_to(name):
            return candidate
    return None
