"""`pyadversary`: the Python twin of the Rust `adversary` test typeclass, for the behavioural
tests that run one body against both (tests/all/twins.rs). Each command behaves as the Rust
twin's command of the same name.

Commands: `loop` (spins forever), `alloc` (hoards memory until it runs out), `alloc-mib <n>`
(holds n MiB for the call; `ndb.allocated` = its size), `sleep <secs>`, `sleep-loop`,
`fail` (raises), `bump` (`db.bumps` and `ndb.bumps` + 1), `touch <command>` (writes
`db.touched` and `ndb.touched` and tells itself "touched", then runs `<command>`).

Hooks: `at_init` loops forever when `db.loop_on_init` is true and fails when `db.fail_init`
is true.
"""

import time

import wasmud


class Adversary(wasmud.Typeclass):
    def at_init(self):
        if self.db.loop_on_init:
            while True:
                pass
        if self.db.fail_init:
            raise RuntimeError("at-init fails on purpose")

    def at_command(self, caller, text):
        verb, _, rest = text.partition(" ")
        if verb == "loop":
            while True:
                pass
        if verb == "alloc":
            hoard = []
            while True:
                hoard.append(bytearray(1 << 20))
        if verb == "alloc-mib":
            hoard = bytearray(int(rest) << 20)
            self.ndb.allocated = len(hoard)
            return True
        if verb == "sleep":
            time.sleep(int(rest))
            return True
        if verb == "sleep-loop":
            while True:
                time.sleep(0.001)
        if verb == "fail":
            raise ValueError("fails on purpose")
        if verb == "bump":
            self.db.bumps = (self.db.bumps or 0) + 1
            self.ndb.bumps = (self.ndb.bumps or 0) + 1
            return True
        if verb == "touch":
            self.db.touched = True
            self.ndb.touched = True
            self.msg("touched")
            return self.at_command(caller, rest)
        return False


Hooks, TimerHooks, PuppetHooks = wasmud.exports(Adversary)
