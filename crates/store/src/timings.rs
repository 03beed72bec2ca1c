//! How long commits take: once [`start`] is called (by `bench`), every durable commit (an
//! fsync) and every other commit is timed and kept, the first [`KEPT`] of each since the last
//! [`take`], for `bench` to report next to command latency (a stall in the world is most often
//! a slow fsync). Until then a commit pays one relaxed atomic load.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Samples kept of each kind.
pub const KEPT: usize = 1 << 16;

/// Whether commits are timed.
static RECORDING: AtomicBool = AtomicBool::new(false);

/// The recorded durations, in microseconds: durable commits, then the others.
static SAMPLES: Mutex<(Vec<u32>, Vec<u32>)> = Mutex::new((Vec::new(), Vec::new()));

/// Starts timing commits, forgetting any samples kept so far.
pub fn start() {
    RECORDING.store(true, Ordering::Relaxed);
    drop(take());
}

/// True once [`start`] was called (backends time their commits then).
pub fn recording() -> bool {
    RECORDING.load(Ordering::Relaxed)
}

/// Records one commit that took `took`.
pub fn record(durable: bool, took: Duration) {
    let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
    let mut samples = SAMPLES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let list = if durable {
        &mut samples.0
    } else {
        &mut samples.1
    };
    if list.len() < KEPT {
        list.push(micros);
    }
}

/// Takes the samples recorded since the last call: (durable commits, other commits), in
/// microseconds, in the order they happened.
pub fn take() -> (Vec<u32>, Vec<u32>) {
    let mut samples = SAMPLES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    (
        std::mem::take(&mut samples.0),
        std::mem::take(&mut samples.1),
    )
}
