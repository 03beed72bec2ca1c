"""The Python test kit end to end, as an author uses it: `wasmud new --python` makes a
typeclass, `build` builds it, a throwaway world runs it with the demo game, a timer fires on
the manual clock, and a failing hook is an exception with the reason."""

import subprocess

import pytest

from wasmud_testkit import KitError, TestWorld, build, wasmud_binary


def test_an_authors_typeclass_runs_in_a_throwaway_world(tmp_path):
    project = tmp_path / "sign"
    subprocess.run([wasmud_binary(), "new", "sign", "--python", "--dir", str(project)], check=True)
    sign = build(project, tmp_path / "built")
    with TestWorld(components=[sign], grants={"sign": ["msg"]}) as world:
        alice = world.player("alice", "builder")
        assert world.type(alice, "create sign : sign")
        assert world.type(alice, "drop sign")
        world.received(alice)
        assert world.type(alice, "touch sign")
        assert world.received(alice) == ["You touch sign (1 so far)."]
        assert world.db(world.find("sign"), "touched") == 1
        # Not granted `msg`: the same line fails, and says why.
        with pytest.raises(KitError, match="needs the `msg` grant"):
            with TestWorld(components=[sign]) as bare:
                bob = bare.player("bob", "builder")
                bare.type(bob, "create sign : sign")
                bare.type(bob, "drop sign")
                bare.type(bob, "touch sign")


def test_timers_fire_on_the_manual_clock():
    with TestWorld() as world:
        alice = world.player("alice")
        world.received(alice)
        assert world.advance(seconds=1) == 0
        assert world.advance(seconds=20) >= 1
        assert "Whiskers wanders off." in world.received(alice)
