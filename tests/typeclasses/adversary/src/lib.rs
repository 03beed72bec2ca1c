//! `adversary`: a deliberately badly behaved typeclass for the sandbox tests. Every command tries
//! to hurt the host in one way; the tests check that the host stays up and loses nothing.
//!
//! Expectations (what the host must provide): a per-hook deadline, memory and handle limits,
//! size limits on values, a WASI context that grants nothing, and atomic hooks.
//!
//! Commands: `loop`, `alloc`, `alloc-mib <n>`, `recurse`, `nest <levels> <frames>`, `panic`,
//! `big-string <MiB>`, `big-msg <MiB>`, `hold-handles <n>`, `stash`, `use-stash`, `keep <id>`,
//! `touch-kept`, `drop-and-reuse`, `write3-then-trap`, `open-file`, `socket`, `env`,
//! `print <n>`, `log <n>`, `sleep <secs>`, `sleep-loop`, `poll-far`, `slow-chain <ms>`,
//! `spam <n>`, `ping-pong <bytes> <fanout>` (to `db.peer`), `ndb-flood <KiB>`,
//! `churn-names <n>`, `set-on-deleted <n>`, `touch-then-panic <id>`, `overwrite <n> <KiB>`,
//! `spam-then-room <n> <room-id>`, `after <name> <ms>` (a one-shot timer), `every <name> <ms>`,
//! `fail` (returns an error), `bump` (`db.bumps` and `ndb.bumps` + 1), `touch <command>`
//! (writes `db.touched` and `ndb.touched` and tells itself "touched", then runs `<command>`).
//! `tests/typeclasses/pyadversary` is its Python twin for the commands the shared tests use.
//!
//! Hooks: `at-init` loops forever when `db.loop_on_init` is true and fails when
//! `db.fail_init` is true; `at-object-creation` of an object whose key is
//! `nest <levels> <frames>` nests one level deeper (see `nest`); `at-msg-receive` runs the
//! message protocols of `slow-chain` and `ping-pong`; `at-tick` writes `db.ticked` and then
//! fails for timers named `fail...`, traps for `trap...` and loops for `spin...`; `big...`
//! also writes 200 KB.

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

/// Uses about `frames` frames of native stack (each holding 16 spilled values), then runs
/// `at_bottom` with all of them still on the stack.
fn deep<T>(frames: u64, at_bottom: &dyn Fn() -> T) -> (u64, T) {
    if black_box(frames) == 0 {
        return (0, at_bottom());
    }
    let v: [u64; 16] = std::array::from_fn(|i| black_box(frames.wrapping_mul(i as u64 + 1)));
    let (sum, out) = deep(frames - 1, at_bottom);
    (v.iter().fold(sum, |a, b| black_box(a ^ b)), out)
}

/// `nest <levels> <frames>`: with levels left, fill `frames` frames of stack and create the
/// next level (its `at-object-creation` runs nested, on another instance); the last level
/// recurses until its stack overflows.
fn nest(words: &str) -> HookResult {
    let mut it = words.split(' ').skip(1).map(str::parse::<u64>);
    let (Some(Ok(levels)), Some(Ok(frames))) = (it.next(), it.next()) else {
        return Err(Error::Script(format!("bad nest spec {words:?}")));
    };
    if levels == 0 {
        black_box(recurse(0));
        return Ok(());
    }
    let next = format!("nest {} {frames}", levels - 1);
    let (_, created) = deep(frames, &|| create(&next, "adversary", None).map(drop));
    created
}

/// Busy-waits `ms` milliseconds of wall-clock time (the monotonic clock is coarse: 1 ms).
fn burn(ms: u64) {
    let start = std::time::Instant::now();
    while start.elapsed() < std::time::Duration::from_millis(ms) {
        black_box(0);
    }
}

/// Recurses until the stack runs out (the depth check never stops it in practice).
fn recurse(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX {
        return 0;
    }
    black_box(recurse(black_box(depth + 1))) + 1
}

