"""pytest at the project root: the fake bindings' plugin for every Python test (see
guest-sdk/python/tests/fake/wasmud_fake.py and pytest.ini)."""

import sys

# No __pycache__ next to the typeclasses: cargo watches scripts/ and would rebuild the host.
sys.dont_write_bytecode = True

pytest_plugins = ["wasmud_fake"]
