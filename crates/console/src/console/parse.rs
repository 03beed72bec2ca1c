//! Parsing console lines into [`Command`]s, by clap: the commands, their arguments, help,
//! usage and suggestions are clap's [`Words`]. A line typed at a prompt is split into words as
//! a POSIX shell would (shlex), except that `#` starts no comment (`#12` is an object); the
//! words a shell passed to `wasmud console` arrive as they were (a JSON array).

use std::time::Duration;

use wasmud_world::value::{ObjectId, Value};

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
        scope: wasmud_world::FlushScope,
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
        role: wasmud_world::roles::Role,
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

/// The console's commands as clap parses them (then made a [`Command`]).
#[derive(clap::Parser, Debug)]
#[command(
    name = "console",
    no_binary_name = true,
    disable_help_subcommand = true,
    disable_help_flag = true,
    disable_version_flag = true,
    subcommand_required = true
)]
struct Line {
    /// Print the reply as JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    words: Words,
}

/// Every command, in help order (the doc comment is its summary).
#[derive(clap::Subcommand, Debug)]
enum Words {
    /// list commands, or explain one
    Help {
        /// A command.
        #[arg(value_name = "command")]
        command: Option<String>,
    },
    /// cache figures, memory, uptime, typeclasses, hooks run, traps
    Stats,
    /// drop cached objects (protected ones stay unless --force) and report
    #[command(override_usage = "flush [all | <id> | idle <seconds>] [--force]")]
    Flush {
        /// `all`, an object id, or `idle <seconds>`.
        #[arg(value_name = "scope")]
        scope: Vec<String>,
        /// Also drop protected objects.
        #[arg(long)]
        force: bool,
    },
    /// recompile and swap one typeclass, or all of them
    Reload {
        /// One typeclass.
        #[arg(value_name = "typeclass")]
        typeclass: Option<String>,
    },
    /// installed typeclasses: version, origin, load time, cached objects
    Typeclasses,
    /// an object's key, typeclass, location, contents and attributes
    Examine {
        /// `#12`, `12` or a key.
        #[arg(value_name = "id|key")]
        object: String,
    },
    /// objects whose key or alias has words starting with the name's (`find rose`: "a red rose")
    Find {
        /// The name (several words are one name).
        #[arg(value_name = "name", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
        name: Vec<String>,
    },
    /// create an object (its creation hooks run)
    Create {
        /// The new object's key.
        #[arg(value_name = "key")]
        key: String,
        /// Its typeclass.
        #[arg(value_name = "typeclass")]
        typeclass: String,
        /// Where to put it.
        #[arg(value_name = "location")]
        location: Option<String>,
    },
    /// set an attribute; value: 12, 1.5, true, null, #id, "text", {json}, [json] or text
    Set {
        /// The object.
        #[arg(value_name = "id|key")]
        object: String,
        /// The attribute.
        #[arg(value_name = "attr")]
        attr: String,
        /// The value (several words are one text).
        #[arg(value_name = "value", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
        value: Vec<String>,
        /// An ndb attribute instead of a db one.
        #[arg(long)]
        ndb: bool,
    },
    /// remove an attribute
    Unset {
        /// The object.
        #[arg(value_name = "id|key")]
        object: String,
        /// The attribute.
        #[arg(value_name = "attr")]
        attr: String,
        /// An ndb attribute instead of a db one.
        #[arg(long)]
        ndb: bool,
    },
    /// give an object a new key (no hooks run)
    Rename {
        /// The object.
        #[arg(value_name = "id|key")]
        object: String,
        /// Its new key (several words are one key).
        #[arg(value_name = "new key", required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
        key: Vec<String>,
    },
    /// move an object (its at-pre-move may refuse; at-post-move runs)
    Move {
        /// The object.
        #[arg(value_name = "id|key")]
        object: String,
        /// Where to, or `none`.
        #[arg(value_name = "destination|none")]
        destination: String,
    },
    /// delete an object (its at-object-delete may refuse); its contents move out
    Delete {
        /// The object.
        #[arg(value_name = "id|key")]
        object: String,
    },
    /// run a hook: at-command <caller> <input>, at-msg-receive <text>, at-init, at-pre-move <dest|none>, at-tick <timer>, ...
    Call {
        /// The object.
        #[arg(value_name = "id|key")]
        object: String,
        /// The hook, in WIT spelling.
        #[arg(value_name = "hook")]
        hook: String,
        /// The hook's arguments.
        #[arg(value_name = "args", num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// scheduled timers (object, name, due, interval, failures), all or one object's
    Timers {
        /// One object.
        #[arg(value_name = "id|key")]
        object: Option<String>,
    },
    /// players' commands that failed: the reference they saw, the line, the error
    Incidents,
    /// player accounts: name, roles, character, created, last login, online
    Accounts,
    /// give an account a role: builder (builds in the game) or admin
    Grant {
        /// The account.
        #[arg(value_name = "account")]
        account: String,
        /// `builder` or `admin`.
        #[arg(value_name = "role")]
        role: String,
    },
    /// take a role from an account (every account stays a player)
    Revoke {
        /// The account.
        #[arg(value_name = "account")]
        account: String,
        /// `builder` or `admin`.
        #[arg(value_name = "role")]
        role: String,
    },
    /// copy the live world to a new store file (consistent; the world keeps serving)
    Backup {
        /// A new file (relative: to where the command was typed).
        #[arg(value_name = "file")]
        file: String,
    },
    /// make everything durable now (fsync)
    Save,
    /// save and stop the server
    Shutdown,
}

/// The flags a command line may carry last, after a value that takes the rest of the line.
const FLAGS: [&str; 3] = ["--json", "--force", "--ndb"];

/// The clap command of the console (help flags off: `help <command>` is the help).
fn console_command() -> clap::Command {
    use clap::CommandFactory as _;
    Line::command().mut_subcommands(|c| c.disable_help_flag(true))
}

/// One command of the table, for help, `help --json` and completion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The command word.
    pub name: String,
    /// Its arguments.
    pub usage: String,
    /// One line on what it does.
    pub summary: String,
}

