"""`noticeboard`: a board on the wall, written in Python. Anyone in the room can `read board`,
`post <text>` a note on it, and `unpost <number>` a note they wrote. It keeps at most
MAX_NOTES notes of at most MAX_TEXT characters in `db.notes`; the oldest goes when it is full.
"""

import wasmud

MAX_NOTES = 20
MAX_TEXT = 200


def the(key):
    """`a notice board` as `the notice board`."""
    for article in ("a ", "an ", "the "):
        if key.lower().startswith(article):
            return "the " + key[len(article):]
    return key


class NoticeBoard(wasmud.Typeclass):
    def at_object_creation(self):
        self.db.kind = "item"  # a thing in the room, but...
        self.db.fixed = True  # ...nailed to the wall: `get` refuses (at_pre_move)
        self.db.desc = "A cork board. |wread board|n to read it, |wpost <text>|n to add a note."
        self.db.notes = []

    def at_pre_move(self, destination):
        return not self.db.fixed

    def at_msg_receive(self, text, sender):
        return False  # boards do not listen

    def at_command(self, caller, text):
        verb, _, rest = text.strip().partition(" ")
        verb, rest = verb.lower(), rest.strip()
        if verb == "read" and self.answers_to(rest):
            self.read(caller)
        elif verb == "post":
            self.post(caller, rest)
        elif verb == "unpost":
            self.unpost(caller, rest)
        else:
            return False
        return True

    def read(self, caller):
        notes = self.db.notes or []
        if not notes:
            caller.msg(f"{the(self.key).capitalize()} is empty.")
            return
        lines = [f"|w{self.key}|n"]
        for number, note in enumerate(notes, 1):
            lines.append(f"  |w{number}.|n {note['text']} |x({note['author']})|n")
        caller.msg("\n".join(lines))

    def post(self, caller, text):
        if not text:
            caller.msg("Post what?")
            return
        if len(text) > MAX_TEXT:
            caller.msg(f"Keep it under {MAX_TEXT} characters.")
            return
        notes = (self.db.notes or [])[-(MAX_NOTES - 1):]
        notes.append({"author": caller.key, "author_id": caller.id, "text": text})
        self.db.notes = notes
        caller.msg(f"You pin a note to {the(self.key)}.")
        here = self.location
        if here is not None:
            here.msg_from(f"{caller.key} pins a note to {the(self.key)}.", caller)

    def unpost(self, caller, number):
        notes = self.db.notes or []
        if not number.isdigit() or not 1 <= int(number) <= len(notes):
            caller.msg(f"There is no note {number or '?'} on {the(self.key)}.")
            return
        note = notes[int(number) - 1]
        if note["author_id"] != caller.id:
            caller.msg("That note is not yours to take down.")
            return
        del notes[int(number) - 1]
        self.db.notes = notes
        caller.msg("You take your note down.")


Hooks, TimerHooks, PuppetHooks = wasmud.exports(NoticeBoard)
