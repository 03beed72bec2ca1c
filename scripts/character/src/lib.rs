//! `character`: something a player controls. Understands `look`, `say <text>`, `go <place>`,
//! `inspect <attribute>` and `rename <key>`.

use serde::{Deserialize, Serialize};
use wasmud_sdk::{HookResult, Object, Typeclass, search};

/// Persistent statistics, stored as one structured attribute.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Stats {
    hp: i64,
    level: u32,
}

struct Character;

impl Typeclass for Character {
    fn at_object_creation(this: &Object) -> HookResult {
        this.db().set("stats", &Stats { hp: 100, level: 1 })
    }

    fn at_init(this: &Object) -> HookResult {
        // Session state, rebuilt on each load.
        this.ndb().set("commands", &0)
    }

    fn at_command(this: &Object, _caller: &Object, input: &str) -> HookResult<bool> {
        let commands: i64 = this.ndb().get_or("commands", 0)?;
        this.ndb().set("commands", &(commands + 1))?;
        let (verb, rest) = input.split_once(' ').unwrap_or((input, ""));
        match verb {
            "look" => {
                let Some(here) = this.location()? else {
                    this.msg("You are nowhere.")?;
                    return Ok(true);
                };
                let desc: String = here.db().get_or("desc", String::new())?;
                let mut others = Vec::new();
                for obj in here.contents()? {
                    if obj != *this {
                        others.push(obj.key()?);
                    }
                }
                this.msg(&format!(
                    "{}: {desc} You see: {}.",
                    here.key()?,
                    others.join(", ")
                ))?;
            }
            "say" => {
                let line = format!("{} says: {rest}", this.key()?);
                if let Some(here) = this.location()? {
                    here.msg_from(&line, this)?;
                }
            }
            "go" => match search(rest)?.into_iter().next() {
                Some(place) => this.move_to(Some(&place))?,
                None => this.msg(&format!("There is no {rest:?}."))?,
            },
            "inspect" => {
                let text = match this.db().get_value(rest)? {
                    Some(value) => format!("{rest} = {value:?}"),
                    None => format!("{rest} is not set"),
                };
                this.msg(&text)?;
            }
            "stats" => {
                let stats: Stats = this.db().get("stats")?.ok_or("no stats")?;
                this.msg(&format!("hp {} level {}", stats.hp, stats.level))?;
            }
            "rename" => this.set_key(rest)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn at_post_move(this: &Object, _source: Option<&Object>) -> HookResult {
        if let Some(here) = this.location()? {
            here.msg_from(&format!("{} arrives.", this.key()?), this)?;
        }
        Ok(())
    }
}

wasmud_sdk::typeclass!(Character);
