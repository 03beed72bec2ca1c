//! Building in the game, in Evennia's names and syntax, for builders and admins: `dig`, `open`,
//! `create`, `desc`, `set`, `examine`, `tel`, `destroy`, `find` and `typeclass` (each also
//! spelled with `@`). For anyone else they do not exist ("Huh?").
//!
//! The role check here only decides which commands a player is offered. What a builder's
//! command may do is the host's decision: the character's `build` grant holds only in a turn a
//! builder or admin started, so the same code run for a player is refused by the host.

use wasmud_sdk::command::{NameSpec, split_assign, split_list};
use wasmud_sdk::parts::kind;
use wasmud_sdk::{
    Error, HookResult, Object, Role, Value, create, find_named, lookup, parse_literal, search,
};

/// The builder commands `help` lists, and what they do.
pub const HELP: &[(&str, &str)] = &[
    (
        "dig <room>[;alias] [= <exit>, <back>]",
        "make a room, maybe exits to and from it",
    ),
    ("open <exit>[;alias] = <room>", "make an exit from here"),
    (
        "create <name>[;alias] [: <typeclass>]",
        "make a thing (an item) you carry",
    ),
    (
        "desc [<target> =] <text>",
        "describe something (here if no target)",
    ),
    (
        "set <target>/<attr> [= <value>]",
        "show, set or (empty value) clear",
    ),
    ("examine (ex) [<target>]", "everything about something"),
    (
        "tel [<target> =] <destination>",
        "teleport (yourself if no target)",
    ),
    ("destroy <target>", "delete something"),
    ("find <name>", "where things are"),
    (
        "typeclass <target> [= <typeclass>]",
        "show or change the code it runs",
    ),
];

/// How many objects `find` lists.
const MAX_FOUND: usize = 20;
/// How much of one attribute's value `examine` and `set` show.
const MAX_SHOWN: usize = 400;
/// How many attributes `examine` lists.
const MAX_LISTED: usize = 60;

/// Runs a builder command if `verb` is one and `this`'s player may build. `None`: not a
/// builder command (or not a builder): the caller goes on as if it were not there.
pub fn command(this: &Object, verb: &str, args: &str) -> HookResult<Option<()>> {
    let verb = verb.strip_prefix('@').unwrap_or(verb);
    let run: fn(&Object, &str) -> HookResult = match verb {
        "dig" => dig,
        "open" => open,
        "create" => create_thing,
        "desc" | "describe" => desc,
        "set" => set,
        "examine" | "ex" => examine,
        "tel" | "teleport" => tel,
        "destroy" => destroy,
        "find" | "locate" => find,
        "typeclass" | "type" | "swap" => typeclass,
        _ => return Ok(None),
    };
    if !this.has_role(Role::Builder)? {
        return Ok(None);
    }
    match run(this, args) {
        Ok(()) => Ok(Some(())),
        // What the builder got wrong (or the host refused) is told, not a failed turn.
        Err(
            e @ (Error::NotFound(_)
            | Error::InvalidArgument(_)
            | Error::Vetoed(_)
            | Error::Deleted(_)
            | Error::NotPermitted(_)),
        ) => {
            this.msg(&format!("|rCould not {verb}:|n {e}"))?;
            Ok(Some(()))
        }
        Err(e) => Err(e),
    }
}

/// The object a builder means by `name`: `here`, `me`, `#id`; else, preferring an exact key
/// or alias to a word of a key (`Cellar` is the room, not the `cellar door`): something
/// carried or in the room, the room itself, anything in the world with that key, and last
/// something nearby with `name` as a word of its key (as `look` finds things).
pub fn target(this: &Object, name: &str) -> HookResult<Option<Object>> {
    let name = name.trim();
    let here = this.location()?;
    if name.is_empty() {
        return Ok(None);
    }
    if name.eq_ignore_ascii_case("here") {
        return Ok(here);
    }
    if name.eq_ignore_ascii_case("me") || name.eq_ignore_ascii_case("self") {
        return Ok(Some(lookup(this.id())?));
    }
    if let Some(id) = name.strip_prefix('#').and_then(|n| n.parse().ok()) {
        return match lookup(id) {
            Ok(found) => Ok(Some(found)),
            Err(Error::NotFound(_) | Error::Deleted(_)) => Ok(None),
            Err(e) => Err(e),
        };
    }
    let mut reach = this.contents()?;
    if let Some(here) = &here {
        reach.extend(here.contents()?);
    }
    let mut exact = None;
    for (i, thing) in reach.iter().enumerate() {
        if thing.is_called(name)? {
            exact = Some(i);
            break;
        }
    }
    if let Some(i) = exact {
        return Ok(Some(reach.swap_remove(i)));
    }
    if let Some(here) = here
        && here.is_called(name)?
    {
        return Ok(Some(here));
    }
    if let Some(found) = search(name)?.into_iter().next() {
        return Ok(Some(found));
    }
    find_named(reach, name)
}

