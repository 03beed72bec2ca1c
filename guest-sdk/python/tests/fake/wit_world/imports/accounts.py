"""Fake `wasmud:runtime/accounts`: roles by character id."""

ROLES = {}


def roles(character):
    return ROLES.get(character.id(), [])
