"""Puts the fake bindings and the SDK on the path, and gives each test an empty world."""

import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).parent
sys.path[:0] = [str(HERE / "fake"), str(HERE.parent)]

from wit_world.imports import accounts, log, object as raw, timers  # noqa: E402


@pytest.fixture(autouse=True)
def world():
    raw.reset()
    timers.TIMERS.clear()
    accounts.ROLES.clear()
    log.LINES.clear()
    yield raw


def make(key, typeclass="item", location=None):
    """A raw object in the fake world."""
    return raw.create(key, typeclass, location)
