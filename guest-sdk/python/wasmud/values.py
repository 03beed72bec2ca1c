"""Attribute values between Python and the contract: plain values stored natively, object
references as ids that come back as objects, anything else JSON-serialisable as JSON."""

import json

from wit_world.imports import object as _object

_I64 = range(-(2**63), 2**63)


def to_arg(value):
    """The contract's `value-arg` for a Python value.

    Raises `TypeError` for a value JSON cannot hold (a set, an arbitrary object).
    """
    if value is None:
        return _object.ValueArg_Null()
    if isinstance(value, bool):
        return _object.ValueArg_Boolean(value)
    if isinstance(value, int) and value in _I64:
        return _object.ValueArg_Integer(value)
    if isinstance(value, float):
        return _object.ValueArg_Float(value)
    if isinstance(value, str):
        return _object.ValueArg_Text(value)
    if isinstance(value, (bytes, bytearray)):
        return _object.ValueArg_Bytes(bytes(value))
    from .obj import Object  # here, not at the top: obj imports this module

    if isinstance(value, Object):
        return _object.ValueArg_Object(value.raw)
    if isinstance(value, _object.Object):
        return _object.ValueArg_Object(value)
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"cannot store {type(value).__name__} as an attribute: {e}") from None
    return _object.ValueArg_Json(text)


def from_value(value):
    """The Python value for a contract `value` (an object reference becomes an `Object`)."""
    if isinstance(value, _object.Value_Null):
        return None
    if isinstance(value, _object.Value_Json):
        return json.loads(value.value)
    if isinstance(value, _object.Value_Object):
        from .obj import Object  # here, not at the top: obj imports this module

        return Object(value.value)
    return value.value
