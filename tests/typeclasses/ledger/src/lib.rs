//! `ledger`: accounts holding gold, for the durability tests and benchmarks (a fixture, not
//! part of the default world). A transfer moves gold between two objects' `db` attributes in
//! one turn, so the total is conserved by every turn, and records the sender's sequence number
//! so a test can tell which acknowledged transfers were kept.
//!
//! Expectations (what the host must provide): atomic turns, and answers released only when
//! the commit policy says the turn is kept.
//!
//! Commands (on the sending account): `transfer <to-id> <amount> <seq>`: moves up to `amount`
//! gold (what the sender has) to account `<to-id>` and sets `db.seq` of the sender to `<seq>`.

use wasmud_sdk::{Error, HookResult, Object, Typeclass, lookup};

struct Ledger;

fn number(word: Option<&str>) -> Result<i64, Error> {
    word.and_then(|w| w.parse().ok())
        .ok_or_else(|| Error::Script("usage: transfer <to-id> <amount> <seq>".into()))
}

impl Typeclass for Ledger {
    fn at_command(this: &Object, _caller: &Object, input: &str) -> HookResult<bool> {
        let mut words = input.split(' ');
        if words.next() != Some("transfer") {
            return Ok(false);
        }
        let to = number(words.next())?;
        let amount = number(words.next())?;
        let seq = number(words.next())?;
        let to = lookup(u64::try_from(to).map_err(|_| Error::Script("bad id".into()))?)?;
        let mine: i64 = this.db().get_or("gold", 0)?;
        let moved = amount.clamp(0, mine);
        if to.id() != this.id() {
            let theirs: i64 = to.db().get_or("gold", 0)?;
            this.db().set("gold", &(mine - moved))?;
            to.db().set("gold", &(theirs + moved))?;
        }
        this.db().set("seq", &seq)?;
        Ok(true)
    }
}

wasmud_sdk::typeclass!(Ledger);
