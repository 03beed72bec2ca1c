//! Transcript tests, as mooR's `.moot` files do for MOO: a text file of lines typed by
//! players and the lines expected back, run against a [`TestWorld`] (`wasmud test <files>`).
//!
//! ```text
//! # A comment. Blank lines are ignored.
//! @player alice builder      # the next lines are typed by alice (made on first use, with a role)
//! > dig Kitchen = north, south
//! Created room Kitchen (#*).
//! Created exit north (#*) from Limbo to Kitchen.
//! Created exit south (#*) from Kitchen to Limbo.
//! @player bob                # switch to bob: the lines after it are what he received meanwhile
//! @advance 20s               # move the clock on; due timers fire
//! ```
//!
//! After a `> line`, `@player` or `@advance`, the lines up to the next one are the lines the
//! current player's character received since it was last checked, all of them, in order (a
//! player's own arrival text is not counted). `*` in an expected line matches any text, and a
//! line `...` any number of lines. A line
//! nothing handles reads `Huh? Nothing here understands "<verb>". (Type help for help.)`, as
//! on the telnet port; a turn that fails reads `error: <why>` (the detail a player is not
//! shown).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::{KitError, TestWorld};
use wasmud_world::roles::Role;
use wasmud_world::value::ObjectId;

/// One step of a transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Action {
    /// `@player <name> [role]`.
    Player(String, Role),
    /// `> <line>`.
    Type(String),
    /// `@advance <duration>`.
    Advance(Duration),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Step {
    /// Its line in the file (1-based).
    line: usize,
    action: Action,
    expected: Vec<String>,
}

/// A parsed transcript.
#[derive(Clone, Debug)]
pub struct Transcript {
    name: String,
    steps: Vec<Step>,
}

/// A line of a transcript that means nothing.
#[derive(Debug, thiserror::Error)]
#[error("{name} line {line}: {message}")]
pub struct ParseError {
    /// The transcript.
    pub name: String,
    /// The line (1-based).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Where a run of a transcript went other than written.
#[derive(Debug)]
pub struct Mismatch {
    /// The transcript.
    pub name: String,
    /// The line of the step whose output differed (1-based).
    pub line: usize,
    /// The step as written.
    pub step: String,
    /// The lines expected.
    pub expected: Vec<String>,
    /// The lines received.
    pub received: Vec<String>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} line {}: after `{}`", self.name, self.line, self.step)?;
        writeln!(f, "  expected:")?;
        for line in &self.expected {
            writeln!(f, "    {line}")?;
        }
        writeln!(f, "  received:")?;
        for line in &self.received {
            writeln!(f, "    {line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Mismatch {}

/// Why a transcript failed.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The output differed.
    #[error("{0}")]
    Mismatch(Box<Mismatch>),
    /// The world refused to do a step (a player that could not be made...).
    #[error("{name} line {line}: {source}")]
    Kit {
        /// The transcript.
        name: String,
        /// The line.
        line: usize,
        /// Why.
        source: KitError,
    },
}

impl Transcript {
    /// Parses a transcript's text; `name` names it in errors.
    ///
    /// # Errors
    /// A directive that means nothing, or expected lines before the first directive.
    pub fn parse(name: &str, text: &str) -> Result<Transcript, ParseError> {
        let mut steps: Vec<Step> = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let bad = |message: String| ParseError {
                name: name.to_owned(),
                line,
                message,
            };
            let trimmed = raw.trim_end();
            if trimmed.trim_start().is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let action = if let Some(typed) = trimmed.strip_prefix('>') {
                Some(Action::Type(typed.trim().to_owned()))
            } else if let Some(directive) = trimmed.strip_prefix('@') {
                // A directive may end in a comment (a typed line or an expected one may not:
                // `#12` is an object there).
                let directive = directive.split(" #").next().unwrap_or_default();
                Some(parse_directive(directive).map_err(bad)?)
            } else {
                None
            };
            match action {
                Some(action) => steps.push(Step {
                    line,
                    action,
                    expected: Vec::new(),
                }),
                None => match steps.last_mut() {
                    Some(step) => step.expected.push(trimmed.to_owned()),
                    None => {
                        return Err(bad(
                            "an expected line before any `@player` or `> line`".to_owned()
                        ));
                    }
                },
            }
        }
        Ok(Transcript {
            name: name.to_owned(),
            steps,
        })
    }

    /// Runs it against `world`, stopping at the first step whose output differs.
    ///
    /// # Errors
    /// [`RunError::Mismatch`] with both sides, or the step the world refused.
    pub fn run(&self, world: &mut TestWorld) -> Result<(), RunError> {
        let mut players: BTreeMap<String, ObjectId> = BTreeMap::new();
        let mut current: Option<ObjectId> = None;
        for step in &self.steps {
            let kit = |source| RunError::Kit {
                name: self.name.clone(),
                line: step.line,
                source,
            };
            let mut outcome = Vec::new();
            match &step.action {
                Action::Player(name, role) => {
                    let id = match players.get(name) {
                        Some(id) => *id,
                        None => {
                            let id = world.player(name, *role).map_err(kit)?;
                            world.received(id); // its arrival is not the transcript's
                            players.insert(name.clone(), id);
                            id
                        }
                    };
                    current = Some(id);
                }
                Action::Type(line) => {
                    let Some(character) = current else {
                        return Err(kit(KitError::NotHandled(format!(
                            "{line} (typed before any @player)"
                        ))));
                    };
                    match world.type_line(character, line) {
                        Ok(true) => {}
                        Ok(false) => {
                            let verb = line.split_whitespace().next().unwrap_or_default();
                            outcome.push(format!(
                                "Huh? Nothing here understands \"{verb}\". (Type help for help.)"
                            ));
                        }
                        Err(e) => outcome.push(format!("error: {e}")),
                    }
                }
                Action::Advance(by) => {
                    world.advance(*by);
                }
            }
            let mut received: Vec<String> = match current {
                Some(id) => (world.received(id).iter())
                    .flat_map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>())
                    .collect(),
                None => Vec::new(),
            };
            received.extend(outcome);
            if !lines_match(&step.expected, &received) {
                return Err(RunError::Mismatch(Box::new(Mismatch {
                    name: self.name.clone(),
                    line: step.line,
                    step: describe(&step.action),
                    expected: step.expected.clone(),
                    received,
                })));
            }
        }
        Ok(())
    }

