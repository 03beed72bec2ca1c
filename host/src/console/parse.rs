//! Parsing console lines into [`Command`]s, the command table, help texts and suggestions.

use std::time::Duration;

use crate::value::{ObjectId, Value};

/// A console command, parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// `help [command]`
    Help(Option<String>),
    /// `stats`
    Stats,
    /// `flush [all | <id> | idle <seconds>] [--force]`
    Flush {
        /// What to flush.
        scope: crate::FlushScope,
        /// Also drop protected entries.
        force: bool,
    },
    /// `reload [typeclass]`
    Reload(Option<String>),
    /// `typeclasses`
    Typeclasses,
    /// `examine <id|key>`
    Examine(Target),
    /// `find <key>`
    Find(String),
    /// `create <key> <typeclass> [location]`
    Create {
        /// The new object's key.
        key: String,
        /// Its typeclass.
        typeclass: String,
        /// Where to put it.
        location: Option<Target>,
    },
    /// `set <id|key> <attr> <value> [--ndb]`
    Set {
        /// The object.
        target: Target,
        /// The attribute.
        name: String,
        /// The value.
        value: Value,
        /// Set an `ndb` attribute instead of a `db` one.
        ndb: bool,
    },
    /// `unset <id|key> <attr> [--ndb]`
    Unset {
        /// The object.
        target: Target,
        /// The attribute.
        name: String,
        /// Remove an `ndb` attribute instead of a `db` one.
        ndb: bool,
    },
    /// `rename <id|key> <new key>`
    Rename {
        /// The object.
        target: Target,
        /// Its new key.
        key: String,
    },
    /// `move <id|key> <destination|none>`
    Move {
        /// The object.
        target: Target,
        /// Where to (`None`: nowhere).
        destination: Option<Target>,
    },
    /// `delete <id|key>`
    Delete(Target),
    /// `call <id|key> <hook> [args]`
    Call {
        /// The object.
        target: Target,
        /// The hook, in WIT spelling.
        hook: String,
        /// The hook's arguments.
        args: Vec<String>,
    },
    /// `timers [<id|key>]`
    Timers(Option<Target>),
    /// `incidents`
    Incidents,
    /// `accounts`
    Accounts,
    /// `grant <account> <role>` (`grant` true) or `revoke <account> <role>`
    Role {
        /// The account's name.
        account: String,
        /// The role.
        role: crate::roles::Role,
        /// Grant rather than revoke.
        grant: bool,
    },
    /// `backup <file>`
    Backup(String),
    /// `save`
    Save,
    /// `shutdown`
    Shutdown,
}

/// An object named on the command line: `#12`, `12` or a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// By id.
    Id(ObjectId),
    /// By key (must match exactly one object).
    Key(String),
}

/// A command line that did not parse: one line of error and a suggestion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// What is wrong.
    pub message: String,
    /// What to try instead.
    pub suggestion: String,
}

/// One entry of the command table.
pub struct Spec {
    /// The command word.
    pub name: &'static str,
    /// Its arguments.
    pub usage: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
}