/// [`target`], or a message saying there is none.
fn must_find(this: &Object, name: &str) -> HookResult<Option<Object>> {
    let found = target(this, name)?;
    if found.is_none() {
        let shown = if name.is_empty() {
            "nothing named"
        } else {
            name
        };
        this.msg(&format!("There is no {shown} to be found."))?;
    }
    Ok(found)
}

/// `key (#id)`.
fn named(obj: &Object) -> HookResult<String> {
    Ok(format!("{} (#{})", obj.key()?, obj.id()))
}

/// A name spec with a key, or a message why not.
fn spec(this: &Object, text: &str, what: &str) -> HookResult<Option<NameSpec>> {
    let spec = NameSpec::parse(text);
    if spec.key.is_empty() {
        this.msg(&format!("The {what} needs a name."))?;
        return Ok(None);
    }
    Ok(Some(spec))
}

/// Creates an object named by `spec`, with its aliases.
fn make(spec: &NameSpec, typeclass: &str, location: Option<&Object>) -> HookResult<Object> {
    let obj = create(&spec.key, typeclass, location)?;
    if !spec.aliases.is_empty() {
        obj.db().set("aliases", &spec.aliases)?;
    }
    Ok(obj)
}

/// Creates an exit in `from` leading to `to`.
fn make_exit(spec: &NameSpec, from: &Object, to: &Object) -> HookResult<Object> {
    let exit = make(spec, "exit", Some(from))?;
    exit.db().set_object("destination", to)?;
    Ok(exit)
}

fn dig(this: &Object, args: &str) -> HookResult {
    let (room, exits) = split_assign(args);
    let Some(room_spec) = spec(this, room, "new room")? else {
        return Ok(());
    };
    let exits: Vec<&str> = exits.map(split_list).unwrap_or_default();
    let here = this.location()?;
    if !exits.is_empty() && here.is_none() {
        return this.msg("You are nowhere: there is no room to open an exit from.");
    }
    let mut specs = Vec::new();
    for text in &exits {
        match spec(this, text, "exit")? {
            Some(s) => specs.push(s),
            None => return Ok(()),
        }
    }
    let room = make(&room_spec, "room", None)?;
    let mut report = format!("Created room {}.", named(&room)?);
    if let (Some(to), Some(here)) = (specs.first(), &here) {
        let exit = make_exit(to, here, &room)?;
        report.push_str(&format!(
            "\nCreated exit {} from {} to {}.",
            named(&exit)?,
            here.key()?,
            room.key()?
        ));
    }
    if let (Some(back), Some(here)) = (specs.get(1), &here) {
        let exit = make_exit(back, &room, here)?;
        report.push_str(&format!(
            "\nCreated exit {} from {} to {}.",
            named(&exit)?,
            room.key()?,
            here.key()?
        ));
    }
    this.msg(&report)
}

fn open(this: &Object, args: &str) -> HookResult {
    let (exit, to) = split_assign(args);
    let Some(to) = to.filter(|t| !t.is_empty()) else {
        return this.msg("Usage: open <exit>[;aliases] = <room>");
    };
    let Some(exit_spec) = spec(this, exit, "exit")? else {
        return Ok(());
    };
    let Some(here) = this.location()? else {
        return this.msg("You are nowhere: there is no room to open an exit from.");
    };
    let Some(room) = must_find(this, to)? else {
        return Ok(());
    };
    let exit = make_exit(&exit_spec, &here, &room)?;
    this.msg(&format!(
        "Created exit {} from {} to {}.",
        named(&exit)?,
        here.key()?,
        named(&room)?
    ))
}

fn create_thing(this: &Object, args: &str) -> HookResult {
    let (name, typeclass) = match args.split_once(':') {
        Some((name, tc)) => (name, tc.trim()),
        None => (args, "item"),
    };
    let Some(spec) = spec(this, name, "new thing")? else {
        return Ok(());
    };
    let typeclass = if typeclass.is_empty() {
        "item"
    } else {
        typeclass
    };
    let thing = make(&spec, typeclass, Some(this))?;
    this.msg(&format!(
        "Created {} ({typeclass}); you are carrying it.",
        named(&thing)?
    ))
}