/// Every command, in help order.
pub fn commands() -> Vec<Spec> {
    console_command()
        .get_subcommands_mut()
        .map(|c| Spec {
            name: c.get_name().to_owned(),
            usage: usage(c),
            summary: c.get_about().map(ToString::to_string).unwrap_or_default(),
        })
        .collect()
}

/// A command's usage line, as clap renders it, without its heading.
fn usage(command: &mut clap::Command) -> String {
    let text = command.render_usage().to_string();
    let mut usage = text
        .strip_prefix("Usage: ")
        .unwrap_or(&text)
        .trim()
        .replace(" [OPTIONS]", "");
    // The command's own flags (every command takes `--json`).
    for flag in command.get_arguments().filter_map(clap::Arg::get_long) {
        if flag != "json" && !usage.contains(&format!("--{flag}")) {
            usage.push_str(&format!(" [--{flag}]"));
        }
    }
    usage
}

/// The names of every command (for completion).
pub fn command_names() -> Vec<String> {
    console_command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect()
}

/// Stands for `#` while a line is split: a shell takes `#` at the start of a word for a
/// comment, the console for an object id.
const HASH: char = '\u{E000}';

fn unbalanced() -> ParseError {
    ParseError {
        message: "unbalanced quote".into(),
        suggestion: "close the quote, or escape it with a backslash".into(),
    }
}

