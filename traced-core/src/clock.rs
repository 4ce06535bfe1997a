//! Span timestamps. Reading the wall clock (`SystemTime::now`, a vDSO call)
//! costs about three times what reading the CPU's time-stamp counter does,
//! and a span reads it twice; so spans record raw counter readings
//! (`minstant`, which falls back to the OS clock where the counter is not
//! reliable), and the export thread converts them to wall-clock time
//! against an anchor taken at start-up and refreshed every minute, so
//! timestamps follow clock adjustments.

use std::sync::RwLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const REFRESH: Duration = Duration::from_secs(60);

pub(crate) struct Clock {
    /// When the anchor was taken (a counter reading) and the anchor.
    anchor: RwLock<(minstant::Instant, minstant::Anchor)>,
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Clock")
    }
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock { anchor: RwLock::new((minstant::Instant::now(), minstant::Anchor::new())) }
    }

    /// Wall-clock time of a reading taken with `minstant::Instant::now()`.
    pub(crate) fn system_time(&self, at: minstant::Instant) -> SystemTime {
        // Staleness is judged from the reading itself: no clock call per span.
        let stale = self.anchor.read().map(|a| at > a.0 && at.duration_since(a.0) > REFRESH).unwrap_or(false);
        if stale {
            if let Ok(mut a) = self.anchor.write() {
                *a = (minstant::Instant::now(), minstant::Anchor::new());
            }
        }
        let nanos = match self.anchor.read() {
            Ok(a) => at.as_unix_nanos(&a.1),
            Err(_) => at.as_unix_nanos(&minstant::Anchor::new()),
        };
        UNIX_EPOCH + Duration::from_nanos(nanos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_convert_to_wall_clock_time() {
        let clock = Clock::new();
        let before = SystemTime::now();
        let reading = minstant::Instant::now();
        let after = SystemTime::now();
        let t = clock.system_time(reading);
        let slack = Duration::from_millis(5);
        assert!(t + slack >= before && t <= after + slack, "{t:?} not within [{before:?}, {after:?}]");
    }
}
