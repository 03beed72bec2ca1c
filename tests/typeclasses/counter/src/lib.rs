//! `counter`: a small typeclass that exercises the whole object API. The integration tests
//! drive it through `at_command`; each command leaves its result in an attribute the test reads.
//!
//! Commands: `incr`, `link <id>`, `friend-key`, `move <id> <dest-id>`, `spawn <n>`,
//! `delete <id>`, `delete-twice <id>`, `delete-then-touch <id>`, `bad-json`, `lookup <id>`, `create-empty-key`,
//! `panic`, and timers: `after <name> <ms>`, `every <name> <ms>`, `cancel <name>`,
//! `timers` (their names and intervals into `db.timer_list`), `after-then-fail <name> <ms>`
//! (schedules, then fails: nothing may stay), `after-on <id> <name> <ms>` (on another object),
//! `retype <id> <typeclass>` and `retype-then-fail <id> <typeclass>` (changes it, then fails).
//! Text it receives with `please delete #<id>` in it makes it try to delete that object.
//!
//! `at-tick` counts each timer in `db.tick.<name>` and all of them in `db.ticks`, and appends
//! the name to `db.tick_log`; `once-more` schedules `again` for 100 ms later. (Failing
//! ticks are the `adversary`'s.)

use std::time::Duration;

use wasmud_sdk::{Error, HookResult, Object, Typeclass, create, lookup};

struct Counter;

fn arg(rest: &str, n: usize) -> Result<u64, Error> {
    rest.split(' ')
        .nth(n)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Script(format!("argument {n} of {rest:?} is not an id")))
}

/// Records the outcome of a call the test expects to fail, in `ndb.last_error`.
fn record<T>(this: &Object, result: Result<T, Error>) -> HookResult {
    let text = match result {
        Ok(_) => "ok".to_string(),
        Err(e) => format!("{e:?}"),
    };
    this.ndb().set("last_error", &text)
}

impl Typeclass for Counter {
    fn at_object_creation(this: &Object) -> HookResult {
        this.db().set("count", &0)
    }

    fn at_init(this: &Object) -> HookResult {
        if this.db().get_or("fail_init", false)? {
            return Err("at-init fails on purpose".into());
        }
        let inits: i64 = this.ndb().get_or("inits", 0)?;
        this.ndb().set("inits", &(inits + 1))?;
        // Persistent, so tests can see at-init run again after a flush.
        let loads: i64 = this.db().get_or("init_count", 0)?;
        this.db().set("init_count", &(loads + 1))
    }

