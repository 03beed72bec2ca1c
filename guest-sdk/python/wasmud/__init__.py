"""wasmud's Python SDK: write a typeclass as a class, Evennia-style.

    import wasmud

    class Cat(wasmud.Typeclass):
        def at_command(self, caller, text):
            if text != "pet cat":
                return False
            self.db.petted = (self.db.petted or 0) + 1
            caller.msg("The cat purrs.")
            return True

    Hooks, TimerHooks, PuppetHooks = wasmud.exports(Cat)

Errors from the world are exceptions (`NotFound`, `Deleted`, `NotPermitted`, ...); an
exception that escapes a hook fails that hook cleanly (nothing it changed is kept). Handles
are valid during one hook call: keep ids, not objects.
"""

from .errors import (
    Deleted,
    Internal,
    InvalidArgument,
    NotFound,
    NotPermitted,
    Vetoed,
    WasmudError,
)
from .obj import ARTICLES, KIND_ATTR, ROLES, Attributes, Object, Timers, create, find_named, lookup, search
from .typeclass import Typeclass, exports
from . import log

__all__ = [
    "ARTICLES", "Attributes", "Deleted", "Internal", "InvalidArgument", "KIND_ATTR", "NotFound",
    "NotPermitted", "Object", "ROLES", "Timers", "Typeclass", "Vetoed", "WasmudError", "create",
    "exports", "find_named", "log", "lookup", "search",
]
