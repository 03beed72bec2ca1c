//! `wanderer`: an NPC that walks a round of rooms on a repeating timer, the example of timers.
//!
//! On creation it schedules a repeating `wander` timer. Each tick it moves to the next room of
//! its `db.route` (a list of room ids), telling the room it leaves and the room it enters. The
//! host keeps the timer with the world: the wanderer keeps walking after it is flushed from
//! the cache (it is loaded to move), after a hot reload of this typeclass and after a restart
//! (one catch-up step, then on its usual beat). `db.steps` counts its steps.
//!
//! It answers greetings said in its room (`say hello`, or its name), from `db.replies`.
//!
//! Commands (with the wanderer in reach): `pace <seconds>` changes its rhythm, `rest` stops it,
//! `wander` starts it again.

use std::time::Duration;

use wasmud_sdk::{HookResult, Object, Typeclass, lookup};

/// How often a new wanderer moves.
const DEFAULT_PACE: Duration = Duration::from_secs(20);

struct Wanderer;

impl Wanderer {
    /// Moves `this` to the next room of its route (`db.leg` is where it is on it).
    fn step(this: &Object) -> HookResult {
        let route: Vec<u64> = this.db().get_or("route", Vec::new())?;
        if route.is_empty() {
            return Ok(());
        }
        let leg = (this.db().get_or("leg", 0usize)? + 1) % route.len();
        let next = lookup(route[leg])?;
        this.db().set("leg", &leg)?;
        let here = this.location()?;
        if here.as_ref() == Some(&next) {
            return Ok(());
        }
        let name = this.key()?;
        if let Some(room) = &here {
            room.msg_from(&format!("{name} wanders off."), this)?;
        }
        this.move_to(Some(&next))?;
        next.msg_from(&format!("{name} wanders in."), this)?;
        let steps: i64 = this.db().get_or("steps", 0)?;
        this.db().set("steps", &(steps + 1))
    }

    /// What the wanderer answers to `words` said by `speaker`, if anything: it reacts to a
    /// greeting or to its name (from `db.replies`, a list of lines where `{name}` is the
    /// speaker; a cat's by default).
    fn answer(this: &Object, speaker: &str, words: &str) -> HookResult<Option<String>> {
        let me = this.key()?.to_lowercase();
        let words = words.to_lowercase();
        let greeted = words
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| GREETINGS.contains(&w) || w == me);
        if !greeted {
            return Ok(None);
        }
        let replies: Vec<String> = this.db().get_or("replies", Vec::new())?;
        let replies: Vec<&str> = if replies.is_empty() {
            DEFAULT_REPLIES.to_vec()
        } else {
            replies.iter().map(String::as_str).collect()
        };
        let pick = replies[words.len() % replies.len()];
        Ok(Some(format!(
            "{} {}",
            this.key()?,
            pick.replace("{name}", speaker)
        )))
    }
}

/// Words the wanderer answers to, besides its name.
const GREETINGS: &[&str] = &["hello", "hi", "hey", "greetings", "kitty", "cat"];

/// A cat's answers.
const DEFAULT_REPLIES: &[&str] = &[
    "looks up at {name} and meows.",
    "blinks slowly at {name}: a cat's hello.",
    "purrs and rubs against {name}'s legs.",
];

impl Typeclass for Wanderer {
    fn at_object_creation(this: &Object) -> HookResult {
        this.db().set("steps", &0)?;
        this.timers().every("wander", DEFAULT_PACE)
    }

    fn at_tick(this: &Object, name: &str) -> HookResult {
        match name {
            "wander" => Self::step(this),
            _ => Ok(()),
        }
    }

    /// Hears speech in its room (`<name> says, "<words>"`) and answers greetings.
    fn at_msg_receive(this: &Object, text: &str, sender: Option<&Object>) -> HookResult<bool> {
        if sender.is_none_or(|s| s == this) {
            return Ok(false);
        }
        let Some((name, words)) = text.split_once(" says, \"") else {
            return Ok(false);
        };
        if let (Some(reply), Some(here)) = (Self::answer(this, name, words)?, this.location()?) {
            here.msg_from(&reply, this)?;
        }
        Ok(false)
    }

    fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {
        let (verb, rest) = input.split_once(' ').unwrap_or((input, ""));
        match verb {
            "pace" => {
                let secs: u64 = rest
                    .trim()
                    .parse()
                    .map_err(|_| format!("pace wants a number of seconds, not {rest:?}"))?;
                this.timers()
                    .every("wander", Duration::from_secs(secs.max(1)))?;
                caller.msg(&format!("{} now wanders every {secs} s.", this.key()?))?;
            }
            "rest" => {
                this.timers().cancel("wander")?;
                caller.msg(&format!("{} sits down.", this.key()?))?;
            }
            "wander" => {
                this.timers().every("wander", DEFAULT_PACE)?;
                caller.msg(&format!("{} gets up.", this.key()?))?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

wasmud_sdk::typeclass!(Wanderer);
