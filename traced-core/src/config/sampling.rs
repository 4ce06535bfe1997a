//! Sampling settings beyond the OpenTelemetry variables, from the
//! environment (all optional; malformed values are reported and ignored):
//!
//! - `OTEL_TRACES_SAMPLER=traced_ratelimited` (or `parentbased_...`), with
//!   `OTEL_TRACES_SAMPLER_ARG` = new traces per second (default 100),
//!   optionally followed by `,` and the ratio kept beyond it (default 0):
//!   `100,0.01`;
//! - `OTEL_TRACES_SAMPLER=traced_adaptive` (or `parentbased_...`), the
//!   argument the target per second (default 100);
//! - `TRACED_SAMPLING_RULES=GET /health=0;UserService.*=1`: per-operation
//!   ratios by span-name glob, first match wins, in front of the sampler
//!   for roots;
//! - `TRACED_TAIL_SAMPLING=on` or
//!   `ratio=0.1,latency_ms=500,max_traces=10000,max_spans=1000,max_wait_ms=30000`.

use super::reader::Reader;
use crate::processor::TailSampling;
use crate::sampler::{AdaptiveSampler, RateLimiter, Sampler};
use std::sync::Arc;
use std::time::Duration;

const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
const RULES: &str = "TRACED_SAMPLING_RULES";
const TAIL: &str = "TRACED_TAIL_SAMPLING";

/// Smallest ratio the adaptive sampler goes down to from the environment.
const ADAPTIVE_MIN_RATIO: f64 = 0.001;

/// `OTEL_TRACES_SAMPLER`, with `OTEL_TRACES_SAMPLER_ARG` read once, in the
/// form the chosen sampler takes.
pub(super) fn sampler(r: &mut Reader<'_>) -> Option<Sampler> {
    const VAR: &str = "OTEL_TRACES_SAMPLER";
    const ARG: &str = "OTEL_TRACES_SAMPLER_ARG";
    let raw = r.get(VAR)?;
    let ratio = |r: &mut Reader<'_>| match r.get(ARG) {
        None => 1.0,
        Some(v) => match v.parse::<f64>() {
            Ok(p) if (0.0..=1.0).contains(&p) => p,
            _ => {
                r.warn(ARG, &v, "expected a ratio between 0 and 1; using 1.0");
                1.0
            }
        },
    };
    let parent_based = |s: Sampler| Sampler::ParentBased(Box::new(s));
    Some(match raw.to_ascii_lowercase().as_str() {
        "always_on" => Sampler::AlwaysOn,
        "always_off" => Sampler::AlwaysOff,
        "traceidratio" => Sampler::TraceIdRatio(ratio(r)),
        "parentbased_always_on" => parent_based(Sampler::AlwaysOn),
        "parentbased_always_off" => parent_based(Sampler::AlwaysOff),
        "parentbased_traceidratio" => parent_based(Sampler::TraceIdRatio(ratio(r))),
        "traced_ratelimited" | "parentbased_traced_ratelimited" | "traced_adaptive" | "parentbased_traced_adaptive" => {
            return traffic_sampler(r, &raw.to_ascii_lowercase());
        }
        "jaeger_remote" | "parentbased_jaeger_remote" | "xray" => {
            r.warn(VAR, &raw, "this sampler is not supported by traced; using parentbased_always_on");
            return None;
        }
        _ => {
            r.warn(VAR, &raw, "unknown sampler; using parentbased_always_on");
            return None;
        }
    })
}

/// `traced_ratelimited` and `traced_adaptive`, plain or parent-based.
pub(super) fn traffic_sampler(r: &mut Reader<'_>, name: &str) -> Option<Sampler> {
    let rate_limited = name.ends_with("ratelimited");
    let (per_second, floor) = match r.get(ARG) {
        None => (100.0, 0.0),
        Some(v) => {
            let (rate, floor) = match v.split_once(',') {
                Some((rate, floor)) if rate_limited => (rate.trim(), Some(floor.trim())),
                _ => (v.trim(), None),
            };
            let rate = rate.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0);
            let floor = match floor {
                None => Some(0.0),
                Some(f) => f.parse::<f64>().ok().filter(|p| (0.0..=1.0).contains(p)),
            };
            match (rate, floor) {
                (Some(rate), Some(floor)) => (rate, floor),
                _ => {
                    let expected = if rate_limited {
                        "expected traces per second, optionally `,` and a floor ratio between 0 and 1"
                    } else {
                        "expected traces per second"
                    };
                    r.warn(ARG, &v, format!("{expected}; using 100"));
                    (100.0, 0.0)
                }
            }
        }
    };
    let sampler = if rate_limited {
        Sampler::RateLimited(Arc::new(RateLimiter::new(per_second, floor)))
    } else {
        Sampler::Adaptive(Arc::new(AdaptiveSampler::new(per_second, ADAPTIVE_MIN_RATIO)))
    };
    Some(if name.starts_with("parentbased_") { Sampler::ParentBased(Box::new(sampler)) } else { sampler })
}