    fn at_command(this: &Object, caller: &Object, input: &str) -> HookResult<bool> {
        let (verb, rest) = input.split_once(' ').unwrap_or((input, ""));
        match verb {
            "incr" => {
                let count: i64 = this.db().get_or("count", 0)?;
                this.db().set("count", &(count + 1))?;
                let hits: i64 = this.ndb().get_or("hits", 0)?;
                this.ndb().set("hits", &(hits + 1))?;
                caller.msg(&format!("count is {}", count + 1))?;
            }
            "link" => this.db().set_object("friend", &lookup(arg(rest, 0)?)?)?,
            "friend-key" => {
                let friend = this.db().get_object("friend")?.ok_or("no friend")?;
                this.db().set("friend_key", &friend.key()?)?;
                this.db().set("friend_id", &friend.id())?;
            }
            "move" => {
                let mover = lookup(arg(rest, 0)?)?;
                let dest = lookup(arg(rest, 1)?)?;
                record(this, mover.move_to(Some(&dest)))?;
            }
            "spawn" => {
                for i in 0..arg(rest, 0)? {
                    create(&format!("spawn-{i}"), "counter", this.location()?.as_ref())?;
                }
            }
            "delete" => record(this, lookup(arg(rest, 0)?)?.delete())?,
            "delete-twice" => {
                let victim = lookup(arg(rest, 0)?)?;
                victim.delete()?;
                record(this, victim.delete())?;
            }
            "move-into-deleted" => {
                let place = lookup(arg(rest, 0)?)?;
                place.delete()?;
                record(this, this.move_to(Some(&place)))?;
            }
            "delete-then-touch" => {
                let victim = lookup(arg(rest, 0)?)?;
                victim.delete()?;
                record(this, victim.key())?;
            }
            "bad-json" => record(
                this,
                this.db().set_value(
                    "broken",
                    wasmud_sdk::wit::wasmud::runtime::object::ValueArg::Json("{not json".into()),
                ),
            )?,
            "lookup" => record(this, lookup(arg(rest, 0)?))?,
            "retype" | "retype-then-fail" => {
                let (id, typeclass) = rest.split_once(' ').ok_or("want <id> <typeclass>")?;
                let target = lookup(arg(id, 0)?)?;
                if verb == "retype" {
                    record(this, target.set_typeclass(typeclass))?;
                } else {
                    target.set_typeclass(typeclass)?;
                    return Err("failing after a retype, on purpose".into());
                }
            }
            "create-empty-key" => record(this, create("", "counter", None))?,
            "panic" => panic!("counter was told to panic"),
            "after" | "every" | "after-then-fail" => {
                let (name, ms) = rest.split_once(' ').ok_or("want <name> <ms>")?;
                let ms: u64 = ms.parse().map_err(|_| format!("{ms:?} is not a number"))?;
                let delay = Duration::from_millis(ms);
                let scheduled = if verb == "every" {
                    this.timers().every(name, delay)
                } else {
                    this.timers().after(name, delay)
                };
                if verb == "after-then-fail" {
                    scheduled?;
                    return Err(Error::Script("failing after scheduling".into()));
                }
                record(this, scheduled)?;
            }
            "after-on" => {
                let mut words = rest.split(' ');
                let (Some(id), Some(name), Some(ms)) = (words.next(), words.next(), words.next())
                else {
                    return Err(Error::Script("want <id> <name> <ms>".into()));
                };
                let target = lookup(id.parse().map_err(|_| "bad id")?)?;
                let ms: u64 = ms.parse().map_err(|_| "bad ms")?;
                record(this, target.timers().after(name, Duration::from_millis(ms)))?;
            }
            "cancel" => {
                let had = this.timers().cancel(rest)?;
                this.db().set("cancelled", &had)?;
            }
            "timers" => {
                let list: Vec<String> = this
                    .timers()
                    .list()?
                    .into_iter()
                    .map(|t| format!("{}:{:?}", t.name, t.interval.map(|d| d.as_millis())))
                    .collect();
                this.db().set("timer_list", &list.join(","))?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn at_pre_move(this: &Object, _destination: Option<&Object>) -> HookResult<bool> {
        let checks: i64 = this.ndb().get_or("pre_moves", 0)?;
        this.ndb().set("pre_moves", &(checks + 1))?;
        Ok(!this.db().get_or("pinned", false)?)
    }

    /// Text asking `please delete #<id>` makes it try (the outcome in `ndb.last_error`): code
    /// that runs for what it hears, not for a command it was given.
    fn at_msg_receive(this: &Object, text: &str, _sender: Option<&Object>) -> HookResult<bool> {
        if let Some((_, id)) = text.split_once("please delete #") {
            let id = id.trim_end_matches(|c: char| !c.is_ascii_digit());
            record(this, lookup(arg(id, 0)?).and_then(|o| o.delete()))?;
        }
        Ok(true)
    }

    fn at_post_move(this: &Object, _source: Option<&Object>) -> HookResult {
        let moves: i64 = this.db().get_or("moves", 0)?;
        this.db().set("moves", &(moves + 1))
    }

    fn at_object_delete(this: &Object) -> HookResult<bool> {
        if this.db().get_or("delete_again", false)? {
            // Deleting itself from its own at-object-delete: returns at once.
            this.delete()?;
        }
        Ok(!this.db().get_or("undeletable", false)?)
    }

    fn at_tick(this: &Object, name: &str) -> HookResult {
        let key = format!("tick.{name}");
        let count: i64 = this.db().get_or(&key, 0)?;
        this.db().set(&key, &(count + 1))?;
        let total: i64 = this.db().get_or("ticks", 0)?;
        this.db().set("ticks", &(total + 1))?;
        let mut log: String = this.db().get_or("tick_log", String::new())?;
        if log.len() < 4096 {
            if !log.is_empty() {
                log.push(',');
            }
            log.push_str(name);
            this.db().set("tick_log", &log)?;
        }
        if name == "once-more" {
            this.timers().after("again", Duration::from_millis(100))?;
        }
        Ok(())
    }
}

wasmud_sdk::typeclass!(Counter);
