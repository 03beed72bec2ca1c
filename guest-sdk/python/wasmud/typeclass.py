"""`Typeclass`: the hooks a Python typeclass implements, each with Evennia's default, and
`exports`, which turns a subclass into the component's exported hooks.

A hook runs as a method of a fresh instance wrapping the object it runs for, so `self` is the
object: `self.db.gold`, `self.location`, `self.msg(...)`. Instances live for one call; keep
state in `db` and `ndb`, never on `self` or in module globals (the host may run the next hook
on a fresh instance, and a hot reload replaces the module).
"""

import traceback

from componentize_py_types import Err

from .obj import Object


class Typeclass(Object):
    """Subclass it and override the hooks your objects need."""

    def at_object_creation(self):
        """Runs once, when the object is created. Default: nothing."""

    def at_init(self):
        """Runs each time the object is loaded into the host's cache. Default: nothing."""

    def at_msg_receive(self, text, sender):
        """The object received `text` (from `sender`, an Object or None). Return True to
        accept it. Default: accept."""
        return True

    def at_command(self, caller, text):
        """`caller` typed `text`. Return True if this object handled it. Default: not."""
        return False

    def at_pre_move(self, destination):
        """The object is about to move. Return False to veto. Default: allow."""
        return True

    def at_post_move(self, source):
        """The object has moved here from `source`. Default: nothing."""

    def at_object_delete(self):
        """The object is about to be deleted. Return False to veto. Default: allow."""
        return True

    def at_tick(self, name):
        """The object's timer `name` fired. Default: nothing."""

    def at_post_puppet(self):
        """A player took control of the object. Default: nothing."""

    def at_pre_unpuppet(self):
        """The last player controlling the object left. Default: nothing."""


#: How much of an escaping exception's traceback a hook's error keeps.
MAX_ERROR_LEN = 2000


def _run(method, *args):
    """Calls a hook; any exception becomes the hook's error (never a trap of the guest)."""
    try:
        return method(*args)
    except Err:
        raise
    except BaseException as e:  # noqa: BLE001 - every escape must become an error value
        text = "".join(traceback.format_exception_only(type(e), e)).strip()
        raise Err(text[:MAX_ERROR_LEN]) from None


def _opt(raw):
    return None if raw is None else Object(raw)


def exports(cls):
    """The three exported hook interfaces for typeclass `cls`; assign them at module level:

    ``Hooks, TimerHooks, PuppetHooks = wasmud.exports(Cat)``
    """
    if not (isinstance(cls, type) and issubclass(cls, Typeclass)):
        raise TypeError(f"{cls!r} is not a Typeclass subclass")

    class Hooks:
        def at_object_creation(self, this):
            _run(cls(this).at_object_creation)

        def at_init(self, this):
            _run(cls(this).at_init)

        def at_msg_receive(self, this, text, sender):
            return bool(_run(cls(this).at_msg_receive, text, _opt(sender)))

        def at_command(self, this, caller, text):
            return bool(_run(cls(this).at_command, Object(caller), text))

        def at_pre_move(self, this, destination):
            return bool(_run(cls(this).at_pre_move, _opt(destination)))

        def at_post_move(self, this, source):
            _run(cls(this).at_post_move, _opt(source))

        def at_object_delete(self, this):
            return bool(_run(cls(this).at_object_delete))

    class TimerHooks:
        def at_tick(self, this, name):
            _run(cls(this).at_tick, name)

    class PuppetHooks:
        def at_post_puppet(self, this):
            _run(cls(this).at_post_puppet)

        def at_pre_unpuppet(self, this):
            _run(cls(this).at_pre_unpuppet)

    return Hooks, TimerHooks, PuppetHooks