/// Puts `TRACED_SAMPLING_RULES` in front of the root sampler.
pub(super) fn with_rules(r: &mut Reader<'_>, sampler: Option<Sampler>) -> Option<Sampler> {
    let Some(raw) = r.get(RULES) else { return sampler };
    let mut rules = Vec::new();
    for entry in raw.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = entry.rsplit_once('=').and_then(|(glob, ratio)| {
            let ratio = ratio.trim().parse::<f64>().ok().filter(|p| (0.0..=1.0).contains(p))?;
            Some((glob.trim().to_owned(), ratio))
        });
        match parsed {
            Some((glob, ratio)) if !glob.is_empty() => rules.push((glob, ratio_sampler(ratio))),
            _ => r.warn(RULES, entry, "expected `span-name-glob=ratio` with a ratio between 0 and 1; rule skipped"),
        }
    }
    if rules.is_empty() {
        return sampler;
    }
    // Rules decide for roots; children keep following their parent.
    Some(match sampler.unwrap_or_default() {
        Sampler::ParentBased(root) => Sampler::ParentBased(Box::new(Sampler::Rules { rules, default: root })),
        other => Sampler::Rules { rules, default: Box::new(other) },
    })
}

fn ratio_sampler(ratio: f64) -> Sampler {
    if ratio >= 1.0 {
        Sampler::AlwaysOn
    } else if ratio <= 0.0 {
        Sampler::AlwaysOff
    } else {
        Sampler::TraceIdRatio(ratio)
    }
}

/// `TRACED_TAIL_SAMPLING`.
pub(super) fn tail(r: &mut Reader<'_>) -> Option<TailSampling> {
    let raw = r.get(TAIL)?;
    match raw.to_ascii_lowercase().as_str() {
        "on" | "true" | "1" => return Some(TailSampling::new()),
        "off" | "false" | "0" => return None,
        _ => {}
    }
    let mut tail = TailSampling::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((key, value)) = entry.split_once('=') else {
            r.warn(TAIL, entry, "expected `key=value`; ignored");
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let number = value.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0);
        let applied = match (key, number) {
            ("ratio", Some(p)) if p <= 1.0 => {
                tail.keep_ratio = p;
                true
            }
            ("latency_ms", Some(ms)) => {
                tail.latency_threshold = Duration::from_millis(ms as u64);
                true
            }
            ("max_traces", Some(n)) if n >= 1.0 => {
                tail.max_traces = n as usize;
                true
            }
            ("max_spans", Some(n)) if n >= 1.0 => {
                tail.max_spans_per_trace = n as usize;
                true
            }
            ("max_wait_ms", Some(ms)) => {
                tail.max_wait = Duration::from_millis(ms as u64);
                true
            }
            _ => false,
        };
        if !applied {
            r.warn(
                TAIL,
                entry,
                "expected ratio (0-1), latency_ms, max_traces, max_spans or max_wait_ms with a number; ignored",
            );
        }
    }
    Some(tail)
}

#[cfg(test)]
mod tests {
    use crate::config::EnvConfig;
    use crate::sampler::Sampler;
    use std::time::Duration;

    fn env(vars: &[(&str, &str)]) -> EnvConfig {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        EnvConfig::from_lookup(&|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn rules_go_in_front_of_the_root_sampler() {
        let c = env(&[
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.1"),
            ("TRACED_SAMPLING_RULES", "GET /health=0; UserService.*=1;bad;x=2"),
        ]);
        let text = format!("{:?}", c.sampler);
        assert_eq!(
            text,
            "Some(ParentBased(Rules([(\"GET /health\", AlwaysOff), (\"UserService.*\", AlwaysOn)], default TraceIdRatio(0.1))))"
        );
        assert_eq!(c.warnings.len(), 2, "{:?}", c.warnings);
    }

    #[test]
    fn traffic_samplers_by_name() {
        let c = env(&[("OTEL_TRACES_SAMPLER", "parentbased_traced_adaptive"), ("OTEL_TRACES_SAMPLER_ARG", "50")]);
        assert!(format!("{:?}", c.sampler).starts_with("Some(ParentBased(Adaptive(50/s"), "{:?}", c.sampler);
        let c = env(&[("OTEL_TRACES_SAMPLER", "traced_ratelimited"), ("OTEL_TRACES_SAMPLER_ARG", "-3")]);
        assert!(matches!(c.sampler, Some(Sampler::RateLimited(_))));
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn tail_sampling_settings() {
        assert!(env(&[]).tail_sampling.is_none());
        assert!(env(&[("TRACED_TAIL_SAMPLING", "on")]).tail_sampling.is_some());
        let c = env(&[(
            "TRACED_TAIL_SAMPLING",
            "ratio=0.2, latency_ms=250,max_traces=50,max_spans=9,max_wait_ms=1000,ratio=7",
        )]);
        let tail = c.tail_sampling.expect("configured");
        assert_eq!(tail.keep_ratio, 0.2);
        assert_eq!(tail.latency_threshold, Duration::from_millis(250));
        assert_eq!((tail.max_traces, tail.max_spans_per_trace), (50, 9));
        assert_eq!(tail.max_wait, Duration::from_secs(1));
        assert_eq!(c.warnings.len(), 1, "ratio=7 is reported");
    }
}
