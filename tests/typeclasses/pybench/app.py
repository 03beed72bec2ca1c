"""`pybench`: the Python twin of the `bench` test typeclass, for `wasmud bench`'s Python
figures. Commands: `noop`, `db-get <n>`, `ndb-get <n>`, `write <k>`, `nest <n>` (creates an
object whose `at_object_creation` creates the next, n deep: n + 1 instances at once)."""

import wasmud


class Bench(wasmud.Typeclass):
    def at_object_creation(self):
        verb, _, rest = self.key.partition(" ")
        if verb == "nest" and int(rest) > 0:
            wasmud.create(f"nest {int(rest) - 1}", "pybench")

    def at_command(self, caller, text):
        verb, _, rest = text.partition(" ")
        if verb == "noop":
            return True
        if verb == "db-get":
            db, total = self.db, 0
            for _ in range(int(rest)):
                total += db.n or 0
            self.ndb.sum = total
            return True
        if verb == "ndb-get":
            ndb, total = self.ndb, 0
            for _ in range(int(rest)):
                total += ndb.n or 0
            self.ndb.sum = total
            return True
        if verb == "nest":
            wasmud.create(f"nest {int(rest) - 1}", "pybench")
            return True
        if verb == "write":
            for i in range(int(rest)):
                self.db.set(f"w{i}", i)
            return True
        return False


Hooks, TimerHooks, PuppetHooks = wasmud.exports(Bench)
