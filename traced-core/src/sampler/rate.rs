//! Samplers that look at the traffic: a token-bucket rate limit, and an
//! adaptive ratio that holds a target rate as load changes.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Mutex;

/// The state of [`super::Sampler::RateLimited`]: at most `per_second` new
/// traces kept in any one-second window (a sliding window over the times of
/// the last kept ones). After a quiet period that many may be kept at once,
/// and never more within the second that follows: the burst is `per_second`
/// traces, not a bucket plus a second's refill. Below one per second, one
/// trace per `1 / per_second` seconds. Beyond the rate, `floor` of the rest
/// is kept (a consistent ratio decision).
pub struct RateLimiter {
    per_second: f64,
    floor: f64,
    clock: Box<dyn Fn() -> u64 + Send + Sync>,
    /// How many kept traces a window holds, and how long a window is.
    slots: usize,
    window_nanos: u64,
    /// When the traces in the current window were kept, oldest first.
    kept: Mutex<VecDeque<u64>>,
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RateLimiter({}/s, floor {})", self.per_second, self.floor)
    }
}

/// Most kept traces one window tracks (a million traces per second).
const MAX_SLOTS: usize = 1_000_000;

impl RateLimiter {
    /// At most `per_second` traces per second, then `floor` of the rest.
    pub fn new(per_second: f64, floor: f64) -> Self {
        let start = std::time::Instant::now();
        Self::with_clock(per_second, floor, move || start.elapsed().as_nanos() as u64)
    }

    /// The same with a clock of one's own (nanoseconds; for tests).
    pub fn with_clock(per_second: f64, floor: f64, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        let per_second = if per_second.is_finite() { per_second.max(0.0) } else { 0.0 };
        let (slots, window_nanos) = if per_second >= 1.0 {
            ((per_second.floor() as usize).min(MAX_SLOTS), 1_000_000_000)
        } else if per_second > 0.0 {
            (1, (1e9 / per_second) as u64)
        } else {
            (0, 1_000_000_000)
        };
        RateLimiter {
            per_second,
            floor: floor.clamp(0.0, 1.0),
            clock: Box::new(clock),
            slots,
            window_nanos,
            kept: Mutex::new(VecDeque::with_capacity(slots.min(1024))),
        }
    }

    pub(crate) fn take(&self) -> bool {
        if self.slots == 0 {
            return false;
        }
        let now = (self.clock)();
        let Ok(mut kept) = self.kept.lock() else { return false };
        while kept.front().is_some_and(|&t| now.saturating_sub(t) >= self.window_nanos) {
            kept.pop_front();
        }
        if kept.len() < self.slots {
            kept.push_back(now);
            true
        } else {
            false
        }
    }

    /// The ratio kept beyond the rate.
    pub(crate) fn floor(&self) -> f64 {
        self.floor
    }
}

/// The state of [`super::Sampler::Adaptive`]: each window (one second) it
/// measures how many new traces were started and sets the next window's
/// ratio to `target / observed` (weighted 3:1 against the previous ratio), between `min_ratio` and 1. The
/// decision itself is a consistent probability decision (`ot=th`), so
/// services downstream agree with it.
pub struct AdaptiveSampler {
    target_per_second: f64,
    min_ratio: f64,
    clock: Box<dyn Fn() -> u64 + Send + Sync>,
    state: Mutex<Window>,
}

struct Window {
    start: u64,
    seen: u64,
    ratio: f64,
}

/// Length of a measuring window, in nanoseconds.
const WINDOW_NANOS: u64 = 1_000_000_000;

impl fmt::Debug for AdaptiveSampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Adaptive({}/s, min ratio {}, now {})", self.target_per_second, self.min_ratio, self.current_ratio())
    }
}

impl AdaptiveSampler {
    /// About `target_per_second` new traces kept per second; never a ratio
    /// below `min_ratio`, so quiet operations are still seen under load.
    pub fn new(target_per_second: f64, min_ratio: f64) -> Self {
        let start = std::time::Instant::now();
        Self::with_clock(target_per_second, min_ratio, move || start.elapsed().as_nanos() as u64)
    }

    /// The same with a clock of one's own (nanoseconds; for tests).
    pub fn with_clock(target_per_second: f64, min_ratio: f64, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        let start = clock();
        AdaptiveSampler {
            target_per_second: target_per_second.max(0.0),
            min_ratio: min_ratio.clamp(0.0, 1.0),
            clock: Box::new(clock),
            // Until the first window is measured, keep everything.
            state: Mutex::new(Window { start, seen: 0, ratio: 1.0 }),
        }
    }

    /// The ratio in force now.
    pub fn current_ratio(&self) -> f64 {
        self.state.lock().map(|w| w.ratio).unwrap_or(1.0)
    }

    /// Counts one new trace and returns the ratio to decide it with.
    pub(crate) fn next_ratio(&self) -> f64 {
        let now = (self.clock)();
        let Ok(mut w) = self.state.lock() else { return self.min_ratio };
        let elapsed = now.saturating_sub(w.start);
        if elapsed >= WINDOW_NANOS {
            let observed = w.seen as f64 * 1e9 / elapsed as f64;
            let wanted = if observed > 0.0 { self.target_per_second / observed } else { 1.0 };
            // Mostly the new measure (the observed rate counts every root,
            // kept or not, so it is the traffic itself): a step is followed
            // within three windows, one noisy second moves it by less.
            let next = 0.25 * w.ratio + 0.75 * wanted.min(1.0);
            w.ratio = next.clamp(self.min_ratio, 1.0);
            w.start = now;
            w.seen = 0;
        }
        w.seen += 1;
        w.ratio
    }
}
