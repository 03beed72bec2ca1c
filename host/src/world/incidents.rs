//! [`Incidents`]: what went wrong behind a player's command, kept for admins.
//!
//! A player whose command fails sees a short message with a reference (`E3F9A1C`), never the
//! error itself (it names typeclasses, attributes and object ids: internals a player should not
//! see and an attacker would like to). The details go to the log, one line with the same
//! reference, and stay here for the console's `incidents` command. At most [`KEPT`] are kept;
//! the oldest go first.

use std::collections::VecDeque;
use std::hash::{BuildHasher as _, RandomState};
use std::time::SystemTime;

use crate::value::ObjectId;

/// Incidents kept.
pub const KEPT: usize = 256;
/// Characters of the input line kept with an incident.
const INPUT_CHARS: usize = 200;

/// One failed command, as an admin sees it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Incident {
    /// What the player was shown (`E` and seven hex digits).
    pub reference: String,
    /// When it happened, in Unix milliseconds.
    pub at_ms: u64,
    /// The character whose player typed the line.
    pub character: ObjectId,
    /// The line (its first 200 characters).
    pub input: String,
    /// The error, in full.
    pub error: String,
}

/// The incidents of a running world (see the module docs).
#[derive(Debug, Default)]
pub struct Incidents {
    kept: VecDeque<Incident>,
    seed: RandomState,
    next: u64,
}

impl Incidents {
    /// Records that `character`'s line `input` failed with `error`; returns its reference.
    pub fn record(&mut self, character: ObjectId, input: &str, error: &str) -> String {
        self.next += 1;
        // Unguessable high digits, and low ones that differ between any KEPT in a row.
        let reference = format!(
            "E{:04X}{:03X}",
            self.seed.hash_one(self.next) & 0xFFFF,
            self.next & 0xFFF
        );
        let at_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let input: String = input.chars().take(INPUT_CHARS).collect();
        tracing::warn!(
            reference,
            character,
            input = %crate::runtime::guest_output::escape_line(&input),
            "a player's command failed: {}",
            crate::runtime::guest_output::escape_line(error)
        );
        if self.kept.len() >= KEPT {
            self.kept.pop_front();
        }
        self.kept.push_back(Incident {
            reference: reference.clone(),
            at_ms,
            character,
            input,
            error: error.to_owned(),
        });
        reference
    }

    /// The incidents kept, oldest first.
    pub fn list(&self) -> impl Iterator<Item = &Incident> {
        self.kept.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_differ_and_the_oldest_go_first() {
        let mut incidents = Incidents::default();
        let refs: Vec<String> = (0..KEPT + 10)
            .map(|i| incidents.record(7, &format!("cmd {i}"), "boom"))
            .collect();
        let mut unique = refs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), refs.len());
        assert_eq!(incidents.list().count(), KEPT);
        assert_eq!(incidents.list().next().unwrap().input, "cmd 10");
        assert!(refs[0].starts_with('E') && refs[0].len() == 8);
    }
}
