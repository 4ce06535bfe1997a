//! Sampling and redaction as an OTLP receiver sees them: configured through
//! the environment's variables (read with `EnvConfig::from_lookup`) and the
//! public builder, spans decoded with the official protobuf types.
#![cfg(feature = "otlp-http")]

mod support;

use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::otlp_receiver::{start_http, ReceivedSpan, Receiver};
use traced::config::{EnvConfig, OtlpEnv, OtlpProtocol};
use traced::processor::redact::{Action, Redaction};
use traced::traced;

#[traced]
fn handle(i: u32) -> u32 {
    load(i)
}

#[traced]
fn load(i: u32) -> u32 {
    query(i) + cache(i)
}

#[traced]
fn query(i: u32) -> u32 {
    i
}

#[traced]
fn cache(i: u32) -> u32 {
    i
}

/// A provider set up from `vars` as the environment would, sending to
/// `receiver` over OTLP/HTTP.
fn provider(vars: &[(&str, &str)], receiver: &Receiver, redaction: Option<Redaction>) -> traced::Provider {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let env = EnvConfig::from_lookup(&|k| vars.get(k).cloned());
    let mut builder = traced::builder().env(env).otlp_with(OtlpEnv {
        endpoint: Some(format!("http://{}", receiver.addr)),
        protocol: Some(OtlpProtocol::HttpProtobuf),
        ..Default::default()
    });
    if let Some(redaction) = redaction {
        builder = builder.redaction(redaction);
    }
    let traced::Pipeline { provider, .. } = builder.build().expect("set-up");
    provider.expect("sdk enabled")
}

/// Spans at the wire by trace id.
fn traces(spans: &[ReceivedSpan]) -> HashMap<Vec<u8>, Vec<&ReceivedSpan>> {
    let mut by_trace: HashMap<Vec<u8>, Vec<&ReceivedSpan>> = HashMap::new();
    for s in spans {
        by_trace.entry(s.span.trace_id.clone()).or_default().push(s);
    }
    by_trace
}

/// Runs `n` traces of four spans each and returns what arrived, and how long
/// producing took.
fn run_traces(provider: traced::Provider, receiver: &Receiver, n: u32) -> (Vec<ReceivedSpan>, Duration) {
    let started = Instant::now();
    {
        let _default = provider.set_default();
        for i in 0..n {
            handle(i);
        }
    }
    let took = started.elapsed();
    provider.force_flush(Duration::from_secs(10)).expect("flush");
    let count = receiver.received.count();
    (receiver.received.wait_for(count, Duration::from_secs(10)), took)
}

fn assert_whole(spans: &[ReceivedSpan]) -> usize {
    let by_trace = traces(spans);
    for (trace, spans) in &by_trace {
        let mut names: Vec<&str> = spans.iter().map(|s| s.span.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["sampling_wire.cache", "sampling_wire.handle", "sampling_wire.load", "sampling_wire.query"],
            "trace {trace:02x?} arrived broken"
        );
    }
    by_trace.len()
}

#[test]
fn rate_limited_keeps_whole_traces_and_counts_only_roots() {
    let receiver = start_http();
    let p =
        provider(&[("OTEL_TRACES_SAMPLER", "traced_ratelimited"), ("OTEL_TRACES_SAMPLER_ARG", "100")], &receiver, None);
    let (spans, took) = run_traces(p, &receiver, 1_000);
    let kept = assert_whole(&spans);
    // At most 100 in any one-second window: the run lasted `took`.
    let windows = took.as_secs_f64().ceil().max(1.0) as usize;
    assert!(kept >= 100, "the first 100 roots are kept whole: the budget is used by roots, not children ({kept} kept)");
    assert!(kept <= 100 * windows, "{kept} traces kept in {took:?}");
}

#[test]
fn rate_limited_floor_is_set_from_the_argument() {
    let receiver = start_http();
    let vars = [("OTEL_TRACES_SAMPLER", "traced_ratelimited"), ("OTEL_TRACES_SAMPLER_ARG", "0,1")];
    let p = provider(&vars, &receiver, None);
    let (spans, _) = run_traces(p, &receiver, 50);
    assert_eq!(assert_whole(&spans), 50, "a rate of 0 with a floor of 1 keeps every trace");
}

/// (That it counts only roots as traffic is shown on a simulated clock in
/// the sampler's own tests; here, that what it keeps arrives whole.)
#[test]
fn adaptive_keeps_whole_traces() {
    let receiver = start_http();
    let p = provider(&[("OTEL_TRACES_SAMPLER", "traced_adaptive"), ("OTEL_TRACES_SAMPLER_ARG", "50")], &receiver, None);
    let (spans, _) = run_traces(p, &receiver, 500);
    assert!(assert_whole(&spans) > 0);
}

#[test]
fn sampling_rules_never_cut_a_kept_trace() {
    let receiver = start_http();
    let vars = [
        ("OTEL_TRACES_SAMPLER", "traceidratio"),
        ("OTEL_TRACES_SAMPLER_ARG", "0"),
        ("TRACED_SAMPLING_RULES", "sampling_wire.handle=1"),
    ];
    let p = provider(&vars, &receiver, None);
    let (spans, _) = run_traces(p, &receiver, 20);
    assert_eq!(assert_whole(&spans), 20, "the rule keeps the roots, and their children follow");
}

#[traced(fields(user.id = "12345"))]
fn who() {}

#[traced]
fn fail() -> Result<(), std::io::Error> {
    Err(std::io::Error::other("a message much longer than eight characters"))
}

/// Runs `work` under a provider set up from `vars`; what arrived.
fn arrived(vars: &[(&str, &str)], redaction: Option<Redaction>, work: impl FnOnce(), n: usize) -> Vec<ReceivedSpan> {
    let receiver = start_http();
    let p = provider(vars, &receiver, redaction);
    {
        let _default = p.set_default();
        work();
    }
    p.force_flush(Duration::from_secs(10)).expect("flush");
    receiver.received.wait_for(n, Duration::from_secs(10))
}

#[test]
fn keyed_hash_is_hmac_sha256() {
    let redaction = Redaction::none().rule("user.id", Action::Hash).hash_key("secret-key");
    let spans = arrived(&[], Some(redaction), who, 1);
    // HMAC-SHA-256("secret-key", "12345"), computed independently (Python's hmac).
    assert_eq!(spans[0].attr("user.id"), Some(Any::StringValue("hmac-sha256:600cee29b069e12a76bb8ea8326ac2f3".into())));
}

#[test]
fn the_value_length_limit_cuts_event_attributes() {
    let spans = arrived(
        &[("OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT", "8")],
        None,
        || {
            let _ = fail();
        },
        1,
    );
    let event = spans[0].span.events.iter().find(|e| e.name == "exception").expect("exception event");
    let message = event.attributes.iter().find(|kv| kv.key == "exception.message").and_then(|kv| kv.value.clone());
    assert_eq!(message.and_then(|v| v.value), Some(Any::StringValue("a messag".into())), "cut to 8 characters");
}