/// Every command, in help order.
pub const COMMANDS: &[Spec] = &[
    Spec {
        name: "help",
        usage: "help [command]",
        summary: "list commands, or explain one",
    },
    Spec {
        name: "stats",
        usage: "stats",
        summary: "cache figures, memory, uptime, typeclasses, hooks run, traps",
    },
    Spec {
        name: "flush",
        usage: "flush [all | <id> | idle <seconds>] [--force]",
        summary: "drop cached objects (protected ones stay unless --force) and report",
    },
    Spec {
        name: "reload",
        usage: "reload [typeclass]",
        summary: "recompile and swap one typeclass, or all of them",
    },
    Spec {
        name: "typeclasses",
        usage: "typeclasses",
        summary: "installed typeclasses: version, origin, load time, cached objects",
    },
    Spec {
        name: "examine",
        usage: "examine <id|key>",
        summary: "an object's key, typeclass, location, contents and attributes",
    },
    Spec {
        name: "find",
        usage: "find <name>",
        summary: "objects whose key or alias has words starting with the name's (`find rose`: \"a red rose\")",
    },
    Spec {
        name: "create",
        usage: "create <key> <typeclass> [location]",
        summary: "create an object (its creation hooks run)",
    },
    Spec {
        name: "set",
        usage: "set <id|key> <attr> <value> [--ndb]",
        summary: "set an attribute; value: 12, 1.5, true, null, #id, \"text\", {json} or text",
    },
    Spec {
        name: "unset",
        usage: "unset <id|key> <attr> [--ndb]",
        summary: "remove an attribute",
    },
    Spec {
        name: "rename",
        usage: "rename <id|key> <new key>",
        summary: "give an object a new key (no hooks run)",
    },
    Spec {
        name: "move",
        usage: "move <id|key> <destination|none>",
        summary: "move an object (its at-pre-move may refuse; at-post-move runs)",
    },
    Spec {
        name: "delete",
        usage: "delete <id|key>",
        summary: "delete an object (its at-object-delete may refuse); its contents move out",
    },
    Spec {
        name: "call",
        usage: "call <id|key> <hook> [args]",
        summary: "run a hook: at-command <caller> <input>, at-msg-receive <text>, at-init, at-pre-move <dest|none>, at-tick <timer>, ...",
    },
    Spec {
        name: "timers",
        usage: "timers [<id|key>]",
        summary: "scheduled timers (object, name, due, interval, failures), all or one object's",
    },
    Spec {
        name: "incidents",
        usage: "incidents",
        summary: "players' commands that failed: the reference they saw, the line, the error",
    },
    Spec {
        name: "accounts",
        usage: "accounts",
        summary: "player accounts: name, roles, character, created, last login, online",
    },
    Spec {
        name: "grant",
        usage: "grant <account> <role>",
        summary: "give an account a role: builder (builds in the game) or admin",
    },
    Spec {
        name: "revoke",
        usage: "revoke <account> <role>",
        summary: "take a role from an account (every account stays a player)",
    },
    Spec {
        name: "backup",
        usage: "backup <file>",
        summary: "copy the live world to a new store file (consistent; the world keeps serving)",
    },
    Spec {
        name: "save",
        usage: "save",
        summary: "make everything durable now (fsync)",
    },
    Spec {
        name: "shutdown",
        usage: "shutdown",
        summary: "save and stop the server",
    },
];

/// The names of every command (for completion).
pub fn command_names() -> impl Iterator<Item = &'static str> {
    COMMANDS.iter().map(|c| c.name)
}

fn spec(name: &str) -> Option<&'static Spec> {
    COMMANDS.iter().find(|c| c.name == name)
}

/// Splits a line into words; double quotes group words, `\"` escapes a quote.
pub fn words(line: &str) -> Result<Vec<String>, ParseError> {
    Ok(tokens(line)?.into_iter().map(|(word, _)| word).collect())
}

/// The words of `line` (see [`words`]), each with the byte offset just past it.
fn tokens(line: &str) -> Result<Vec<(String, usize)>, ParseError> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((word, end)) = next_token(line, at)? {
        out.push((word, end));
        at = end;
    }
    Ok(out)
}

/// The next word of `line` from byte `from` on, and the byte offset just past it.
fn next_token(line: &str, from: usize) -> Result<Option<(String, usize)>, ParseError> {
    let mut cur = String::new();
    let mut in_word = false;
    let mut quoted = false;
    let mut chars = line[from..].char_indices().map(|(i, c)| (from + i, c));
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' if quoted => {
                if let Some((_, next)) = chars.next() {
                    cur.push(next);
                }
            }
            '"' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    return Ok(Some((cur, at)));
                }
            }
            c => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quoted {
        return Err(ParseError {
            message: "unbalanced quote".into(),
            suggestion: "close the \" or escape it as \\\"".into(),
        });
    }
    Ok(in_word.then_some((cur, line.len())))
}

/// The flags any command line may carry.
const FLAGS: [&str; 3] = ["--json", "--force", "--ndb"];

/// `set`'s words as typed at a prompt: `set`, the object and the attribute split like any
/// words, and the value the rest of the line exactly as typed (quotes, brackets and all), so
/// that `["n","north"]` stays a JSON list and `"1984"` a string. Flags may come before the
/// value or last.
fn set_words(line: &str) -> Result<Vec<String>, ParseError> {
    let mut head: Vec<String> = Vec::new();
    let mut rest_at = 0;
    while head.iter().filter(|w| !FLAGS.contains(&w.as_str())).count() < 3 {
        let Some((word, end)) = next_token(line, rest_at)? else {
            break;
        };
        head.push(word);
        rest_at = end;
    }
    let mut rest = line[rest_at..].trim();
    let mut trailing = Vec::new();
    while let Some(flag) = FLAGS.iter().find(|f| {
        rest.strip_suffix(**f)
            .is_some_and(|before| before.is_empty() || before.ends_with(char::is_whitespace))
    }) {
        trailing.push((*flag).to_owned());
        rest = rest[..rest.len() - flag.len()].trim_end();
    }
    if !rest.is_empty() {
        head.push(rest.to_owned());
    }
    head.extend(trailing);
    Ok(head)
}

