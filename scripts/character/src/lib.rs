//! `character`: what a player controls, with Evennia's everyday commands: `look`/`l`
//! (`look <thing>`), `say`/`"`/`'`, `pose`/`:`, `get`, `drop`, `give <item> to <someone>`,
//! `inventory`/`i`, `setdesc`, `stats` and `help`, and for builders the building commands
//! (`build`). Walking is the exits' job (`east`, `go east`): a character only answers `go`
//! when no exit of its room has that name. Things are told apart by their kind (an exit, an
//! item), not by their typeclass's name, so a builder's `door` is an exit too. Text uses
//! Evennia's colour markup (`|c...|n`), which the host renders for each client.

mod build;

use serde::{Deserialize, Serialize};
use wasmud_sdk::parts::{self, kind};
use wasmud_sdk::{HookResult, Object, Role, Typeclass, find_named};

/// Persistent statistics, stored as one structured attribute.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Stats {
    hp: i64,
    level: u32,
}

/// The commands `help` lists, and what they do.
const HELP: &[(&str, &str)] = &[
    ("look (l) [thing]", "look around, or at something"),
    ("say (\") <text>", "speak to the room"),
    ("pose (:) <action>", "act: `:waves` shows \"<name> waves\""),
    ("get / drop <item>", "pick up or put down"),
    ("give <item> to <name>", "hand something over"),
    ("inventory (i)", "what you carry"),
    ("setdesc <text>", "how others see you (`look <name>`)"),
    ("<exit> or go <exit>", "walk out (`east`, `e`, `go east`)"),
    ("who", "who is online"),
    ("quit", "leave (your things stay with you)"),
];

/// The `help` text: the commands in a column, padded before the markup is added; a
/// builder's lists the building commands too.
fn help(builder: bool) -> String {
    let mut text = String::from("|wCommands|n");
    for (command, what) in HELP {
        text.push_str(&format!("\n  |w{command:<22}|n {what}"));
    }
    if builder {
        text.push_str("\n|wBuilding|n (also with @: @dig, @desc...)");
        for (command, what) in build::HELP {
            text.push_str(&format!("\n  |w{command:<40}|n {what}"));
        }
    }
    text
}

struct Character;

/// Whether `obj` is of kind `k` (its `db.kind`, else its typeclass's name).
fn is(obj: &Object, k: &str) -> HookResult<bool> {
    obj.is_kind(k)
}

