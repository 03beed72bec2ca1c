"""The notice board in the real runtime (the test kit, `wasmud_testkit`): the demo world's
board in the tavern, two players, a note posted, read and taken down."""

from wasmud_testkit import TestWorld


def test_a_note_is_read_by_another_player_in_the_real_world():
    with TestWorld() as world:
        alice, bob = world.player("alice"), world.player("bob")
        for who in (alice, bob):
            assert world.type(who, "east")
        world.received(alice), world.received(bob)
        assert world.type(alice, "post Ale half price today.")
        assert world.received(alice) == ["You pin a note to the notice board."]
        assert world.received(bob) == ["alice pins a note to the notice board."]
        assert world.type(bob, "read board")
        read = world.received(bob)[-1]
        assert "Ale half price today. (alice)" in read, read
        assert world.type(bob, "unpost 1")
        assert world.received(bob) == ["That note is not yours to take down."]
        board = world.find("a notice board")
        assert len(world.db(board, "notes")) == 1
