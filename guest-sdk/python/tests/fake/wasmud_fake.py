"""A pytest plugin for unit tests of the Python SDK and of Python typeclasses, against fake
bindings (an in-memory world; no component build): `pytest.ini` at the project root loads it.

    from wasmud_fake import load_app, make, told

    def test_posting(world):
        board = make("a notice board", "noticeboard")
        alice = make("alice", "character")
        hooks = load_app(__file__).Hooks()
        hooks.at_object_creation(board)
        assert hooks.at_command(board, alice, "post Ale half price.")
        assert told(alice) == ["You pin a note to the notice board."]

Every test starts with an empty world (the `world` fixture, used automatically). What the fake
does not model (grants, turns, rollback, limits) the real runtime's tests cover.
"""

import importlib.util
import pathlib

import pytest

from wit_world.imports import accounts, log, object as raw, timers


@pytest.fixture(autouse=True)
def world():
    """An empty fake world for each test (the raw bindings module)."""
    raw.reset()
    timers.TIMERS.clear()
    accounts.ROLES.clear()
    log.LINES.clear()
    yield raw


def make(key, typeclass="item", location=None):
    """A raw object in the fake world (what a hook receives as `this`)."""
    raw.TYPECLASSES.add(typeclass)
    return raw.create(key, typeclass, location)


def told(obj):
    """The texts `obj` (a raw or SDK object) was sent so far, oldest first."""
    entry = raw.WORLD[obj.id() if callable(obj.id) else obj.id]
    return [text for text, _sender in entry.get("inbox", [])]


def load_app(test_file):
    """The `app.py` next to `test_file`, imported under a name of its own (every typeclass's
    module is called `app`)."""
    path = pathlib.Path(test_file).parent / "app.py"
    name = f"wasmud_app_{path.parent.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