/// The Levenshtein distance of two short words.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

fn usage_error(name: &str, message: impl Into<String>) -> ParseError {
    let spec = spec(name).expect("known command");
    ParseError {
        message: message.into(),
        suggestion: format!("usage: {}", spec.usage),
    }
}

/// Parses an object reference: `#12`, `12` or a key.
pub fn target(word: &str) -> Target {
    let digits = word.strip_prefix('#').unwrap_or(word);
    match digits.parse::<ObjectId>() {
        Ok(id) => Target::Id(id),
        Err(_) => Target::Key(word.to_owned()),
    }
}

/// Parses a console value: a JSON scalar, `#id`, a JSON object or array, or else plain text.
pub fn value(word: &str) -> Value {
    if let Some(id) = word.strip_prefix('#').and_then(|d| d.parse().ok()) {
        return Value::Object(id);
    }
    match serde_json::from_str::<serde_json::Value>(word) {
        Ok(serde_json::Value::Null) => Value::Null,
        Ok(serde_json::Value::Bool(b)) => Value::Bool(b),
        Ok(serde_json::Value::Number(n)) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Ok(serde_json::Value::String(s)) => Value::Text(s.into()),
        Ok(json @ (serde_json::Value::Array(_) | serde_json::Value::Object(_))) => {
            Value::Json(json.to_string().into())
        }
        Err(_) => Value::Text(word.into()),
    }
}

/// Parses one command line. Returns the command and whether `--json` output was asked for.
///
/// # Errors
/// A [`ParseError`] with a suggestion for an unknown command or wrong arguments.
pub fn parse(line: &str) -> Result<(Command, bool), ParseError> {
    let line = line.trim();
    if line.starts_with('[') {
        // The words exactly as a shell passed them to `wasmud console`.
        let argv: Vec<String> = serde_json::from_str(line).map_err(|e| ParseError {
            message: format!("a command sent as JSON must be an array of strings: {e}"),
            suggestion: "send [\"stats\"], or the command as plain words".into(),
        })?;
        return parse_argv(argv);
    }
    let first = line.split_whitespace().next().unwrap_or("");
    if first.eq_ignore_ascii_case("set") {
        return parse_argv(set_words(line)?);
    }
    parse_argv(words(line)?)
}

