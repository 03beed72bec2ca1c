"""Unit tests of the notice board against the fake bindings (`pytest scripts/noticeboard`
from the project root); `host/tests/python.rs` plays it through the real server."""

import wasmud
from wasmud_fake import load_app, make, told

app = load_app(__file__)


def board_in_tavern():
    tavern = make("Tavern", "room")
    board = make("a notice board", "noticeboard", tavern)
    app.Hooks().at_object_creation(board)
    wasmud.Object(board).db.aliases = ["board", "notices"]
    return tavern, board


def test_a_note_is_posted_read_and_taken_down_by_its_author():
    tavern, board = board_in_tavern()
    alice, bob = make("alice", "character", tavern), make("bob", "character", tavern)
    hooks = app.Hooks()
    assert hooks.at_command(board, alice, "read board")
    assert told(alice) == ["The notice board is empty."]
    assert hooks.at_command(board, alice, "post Ale half price today.")
    assert told(alice)[-1] == "You pin a note to the notice board."
    assert told(tavern) == ["alice pins a note to the notice board."]
    assert hooks.at_command(board, bob, "read notices")
    assert "1.|n Ale half price today. |x(alice)" in told(bob)[-1]
    assert hooks.at_command(board, bob, "unpost 1")
    assert told(bob)[-1] == "That note is not yours to take down."
    assert hooks.at_command(board, alice, "unpost 1")
    assert wasmud.Object(board).db.notes == []


def test_it_keeps_the_newest_notes_and_refuses_long_ones():
    tavern, board = board_in_tavern()
    alice = make("alice", "character", tavern)
    hooks = app.Hooks()
    for n in range(app.MAX_NOTES + 5):
        hooks.at_command(board, alice, f"post note {n}")
    notes = wasmud.Object(board).db.notes
    assert len(notes) == app.MAX_NOTES and notes[-1]["text"] == f"note {app.MAX_NOTES + 4}"
    hooks.at_command(board, alice, "post " + "x" * (app.MAX_TEXT + 1))
    assert told(alice)[-1] == f"Keep it under {app.MAX_TEXT} characters."


def test_it_stays_on_the_wall_and_ignores_other_commands():
    _, board = board_in_tavern()
    hooks = app.Hooks()
    assert hooks.at_pre_move(board, None) is False
    assert hooks.at_command(board, make("alice", "character"), "read book") is False