    /// How many steps it has.
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    /// True if it has no step.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

fn describe(action: &Action) -> String {
    match action {
        Action::Player(name, role) => format!("@player {name} {role}"),
        Action::Type(line) => format!("> {line}"),
        Action::Advance(by) => format!("@advance {by:?}"),
    }
}

fn parse_directive(text: &str) -> Result<Action, String> {
    let mut words = text.split_whitespace();
    match words.next() {
        Some("player") => {
            let name = words.next().ok_or("`@player` needs a name")?;
            let role = match words.next() {
                None => Role::Player,
                Some(word) => Role::parse(word)
                    .map_err(|_| format!("`{word}` is not a role (player, builder, admin)"))?,
            };
            if let Some(extra) = words.next() {
                return Err(format!("`@player` takes a name and a role, not `{extra}`"));
            }
            Ok(Action::Player(name.to_owned(), role))
        }
        Some("advance") => {
            let spec = words
                .next()
                .ok_or("`@advance` needs a duration (20s, 500ms, 2m)")?;
            if words.next().is_some() {
                return Err("`@advance` takes one duration".to_owned());
            }
            parse_duration(spec).map(Action::Advance)
        }
        Some(other) => Err(format!("`@{other}` is not a directive (@player, @advance)")),
        None => Err("a lone `@`".to_owned()),
    }
}

/// `500ms`, `20s`, `2m`, `1h`: at most a year.
fn parse_duration(spec: &str) -> Result<Duration, String> {
    let bad = || format!("`{spec}` is not a duration (500ms, 20s, 2m, 1h)");
    let split = spec.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (digits, unit) = spec.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let ms = match unit {
        "ms" => Some(n),
        "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        _ => return Err(bad()),
    }
    .filter(|&ms| ms <= 366 * 24 * 3_600_000)
    .ok_or_else(|| format!("`{spec}` is longer than a year"))?;
    Ok(Duration::from_millis(ms))
}

/// True if `received` matches `expected` line by line, where a line `...` matches any number
/// of lines (none too).
fn lines_match(expected: &[String], received: &[String]) -> bool {
    match expected.split_first() {
        None => received.is_empty(),
        Some((any, rest)) if any == "..." => {
            (0..=received.len()).any(|skip| lines_match(rest, &received[skip..]))
        }
        Some((want, rest)) => match received.split_first() {
            Some((got, more)) => glob(want, got) && lines_match(rest, more),
            None => false,
        },
    }
}

/// True if `text` matches `pattern`, where `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty(); // no `*`: the whole line
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_transcript_parses_into_steps_with_their_lines() {
        let t = Transcript::parse(
            "t",
            "# hi\n@player alice builder  # a comment\n> look\nLimbo\n  indented stays\n\n@advance 20s\n",
        )
        .unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(
            t.steps[0].action,
            Action::Player("alice".into(), Role::Builder)
        );
        assert_eq!(t.steps[1].expected, ["Limbo", "  indented stays"]);
        assert_eq!(t.steps[2].action, Action::Advance(Duration::from_secs(20)));
        assert_eq!(t.steps[2].line, 7);
    }

