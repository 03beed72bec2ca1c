"""The Python SDK against fake bindings: attributes, errors, names, kinds, roles, timers and
the exported hooks (every exception becomes the hook's error)."""

import pytest
from componentize_py_types import Err
from wasmud_fake import make
from wit_world.imports import accounts, log as raw_log, object as raw, timers as raw_timers

import wasmud


def test_db_reads_writes_and_deletes_like_evennia():
    obj = wasmud.Object(make("chest"))
    assert obj.db.gold is None
    obj.db.gold = 10
    obj.db.open = False
    obj.db.ratio = 0.5
    obj.db.blob = b"\x00\x01"
    obj.db.loot = {"gems": ["ruby", "opal"], "count": 2}
    assert obj.db.gold == 10 and obj.db.open is False and obj.db.ratio == 0.5
    assert obj.db.blob == b"\x00\x01"
    assert obj.db.loot == {"gems": ["ruby", "opal"], "count": 2}
    assert obj.db.get("missing", "default") == "default"
    assert "gold" in obj.db and "missing" not in obj.db
    assert obj.db.all() == ["blob", "gold", "loot", "open", "ratio"]
    del obj.db.gold
    assert obj.db.gold is None
    # Stored natively where the contract can, as JSON otherwise.
    entry = raw.WORLD[obj.id]["db"]
    assert isinstance(entry["open"], raw.Value_Boolean)
    assert isinstance(entry["loot"], raw.Value_Json)
    # ndb is separate.
    obj.ndb.seen = True
    assert obj.ndb.seen is True and obj.db.seen is None


def test_values_that_json_cannot_hold_are_refused():
    obj = wasmud.Object(make("chest"))
    with pytest.raises(TypeError, match="cannot store set"):
        obj.db.bad = {1, 2}
    with pytest.raises(TypeError):
        obj.db.nan = [float("nan")]
    # A huge integer does not fit 64 bits: stored as JSON, read back the same.
    obj.db.big = 2**70
    assert obj.db.big == 2**70


def test_object_references_come_back_as_objects():
    room = wasmud.Object(make("Hall", "room"))
    exit_ = wasmud.Object(make("east", "exit", room.raw))
    exit_.db.destination = room
    back = exit_.db.destination
    assert isinstance(back, wasmud.Object) and back == room and back.key == "Hall"
    assert exit_.location == room and room.contents == [exit_]


def test_contract_errors_are_exceptions():
    obj = wasmud.Object(make("vase"))
    obj.delete()
    with pytest.raises(wasmud.Deleted) as deleted:
        obj.key
    assert deleted.value.id == obj.id
    with pytest.raises(wasmud.NotFound):
        wasmud.lookup(999)
    with pytest.raises(wasmud.NotFound):
        wasmud.create("x", "no-such-typeclass")
    other = wasmud.Object(make("statue"))
    raw.FORBIDDEN.add(other.id)
    with pytest.raises(wasmud.NotPermitted, match="edit"):
        other.db.touched = True
    with pytest.raises(wasmud.InvalidArgument):
        wasmud.Object(make("y")).key = ""
    assert issubclass(wasmud.NotPermitted, wasmud.WasmudError)


def test_names_aliases_and_articles():
    lantern = wasmud.Object(make("a brass lantern"))
    lantern.db.aliases = ["lamp"]
    assert lantern.answers_to("lantern") and lantern.answers_to("LAMP")
    assert lantern.answers_to("a brass lantern")
    assert not lantern.answers_to("a") and not lantern.answers_to("")
    assert lantern.is_called("lamp") and not lantern.is_called("lantern")
    rose = wasmud.Object(make("a red rose"))
    assert wasmud.find_named([lantern, rose], "rose") == rose
    assert wasmud.find_named([lantern, rose], "tulip") is None


def test_kinds_default_to_the_typeclass_name():
    door = wasmud.Object(make("door", "cat"))
    assert door.kind == "cat"
    door.db.kind = "exit"
    assert door.kind == "exit" and door.is_kind("exit")


def test_roles_include_the_ones_below():
    alice = wasmud.Object(make("alice", "character"))
    assert alice.roles == [] and not alice.has_role("player")
    accounts.ROLES[alice.id] = ["player", "builder", "wizard"]
    assert alice.roles == ["player", "builder"]
    assert alice.has_role("player") and alice.has_role("builder")
    assert not alice.has_role("admin")


def test_timers_in_seconds():
    cat = wasmud.Object(make("cat", "cat"))
    cat.timers.every("wander", 20)
    cat.timers.after("nap", 0.5)
    assert [(t.name, t.interval_ms) for t in cat.timers.list()] == [
        ("nap", None),
        ("wander", 20000),
    ]
    assert cat.timers.cancel("nap") and not cat.timers.cancel("nap")
    with pytest.raises(wasmud.InvalidArgument):
        cat.timers.after("soon", 0.01)
    assert raw_timers.TIMERS


def test_log_lines():
    wasmud.log.info("hello")
    assert raw_log.LINES == [(raw_log.Level.INFO, "hello")]


class Cat(wasmud.Typeclass):
    def at_object_creation(self):
        self.db.lives = 9

    def at_command(self, caller, text):
        if text == "pet cat":
            self.db.petted = (self.db.petted or 0) + 1
            caller.msg("The cat purrs.", self)
            return True
        if text == "kick cat":
            raise RuntimeError("the cat scratches back")
        if text == "poke ghost":
            wasmud.lookup(999)
        return False

    def at_pre_move(self, destination):
        return destination is not None


def test_exported_hooks_run_the_typeclass_on_the_object():
    Hooks, TimerHooks, PuppetHooks = wasmud.exports(Cat)
    hooks = Hooks()
    cat = make("cat", "cat")
    player = make("alice", "character")
    hooks.at_object_creation(cat)
    assert wasmud.Object(cat).db.lives == 9
    assert hooks.at_command(cat, player, "pet cat") is True
    assert raw.WORLD[player.id()]["inbox"] == [("The cat purrs.", cat.id())]
    assert hooks.at_command(cat, player, "hello") is False
    assert hooks.at_pre_move(cat, None) is False
    assert hooks.at_pre_move(cat, player) is True
    # Defaults.
    assert hooks.at_msg_receive(cat, "hi", None) is True
    assert hooks.at_object_delete(cat) is True
    TimerHooks().at_tick(cat, "wander")
    PuppetHooks().at_post_puppet(cat)


def test_an_exception_escaping_a_hook_is_its_error_not_a_trap():
    hooks = wasmud.exports(Cat)[0]()
    cat, player = make("cat", "cat"), make("alice", "character")
    with pytest.raises(Err) as failed:
        hooks.at_command(cat, player, "kick cat")
    assert failed.value.value == "RuntimeError: the cat scratches back"
    with pytest.raises(Err) as failed:
        hooks.at_command(cat, player, "poke ghost")
    assert failed.value.value.startswith("wasmud.errors.NotFound: #999")
    # Even what is not an Exception (SystemExit) becomes an error value, cut to a bound.
    class Quitter(wasmud.Typeclass):
        def at_init(self):
            raise SystemExit("x" * 10_000)

    with pytest.raises(Err) as failed:
        wasmud.exports(Quitter)[0]().at_init(cat)
    assert len(failed.value.value) == wasmud.typeclass.MAX_ERROR_LEN


def test_exports_wants_a_typeclass():
    with pytest.raises(TypeError):
        wasmud.exports(object)
