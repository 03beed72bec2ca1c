//! [`Interner`]: attribute and typeclass names stored once, referred to by a 4-byte [`Symbol`].
//!
//! A cached object holds a `Symbol` per attribute instead of its own copy of the name, which
//! keeps entries small and their drops cheap.

use std::collections::HashMap;

/// An interned name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

/// The set of interned names. Names are never removed (there are few distinct ones).
#[derive(Default)]
pub struct Interner {
    ids: HashMap<Box<str>, Symbol>,
    names: Vec<Box<str>>,
}

impl Interner {
    /// The symbol for `name`, interning it if new.
    pub fn intern(&mut self, name: &str) -> Symbol {
        if let Some(&sym) = self.ids.get(name) {
            return sym;
        }
        let sym = Symbol(u32::try_from(self.names.len()).expect("fewer than 2^32 names"));
        self.names.push(name.into());
        self.ids.insert(name.into(), sym);
        sym
    }

    /// The symbol for `name` if it was interned (a name never interned is set on no object).
    pub fn get(&self, name: &str) -> Option<Symbol> {
        self.ids.get(name).copied()
    }

    /// The name behind `sym`.
    pub fn name(&self, sym: Symbol) -> &str {
        &self.names[sym.0 as usize]
    }

    /// How many names are interned.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True if no name is interned.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
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
}