    #[test]
    fn nonsense_names_its_line() {
        for (text, line, says) in [
            ("Limbo\n", 1, "before any"),
            ("@player\n", 1, "needs a name"),
            ("\n@player a wizard\n", 2, "not a role"),
            ("@advance soon\n", 1, "not a duration"),
            ("@advance 99999h\n", 1, "longer than a year"),
            ("@teleport x\n", 1, "not a directive"),
        ] {
            let e = Transcript::parse("t", text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.message.contains(says), "{text:?}: {e}");
        }
    }

    #[test]
    fn globs_match_runs_of_text() {
        assert!(glob(
            "Created room Kitchen (#*).",
            "Created room Kitchen (#14)."
        ));
        assert!(glob("*", ""));
        assert!(glob("a*b*c", "aXbYc"));
        assert!(!glob("a*b*c", "aXcYb"));
        assert!(!glob("abc", "abcd"));
        assert!(!glob("ab*ba", "aba"), "the ends may not overlap");
    }

    #[test]
    fn an_ellipsis_matches_any_number_of_lines() {
        let lines = |s: &str| -> Vec<String> { s.split(',').map(str::to_owned).collect() };
        assert!(lines_match(&lines("a,...,d"), &lines("a,b,c,d")));
        assert!(lines_match(&lines("a,...,b"), &lines("a,b")));
        assert!(lines_match(&lines("..."), &[]));
        assert!(!lines_match(&lines("a,...,d"), &lines("a,b,c")));
        assert!(!lines_match(&lines("a"), &lines("a,b")));
    }

    proptest! {
        /// No text makes the parser panic, and every line it keeps is a step or an expectation.
        #[test]
        fn any_text_parses_or_names_a_line(text in "(?s).{0,300}") {
            match Transcript::parse("t", &text) {
                Ok(t) => prop_assert!(t.len() <= text.lines().count()),
                Err(e) => prop_assert!(e.line >= 1 && e.line <= text.lines().count()),
            }
        }

        /// A pattern without `*` matches exactly itself, and any text matches its own
        /// pattern with one part replaced by `*`.
        #[test]
        fn globs_agree_with_equality(a in "[a-z#() ]{0,12}", b in "[a-z#() ]{0,12}", c in "[a-z#() ]{0,12}") {
            let text = format!("{a}{b}{c}");
            prop_assert_eq!(glob(&text, &format!("{a}{c}")), b.is_empty() || text == format!("{a}{c}"));
            let pattern = format!("{a}*{c}");
            prop_assert!(glob(&pattern, &text));
        }

        #[test]
        fn durations_round_trip(n in 0u64..10_000, unit in prop::sample::select(vec!["ms", "s", "m", "h"])) {
            let per = match unit { "ms" => 1, "s" => 1_000, "m" => 60_000, _ => 3_600_000 };
            let parsed = parse_duration(&format!("{n}{unit}"));
            if n * per <= 366 * 24 * 3_600_000 {
                prop_assert_eq!(parsed, Ok(Duration::from_millis(n * per)));
            } else {
                prop_assert!(parsed.unwrap_err().contains("longer than a year"));
            }
        }
    }
}