/// Parses one command given as words (a shell's arguments): `set`'s value is every word after
/// the attribute, joined by spaces.
///
/// # Errors
/// A [`ParseError`] with a suggestion for an unknown command or wrong arguments.
pub fn parse_argv(argv: Vec<String>) -> Result<(Command, bool), ParseError> {
    let mut words = argv;
    let json = take_flag(&mut words, "--json");
    let force = take_flag(&mut words, "--force");
    let ndb = take_flag(&mut words, "--ndb");
    let Some((name, args)) = words.split_first() else {
        return Err(ParseError {
            message: "empty command".into(),
            suggestion: "type `help` for the list of commands".into(),
        });
    };
    let name = name.to_ascii_lowercase();
    let Some(spec) = spec(&name) else {
        let closest = COMMANDS
            .iter()
            .min_by_key(|c| distance(&name, c.name))
            .expect("commands exist");
        let suggestion = if distance(&name, closest.name) <= 3 {
            format!("did you mean `{}`? ({})", closest.name, closest.usage)
        } else {
            "type `help` for the list of commands".into()
        };
        return Err(ParseError {
            message: format!("unknown command `{name}`"),
            suggestion,
        });
    };
    let n = args.len();
    let arity = |min: usize, max: usize| {
        if n < min || n > max {
            Err(usage_error(
                spec.name,
                format!("`{}` takes {}, got {n}", spec.name, count_words(min, max)),
            ))
        } else {
            Ok(())
        }
    };
    if force && spec.name != "flush" {
        return Err(usage_error(spec.name, "--force only applies to `flush`"));
    }
    if ndb && !matches!(spec.name, "set" | "unset") {
        return Err(usage_error(
            spec.name,
            "--ndb only applies to `set` and `unset`",
        ));
    }
    let command = match spec.name {
        "help" => {
            arity(0, 1)?;
            Command::Help(args.first().cloned())
        }
        "stats" => {
            arity(0, 0)?;
            Command::Stats
        }
        "flush" => {
            arity(0, 2)?;
            let scope = match args {
                [] => crate::FlushScope::All,
                [all] if all == "all" => crate::FlushScope::All,
                [idle, secs] if idle == "idle" => match secs.parse::<u64>() {
                    Ok(s) => crate::FlushScope::IdleFor(Duration::from_secs(s)),
                    Err(_) => {
                        return Err(usage_error(
                            "flush",
                            format!("`{secs}` is not a number of seconds"),
                        ));
                    }
                },
                [id] => match target(id) {
                    Target::Id(id) => crate::FlushScope::Object(id),
                    Target::Key(k) => {
                        return Err(usage_error("flush", format!("`{k}` is not an object id")));
                    }
                },
                _ => return Err(usage_error("flush", "unexpected arguments")),
            };
            Command::Flush { scope, force }
        }
        "reload" => {
            arity(0, 1)?;
            Command::Reload(args.first().cloned())
        }
        "typeclasses" => {
            arity(0, 0)?;
            Command::Typeclasses
        }
        "examine" => {
            arity(1, 1)?;
            Command::Examine(target(&args[0]))
        }
        "find" => {
            if n == 0 {
                return Err(usage_error("find", "`find` takes a name, got nothing"));
            }
            Command::Find(args.join(" "))
        }
        "unset" => {
            arity(2, 2)?;
            Command::Unset {
                target: target(&args[0]),
                name: args[1].clone(),
                ndb,
            }
        }
        "rename" => {
            if n < 2 {
                return Err(usage_error(
                    "rename",
                    format!("`rename` takes an object and a new key, got {n} words"),
                ));
            }
            Command::Rename {
                target: target(&args[0]),
                key: args[1..].join(" "),
            }
        }
        "move" => {
            arity(2, 2)?;
            Command::Move {
                target: target(&args[0]),
                destination: (!args[1].eq_ignore_ascii_case("none")).then(|| target(&args[1])),
            }
        }
        "delete" => {
            arity(1, 1)?;
            Command::Delete(target(&args[0]))
        }
        "create" => {
            arity(2, 3)?;
            Command::Create {
                key: args[0].clone(),
                typeclass: args[1].clone(),
                location: args.get(2).map(|w| target(w)),
            }
        }
        "set" => {
            if n < 3 {
                return Err(usage_error(
                    "set",
                    format!("`set` takes an object, an attribute and a value, got {n} words"),
                ));
            }
            Command::Set {
                target: target(&args[0]),
                name: args[1].clone(),
                value: value(&args[2..].join(" ")),
                ndb,
            }
        }
        "call" => {
            if n < 2 {
                return Err(usage_error(
                    "call",
                    format!("`call` takes at least 2 words, got {n}"),
                ));
            }
            Command::Call {
                target: target(&args[0]),
                hook: args[1].to_ascii_lowercase(),
                args: args[2..].to_vec(),
            }
        }
        "timers" => {
            arity(0, 1)?;
            Command::Timers(args.first().map(|w| target(w)))
        }
        "incidents" => {
            arity(0, 0)?;
            Command::Incidents
        }
        "accounts" => {
            arity(0, 0)?;
            Command::Accounts
        }
        "grant" | "revoke" => {
            arity(2, 2)?;
            let role = crate::roles::Role::parse(&args[1])
                .map_err(|e| usage_error(spec.name, e.to_string()))?;
            Command::Role {
                account: args[0].clone(),
                role,
                grant: spec.name == "grant",
            }
        }
        "backup" => {
            arity(1, 1)?;
            Command::Backup(args[0].clone())
        }
        "save" => {
            arity(0, 0)?;
            Command::Save
        }
        "shutdown" => {
            arity(0, 0)?;
            Command::Shutdown
        }
        _ => unreachable!("every command in the table is handled"),
    };
    Ok((command, json))
}

fn take_flag(words: &mut Vec<String>, flag: &str) -> bool {
    let before = words.len();
    words.retain(|w| w != flag);
    words.len() != before
}

