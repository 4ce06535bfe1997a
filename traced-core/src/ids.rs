//! Trace and span id generation: a per-thread generator seeded from the OS, so
//! the hot path takes no lock and makes no system call.
//!
//! Every bit of a trace id is drawn from the generator, so the right-most seven
//! bytes are uniformly random and new traces carry the W3C Level 2 `random`
//! flag ([`RANDOM_FLAG`]).

use opentelemetry::trace::{SpanId, TraceFlags, TraceId};
use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};
use std::cell::RefCell;

/// The W3C Trace Context Level 2 `random` trace flag (bit 1).
pub const RANDOM_FLAG: TraceFlags = TraceFlags::new(0x02);

thread_local! {
    static RNG: RefCell<SmallRng> = RefCell::new(SmallRng::from_os_rng());
}

/// A new, valid (non-zero) span id.
#[inline]
pub fn new_span_id() -> SpanId {
    RNG.with(|rng| {
        let mut rng = rng.borrow_mut();
        loop {
            let id = rng.next_u64();
            if id != 0 {
                return SpanId::from(id);
            }
        }
    })
}

/// A new, valid (non-zero) trace id with all 128 bits random.
#[inline]
pub fn new_trace_id() -> TraceId {
    RNG.with(|rng| {
        let mut rng = rng.borrow_mut();
        loop {
            let id = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
            if id != 0 {
                return TraceId::from(id);
            }
        }
    })
}

/// How new trace ids are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdGenerator {
    /// All 128 bits random (the default).
    #[default]
    Random,
    /// AWS X-Ray's form: the first 32 bits the start time in seconds since
    /// the epoch, the other 96 random, so X-Ray accepts the ids as its own
    /// (`TRACED_ID_GENERATOR=xray`).
    XRay,
}

impl IdGenerator {
    /// A new, valid trace id.
    #[inline]
    pub fn trace_id(self) -> TraceId {
        match self {
            IdGenerator::Random => new_trace_id(),
            IdGenerator::XRay => new_xray_trace_id(),
        }
    }
}

/// A trace id whose first 32 bits are the current time in seconds.
pub fn new_xray_trace_id() -> TraceId {
    let seconds =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as u32).unwrap_or(0);
    RNG.with(|rng| {
        let mut rng = rng.borrow_mut();
        let random = (u128::from(rng.next_u32()) << 64) | u128::from(rng.next_u64());
        TraceId::from((u128::from(seconds) << 96) | random)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_valid_and_distinct() {
        let mut spans = HashSet::new();
        let mut traces = HashSet::new();
        for _ in 0..10_000 {
            let s = new_span_id();
            let t = new_trace_id();
            assert_ne!(s, SpanId::INVALID);
            assert_ne!(t, TraceId::INVALID);
            assert!(spans.insert(s));
            assert!(traces.insert(t));
        }
    }

    #[test]
    fn xray_ids_start_with_the_time_in_seconds() {
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let id = IdGenerator::XRay.trace_id().to_bytes();
        let after = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let seconds = u64::from(u32::from_be_bytes([id[0], id[1], id[2], id[3]]));
        assert!(before <= seconds && seconds <= after);
        assert_ne!(IdGenerator::XRay.trace_id(), IdGenerator::XRay.trace_id());
    }

    #[test]
    fn ids_differ_between_threads() {
        let a = std::thread::spawn(new_trace_id).join().unwrap();
        let b = std::thread::spawn(new_trace_id).join().unwrap();
        assert_ne!(a, b);
    }
}