fn desc(this: &Object, args: &str) -> HookResult {
    if args.is_empty() {
        return this.msg("Usage: desc [<target> =] <text>");
    }
    let (target_name, text) = match split_assign(args) {
        (name, Some(text)) => (name, text),
        (text, None) => ("here", text),
    };
    let Some(thing) = must_find(this, target_name)? else {
        return Ok(());
    };
    thing.db().set("desc", text)?;
    this.msg(&format!("The description of {} is set.", named(&thing)?))
}

/// An attribute value as `examine` and `set` show it (Python's spelling), cut at
/// [`MAX_SHOWN`] bytes.
fn shown(value: &Value) -> HookResult<String> {
    let mut text = match value {
        Value::Null => "None".to_owned(),
        Value::Boolean(b) => if *b { "True" } else { "False" }.to_owned(),
        Value::Integer(i) => i.to_string(),
        Value::Float(x) => format!("{x:?}"),
        Value::Text(s) => s.clone(),
        Value::Bytes(b) => format!("<{} bytes>", b.len()),
        Value::Object(o) => match o.key() {
            Ok(key) => format!("{key} (#{})", o.id()),
            Err(_) => format!("<deleted #{}>", o.id()),
        },
        Value::Json(j) => j.clone(),
    };
    if text.len() > MAX_SHOWN {
        let mut cut = MAX_SHOWN;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let total = text.len();
        text.truncate(cut);
        text.push_str(&format!("... ({total} bytes)"));
    }
    Ok(text)
}

fn set(this: &Object, args: &str) -> HookResult {
    let (lhs, value) = split_assign(args);
    let Some((target_name, attr)) = lhs.rsplit_once('/').map(|(t, a)| (t.trim(), a.trim())) else {
        return this.msg("Usage: set <target>/<attribute> [= <value>]");
    };
    if attr.is_empty() {
        return this.msg("Which attribute? set <target>/<attribute> = <value>");
    }
    let Some(thing) = must_find(this, target_name)? else {
        return Ok(());
    };
    let who = named(&thing)?;
    match value {
        None => match thing.db().get_value(attr)? {
            Some(v) => this.msg(&format!("{who}/{attr} = {}", shown(&v)?)),
            None => this.msg(&format!("{who} has no attribute {attr}.")),
        },
        Some("") => {
            if thing.db().remove(attr)? {
                this.msg(&format!("Deleted {who}/{attr}."))
            } else {
                this.msg(&format!("{who} has no attribute {attr}."))
            }
        }
        Some(text) => {
            // `#12` naming an object stores a reference to it (an exit's `destination`).
            let reference = match text.strip_prefix('#').map(str::parse::<u64>) {
                Some(Ok(id)) => target(this, text)?.filter(|o| o.id() == id),
                _ => None,
            };
            match reference {
                Some(obj) => thing.db().set_object(attr, &obj)?,
                None => thing.db().set_literal(attr, &parse_literal(text))?,
            }
            let stored = thing.db().get_value(attr)?.ok_or("the value vanished")?;
            this.msg(&format!("Set {who}/{attr} = {}", shown(&stored)?))
        }
    }
}

fn examine(this: &Object, args: &str) -> HookResult {
    let name = if args.is_empty() { "here" } else { args };
    let Some(thing) = must_find(this, name)? else {
        return Ok(());
    };
    let mut text = format!(
        "|c{}|n\n|wTypeclass:|n {}  |wKind:|n {}",
        named(&thing)?,
        thing.typeclass()?,
        thing.kind()?
    );
    let location = match thing.location()? {
        Some(place) => named(&place)?,
        None => "nowhere".to_owned(),
    };
    text.push_str(&format!("\n|wLocation:|n {location}"));
    let attrs = thing.db().names()?;
    if !attrs.is_empty() {
        text.push_str("\n|wAttributes:|n");
        for attr in attrs.iter().take(MAX_LISTED) {
            if let Some(v) = thing.db().get_value(attr)? {
                text.push_str(&format!("\n  {attr} = {}", shown(&v)?));
            }
        }
        if attrs.len() > MAX_LISTED {
            text.push_str(&format!("\n  ... and {} more", attrs.len() - MAX_LISTED));
        }
    }
    let contents: Vec<String> = thing
        .contents()?
        .iter()
        .map(named)
        .collect::<Result<_, _>>()?;
    if !contents.is_empty() {
        text.push_str(&format!("\n|wContents:|n {}", contents.join(", ")));
    }
    this.msg(&text)
}

