"""A fake of the bindings componentize-py generates, for the SDK's unit tests: the same names,
backed by an in-memory world (`object.WORLD`) instead of the host."""
