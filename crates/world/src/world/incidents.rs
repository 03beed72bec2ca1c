//! [`Incidents`]: what went wrong behind a player's command, kept for admins.
//!
//! A player whose command fails sees a short message with a reference (`E3F9A1C`), never the
//! error itself (it names typeclasses, attributes and object ids: internals a player should not
//! see and an attacker would like to). The details go to the log, one line with the same
//! reference, and stay here for the console's `incidents` command. At most [`KEPT`] are kept;
//! the oldest go first, and each keeps at most [`ERROR_CHARS`] of its error (a typeclass
//! chooses its error text: it must not make the host hold megabytes per incident). Players
//! choose how often their commands fail: at most [`LOGGED_PER_SECOND`] incidents a second are
//! logged, and the next logged line says how many were not.

use std::collections::VecDeque;
use std::hash::{BuildHasher as _, RandomState};
use std::time::{Duration, Instant, SystemTime};

use crate::value::ObjectId;

/// Incidents kept.
pub const KEPT: usize = 256;
/// Characters of the input line kept with an incident.
const INPUT_CHARS: usize = 200;
/// Characters of the error kept with an incident.
pub const ERROR_CHARS: usize = 4096;
/// Incidents logged a second at most (all of them are kept, up to [`KEPT`]).
pub const LOGGED_PER_SECOND: u32 = 20;

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
    /// The error (its first 4,096 characters).
    pub error: String,
}

/// The incidents of a running world (see the module docs).
#[derive(Debug, Default)]
pub struct Incidents {
    kept: VecDeque<Incident>,
    seed: RandomState,
    next: u64,
    /// The current second of logging, the lines logged in it, and those not logged since the
    /// last line that was.
    log_window: Option<(Instant, u32)>,
    unlogged: u64,
    /// Incidents logged since the world opened.
    pub logged: u64,
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
        let error: String = error.chars().take(ERROR_CHARS).collect();
        if self.may_log(Instant::now()) {
            tracing::warn!(
                reference,
                character,
                input = %crate::runtime::guest_output::escape_line(&input),
                unlogged_before = std::mem::take(&mut self.unlogged),
                "a player's command failed: {}",
                crate::runtime::guest_output::escape_line(&error)
            );
        } else {
            self.unlogged += 1;
        }
        if self.kept.len() >= KEPT {
            self.kept.pop_front();
        }
        self.kept.push_back(Incident {
            reference: reference.clone(),
            at_ms,
            character,
            input,
            error,
        });
        reference
    }

    /// True if one more incident may be logged at `now` (see [`LOGGED_PER_SECOND`]).
    fn may_log(&mut self, now: Instant) -> bool {
        let (start, count) = match self.log_window {
            Some((start, count)) if now.duration_since(start) < Duration::from_secs(1) => {
                (start, count)
            }
            _ => (now, 0),
        };
        let allowed = count < LOGGED_PER_SECOND;
        self.log_window = Some((start, count + u32::from(allowed)));
        self.logged += u64::from(allowed);
        allowed
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

    #[test]
    fn a_flood_of_failures_is_kept_bounded_and_logged_at_a_bounded_rate() {
        let mut incidents = Incidents::default();
        let huge = "x".repeat(1 << 20);
        for _ in 0..1_000 {
            incidents.record(7, &huge, &huge);
        }
        assert_eq!(incidents.logged, u64::from(LOGGED_PER_SECOND));
        assert_eq!(incidents.unlogged, 1_000 - u64::from(LOGGED_PER_SECOND));
        let kept = incidents.list().next().unwrap();
        assert_eq!(kept.error.len(), ERROR_CHARS);
        assert_eq!(kept.input.len(), INPUT_CHARS);
    }
}