fn tel(this: &Object, args: &str) -> HookResult {
    let (who, destination) = match split_assign(args) {
        (who, Some(to)) => (who, to),
        (to, None) => ("me", to),
    };
    let Some(thing) = must_find(this, who)? else {
        return Ok(());
    };
    let Some(place) = must_find(this, destination)? else {
        return Ok(());
    };
    if thing == place {
        return this.msg("Nothing can be put inside itself.");
    }
    thing.move_to(Some(&place))?;
    if thing != *this {
        this.msg(&format!(
            "Teleported {} to {}.",
            named(&thing)?,
            named(&place)?
        ))?;
    }
    Ok(())
}

fn destroy(this: &Object, args: &str) -> HookResult {
    let Some(thing) = must_find(this, args)? else {
        return Ok(());
    };
    let what = named(&thing)?;
    if thing == *this {
        return this.msg("You cannot destroy yourself.");
    }
    if !thing.roles()?.is_empty() {
        return this.msg(&format!(
            "{what} is a player's character: only the console deletes those."
        ));
    }
    if this.location()?.as_ref() == Some(&thing) {
        return this.msg(&format!("You are standing in {what}: go elsewhere first."));
    }
    // Its contents would be left nowhere: not a player's character.
    for inside in thing.contents()? {
        if !inside.roles()?.is_empty() {
            return this.msg(&format!(
                "{} is in {what}: move them out first (tel).",
                inside.key()?
            ));
        }
    }
    thing.delete()?;
    this.msg(&format!("Destroyed {what}."))
}

fn find(this: &Object, args: &str) -> HookResult {
    if args.is_empty() {
        return this.msg("Find what?");
    }
    // What `target` would pick, then every other object with that key, then what nearby
    // has it as a word of its name.
    let mut found: Vec<Object> = target(this, args)?.into_iter().collect();
    let mut nearby = this.contents()?;
    if let Some(here) = this.location()? {
        nearby.extend(here.contents()?);
    }
    for thing in search(args)?.into_iter().chain(nearby) {
        if !found.contains(&thing) && thing.answers_to(args)? {
            found.push(thing);
        }
    }
    if found.is_empty() {
        return this.msg(&format!("Nothing is called {args}."));
    }
    let mut text = format!("|wFound {}:|n", found.len());
    for thing in found.iter().take(MAX_FOUND) {
        let place = match thing.location()? {
            Some(place) => format!("in {}", named(&place)?),
            None => "nowhere".to_owned(),
        };
        text.push_str(&format!(
            "\n  {} [{}] {place}",
            named(thing)?,
            thing.typeclass()?
        ));
    }
    if found.len() > MAX_FOUND {
        text.push_str(&format!("\n  ... and {} more", found.len() - MAX_FOUND));
    }
    this.msg(&text)
}

fn typeclass(this: &Object, args: &str) -> HookResult {
    let (name, new) = split_assign(args);
    let Some(thing) = must_find(this, name)? else {
        return Ok(());
    };
    let who = named(&thing)?;
    match new.filter(|t| !t.is_empty()) {
        None => this.msg(&format!(
            "{who} has typeclass {} (kind {}).",
            thing.typeclass()?,
            thing.kind()?
        )),
        Some(_) if !thing.roles()?.is_empty() => this.msg(&format!(
            "{who} is a player's character: only the console changes those."
        )),
        Some(new) => {
            let old = thing.typeclass()?;
            // The kind goes with the code: the new typeclass's `at_init` declares its own
            // (`parts::kind::ensure`), or its name stands for it. Put back if the change fails.
            let old_kind: Option<String> = thing.db().get(kind::ATTR).unwrap_or_default();
            thing.db().remove(kind::ATTR)?;
            if let Err(e) = thing.set_typeclass(new) {
                if let Some(k) = old_kind {
                    thing.db().set(kind::ATTR, &k)?;
                }
                return Err(e);
            }
            this.msg(&format!(
                "{who} changed typeclass from {old} to {new}; its attributes are kept \
                 (kind {}).",
                thing.kind()?
            ))
        }
    }
}
