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

    /// The current anchor, refreshed when older than a minute (judged from a
    /// counter reading: no clock call).
    pub(crate) fn anchor(&self) -> minstant::Anchor {
        let now = minstant::Instant::now();
        let (taken, anchor) = match self.anchor.read() {
            Ok(a) => *a,
            Err(_) => return minstant::Anchor::new(),
        };
        if now > taken && now.duration_since(taken) > REFRESH {
            let fresh = (now, minstant::Anchor::new());
            if let Ok(mut a) = self.anchor.write() {
                *a = fresh;
            }
            return fresh.1;
        }
        anchor
    }

    /// Wall-clock time of a reading taken with `minstant::Instant::now()`.
    pub(crate) fn system_time(at: minstant::Instant, anchor: &minstant::Anchor) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(at.as_unix_nanos(anchor))
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
        let t = Clock::system_time(reading, &clock.anchor());
        let slack = Duration::from_millis(5);
        assert!(t + slack >= before && t <= after + slack, "{t:?} not within [{before:?}, {after:?}]");
    }
}
