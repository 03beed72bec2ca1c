"""Fake `wasmud:runtime/object`: the generated names over an in-memory world."""

import json
from dataclasses import dataclass
from typing import Any

from componentize_py_types import Err


def _case(name):
    return dataclass(type(name, (), {"__annotations__": {"value": Any}}))


Error_NotFound = _case("Error_NotFound")
Error_Deleted = _case("Error_Deleted")
Error_InvalidArgument = _case("Error_InvalidArgument")
Error_Vetoed = _case("Error_Vetoed")
Error_Internal = _case("Error_Internal")
Error_NotPermitted = _case("Error_NotPermitted")

Value_Boolean = _case("Value_Boolean")
Value_Integer = _case("Value_Integer")
Value_Float = _case("Value_Float")
Value_Text = _case("Value_Text")
Value_Bytes = _case("Value_Bytes")
Value_Object = _case("Value_Object")
Value_Json = _case("Value_Json")


@dataclass
class Value_Null:
    pass


ValueArg_Boolean = _case("ValueArg_Boolean")
ValueArg_Integer = _case("ValueArg_Integer")
ValueArg_Float = _case("ValueArg_Float")
ValueArg_Text = _case("ValueArg_Text")
ValueArg_Bytes = _case("ValueArg_Bytes")
ValueArg_Object = _case("ValueArg_Object")
ValueArg_Json = _case("ValueArg_Json")


@dataclass
class ValueArg_Null:
    pass


#: id -> {"key", "typeclass", "location", "db", "ndb"}; a deleted id is absent and in DELETED.
WORLD = {}
DELETED = set()
#: Ids whose changes the fake refuses, as the host's grants would.
FORBIDDEN = set()
#: Typeclasses the fake server has.
TYPECLASSES = {"room", "item", "exit", "character", "cat"}


def reset():
    WORLD.clear()
    DELETED.clear()
    FORBIDDEN.clear()


def _stored(arg):
    """A value-arg as the host would store it (and hand back as a value)."""
    if isinstance(arg, ValueArg_Null):
        return Value_Null()
    if isinstance(arg, ValueArg_Object):
        return ("object", arg.value.id())
    if isinstance(arg, ValueArg_Json):
        json.loads(arg.value)  # the host checks JSON
        return Value_Json(arg.value)
    return globals()["Value_" + type(arg).__name__.split("_")[1]](arg.value)


class Object:
    def __init__(self, object_id):
        self._id = object_id

    def _entry(self):
        if self._id in DELETED:
            raise Err(Error_Deleted(self._id))
        if self._id not in WORLD:
            raise Err(Error_NotFound(f"#{self._id}"))
        return WORLD[self._id]

    def _writable(self):
        entry = self._entry()
        if self._id in FORBIDDEN:
            raise Err(Error_NotPermitted(f"change #{self._id} (needs the `edit` grant)"))
        return entry

    def id(self):
        return self._id

    def key(self):
        return self._entry()["key"]

    def set_key(self, key):
        if not key:
            raise Err(Error_InvalidArgument("a key must be 1-256 bytes"))
        self._writable()["key"] = key

    def typeclass(self):
        return self._entry()["typeclass"]

    def set_typeclass(self, typeclass):
        if typeclass not in TYPECLASSES:
            raise Err(Error_NotFound(f"typeclass {typeclass!r}"))
        self._writable()["typeclass"] = typeclass

    def location(self):
        place = self._entry()["location"]
        return None if place is None else Object(place)

    def contents(self):
        self._entry()
        return [Object(i) for i, e in sorted(WORLD.items()) if e["location"] == self._id]

    def move_to(self, destination):
        self._writable()["location"] = None if destination is None else destination.id()

    def _get(self, which, name):
        value = self._entry()[which].get(name)
        if isinstance(value, tuple):
            return Value_Object(Object(value[1]))
        return value

    def _set(self, which, name, value):
        self._writable()[which][name] = _stored(value)

    def _remove(self, which, name):
        return self._writable()[which].pop(name, None) is not None

    def db_get(self, name):
        return self._get("db", name)

    def db_set(self, name, value):
        self._set("db", name, value)

    def db_remove(self, name):
        return self._remove("db", name)

    def db_list(self):
        return sorted(self._entry()["db"])

    def ndb_get(self, name):
        return self._get("ndb", name)

    def ndb_set(self, name, value):
        self._set("ndb", name, value)

    def ndb_remove(self, name):
        return self._remove("ndb", name)

    def ndb_list(self):
        return sorted(self._entry()["ndb"])

    def msg(self, text, sender):
        self._entry().setdefault("inbox", []).append((text, None if sender is None else sender.id()))

    def delete(self):
        self._writable()
        del WORLD[self._id]
        DELETED.add(self._id)


def lookup(object_id):
    obj = Object(object_id)
    obj._entry()
    return obj


def search(key):
    return [Object(i) for i, e in sorted(WORLD.items()) if e["key"].lower() == key.lower()]


def create(key, typeclass, location):
    if typeclass not in TYPECLASSES:
        raise Err(Error_NotFound(f"typeclass {typeclass!r}"))
    new_id = max(list(WORLD) + list(DELETED) + [0]) + 1
    WORLD[new_id] = {
        "key": key,
        "typeclass": typeclass,
        "location": None if location is None else location.id(),
        "db": {},
        "ndb": {},
    }
    return Object(new_id)
