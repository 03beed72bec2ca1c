"""Errors: what a call on the world can fail with, as Python exceptions.

Every contract call goes through `call`, which turns the contract's `error` variant into one of
the exceptions below, so a script writes ordinary `try`/`except` (or lets it propagate: the hook
then fails, and none of its changes are kept).
"""

from componentize_py_types import Err
from wit_world.imports import object as _object


class WasmudError(Exception):
    """Base of every error the world reports."""


class NotFound(WasmudError):
    """No object has this id, or no attribute or typeclass has this name."""


class Deleted(WasmudError):
    """The object was deleted: every handle to it reports this. `.id` is its id."""

    def __init__(self, object_id):
        super().__init__(f"object #{object_id} was deleted")
        self.id = object_id


class InvalidArgument(WasmudError):
    """An argument was malformed, out of range or too large."""


class Vetoed(WasmudError):
    """A hook refused the operation (`at_pre_move` or `at_object_delete` returned False)."""


class Internal(WasmudError):
    """The host could not complete the operation (storage, a budget); nothing changed."""


class NotPermitted(WasmudError):
    """The typeclass's grants do not allow this (the text says what, and which grant would).
    Nothing changed; the hook may go on."""


_BY_CASE = {
    _object.Error_NotFound: NotFound,
    _object.Error_InvalidArgument: InvalidArgument,
    _object.Error_Vetoed: Vetoed,
    _object.Error_Internal: Internal,
    _object.Error_NotPermitted: NotPermitted,
}


def translate(err):
    """The Python exception for a contract `error` value."""
    value = err.value if isinstance(err, Err) else err
    if isinstance(value, _object.Error_Deleted):
        return Deleted(value.value)
    kind = _BY_CASE.get(type(value))
    if kind is None:
        return Internal(repr(value))
    return kind(value.value)


def call(function, *args):
    """Calls a contract function, raising its error as a `WasmudError`."""
    try:
        return function(*args)
    except Err as err:
        raise translate(err) from None
