"""pytest at the project root: the fake bindings' plugin for every Python test (see
guest-sdk/python/tests/fake/wasmud_fake.py and pytest.ini)."""

pytest_plugins = ["wasmud_fake"]
