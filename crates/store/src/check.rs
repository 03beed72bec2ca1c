//! [`CheckReport`]: what `wasmud check` found in a store, and what `--repair` did.

/// What `check` found and what `--repair` did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct CheckReport {
    /// Objects in the store.
    pub objects: u64,
    /// Attributes in the store.
    pub attributes: u64,
    /// Problems found, one line each.
    pub problems: Vec<String>,
    /// What the repair changed, one line each (empty without `--repair`).
    pub repaired: Vec<String>,
    /// Problems a repair leaves alone (to keep data), one line each.
    pub left_alone: Vec<String>,
}

impl CheckReport {
    /// True if nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Problems listed one by one at most; the rest are counted.
pub const MAX_LISTED: usize = 100;

/// Counts a problem and lists it while fewer than [`MAX_LISTED`] are.
pub fn note(list: &mut Vec<String>, counted: &mut usize, line: String) {
    *counted += 1;
    if list.len() < MAX_LISTED {
        list.push(line);
    }
}
