//! Head sampling. The standard samplers are evaluated inline, with no
//! allocation: a child of a sampled local parent costs one branch. Ratio
//! decisions follow OpenTelemetry's consistent probability sampling and
//! record their threshold in `tracestate` (`ot=th:...`). Any
//! `opentelemetry_sdk` sampler can be plugged in as [`Sampler::Custom`].

use crate::probability::{parent_threshold, randomness, threshold, with_threshold};
use opentelemetry::trace::{Link, SpanContext, SpanKind, TraceId, TraceState};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::ShouldSample;
use opentelemetry_sdk::trace::{SamplingDecision, SamplingResult};
use std::fmt;

mod rate;
pub use rate::{AdaptiveSampler, RateLimiter};

/// Which spans are recorded and exported.
#[derive(Clone)]
pub enum Sampler {
    /// Record and export every span.
    AlwaysOn,
    /// Record nothing.
    AlwaysOff,
    /// Keep a trace when its random part falls under the ratio, following the
    /// OpenTelemetry probability-sampling threshold over the 56 right-most bits
    /// of the trace id, so every SDK that does the same agrees on the decision.
    TraceIdRatio(f64),
    /// Follow the parent's sampled flag; use the inner sampler for roots.
    ParentBased(Box<Sampler>),
    /// Per-operation rules on the root span's name (globs such as
    /// `UserService.*` or `GET /health`): the first match decides, else
    /// `default`. Children follow their parent, so a rule never cuts a trace.
    Rules {
        /// `(glob, sampler)` pairs, in order.
        rules: Vec<(String, Sampler)>,
        /// For names no rule matches.
        default: Box<Sampler>,
    },
    /// At most a number of new traces in any one-second window (see
    /// [`RateLimiter`]), and beyond that a floor ratio. Decides roots only;
    /// children follow their parent.
    RateLimited(std::sync::Arc<RateLimiter>),
    /// A ratio that follows the traffic so that about a target number of
    /// new traces per second is kept, as load changes. Decides (and counts)
    /// roots only; children follow their parent.
    Adaptive(std::sync::Arc<AdaptiveSampler>),
    /// Any `opentelemetry_sdk` sampler.
    Custom(Box<dyn ShouldSample>),
}

impl Default for Sampler {
    /// `parentbased_always_on`, the specification's default.
    fn default() -> Self {
        Sampler::ParentBased(Box::new(Sampler::AlwaysOn))
    }
}

impl fmt::Debug for Sampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sampler::AlwaysOn => f.write_str("AlwaysOn"),
            Sampler::AlwaysOff => f.write_str("AlwaysOff"),
            Sampler::TraceIdRatio(r) => write!(f, "TraceIdRatio({r})"),
            Sampler::ParentBased(root) => write!(f, "ParentBased({root:?})"),
            Sampler::Rules { rules, default } => write!(f, "Rules({rules:?}, default {default:?})"),
            Sampler::RateLimited(r) => write!(f, "{r:?}"),
            Sampler::Adaptive(a) => write!(f, "{a:?}"),
            Sampler::Custom(s) => write!(f, "Custom({s:?})"),
        }
    }
}

/// What the sampler decided for one span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Drop,
    RecordOnly,
    RecordAndSample,
}

impl From<SamplingDecision> for Decision {
    fn from(d: SamplingDecision) -> Self {
        match d {
            SamplingDecision::Drop => Decision::Drop,
            SamplingDecision::RecordOnly => Decision::RecordOnly,
            SamplingDecision::RecordAndSample => Decision::RecordAndSample,
        }
    }
}

/// A decision plus what a custom sampler may add (rare, so boxed away from the
/// common path).
pub(crate) struct Sampled {
    pub(crate) decision: Decision,
    pub(crate) extra: Option<Box<SamplingResult>>,
}

impl Sampled {
    const fn plain(decision: Decision) -> Self {
        Sampled { decision, extra: None }
    }
}

