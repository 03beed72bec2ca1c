"""Fake `wasmud:runtime/timers`."""

from dataclasses import dataclass
from typing import Optional

from componentize_py_types import Err

from . import object as _object

TIMERS = {}


@dataclass
class Timer:
    name: str
    due_ms: int
    interval_ms: Optional[int]
    failures: int
    parked: bool


def _schedule(target, name, ms, repeat):
    target._writable()
    if ms < 100:
        raise Err(_object.Error_InvalidArgument(f"timer {name!r}: a delay must be 100.. ms"))
    TIMERS[(target.id(), name)] = Timer(name, ms, ms if repeat else None, 0, False)


def after(target, name, delay_ms):
    _schedule(target, name, delay_ms, False)


def every(target, name, interval_ms):
    _schedule(target, name, interval_ms, True)


def cancel(target, name):
    return TIMERS.pop((target.id(), name), None) is not None


def list(target):
    return [t for (i, _), t in sorted(TIMERS.items()) if i == target.id()]
