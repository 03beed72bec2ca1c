//! [`Interner`]: attribute and typeclass names stored once, referred to by a 4-byte [`Symbol`].
//!
//! A cached object holds a `Symbol` per attribute instead of its own copy of the name, which
//! keeps entries small and their drops cheap. Each name's text is stored once (shared by the
//! lookup map and the table). Names nothing uses any more are reclaimed by a sweep
//! ([`Interner::retain`]) that the world runs between turns once the interner has grown well
//! past its size after the last sweep, so a script inventing names cannot grow it for ever;
//! the freed symbols are reused.

use std::collections::HashMap;
use std::sync::Arc;

/// An interned name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

impl Symbol {
    /// The symbol's index in the interner's table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// The set of interned names.
#[derive(Default)]
pub struct Interner {
    ids: HashMap<Arc<str>, Symbol>,
    names: Vec<Option<Arc<str>>>,
    free: Vec<u32>,
    /// Live names after the last sweep.
    swept_at: usize,
}

/// Names interned beyond twice the live count at the last sweep, plus this, trigger a sweep.
const SWEEP_SLACK: usize = 4096;

impl Interner {
    /// The symbol for `name`, interning it if new.
    pub fn intern(&mut self, name: &str) -> Symbol {
        if let Some(&sym) = self.ids.get(name) {
            return sym;
        }
        let text: Arc<str> = name.into();
        let sym = match self.free.pop() {
            Some(slot) => {
                self.names[slot as usize] = Some(text.clone());
                Symbol(slot)
            }
            None => {
                let slot = u32::try_from(self.names.len()).expect("fewer than 2^32 names");
                self.names.push(Some(text.clone()));
                Symbol(slot)
            }
        };
        self.ids.insert(text, sym);
        sym
    }

    /// The symbol for `name` if it was interned (a name never interned is set on no object).
    pub fn get(&self, name: &str) -> Option<Symbol> {
        self.ids.get(name).copied()
    }

    /// The name behind `sym`.
    ///
    /// # Panics
    /// If `sym` was reclaimed (a symbol held outside what the sweep was shown: a host bug).
    pub fn name(&self, sym: Symbol) -> &str {
        self.names[sym.index()]
            .as_deref()
            .expect("symbol reclaimed while in use")
    }

    /// How many names are interned.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True if no name is interned.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The size of the symbol table (the bound of [`Symbol::index`]).
    pub fn slots(&self) -> usize {
        self.names.len()
    }

    /// True if enough names were interned since the last sweep to make one worthwhile.
    pub fn sweep_due(&self) -> bool {
        self.ids.len() > 2 * self.swept_at + SWEEP_SLACK
    }

    /// Reclaims every name whose index is `false` in `used` (indexed by [`Symbol::index`]).
    /// Returns how many were reclaimed.
    pub fn retain(&mut self, used: &[bool]) -> usize {
        let mut freed = 0;
        for (slot, name) in self.names.iter_mut().enumerate() {
            if name.is_some() && !used.get(slot).copied().unwrap_or(false) {
                let text = name.take().expect("checked");
                self.ids.remove(&text);
                self.free
                    .push(u32::try_from(slot).expect("fewer than 2^32 names"));
                freed += 1;
            }
        }
        let len = self
            .names
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        self.names.truncate(len);
        self.free.retain(|&s| (s as usize) < len);
        self.ids.shrink_to_fit();
        self.names.shrink_to_fit();
        self.free.shrink_to_fit();
        self.swept_at = self.ids.len();
        freed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_stable() {
        let mut i = Interner::default();
        let a = i.intern("hp");
        assert_eq!(i.intern("hp"), a);
        assert_ne!(i.intern("desc"), a);
        assert_eq!(i.name(a), "hp");
        assert_eq!(i.get("nope"), None);
    }

    #[test]
    fn unused_names_are_reclaimed_and_their_symbols_reused() {
        let mut i = Interner::default();
        let keep = i.intern("keep");
        for n in 0..10_000 {
            i.intern(&format!("tmp{n}"));
        }
        assert!(i.sweep_due());
        let mut used = vec![false; i.slots()];
        used[keep.index()] = true;
        assert_eq!(i.retain(&used), 10_000);
        assert_eq!((i.len(), i.slots()), (1, 1));
        assert_eq!(i.name(keep), "keep");
        assert_eq!(i.get("tmp5"), None);
        let again = i.intern("new");
        assert_eq!(i.name(again), "new");
        assert!(!i.sweep_due());
    }
}
