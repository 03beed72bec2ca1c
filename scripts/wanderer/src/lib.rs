//! `wanderer`: an NPC that walks a round of rooms on a repeating timer, the example of timers.
//!
//! On creation it schedules a repeating `wander` timer. Each tick it moves to the next room of
//! its `db.route` (a list of room ids), telling the room it leaves and the room it enters. The
//! host keeps the timer with the world: the wanderer keeps walking after it is flushed from
//! the cache (it is loaded to move), after a hot reload of this typeclass and after a restart
//! (one catch-up step, then on its usual beat). `db.steps` counts its steps.
//!
//! Commands (with the wanderer in reach): `pace <seconds>` changes its rhythm, `rest` stops it,
//! `wander` starts it again.

use std::time::Duration;

use wasmud_sdk::{HookResult, Object, Typeclass, lookup};

/// How often a new wanderer moves.
const DEFAULT_PACE: Duration = Duration::from_secs(20);

struct Wanderer;

impl Wanderer {
    /// Moves `this` to the room after its current one on its route.
    fn step(this: &Object) -> HookResult {
        let route: Vec<u64> = this.db().get_or("route", Vec::new())?;
        if route.is_empty() {
            return Ok(());
        }
        let here = this.location()?;
        let at = here
            .as_ref()
            .and_then(|room| route.iter().position(|&id| id == room.id()));
        let next = lookup(route[at.map_or(0, |i| (i + 1) % route.len())])?;
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
}

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