/// A list of keys as English: "a, b and c".
fn listing(names: &[String]) -> String {
    match names {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

impl Character {
    /// The room as a player sees it: name, description, exits, who and what is there.
    fn describe_room(this: &Object, here: &Object) -> HookResult<String> {
        let desc: String = here.db().get_or("desc", String::new())?;
        let (mut exits, mut others) = (Vec::new(), Vec::new());
        for obj in here.contents()? {
            if obj == *this {
                continue;
            }
            if is(&obj, kind::EXIT)? {
                exits.push(format!("|g{}|n", obj.key()?));
            } else {
                others.push(obj.key()?);
            }
        }
        let mut text = format!("|c{}|n\n{desc}", here.key()?);
        if !exits.is_empty() {
            text.push_str(&format!("\n|wExits:|n {}", listing(&exits)));
        }
        if !others.is_empty() {
            text.push_str(&format!("\n|wYou see:|n {}.", listing(&others)));
        }
        Ok(text)
    }

    fn look(this: &Object, target: &str) -> HookResult {
        let Some(here) = this.location()? else {
            return this.msg("You are nowhere.");
        };
        if target.is_empty() || target.eq_ignore_ascii_case("here") {
            return this.msg(&Self::describe_room(this, &here)?);
        }
        let mut reach = this.contents()?;
        reach.extend(here.contents()?);
        let text = if target.eq_ignore_ascii_case("me") || this.answers_to(target)? {
            Self::describe_thing(this)?
        } else {
            match find_named(reach, target)? {
                Some(thing) => Self::describe_thing(&thing)?,
                None => format!("You see no {target} here."),
            }
        };
        this.msg(&text)
    }

    /// An object's name, description and, for someone carrying things, what they carry.
    fn describe_thing(thing: &Object) -> HookResult<String> {
        let desc: String = thing
            .db()
            .get_or("desc", "You see nothing special.".to_string())?;
        let mut text = format!("|c{}|n\n{desc}", thing.key()?);
        let carried: Vec<String> = thing
            .contents()?
            .iter()
            .map(Object::key)
            .collect::<Result<_, _>>()?;
        if !carried.is_empty() && !is(thing, kind::ROOM)? {
            text.push_str(&format!("\nCarrying: {}.", listing(&carried)));
        }
        Ok(text)
    }

    fn get(this: &Object, name: &str) -> HookResult {
        let Some(here) = this.location()? else {
            return this.msg("There is nothing here.");
        };
        let candidates = here.contents()?.into_iter().filter(|o| o != this).collect();
        let Some(item) = find_named(candidates, name)? else {
            return this.msg(&format!("You see no {name} here."));
        };
        parts::item::pick_up(this, &item)
    }

    fn drop(this: &Object, name: &str) -> HookResult {
        let Some(item) = find_named(this.contents()?, name)? else {
            return this.msg(&format!("You are not carrying {name}."));
        };
        let here = this.location()?;
        let key = item.key()?;
        item.move_to(here.as_ref())?;
        this.msg(&format!("You drop {key}."))?;
        match here {
            Some(here) => here.msg_from(&format!("{} drops {key}.", this.key()?), this),
            None => Ok(()),
        }
    }

    fn give(this: &Object, args: &str) -> HookResult {
        let Some((item_name, to)) = args
            .split_once(" to ")
            .or_else(|| args.split_once('='))
            .map(|(a, b)| (a.trim(), b.trim()))
        else {
            return this.msg("Usage: give <item> to <someone>");
        };
        let Some(item) = find_named(this.contents()?, item_name)? else {
            return this.msg(&format!("You are not carrying {item_name}."));
        };
        let here = this.location()?;
        let people = match &here {
            Some(here) => here.contents()?.into_iter().filter(|o| o != this).collect(),
            None => Vec::new(),
        };
        let receiver = match find_named(people, to)? {
            Some(r) if !is(&r, kind::EXIT)? && !is(&r, kind::ITEM)? => r,
            _ => return this.msg(&format!("There is no {to} here to give it to.")),
        };
        let (key, who) = (item.key()?, receiver.key()?);
        item.move_to(Some(&receiver))?;
        this.msg(&format!("You give {key} to {who}."))?;
        receiver.msg_from(&format!("{} gives you {key}.", this.key()?), this)
    }

    fn inventory(this: &Object) -> HookResult {
        let carried: Vec<String> = this
            .contents()?
            .iter()
            .map(Object::key)
            .collect::<Result<_, _>>()?;
        if carried.is_empty() {
            this.msg("You are carrying nothing.")
        } else {
            this.msg(&format!("You are carrying: {}.", listing(&carried)))
        }
    }

    /// `go <name>`: left to the exit of that name, if the room has one.
    fn go(this: &Object, name: &str) -> HookResult<bool> {
        if name.is_empty() {
            this.msg("Go where?")?;
            return Ok(true);
        }
        let exits = match this.location()? {
            Some(here) => here.contents()?,
            None => Vec::new(),
        };
        for exit in exits {
            if is(&exit, kind::EXIT)? && exit.answers_to(name)? {
                return Ok(false);
            }
        }
        this.msg(&format!("You cannot go {name} from here."))?;
        Ok(true)
    }
}

impl Typeclass for Character {
    fn at_object_creation(this: &Object) -> HookResult {
        this.db().set(kind::ATTR, kind::CHARACTER)?;
        this.db().set("stats", &Stats { hp: 100, level: 1 })?;
        this.db()
            .set("desc", "Someone who has just arrived in this world.")
    }

    fn at_init(this: &Object) -> HookResult {
        kind::ensure(this, kind::CHARACTER)?;
        // Session state, rebuilt on each load.
        this.ndb().set("commands", &0)
    }

    fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {
        // A character acts only on what its own player typed: another character's line
        // offered around the room is not ours to run.
        if caller.id() != this.id() {
            return Ok(false);
        }
        let commands: i64 = this.ndb().get_or("commands", 0)?;
        this.ndb().set("commands", &(commands + 1))?;
        let input = input.trim();
        let (verb, rest) = match input.chars().next() {
            Some(c @ ('"' | '\'' | ':')) => (if c == ':' { "pose" } else { "say" }, &input[1..]),
            _ => input.split_once(' ').unwrap_or((input, "")),
        };
        let rest = rest.trim();
        let verb = verb.to_ascii_lowercase();
        // `open` without `=` is not the builder's: another object may answer `open chest`.
        let building = verb.trim_start_matches('@') != "open" || rest.contains('=');
        if building && build::command(this, &verb, rest)?.is_some() {
            return Ok(true);
        }
        match verb.as_str() {
            "look" | "l" => Self::look(this, rest)?,
            "say" if rest.is_empty() => this.msg("Say what?")?,
            "say" => {
                this.msg(&format!("You say, \"{rest}\""))?;
                if let Some(here) = this.location()? {
                    here.msg_from(&format!("{} says, \"{rest}\"", this.key()?), this)?;
                }
            }
            "pose" | "emote" if rest.is_empty() => this.msg("Pose what?")?,
            "pose" | "emote" => {
                let line = format!("{} {rest}", this.key()?);
                this.msg(&line)?;
                if let Some(here) = this.location()? {
                    here.msg_from(&line, this)?;
                }
            }
            "get" | "take" if rest.is_empty() => this.msg("Get what?")?,
            "get" | "take" => Self::get(this, rest)?,
            "drop" if rest.is_empty() => this.msg("Drop what?")?,
            "drop" => Self::drop(this, rest)?,
            "give" => Self::give(this, rest)?,
            "inventory" | "inv" | "i" => Self::inventory(this)?,
            "go" => return Self::go(this, rest),
            "setdesc" => {
                this.db().set("desc", rest)?;
                this.msg("Your description is set.")?;
            }
            "stats" => {
                let stats: Stats = this.db().get("stats")?.ok_or("no stats")?;
                let roles: Vec<&str> = this
                    .roles()?
                    .into_iter()
                    .map(|r| match r {
                        Role::Player => "player",
                        Role::Builder => "builder",
                        Role::Admin => "admin",
                    })
                    .collect();
                // Roles only for a character someone plays (an account's).
                let mut line = format!("hp {} level {}", stats.hp, stats.level);
                if !roles.is_empty() {
                    line.push_str(&format!("; roles: {}", roles.join(", ")));
                }
                this.msg(&line)?;
            }
            "help" | "?" => this.msg(&help(this.has_role(Role::Builder)?))?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn at_post_puppet(this: &Object) -> HookResult {
        if let Some(here) = this.location()? {
            here.msg_from(&format!("{} wakes up.", this.key()?), this)?;
        }
        Ok(())
    }

    fn at_pre_unpuppet(this: &Object) -> HookResult {
        if let Some(here) = this.location()? {
            here.msg_from(&format!("{} falls asleep.", this.key()?), this)?;
        }
        Ok(())
    }

    fn at_post_move(this: &Object, _source: Option<&Object>) -> HookResult {
        if let Some(here) = this.location()? {
            here.msg_from(&format!("{} arrives.", this.key()?), this)?;
            this.msg(&Self::describe_room(this, &here)?)?;
        }
        Ok(())
    }
}

wasmud_sdk::typeclass!(Character);
