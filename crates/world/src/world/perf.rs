//! Recent timings, for the dashboard: how long each turn and each fsync took since the last
//! look ([`crate::world::World::take_perf`]). Bounded: the first [`KEPT`] of each kind in a
//! window are kept for the percentile, the rest only counted.

use std::time::Duration;

/// Durations kept per kind and window.
pub const KEPT: usize = 4096;

/// Durations of one kind since the last look.
#[derive(Default)]
struct Samples {
    micros: Vec<u32>,
    count: u64,
}

impl Samples {
    fn record(&mut self, took: Duration) {
        self.count += 1;
        if self.micros.len() < KEPT {
            self.micros
                .push(u32::try_from(took.as_micros()).unwrap_or(u32::MAX));
        }
    }

    /// How many there were and their 99th percentile in microseconds (0 for none).
    fn take(&mut self) -> (u64, u32) {
        let count = std::mem::take(&mut self.count);
        let mut micros = std::mem::take(&mut self.micros);
        micros.sort_unstable();
        let p99 = match micros.len() {
            0 => 0,
            n => micros[(n * 99).div_ceil(100) - 1],
        };
        (count, p99)
    }
}

/// The timings the world keeps between two looks.
#[derive(Default)]
pub(crate) struct Perf {
    turns: Samples,
    fsyncs: Samples,
}

/// What happened in a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerfWindow {
    /// Turns run.
    pub turns: u64,
    /// Their 99th percentile, microseconds.
    pub turn_p99_us: u32,
    /// Durable commits (fsyncs).
    pub fsyncs: u64,
    /// Their 99th percentile, microseconds.
    pub fsync_p99_us: u32,
}

impl Perf {
    pub(crate) fn turn(&mut self, took: Duration) {
        self.turns.record(took);
    }

    pub(crate) fn fsync(&mut self, took: Duration) {
        self.fsyncs.record(took);
    }

    pub(crate) fn take(&mut self) -> PerfWindow {
        let (turns, turn_p99_us) = self.turns.take();
        let (fsyncs, fsync_p99_us) = self.fsyncs.take();
        PerfWindow {
            turns,
            turn_p99_us,
            fsyncs,
            fsync_p99_us,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_counts_everything_and_keeps_a_bounded_sample() {
        let mut perf = Perf::default();
        for ms in 1..=100 {
            perf.turn(Duration::from_millis(ms));
        }
        let w = perf.take();
        assert_eq!((w.turns, w.turn_p99_us), (100, 99_000));
        assert_eq!(perf.take(), PerfWindow::default(), "a window starts empty");
        for _ in 0..KEPT * 3 {
            perf.fsync(Duration::from_micros(5));
        }
        assert_eq!(perf.fsyncs.micros.len(), KEPT);
        let w = perf.take();
        assert_eq!((w.fsyncs, w.fsync_p99_us), (3 * KEPT as u64, 5));
    }
}