fn count_words(min: usize, max: usize) -> String {
    match (min, max) {
        (0, 0) => "no arguments".into(),
        (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
        (a, b) => format!("{a} to {b} arguments"),
    }
}

/// The help text: every command, or one.
pub fn help(command: Option<&str>) -> Result<String, ParseError> {
    match command {
        None => {
            let mut out =
                String::from("commands (add --json to any for machine-readable output):\n");
            for c in COMMANDS {
                out.push_str(&format!("  {:<44} {}\n", c.usage, c.summary));
            }
            Ok(out.trim_end().to_owned())
        }
        Some(name) => match spec(name) {
            Some(c) => Ok(format!("usage: {}\n{}", c.usage, c.summary)),
            None => Err(ParseError {
                message: format!("no command `{name}`"),
                suggestion: "type `help` for the list of commands".into(),
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_with_flags_and_quotes() {
        assert_eq!(parse("stats --json").unwrap(), (Command::Stats, true));
        assert_eq!(
            parse("flush idle 30 --force").unwrap().0,
            Command::Flush {
                scope: crate::FlushScope::IdleFor(Duration::from_secs(30)),
                force: true
            }
        );
        assert_eq!(
            parse(r#"set #4 desc "A \"quiet\" room""#).unwrap().0,
            Command::Set {
                target: Target::Id(4),
                name: "desc".into(),
                value: Value::Text("A \"quiet\" room".into()),
                ndb: false
            }
        );
        assert_eq!(value("12"), Value::Int(12));
        assert_eq!(value("#7"), Value::Object(7));
        assert_eq!(value("{\"a\":1}"), Value::Json("{\"a\":1}".into()));
        assert_eq!(value("hello"), Value::Text("hello".into()));
    }

    fn set_value(parsed: Result<(Command, bool), ParseError>) -> Value {
        match parsed.unwrap().0 {
            Command::Set { value, .. } => value,
            other => panic!("not a set: {other:?}"),
        }
    }

    #[test]
    fn set_stores_what_was_typed() {
        let list = Value::Json(r#"["n","north"]"#.into());
        assert_eq!(set_value(parse(r#"set 16 aliases ["n","north"]"#)), list);
        assert_eq!(
            set_value(parse(r#"set 16 aliases ["n", "north"] --ndb"#)),
            list
        );
        let argv = |v: &str| parse(&serde_json::to_string(&["set", "16", "aliases", v]).unwrap());
        assert_eq!(set_value(argv(r#"["n","north"]"#)), list);
        assert_eq!(
            set_value(argv(r#"{"a":["n"]}"#)),
            Value::Json(r#"{"a":["n"]}"#.into())
        );
        assert_eq!(set_value(argv(r#""1984""#)), Value::Text("1984".into()));
        assert_eq!(set_value(argv("1984")), Value::Int(1984));
        assert_eq!(
            set_value(parse(r#"set 5 desc a "quoted" word"#)),
            Value::Text(r#"a "quoted" word"#.into())
        );
        assert!(matches!(
            parse(r#"set 5 x 1 --ndb --json"#).unwrap(),
            (Command::Set { ndb: true, .. }, true)
        ));
        assert!(parse(r#"["set", 5]"#).is_err());
    }

    proptest::proptest! {
        /// Whatever the value, typed at a prompt or passed as a shell argument, `set` stores
        /// what `value` makes of exactly that text.
        #[test]
        fn any_set_value_arrives_unchanged(v in "[^\\s](.{0,40}[^\\s])?") {
            proptest::prop_assume!(!FLAGS.iter().any(|f| v.ends_with(f)));
            let argv = serde_json::to_string(&["set", "5", "x", &v]).unwrap();
            proptest::prop_assert_eq!(set_value(parse(&argv)), value(&v));
            proptest::prop_assert_eq!(set_value(parse(&format!("set 5 x {v}"))), value(&v));
        }
    }

    #[test]
    fn mistakes_get_one_line_and_a_suggestion() {
        let e = parse("stast").unwrap_err();
        assert_eq!(e.message, "unknown command `stast`");
        assert!(e.suggestion.contains("`stats`"), "{e:?}");
        let e = parse("examine").unwrap_err();
        assert!(e.message.contains("takes 1 argument, got 0"), "{e:?}");
        assert!(e.suggestion.contains("usage: examine"));
        assert!(parse("flush nonsense").is_err());
        assert!(parse("stats --force").is_err());
    }
}
