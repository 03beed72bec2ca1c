//! `adversary`: a deliberately badly behaved typeclass for the sandbox tests. Every command tries
//! to hurt the host in one way; the tests check that the host stays up and loses nothing.
//!
//! Expectations (what the host must provide): a per-hook deadline, memory and handle limits,
//! size limits on values, a WASI context that grants nothing, and atomic hooks.
//!
//! Commands: `loop`, `alloc`, `recurse`, `panic`, `big-string <MiB>`, `big-msg <MiB>`,
//! `hold-handles <n>`, `stash`, `use-stash`, `keep <id>`, `touch-kept`, `drop-and-reuse`, `write3-then-trap`,
//! `open-file`, `socket`, `env`, `print <n>`.

use std::cell::Cell;
use std::hint::black_box;

use wasmud_sdk::wit::wasmud::runtime::object::{Object as RawObject, ValueArg};
use wasmud_sdk::{Error, HookResult, Object, Typeclass, create, lookup};

struct Adversary;

thread_local! {
    static STASHED: Cell<u32> = const { Cell::new(0) };
    static KEPT: std::cell::RefCell<Vec<Object>> = const { std::cell::RefCell::new(Vec::new()) };
}

fn arg(rest: &str) -> Result<u64, Error> {
    rest.parse()
        .map_err(|_| Error::Script(format!("{rest:?} is not a number")))
}

/// Records the outcome of a call the test expects to fail, in `ndb.last_error`.
fn record<T>(this: &Object, result: Result<T, String>) -> HookResult {
    let text = match result {
        Ok(_) => "ok".to_string(),
        Err(e) => e,
    };
    this.ndb().set("last_error", &text)
}

/// Recurses until the stack runs out (the depth check never stops it in practice).
fn recurse(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX {
        return 0;
    }
    black_box(recurse(black_box(depth + 1))) + 1
}

impl Typeclass for Adversary {
    fn at_command(this: &Object, _caller: &Object, input: &str) -> HookResult<bool> {
        let (verb, rest) = input.split_once(' ').unwrap_or((input, ""));
        match verb {
            "loop" => loop {
                black_box(this.id());
            },
            "alloc" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    black_box(&hoard);
                }
            }
            "recurse" => {
                black_box(recurse(0));
            }
            "panic" => panic!("adversary panics on purpose"),
            "big-string" => {
                let text = "x".repeat(usize::try_from(arg(rest)?).unwrap_or(0) << 20);
                let result = this.db().set_value("big", ValueArg::Text(text));
                record(this, result.map_err(|e| format!("{e:?}")))?;
            }
            "big-msg" => {
                let text = "x".repeat(usize::try_from(arg(rest)?).unwrap_or(0) << 20);
                record(this, this.msg(&text).map_err(|e| format!("{e:?}")))?;
            }
            "hold-handles" => {
                let mut held = Vec::new();
                for _ in 0..arg(rest)? {
                    held.push(lookup(this.id())?);
                }
                this.ndb().set("held", &held.len())?;
            }
            "stash" => STASHED.with(|s| s.set(this.raw().handle())),
            "use-stash" => {
                // The borrowed handle of an earlier call: the component model must reject it.
                let stale = unsafe { RawObject::from_handle(STASHED.with(Cell::get)) };
                let key = stale.key();
                std::mem::forget(stale);
                let text = key.unwrap_or_else(|e| format!("{e:?}"));
                this.ndb().set("last_error", &text)?;
            }
            "keep" => {
                // Owned handles kept in guest memory across calls: they must not keep the
                // host's cache entries alive.
                let obj = lookup(arg(rest)?)?;
                KEPT.with(|k| k.borrow_mut().push(obj));
            }
            "touch-kept" => {
                let mut keys = Vec::new();
                KEPT.with(|k| -> HookResult {
                    for obj in k.borrow().iter() {
                        keys.push(obj.key()?);
                    }
                    Ok(())
                })?;
                this.ndb().set("kept_keys", &keys.join(","))?;
            }
            "drop-and-reuse" => {
                let handle = lookup(this.id())?;
                let raw = handle.raw().handle();
                drop(handle);
                let dropped = unsafe { RawObject::from_handle(raw) };
                let key = dropped.key();
                std::mem::forget(dropped);
                record(this, key.map_err(|e| format!("{e:?}")))?;
            }
            "write3-then-trap" => {
                this.db().set("a", &1)?;
                this.db().set("b", &2)?;
                this.db().set("c", &3)?;
                this.ndb().set("d", &4)?;
                this.set_key("renamed")?;
                create("spawned", "object", this.location()?.as_ref())?;
                this.move_to(None)?;
                panic!("trap after writing");
            }
            "open-file" => {
                let result = std::fs::read("/etc/passwd").map(|b| b.len());
                record(this, result.map_err(|e| e.to_string()))?;
            }
            "socket" => {
                let result = std::net::TcpStream::connect("127.0.0.1:22");
                record(this, result.map(drop).map_err(|e| e.to_string()))?;
            }
            "env" => {
                let seen = std::env::vars().count() + std::env::args().count();
                this.ndb().set("env_seen", &seen)?;
            }
            "print" => {
                for i in 0..arg(rest)? {
                    println!("adversary line {i}");
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

wasmud_sdk::typeclass!(Adversary);
