"""Test a typeclass in a real, throwaway world from pytest (Evennia's `EvenniaTest`): the
same runtime and store as a server, run by `wasmud kit` in a temporary directory, with a
manual clock and the text each object received.

    from wasmud_testkit import TestWorld, build

    def test_touching_the_lamp(tmp_path):
        lamp = build("lamp", tmp_path)            # wasmud build, into tmp_path
        with TestWorld(components=[lamp], grants={"lamp": ["msg"]}) as world:
            alice = world.player("alice", "builder")
            world.type(alice, "create lamp : lamp")
            world.type(alice, "drop lamp")
            assert world.type(alice, "touch lamp")
            assert world.received(alice)[-1] == "You touch lamp (1 so far)."

The `wasmud` binary is `$WASMUD`, else `wasmud` on `PATH`, else `target/release/wasmud` in
this directory or one above it (a source tree). Only the standard library is used.
"""

import json
import os
import pathlib
import shutil
import subprocess

__all__ = ["KitError", "TestWorld", "build", "wasmud_binary"]


class KitError(Exception):
    """The world refused a request (a failing hook, a missing object, a bad component)."""


def wasmud_binary():
    """The `wasmud` executable to run (see the module's doc)."""
    if os.environ.get("WASMUD"):
        return os.environ["WASMUD"]
    on_path = shutil.which("wasmud")
    if on_path:
        return on_path
    here = pathlib.Path.cwd().resolve()
    for directory in [here, *here.parents]:
        candidate = directory / "target" / "release" / "wasmud"
        if candidate.is_file():
            return str(candidate)
    raise KitError("no wasmud binary: set WASMUD to its path, or put it on PATH")


def build(project, into):
    """Builds the typeclass project `project` (`wasmud build`) into the directory `into`;
    the component's path."""
    into = pathlib.Path(into)
    result = subprocess.run(
        [wasmud_binary(), "build", str(project), "--data", str(into / "data"),
         "--scripts", str(into)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise KitError(f"wasmud build {project} failed:\n{result.stdout}{result.stderr}")
    name = pathlib.Path(project).resolve().name
    built = sorted(into.glob("*.wasm"), key=lambda p: p.stat().st_mtime)
    for path in reversed(built):
        if path.stem == name or len(built) == 1:
            return path
    return built[-1]


class TestWorld:
    """A throwaway world. `demo` loads the demo game and seeds its rooms (Limbo is where
    players start); `typeclasses` are directories of components, `components` single
    `.wasm` files; `grants` maps a typeclass to its grants, over the files' ones."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, demo=True, typeclasses=(), components=(), grants=None):
        self._process = subprocess.Popen(
            [wasmud_binary(), "kit"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        opened = self._ask(
            "open", demo=demo,
            typeclasses=[str(d) for d in typeclasses],
            components=[str(c) for c in components],
            grants=grants or {},
        )
        self.start = opened["start"]

    def _ask(self, op, **fields):
        if self._process.poll() is not None:
            raise KitError("the wasmud kit process has ended")
        self._process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self._process.stdin.flush()
        line = self._process.stdout.readline()
        if not line:
            raise KitError(f"the wasmud kit process ended during {op}")
        answer = json.loads(line)
        if not answer["ok"]:
            raise KitError(answer["error"])
        return answer

    def create(self, key, typeclass, location=None):
        """Creates an object (its `at_object_creation` runs); its id."""
        return self._ask("create", key=key, typeclass=typeclass, location=location)["id"]

    def player(self, name, role="player"):
        """An account `name` with `role`, its character arrived in the start room; the
        character's id."""
        return self._ask("player", name=name, role=role)["id"]

    def type(self, character, line):
        """The character's player types `line`, as on the telnet port; True if handled."""
        return self._ask("type", **{"as": character, "line": line})["handled"]

    def call(self, target, hook, **args):
        """Runs one hook on `target` (`at-command` with caller= and input=, `at-tick` with
        name=, `at-msg-receive` with text=, `at-init`, `at-object-creation`)."""
        return self._ask("call", target=target, hook=hook, **args)["answer"]

    def advance(self, seconds=0.0):
        """Moves the clock on and fires the timers that came due; how many fired."""
        return self._ask("advance", ms=int(seconds * 1000))["fired"]

    def received(self, obj):
        """The text `obj` received since the last call, as a client without colour shows it."""
        return self._ask("received", id=obj)["lines"]

    def db(self, obj, name):
        """A `db` attribute (None when unset; a reference reads {"object": id})."""
        return self._ask("db", id=obj, name=name)["value"]

    def ndb(self, obj, name):
        """An `ndb` attribute."""
        return self._ask("ndb", id=obj, name=name)["value"]

    def find(self, key):
        """The id of the only object called `key`, or None."""
        return self._ask("find", key=key)["id"]

    def close(self):
        """Ends the world (its directory is deleted)."""
        if self._process.poll() is None:
            self._process.stdin.close()
            self._process.wait(timeout=30)
        self._process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
