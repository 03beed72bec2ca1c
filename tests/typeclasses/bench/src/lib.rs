//! `bench`: loops used by `wasmud bench` to time guest→host calls from inside a guest.
//!
//! Commands: `noop`, `spin <n>` (a pure wasm loop), `write <k>` (k `db` writes), `db-get <n>`, `ndb-get <n>`, `create <n>` (each new object gets one `db`
//! attribute), `create3 <n>` (three small attributes each). `at-tick` makes one `db` write
//! (`db.ticks`, the timer count; the timer benchmark).

use wasmud_sdk::{Error, HookResult, Object, Typeclass, create};

struct Bench;

fn count(rest: &str) -> Result<u64, Error> {
    rest.parse()
        .map_err(|_| Error::Script(format!("{rest:?} is not a count")))
}

impl Typeclass for Bench {
    fn at_command(this: &Object, _caller: &Object, input: &str) -> HookResult<bool> {
        let (verb, rest) = input.split_once(' ').unwrap_or((input, ""));
        match verb {
            "noop" => {}
            "spin" => {
                let mut x = 0u64;
                for i in 0..count(rest)? {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                }
                std::hint::black_box(x);
            }
            "write" => {
                for i in 0..count(rest)? {
                    this.db().set(&format!("w{i}"), &i)?;
                }
            }
            "db-get" => {
                let mut sum = 0i64;
                for _ in 0..count(rest)? {
                    sum = sum.wrapping_add(this.db().get::<i64>("n")?.unwrap_or(0));
                }
                this.ndb().set("sum", &sum)?;
            }
            "ndb-get" => {
                let mut sum = 0i64;
                for _ in 0..count(rest)? {
                    sum = sum.wrapping_add(this.ndb().get::<i64>("n")?.unwrap_or(0));
                }
                this.ndb().set("sum", &sum)?;
            }
            "create" => {
                for i in 0..count(rest)? {
                    let obj = create("thing", "object", None)?;
                    obj.db().set("n", &i)?;
                }
            }
            "create3" => {
                for i in 0..count(rest)? {
                    let obj = create("thing", "object", None)?;
                    obj.db().set("hp", &i)?;
                    obj.db().set("name", "goblin")?;
                    obj.db().set("angry", &true)?;
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn at_tick(this: &Object, _name: &str) -> HookResult {
        let ticks: i64 = this.db().get_or("ticks", 0)?;
        this.db().set("ticks", &(ticks + 1))
    }
}

wasmud_sdk::typeclass!(Bench);