/// Splits a line into words as a POSIX shell would (quotes, backslashes), `#` included.
///
/// # Errors
/// An unbalanced quote.
pub fn words(line: &str) -> Result<Vec<String>, ParseError> {
    if line.contains(HASH) {
        return Err(ParseError {
            message: "the line holds a private-use character (U+E000)".into(),
            suggestion: "type the command without it".into(),
        });
    }
    let words = shlex::split(&line.replace('#', &HASH.to_string())).ok_or_else(unbalanced)?;
    Ok(words.into_iter().map(|w| w.replace(HASH, "#")).collect())
}

/// `set` as typed at a prompt: `set`, the object and the attribute are words, the value is the
/// rest of the line exactly as typed (quotes, brackets and all), so that `["n","north"]` stays
/// a JSON list and `"1984"` a string. Flags may come before the value or last.
fn set_words(line: &str) -> Result<Vec<String>, ParseError> {
    let mut rest = line.trim();
    let mut trailing = Vec::new();
    while let Some(flag) = FLAGS.iter().find(|f| {
        rest.strip_suffix(**f)
            .is_some_and(|before| before.is_empty() || before.ends_with(char::is_whitespace))
    }) {
        trailing.push((*flag).to_owned());
        rest = rest[..rest.len() - flag.len()].trim_end();
    }
    // The shortest prefix ending at a space that holds `set`, the object and the attribute
    // (flags aside): the value is what follows it.
    let mut head = None;
    for (at, _) in rest.match_indices(char::is_whitespace) {
        let Ok(words) = words(&rest[..at]) else {
            continue; // inside quotes
        };
        if words
            .iter()
            .filter(|w| !FLAGS.contains(&w.as_str()))
            .count()
            == 3
        {
            head = Some((words, rest[at..].trim()));
            break;
        }
    }
    let mut out = match head {
        Some((mut words, value)) => {
            if !value.is_empty() {
                words.push(value.to_owned());
            }
            words
        }
        None => words(rest)?,
    };
    out.extend(trailing);
    Ok(out)
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

/// Parses one command given as words (a shell's arguments): a value that takes the rest of
/// the line (`set`'s, `find`'s name, `call`'s arguments) is every word after the ones before
/// it, joined by spaces; flags may come last.
///
/// # Errors
/// A [`ParseError`] with a suggestion for an unknown command or wrong arguments.
pub fn parse_argv(argv: Vec<String>) -> Result<(Command, bool), ParseError> {
    use clap::FromArgMatches as _;
    let mut words = argv;
    let Some(name) = words.first_mut() else {
        return Err(ParseError {
            message: "empty command".into(),
            suggestion: "type `help` for the list of commands".into(),
        });
    };
    *name = name.to_ascii_lowercase();
    // Flags typed last go first, so that a value taking the rest of the line never swallows
    // them.
    let mut trailing = Vec::new();
    while words.len() > 1 && words.last().is_some_and(|w| FLAGS.contains(&w.as_str())) {
        trailing.push(words.pop().expect("not empty"));
    }
    words.splice(1..1, trailing);
    let name = words[0].clone();
    let matches = console_command()
        .try_get_matches_from(&words)
        .map_err(|e| clap_error(&name, &e))?;
    let line = Line::from_arg_matches(&matches).map_err(|e| clap_error(&name, &e))?;
    Ok((command(line.words)?, line.json))
}

/// clap's account of a mistake as one line and a suggestion.
fn clap_error(name: &str, error: &clap::Error) -> ParseError {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if error.kind() == ErrorKind::InvalidSubcommand {
        let suggested = match error.get(ContextKind::SuggestedSubcommand) {
            Some(ContextValue::String(s)) => Some(s.clone()),
            Some(ContextValue::Strings(s)) => s.first().cloned(),
            _ => None,
        };
        let suggestion = match suggested {
            Some(s) => format!(
                "did you mean `{s}`? ({})",
                help_usage(&s).unwrap_or_default()
            ),
            None => "type `help` for the list of commands".into(),
        };
        return ParseError {
            message: format!("unknown command `{name}`"),
            suggestion,
        };
    }
    // clap's text without its `error:`, its tips and its usage, on one line.
    let text = error.render().to_string();
    let message = text
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
        .collect::<Vec<_>>()
        .join(" ");
    let message = message
        .strip_prefix("error: ")
        .unwrap_or(&message)
        .to_owned();
    ParseError {
        message: format!("`{name}`: {message}"),
        suggestion: match help_usage(name) {
            Some(usage) => format!("usage: {usage}"),
            None => "type `help` for the list of commands".into(),
        },
    }
}

/// The usage of the command called `name`, if there is one.
fn help_usage(name: &str) -> Option<String> {
    console_command().find_subcommand_mut(name).map(usage)
}

/// A parsed line as a [`Command`], with the checks clap cannot make.
fn command(words: Words) -> Result<Command, ParseError> {
    let flush_error = |message: String| ParseError {
        message,
        suggestion: format!("usage: {}", help_usage("flush").unwrap_or_default()),
    };
    Ok(match words {
        Words::Help { command } => Command::Help(command),
        Words::Stats => Command::Stats,
        Words::Flush { scope, force } => {
            let scope = match scope.as_slice() {
                [] => wasmud_world::FlushScope::All,
                [all] if all == "all" => wasmud_world::FlushScope::All,
                [idle, secs] if idle == "idle" => match secs.parse::<u64>() {
                    Ok(s) => wasmud_world::FlushScope::IdleFor(Duration::from_secs(s)),
                    Err(_) => {
                        return Err(flush_error(format!("`{secs}` is not a number of seconds")));
                    }
                },
                [id] => match target(id) {
                    Target::Id(id) => wasmud_world::FlushScope::Object(id),
                    Target::Key(k) => {
                        return Err(flush_error(format!("`{k}` is not an object id")));
                    }
                },
                _ => return Err(flush_error("unexpected arguments".into())),
            };
            Command::Flush { scope, force }
        }
        Words::Reload { typeclass } => Command::Reload(typeclass),
        Words::Typeclasses => Command::Typeclasses,
        Words::Examine { object } => Command::Examine(target(&object)),
        Words::Find { name } => Command::Find(name.join(" ")),
        Words::Create {
            key,
            typeclass,
            location,
        } => Command::Create {
            key,
            typeclass,
            location: location.as_deref().map(target),
        },
        Words::Set {
            object,
            attr,
            value: words,
            ndb,
        } => Command::Set {
            target: target(&object),
            name: attr,
            value: value(&words.join(" ")),
            ndb,
        },
        Words::Unset { object, attr, ndb } => Command::Unset {
            target: target(&object),
            name: attr,
            ndb,
        },
        Words::Rename { object, key } => Command::Rename {
            target: target(&object),
            key: key.join(" "),
        },
        Words::Move {
            object,
            destination,
        } => Command::Move {
            target: target(&object),
            destination: (!destination.eq_ignore_ascii_case("none")).then(|| target(&destination)),
        },
        Words::Delete { object } => Command::Delete(target(&object)),
        Words::Call { object, hook, args } => Command::Call {
            target: target(&object),
            hook: hook.to_ascii_lowercase(),
            args,
        },
        Words::Timers { object } => Command::Timers(object.as_deref().map(target)),
        Words::Incidents => Command::Incidents,
        Words::Accounts => Command::Accounts,
        Words::Grant { account, role } => Command::Role {
            role: role_named("grant", &role)?,
            account,
            grant: true,
        },
        Words::Revoke { account, role } => Command::Role {
            role: role_named("revoke", &role)?,
            account,
            grant: false,
        },
        Words::Backup { file } => Command::Backup(file),
        Words::Save => Command::Save,
        Words::Shutdown => Command::Shutdown,
    })
}

/// The role called `name`, for `grant` or `revoke`.
fn role_named(command: &str, name: &str) -> Result<wasmud_world::roles::Role, ParseError> {
    wasmud_world::roles::Role::parse(name).map_err(|e| ParseError {
        message: e.to_string(),
        suggestion: format!("usage: {}", help_usage(command).unwrap_or_default()),
    })
}

/// The help text: every command, or one (clap's help for it).
///
/// # Errors
/// No such command.
pub fn help(command: Option<&str>) -> Result<String, ParseError> {
    match command {
        None => {
            let mut out =
                String::from("commands (add --json to any for machine-readable output):\n");
            for c in commands() {
                out.push_str(&format!("  {:<44} {}\n", c.usage, c.summary));
            }
            Ok(out.trim_end().to_owned())
        }
        Some(name) => match console_command().find_subcommand_mut(name) {
            Some(c) => Ok(c.render_help().to_string().trim_end().to_owned()),
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
                scope: wasmud_world::FlushScope::IdleFor(Duration::from_secs(30)),
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

    proptest::proptest! {
        /// Whatever the words (quotes, `#`, spaces, backslashes), quoted as a shell quotes
        /// them, they split back into themselves.
        #[test]
        fn quoted_words_split_back_into_themselves(
            list in proptest::collection::vec("[^\u{0}\u{E000}]{0,12}", 0..6)
        ) {
            let line = shlex::try_join(list.iter().map(String::as_str)).unwrap();
            proptest::prop_assert_eq!(words(&line).unwrap(), list);
        }

        /// No line makes the parser panic: it parses or says why not.
        #[test]
        fn any_line_parses_or_says_why(line in "\\PC{0,60}") {
            if let Err(e) = parse(&line) {
                proptest::prop_assert!(!e.message.is_empty());
                proptest::prop_assert!(!e.message.contains('\n'), "one line: {:?}", e);
            }
        }
    }

    #[test]
    fn mistakes_get_one_line_and_a_suggestion() {
        let e = parse("stast").unwrap_err();
        assert_eq!(e.message, "unknown command `stast`");
        assert!(e.suggestion.contains("`stats`"), "{e:?}");
        let e = parse("examine").unwrap_err();
        assert!(e.message.contains("<id|key>"), "{e:?}");
        assert_eq!(e.suggestion, "usage: examine <id|key>");
        assert!(!e.message.contains('\n'), "one line: {e:?}");
        assert!(parse("flush nonsense").is_err());
        assert!(parse("stats --force").is_err());
        assert!(parse("examine \"open").is_err(), "an unbalanced quote");
    }

    #[test]
    fn a_hash_is_an_object_not_a_comment_and_words_split_as_a_shell_would() {
        assert_eq!(
            parse("examine #12").unwrap().0,
            Command::Examine(Target::Id(12))
        );
        assert_eq!(
            words(r#"call "red rose" at-command #3 'say hi #1' x\ y"#).unwrap(),
            ["call", "red rose", "at-command", "#3", "say hi #1", "x y"]
        );
        assert_eq!(
            parse("call 5 at-command 3 say -hi --json").unwrap(),
            (
                Command::Call {
                    target: Target::Id(5),
                    hook: "at-command".into(),
                    args: vec!["3".into(), "say".into(), "-hi".into()],
                },
                true
            )
        );
        assert_eq!(
            parse("find red rose").unwrap().0,
            Command::Find("red rose".into())
        );
    }

    #[test]
    fn help_comes_from_the_command_table() {
        let all = help(None).unwrap();
        for c in commands() {
            assert!(all.contains(&c.usage), "{all}");
            assert!(!c.summary.is_empty(), "{} has a summary", c.name);
        }
        assert!(all.contains("examine <id|key>"), "{all}");
        assert!(
            all.contains("flush [all | <id> | idle <seconds>] [--force]"),
            "{all}"
        );
        let set = help(Some("set")).unwrap();
        assert!(set.contains("Usage: set"), "{set}");
        assert!(set.contains("--ndb"), "{set}");
        assert!(help(Some("nope")).is_err());
    }
}
