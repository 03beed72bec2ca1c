"""`pywanderer`: the Python twin of the Rust `wanderer` (scripts/wanderer/src/lib.rs), line
for line in behaviour, for writing both styles side by side.

An NPC that walks a round of rooms on a repeating timer: on creation it schedules `wander`;
each tick it moves to the next room of `db.route` (a list of room ids), telling the room it
leaves and the room it enters, and counts `db.steps`. It answers greetings said in its room
(`say hello`, or its name) from `db.replies`. Commands with it in reach: `pace <seconds>`,
`rest`, `wander`.
"""

import wasmud

#: How often a new wanderer moves, in seconds.
DEFAULT_PACE = 20

#: Words it answers to, besides its name.
GREETINGS = {"hello", "hi", "hey", "greetings", "kitty", "cat"}

#: A cat's answers (`{name}` is the speaker).
DEFAULT_REPLIES = [
    "looks up at {name} and meows.",
    "blinks slowly at {name}: a cat's hello.",
    "purrs and rubs against {name}'s legs.",
]


def words_of(text):
    """The words of `text`, split at anything not a letter or digit (as the Rust twin)."""
    word, out = [], []
    for c in text:
        if c.isalnum():
            word.append(c)
        else:
            out.append("".join(word))
            word = []
    out.append("".join(word))
    return out


class Wanderer(wasmud.Typeclass):
    def at_object_creation(self):
        self.db.steps = 0
        self.timers.every("wander", DEFAULT_PACE)

    def at_tick(self, name):
        if name == "wander":
            self.step()

    def step(self):
        route = self.db.route or []
        if not route:
            return
        leg = ((self.db.leg or 0) + 1) % len(route)
        nxt = wasmud.lookup(route[leg])
        self.db.leg = leg
        here = self.location
        if here == nxt:
            return
        if here is not None:
            here.msg_from(f"{self.key} wanders off.", self)
        self.move_to(nxt)
        nxt.msg_from(f"{self.key} wanders in.", self)
        self.db.steps = (self.db.steps or 0) + 1

    def answer(self, speaker, words):
        me = self.key.lower()
        words = words.lower()
        if not any(w in GREETINGS or w == me for w in words_of(words)):
            return None
        replies = self.db.replies or DEFAULT_REPLIES
        # `len` in bytes, as the Rust twin picks.
        pick = replies[len(words.encode()) % len(replies)]
        return f"{self.key} {pick.replace('{name}', speaker)}"

    def at_msg_receive(self, text, sender):
        if sender is None or sender == self:
            return False
        name, sep, words = text.partition(' says, "')
        if not sep:
            return False
        reply = self.answer(name, words)
        here = self.location
        if reply is not None and here is not None:
            here.msg_from(reply, self)
        return False

    def at_command(self, caller, text):
        verb, _, rest = text.partition(" ")
        if verb == "pace":
            try:
                secs = int(rest.strip())
            except ValueError:
                raise ValueError(f"pace wants a number of seconds, not {rest!r}") from None
            self.timers.every("wander", max(secs, 1))
            caller.msg(f"{self.key} now wanders every {secs} s.")
        elif verb == "rest":
            self.timers.cancel("wander")
            caller.msg(f"{self.key} sits down.")
        elif verb == "wander":
            self.timers.every("wander", DEFAULT_PACE)
            caller.msg(f"{self.key} gets up.")
        else:
            return False
        return True


Hooks, TimerHooks, PuppetHooks = wasmud.exports(Wanderer)
