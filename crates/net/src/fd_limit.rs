//! File descriptors: every socket a client opens is one, and a process that runs out can
//! accept nobody, not even its admin. At start the soft `RLIMIT_NOFILE` is raised to the hard
//! one ([`raise`]); the player ports are then capped below it ([`player_cap`]), keeping
//! [`RESERVED`] descriptors for the store, the artifact cache, the scripts watcher, logs and
//! the admin console. `stats` shows the figures ([`snapshot`]).

use std::sync::OnceLock;

/// Descriptors kept out of the player ports' reach.
pub const RESERVED: u64 = 128;

/// The process's descriptor limit, as set at start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FdLimit {
    /// The soft limit now (what counts).
    pub soft: u64,
    /// The hard limit (what the soft one may be raised to).
    pub hard: u64,
    /// The soft limit before [`raise`].
    pub was: u64,
}

static LIMIT: OnceLock<FdLimit> = OnceLock::new();

fn get() -> std::io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

/// Raises the soft descriptor limit to the hard one (at most the kernel's `nr_open`), once;
/// the figures are kept for [`snapshot`].
///
/// # Errors
/// If the limit cannot be read or set.
pub fn raise() -> std::io::Result<FdLimit> {
    if let Some(limit) = LIMIT.get() {
        return Ok(*limit);
    }
    let (was, hard) = get()?;
    let ceiling = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .ok()
        .and_then(|t| t.trim().parse::<u64>().ok())
        .unwrap_or(1 << 20);
    let target = hard.min(ceiling);
    if target > was {
        let limit = libc::rlimit {
            rlim_cur: target,
            rlim_max: hard,
        };
        // SAFETY: setrlimit reads the struct we own.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raw const limit) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    let (soft, hard) = get()?;
    Ok(*LIMIT.get_or_init(|| FdLimit { soft, hard, was }))
}

/// The most player connections a process with `soft` descriptors can hold and still keep
/// [`RESERVED`] for itself: `wanted`, or less.
pub fn player_cap(wanted: usize, soft: u64) -> usize {
    let room = usize::try_from(soft.saturating_sub(RESERVED)).unwrap_or(usize::MAX);
    wanted.min(room.max(1))
}

/// The limit set at start (if [`raise`] ran) and the descriptors open now.
pub fn snapshot() -> (Option<FdLimit>, Option<usize>) {
    let open = std::fs::read_dir("/proc/self/fd").ok().map(Iterator::count);
    (LIMIT.get().copied(), open)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_keeps_the_reserve() {
        assert_eq!(player_cap(1_000, 512), 384);
        assert_eq!(player_cap(1_000, 1 << 20), 1_000);
        assert_eq!(player_cap(1_000, 10), 1);
    }
}