/// The adversary's commands: `touch` runs the rest of the line as a command after marking the object.
fn command(this: &Object, input: &str) -> HookResult<bool> {
    let (verb, rest) = input.split_once(' ').unwrap_or((input, ""));
    match verb {
        "fail" => return Err(Error::Script("fails on purpose".into())),
        "bump" => {
            let bumps: i64 = this.db().get_or("bumps", 0)?;
            this.db().set("bumps", &(bumps + 1))?;
            let bumps: i64 = this.ndb().get_or("bumps", 0)?;
            this.ndb().set("bumps", &(bumps + 1))?;
        }
        "touch" => {
            this.db().set("touched", &true)?;
            this.ndb().set("touched", &true)?;
            this.msg("touched")?;
            return command(this, rest);
        }
        "loop" => loop {
            black_box(this.id());
        },
        "after" | "every" => {
            let (name, ms) = rest.split_once(' ').ok_or("want <name> <ms>")?;
            let delay = std::time::Duration::from_millis(arg(ms)?);
            if verb == "every" {
                this.timers().every(name, delay)?;
            } else {
                this.timers().after(name, delay)?;
            }
        }
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
        "alloc-mib" => {
            let hoard = vec![1u8; usize::try_from(arg(rest)?).unwrap_or(0) << 20];
            this.ndb()
                .set("allocated", &(black_box(&hoard).len() as i64))?;
        }
        "nest" => nest(input)?,
        "log" => {
            for i in 0..arg(rest)? {
                wasmud_sdk::log::info(&format!("adversary log line {i}"));
            }
        }
        "sleep" => std::thread::sleep(std::time::Duration::from_secs(arg(rest)?)),
        "sleep-loop" => loop {
            std::thread::sleep(std::time::Duration::from_millis(1));
        },
        "poll-far" => {
            use wasip2::clocks::monotonic_clock;
            let far = monotonic_clock::now() + 3_600_000_000_000;
            let pollable = monotonic_clock::subscribe_instant(far);
            black_box(wasip2::io::poll::poll(&[&pollable]));
        }
        "slow-chain" => this.msg(&format!("slow {rest}"))?,
        "spam" => {
            this.db().set("spammed", &true)?;
            for _ in 0..arg(rest)? {
                this.msg("spam")?;
            }
        }
        "ping-pong" => {
            let (bytes, fanout) = rest.split_once(' ').ok_or("ping-pong <bytes> <fanout>")?;
            let text = format!(
                "pp {fanout} {}",
                "x".repeat(usize::try_from(arg(bytes)?).unwrap_or(0))
            );
            let peer = this.db().get_object("peer")?.ok_or("no peer")?;
            peer.msg(&text)?;
        }
        "ndb-flood" => {
            let chunk = "x".repeat(usize::try_from(arg(rest)?).unwrap_or(0) << 10);
            let mut stored = 0i64;
            let outcome = loop {
                match this
                    .ndb()
                    .set_value(&format!("flood{stored}"), ValueArg::Text(chunk.clone()))
                {
                    Ok(()) => stored += 1,
                    Err(e) => break format!("{e:?}"),
                }
            };
            // Recorded in db: the ndb budget may have no room left for it.
            this.db().set("last_error", &outcome)?;
            this.db().set("flood_stored", &stored)?;
        }
        "overwrite" => {
            // Each overwrite keeps the old value for a rollback: undo memory, not ndb.
            let (times, kib) = rest.split_once(' ').ok_or("overwrite <times> <KiB>")?;
            let chunk = "x".repeat(usize::try_from(arg(kib)?).unwrap_or(0) << 10);
            for _ in 0..arg(times)? {
                this.ndb()
                    .set_value("scratch", ValueArg::Text(chunk.clone()))?;
            }
        }
        "spam-then-room" => {
            let (times, room) = rest.split_once(' ').ok_or("spam-then-room <n> <room>")?;
            for _ in 0..arg(times)? {
                this.msg("spam")?;
            }
            lookup(arg(room)?)?.msg("hello, room")?;
        }
        "churn-names" => {
            for i in 0..arg(rest)? {
                let name = format!("churn{}-{i}", this.id());
                this.ndb().set(&name, &1)?;
                this.ndb().remove(&name)?;
            }
        }
        "set-on-deleted" => {
            let victim = create("victim", "object", None)?;
            victim.delete()?;
            for i in 0..arg(rest)? {
                let failed = victim
                    .db()
                    .set(&format!("ghost{}-{i}", this.id()), &1)
                    .is_err();
                if !failed {
                    return Err(Error::Script(
                        "a write to a deleted object succeeded".into(),
                    ));
                }
            }
        }
        "touch-then-panic" => {
            black_box(lookup(arg(rest)?)?.key()?);
            panic!("trap after loading another object");
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
        "stash" => {
            // Stash the index of the last of four owned handles: they are all dropped when
            // this call returns, so in a later call (which holds two handles) the index
            // names nothing.
            let held: Vec<Object> = (0..4)
                .map(|_| lookup(this.id()))
                .collect::<Result<_, _>>()?;
            STASHED.with(|s| s.set(held.last().expect("four").raw().handle()));
        }
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

impl Typeclass for Adversary {
    fn at_object_creation(this: &Object) -> HookResult {
        let key = this.key()?;
        if key.starts_with("nest ") {
            nest(&key)?;
        }
        Ok(())
    }

    fn at_init(this: &Object) -> HookResult {
        if this.db().get_or("loop_on_init", false)? {
            loop {
                black_box(this.id());
            }
        }
        if this.db().get_or("fail_init", false)? {
            return Err(Error::Script("at-init fails on purpose".into()));
        }
        Ok(())
    }

    fn at_msg_receive(this: &Object, text: &str, _sender: Option<&Object>) -> HookResult<bool> {
        let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
        match verb {
            "slow" => {
                // Each link is well within the hook deadline; the chain never ends.
                burn(arg(rest)?);
                let links: i64 = this.db().get_or("links", 0)?;
                this.db().set("links", &(links + 1))?;
                this.msg(text)?;
            }
            "pp" => {
                let peer = this.db().get_object("peer")?.ok_or("no peer")?;
                let fanout: u64 = rest.split(' ').next().map_or(Ok(1), arg)?;
                for _ in 0..fanout {
                    peer.msg(text)?;
                }
            }
            _ => {}
        }
        Ok(true)
    }

    fn at_command(this: &Object, _caller: &Object, input: &str) -> HookResult<bool> {
        command(this, input)
    }

    fn at_tick(this: &Object, name: &str) -> HookResult {
        this.db().set("ticked", name)?;
        if name.starts_with("big") {
            // Enough new pages that the commit must write (the storage fault tests).
            this.db().set("big", &"x".repeat(200_000))?;
        }
        if name.starts_with("fail") {
            return Err(Error::Script(format!("timer {name} fails on purpose")));
        }
        if name.starts_with("trap") {
            panic!("timer {name} traps on purpose");
        }
        if name.starts_with("spin") {
            loop {
                black_box(this.id());
            }
        }
        Ok(())
    }
}

wasmud_sdk::typeclass!(Adversary);
