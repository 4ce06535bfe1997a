//! When to try an export again: exponential back-off with jitter, a
//! server's own hint (HTTP `Retry-After`, gRPC `RetryInfo`) honoured, and
//! never past the export's deadline (`OTEL_EXPORTER_OTLP_TIMEOUT`).

use std::time::{Duration, Instant};

const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(5);

/// What one attempt came to.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// The collector took the batch.
    Accepted,
    /// A transient failure (the collector is busy, down or unreachable):
    /// try again, after the server's hint if it gave one.
    Retryable { reason: String, hint: Option<Duration> },
    /// A permanent failure (the request is bad): the batch is dropped.
    Permanent(String),
}

impl Outcome {
    /// The same, with the secrets of `secrets` hidden from its reason.
    #[cfg_attr(not(feature = "otlp-grpc"), allow(dead_code))]
    pub(crate) fn redacted(self, secrets: &crate::export::Secrets) -> Outcome {
        match self {
            Outcome::Retryable { reason, hint } => Outcome::Retryable { reason: secrets.redact(&reason), hint },
            Outcome::Permanent(reason) => Outcome::Permanent(secrets.redact(&reason)),
            Outcome::Accepted => Outcome::Accepted,
        }
    }
}

/// What to do after an attempt.
#[derive(Debug)]
pub(crate) enum Step {
    /// The export is over: accepted, or failed for good.
    Done(Result<(), String>),
    /// Try again after this long.
    Wait(Duration),
}

/// Back-off state of one export.
#[derive(Debug)]
pub(crate) struct Backoff {
    deadline: Instant,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(timeout: Duration) -> Self {
        Backoff { deadline: Instant::now() + timeout, next: FIRST_DELAY }
    }

    /// Time left for an attempt; `None` once the deadline has passed.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.deadline.checked_duration_since(Instant::now()).filter(|d| !d.is_zero())
    }

    /// The next step after an attempt that came to `outcome`.
    pub(crate) fn after(&mut self, outcome: Outcome) -> Step {
        match outcome {
            Outcome::Accepted => Step::Done(Ok(())),
            Outcome::Permanent(reason) => Step::Done(Err(reason)),
            Outcome::Retryable { reason, hint } => match self.delay(hint) {
                Some(delay) => Step::Wait(delay),
                None => Step::Done(Err(format!("{reason} (no time left to retry)"))),
            },
        }
    }

    /// How long to wait before the next attempt, or `None` when that
    /// attempt could not start before the deadline (the export then fails
    /// now rather than at the deadline: the batch processor moves on).
    pub(crate) fn delay(&mut self, hint: Option<Duration>) -> Option<Duration> {
        let delay = match hint {
            Some(hint) => hint,
            // Between half and all of the current step, so that many
            // exporters that failed together do not come back together.
            None => self.next / 2 + self.next.mul_f64(jitter() / 2.0),
        };
        self.next = (self.next * 2).min(MAX_DELAY);
        let remaining = self.remaining()?;
        (delay < remaining).then_some(delay)
    }
}

/// A number in [0, 1) from the per-thread id generator.
fn jitter() -> f64 {
    let bits = u64::from_be_bytes(crate::ids::new_span_id().to_bytes());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_with_jitter_and_stop_before_the_deadline() {
        let mut b = Backoff::new(Duration::from_secs(60));
        let first = b.delay(None).expect("time left");
        assert!((Duration::from_millis(50)..=Duration::from_millis(100)).contains(&first), "{first:?}");
        let second = b.delay(None).expect("time left");
        assert!((Duration::from_millis(100)..=Duration::from_millis(200)).contains(&second), "{second:?}");
        for _ in 0..10 {
            assert!(b.delay(None).expect("time left") <= MAX_DELAY);
        }
        assert_eq!(b.delay(Some(Duration::from_secs(61))), None, "a hint past the deadline ends the export");
        assert_eq!(b.delay(Some(Duration::from_secs(3))), Some(Duration::from_secs(3)), "hints are honoured");
        assert_eq!(Backoff::new(Duration::ZERO).delay(None), None);
    }
}