/// Inputs a custom sampler may look at.
pub(crate) struct SampleInput<'a> {
    pub(crate) parent_cx: &'a Context,
    pub(crate) parent: Option<&'a SpanContext>,
    pub(crate) trace_id: TraceId,
    pub(crate) name: &'a str,
    pub(crate) kind: &'a SpanKind,
    pub(crate) attributes: &'a [KeyValue],
    pub(crate) links: &'a [Link],
}

impl Sampler {
    /// The ratio decision alone: the trace's randomness against the
    /// threshold for `ratio` (see [`crate::probability`]).
    fn ratio_keeps(ratio: f64, trace_id: TraceId) -> bool {
        randomness(trace_id, &TraceState::NONE) >= threshold(ratio)
    }

    /// A probability decision that records its threshold in `ot=th` when it
    /// keeps the span (and erases a parent's when it does not), so that
    /// samplers downstream, in any SDK, decide consistently.
    fn probability(ratio: f64, input: &SampleInput<'_>) -> Sampled {
        let none = TraceState::NONE;
        let state = input.parent.map(SpanContext::trace_state).unwrap_or(&none);
        let t = threshold(ratio);
        let keep = randomness(input.trace_id, state) >= t;
        let decision = if keep { Decision::RecordAndSample } else { Decision::Drop };
        if !keep && parent_threshold(state).is_none() {
            // Nothing to write or erase: no allocation for dropped roots.
            return Sampled::plain(decision);
        }
        Sampled {
            decision,
            extra: Some(Box::new(SamplingResult {
                decision: if keep { SamplingDecision::RecordAndSample } else { SamplingDecision::Drop },
                attributes: Vec::new(),
                trace_state: with_threshold(state, keep.then_some(t)),
            })),
        }
    }

    /// True when a child follows its parent's decision without looking at
    /// anything else (the fast path of the default sampler). Rules, the rate
    /// limit and the adaptive ratio decide per trace: for roots only, so a
    /// kept trace is never cut in the middle and only roots use the budget.
    #[inline]
    pub(crate) fn follows_parent(&self) -> bool {
        matches!(self, Sampler::ParentBased(_) | Sampler::Rules { .. } | Sampler::RateLimited(_) | Sampler::Adaptive(_))
    }

    pub(crate) fn decide(&self, input: &SampleInput<'_>) -> Sampled {
        if let Some(p) = input.parent.filter(|p| p.is_valid()) {
            if self.follows_parent() {
                return Sampled::plain(if p.is_sampled() { Decision::RecordAndSample } else { Decision::Drop });
            }
        }
        match self {
            Sampler::AlwaysOn => Sampled::plain(Decision::RecordAndSample),
            Sampler::AlwaysOff => Sampled::plain(Decision::Drop),
            Sampler::TraceIdRatio(r) => Self::probability(*r, input),
            // A valid parent was followed above.
            Sampler::ParentBased(root) => root.decide(input),
            Sampler::Rules { rules, default } => {
                let chosen = rules.iter().find(|(glob, _)| crate::glob::glob_match(glob, input.name)).map(|(_, s)| s);
                chosen.unwrap_or(default).decide(input)
            }
            Sampler::RateLimited(limiter) => {
                let keep = limiter.take() || Self::ratio_keeps(limiter.floor(), input.trace_id);
                Sampled::plain(if keep { Decision::RecordAndSample } else { Decision::Drop })
            }
            Sampler::Adaptive(adaptive) => Self::probability(adaptive.next_ratio(), input),
            Sampler::Custom(s) => {
                let result = s.should_sample(
                    Some(input.parent_cx),
                    input.trace_id,
                    input.name,
                    input.kind,
                    input.attributes,
                    input.links,
                );
                Sampled { decision: result.decision.clone().into(), extra: Some(Box::new(result)) }
            }
        }
    }
}

impl ShouldSample for Sampler {
    fn should_sample(
        &self,
        parent_context: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        span_kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        use opentelemetry::trace::TraceContextExt;
        let empty = Context::new();
        let cx = parent_context.unwrap_or(&empty);
        let parent = cx.has_active_span().then(|| cx.span().span_context().clone());
        let sampled = self.decide(&SampleInput {
            parent_cx: cx,
            parent: parent.as_ref(),
            trace_id,
            name,
            kind: span_kind,
            attributes,
            links,
        });
        if let Some(extra) = sampled.extra {
            return *extra;
        }
        SamplingResult {
            decision: match sampled.decision {
                Decision::Drop => SamplingDecision::Drop,
                Decision::RecordOnly => SamplingDecision::RecordOnly,
                Decision::RecordAndSample => SamplingDecision::RecordAndSample,
            },
            attributes: Vec::new(),
            trace_state: parent.map(|p| p.trace_state().clone()).unwrap_or(TraceState::NONE),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanId, TraceFlags};

    fn decide(s: &Sampler, parent: Option<SpanContext>, trace_id: TraceId) -> Decision {
        let cx = Context::new();
        s.decide(&SampleInput {
            parent_cx: &cx,
            parent: parent.as_ref(),
            trace_id,
            name: "op",
            kind: &SpanKind::Internal,
            attributes: &[],
            links: &[],
        })
        .decision
    }

    fn parent(sampled: bool, remote: bool) -> SpanContext {
        let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
        SpanContext::new(TraceId::from(7u128), SpanId::from(9u64), flags, remote, TraceState::NONE)
    }

    #[test]
    fn always_on_and_off() {
        assert_eq!(
            decide(&Sampler::AlwaysOn, Some(parent(false, true)), TraceId::from(1u128)),
            Decision::RecordAndSample
        );
        assert_eq!(decide(&Sampler::AlwaysOff, Some(parent(true, true)), TraceId::from(1u128)), Decision::Drop);
    }

    #[test]
    fn parent_based_follows_local_and_remote_parents() {
        let s = Sampler::ParentBased(Box::new(Sampler::AlwaysOff));
        for remote in [true, false] {
            assert_eq!(decide(&s, Some(parent(true, remote)), TraceId::from(1u128)), Decision::RecordAndSample);
            assert_eq!(decide(&s, Some(parent(false, remote)), TraceId::from(1u128)), Decision::Drop);
        }
        // A root uses the inner sampler.
        assert_eq!(decide(&s, None, TraceId::from(1u128)), Decision::Drop);
        let on = Sampler::default();
        assert_eq!(decide(&on, None, TraceId::from(1u128)), Decision::RecordAndSample);
    }

    #[test]
    fn ratio_uses_the_56_bit_threshold() {
        // Random part 0x80000000000000 is exactly half of 2^56: kept at 0.5.
        let half = TraceId::from(0x0000_0000_0000_0000_0080_0000_0000_0000u128);
        let below = TraceId::from(0x0000_0000_0000_0000_007f_ffff_ffff_ffffu128);
        let s = Sampler::TraceIdRatio(0.5);
        assert_eq!(decide(&s, None, half), Decision::RecordAndSample);
        assert_eq!(decide(&s, None, below), Decision::Drop);
        // Bits above the 56 right-most ones do not count.
        let high = TraceId::from(0xffff_ffff_ffff_ffff_ff00_0000_0000_0000u128);
        assert_eq!(decide(&s, None, high), Decision::Drop);
        assert_eq!(decide(&Sampler::TraceIdRatio(0.0), None, TraceId::from(u128::MAX)), Decision::Drop);
        assert_eq!(decide(&Sampler::TraceIdRatio(1.0), None, TraceId::from(1u128)), Decision::RecordAndSample);
    }

    /// Trace ids from a fixed seed: the statistical tests are repeatable.
    fn seeded_ids(n: usize, seed: u64) -> Vec<TraceId> {
        use rand::{RngCore, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);
        (0..n).map(|_| TraceId::from(((rng.next_u64() as u128) << 64) | rng.next_u64() as u128)).collect()
    }

    #[test]
    fn ratio_keeps_the_ratio_over_100k_traces() {
        for ratio in [0.01, 0.1, 0.25, 0.5, 0.9] {
            let s = Sampler::TraceIdRatio(ratio);
            let ids = seeded_ids(100_000, 42);
            let kept = ids.iter().filter(|id| decide(&s, None, **id) == Decision::RecordAndSample).count();
            let expected = ratio * 100_000.0;
            // Five standard deviations of a binomial: never flaky, still tight.
            let tolerance = 5.0 * (expected * (1.0 - ratio)).sqrt();
            assert!((kept as f64 - expected).abs() <= tolerance, "ratio {ratio}: kept {kept}");
        }
    }

    fn sample(s: &Sampler, parent: Option<SpanContext>, trace_id: TraceId) -> SamplingResult {
        let cx = match &parent {
            Some(p) => {
                use opentelemetry::trace::TraceContextExt;
                Context::new().with_remote_span_context(p.clone())
            }
            None => Context::new(),
        };
        s.should_sample(Some(&cx), trace_id, "op", &SpanKind::Internal, &[], &[])
    }

    #[test]
    fn a_kept_root_carries_its_threshold_in_tracestate() {
        let kept = TraceId::from(0x0000_0000_0000_0000_00f0_0000_0000_0000u128);
        let dropped = TraceId::from(0x0000_0000_0000_0000_0010_0000_0000_0000u128);
        let s = Sampler::TraceIdRatio(0.25);
        let result = sample(&s, None, kept);
        assert_eq!(result.decision, SamplingDecision::RecordAndSample);
        assert_eq!(result.trace_state.header(), "ot=th:c");
        assert_eq!(sample(&s, None, dropped).trace_state.header(), "");
        // Under parent-based sampling a child keeps its parent's threshold.
        let state: TraceState = "ot=th:c,other=1".parse().unwrap_or_default();
        let parent = SpanContext::new(kept, SpanId::from(1u64), TraceFlags::SAMPLED, true, state);
        let child = sample(&Sampler::ParentBased(Box::new(Sampler::AlwaysOff)), Some(parent), kept);
        assert_eq!(child.trace_state.get("ot"), Some("th:c"));
    }

    #[test]
    fn decisions_are_consistent_across_ratios_and_use_rv() {
        // Every trace kept at 10 % is kept at 50 %: downstream services with
        // a larger ratio never break a trace kept upstream.
        for id in seeded_ids(10_000, 7) {
            if decide(&Sampler::TraceIdRatio(0.1), None, id) == Decision::RecordAndSample {
                assert_eq!(decide(&Sampler::TraceIdRatio(0.5), None, id), Decision::RecordAndSample);
            }
        }
        // An explicit `rv` decides over the trace id's bits; a drop erases
        // the parent's threshold.
        let low_id = TraceId::from(1u128);
        let state: TraceState = "ot=rv:ffffffffffffff;th:8".parse().unwrap_or_default();
        let parent = SpanContext::new(low_id, SpanId::from(1u64), TraceFlags::SAMPLED, true, state);
        let kept = sample(&Sampler::TraceIdRatio(0.01), Some(parent.clone()), low_id);
        assert_eq!(kept.decision, SamplingDecision::RecordAndSample);
        assert_eq!(kept.trace_state.get("ot"), Some("th:fd70a3d70a3d7;rv:ffffffffffffff"));
        let state: TraceState = "ot=rv:00000000000001;th:8".parse().unwrap_or_default();
        let parent = SpanContext::new(low_id, SpanId::from(1u64), TraceFlags::SAMPLED, true, state);
        let dropped = sample(&Sampler::TraceIdRatio(0.01), Some(parent), low_id);
        assert_eq!(dropped.decision, SamplingDecision::Drop);
        assert_eq!(dropped.trace_state.get("ot"), Some("rv:00000000000001"));
    }

    #[test]
    fn rules_pick_by_span_name_first_match_wins() {
        let s = Sampler::Rules {
            rules: vec![("GET /health".into(), Sampler::AlwaysOff), ("UserService.*".into(), Sampler::AlwaysOn)],
            default: Box::new(Sampler::TraceIdRatio(0.0)),
        };
        let decide_named = |name: &str| {
            let cx = Context::new();
            s.decide(&SampleInput {
                parent_cx: &cx,
                parent: None,
                trace_id: TraceId::from(1u128),
                name,
                kind: &SpanKind::Server,
                attributes: &[],
                links: &[],
            })
            .decision
        };
        assert_eq!(decide_named("GET /health"), Decision::Drop);
        assert_eq!(decide_named("UserService.get_user"), Decision::RecordAndSample);
        assert_eq!(decide_named("OrderService.place"), Decision::Drop);
    }

    #[test]
    fn rate_limit_holds_on_a_simulated_clock() {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;
        let now = Arc::new(AtomicU64::new(0));
        let clock = now.clone();
        let s =
            Sampler::RateLimited(Arc::new(RateLimiter::with_clock(100.0, 0.0, move || clock.load(Ordering::Relaxed))));
        // 10 simulated seconds at 10,000 root spans per second.
        let mut kept = 0;
        for i in 0..100_000u64 {
            now.store(i * 100_000, Ordering::Relaxed);
            if decide(&s, None, crate::ids::new_trace_id()) == Decision::RecordAndSample {
                kept += 1;
            }
        }
        // 100 in every one-second window, no initial extra bucket.
        assert_eq!(kept, 1_000);
    }

    #[test]
    fn rate_limit_holds_in_any_one_second_window_after_idle() {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;
        let now = Arc::new(AtomicU64::new(0));
        let clock = now.clone();
        let s =
            Sampler::RateLimited(Arc::new(RateLimiter::with_clock(100.0, 0.0, move || clock.load(Ordering::Relaxed))));
        // Idle for a minute, then 1,000 roots per second for 3 seconds.
        let mut kept_at = Vec::new();
        for i in 0..3_000u64 {
            let t = 60_000_000_000 + i * 1_000_000;
            now.store(t, Ordering::Relaxed);
            if decide(&s, None, crate::ids::new_trace_id()) == Decision::RecordAndSample {
                kept_at.push(t);
            }
        }
        assert_eq!(kept_at.len(), 300);
        for (i, &start) in kept_at.iter().enumerate() {
            let in_window = kept_at[i..].iter().take_while(|&&t| t < start + 1_000_000_000).count();
            assert!(in_window <= 100, "{in_window} kept within a second of {start}");
        }
        // The burst after idle is the rate itself: the first 100 at once.
        assert_eq!(kept_at[99], 60_000_000_000 + 99 * 1_000_000);
    }

    #[test]
    fn adaptive_counts_only_roots_as_traffic() {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;
        let now = Arc::new(AtomicU64::new(0));
        let clock = now.clone();
        let s = Sampler::Adaptive(Arc::new(AdaptiveSampler::with_clock(50.0, 0.001, move || {
            clock.load(Ordering::Relaxed)
        })));
        let mut ids = seeded_ids(8_000, 5).into_iter();
        let mut kept_per_second = Vec::new();
        // 1,000 traces per second of a root and three children, for 8 s.
        for second in 0..8u64 {
            let mut kept = 0;
            for i in 0..1_000u64 {
                now.store(second * 1_000_000_000 + i * 1_000_000, Ordering::Relaxed);
                let id = ids.next().unwrap_or(TraceId::from(1u128));
                let root = decide(&s, None, id);
                let flags = if root == Decision::RecordAndSample { TraceFlags::SAMPLED } else { TraceFlags::default() };
                let parent = SpanContext::new(id, SpanId::from(1u64), flags, false, TraceState::NONE);
                for _ in 0..3 {
                    assert_eq!(decide(&s, Some(parent.clone()), id), root, "children follow the root");
                }
                kept += usize::from(root == Decision::RecordAndSample);
            }
            kept_per_second.push(kept);
        }
        for kept in &kept_per_second[4..] {
            assert!((*kept as f64 - 50.0).abs() <= 50.0 * 0.25 + 3.0, "{kept_per_second:?}");
        }
    }

    #[test]
    fn traffic_samplers_and_rules_decide_roots_only() {
        use std::sync::Arc;
        let sampled = |flag| SpanContext::new(TraceId::from(7u128), SpanId::from(9u64), flag, false, TraceState::NONE);
        let limiter = Sampler::RateLimited(Arc::new(RateLimiter::new(0.0, 0.0)));
        let adaptive = Sampler::Adaptive(Arc::new(AdaptiveSampler::new(0.0, 0.0)));
        let rules =
            Sampler::Rules { rules: vec![("x".into(), Sampler::AlwaysOff)], default: Box::new(Sampler::AlwaysOff) };
        for s in [&limiter, &adaptive, &rules] {
            assert!(s.follows_parent(), "{s:?}");
            let child = decide(s, Some(sampled(TraceFlags::SAMPLED)), TraceId::from(7u128));
            assert_eq!(child, Decision::RecordAndSample, "{s:?}: a child of a kept trace is kept");
            let child = decide(s, Some(sampled(TraceFlags::default())), TraceId::from(7u128));
            assert_eq!(child, Decision::Drop, "{s:?}: a child of a dropped trace is dropped");
        }
    }

    #[test]
    fn adaptive_ratio_holds_the_target_as_traffic_changes() {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;
        let now = Arc::new(AtomicU64::new(0));
        let clock = now.clone();
        let adaptive = Arc::new(AdaptiveSampler::with_clock(100.0, 0.001, move || clock.load(Ordering::Relaxed)));
        let s = Sampler::Adaptive(adaptive.clone());
        let ids = seeded_ids(400_000, 11);
        let mut ids = ids.into_iter();
        let mut t = 0u64;
        // (roots per second, seconds): a ramp up, a spike, a quiet spell.
        for (rate, seconds) in [(1_000u64, 8u64), (20_000, 8), (50, 8)] {
            let mut kept_per_second = Vec::new();
            for _ in 0..seconds {
                let mut kept = 0;
                for _ in 0..rate {
                    t += 1_000_000_000 / rate;
                    now.store(t, Ordering::Relaxed);
                    let id = ids.next().unwrap_or(TraceId::from(1u128));
                    if decide(&s, None, id) == Decision::RecordAndSample {
                        kept += 1;
                    }
                }
                kept_per_second.push(kept);
            }
            // After a few seconds of adapting, each second keeps about the
            // target (or everything, when traffic is below it).
            let settled = &kept_per_second[4..];
            let expected = rate.min(100) as f64;
            for kept in settled {
                assert!((*kept as f64 - expected).abs() <= expected * 0.25 + 3.0, "{rate}/s: {kept_per_second:?}");
            }
            let mean = settled.iter().sum::<u64>() as f64 / settled.len() as f64;
            assert!((mean - expected).abs() <= expected * 0.1 + 1.0, "{rate}/s: mean {mean}, {kept_per_second:?}");
        }
        assert!(adaptive.current_ratio() > 0.9, "quiet traffic: everything kept");
    }

    #[test]
    fn custom_sdk_sampler_is_consulted() {
        let s = Sampler::Custom(Box::new(opentelemetry_sdk::trace::Sampler::AlwaysOff));
        assert_eq!(decide(&s, None, TraceId::from(1u128)), Decision::Drop);
    }
}
