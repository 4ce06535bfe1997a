//! The runtime behind `#[traced]`, through the hidden API the macro calls:
//! parents, sampling, OpenTelemetry interop, current-span recording, limits.
#![cfg(feature = "test-util")]

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::trace::SdkTracerProvider;
use std::collections::HashMap;
use std::time::Duration;
use traced::propagation::{composite, PropagatorKind};
use traced::span::{ActiveSpan, Callsite, Instrumented, Kind, SpanGuard};
use traced::testing::{capture, capture_with, MemoryExporter};
use traced::Sampler;

static OUTER: Callsite = Callsite::new("Svc.outer", Kind::Server);
static INNER: Callsite = Callsite::new("Svc.inner", Kind::Internal);

fn enter(site: &'static Callsite) -> SpanGuard {
    SpanGuard::enter(ActiveSpan::start(site, site.name(), 0, |_| {}, Vec::new))
}

#[test]
fn nested_spans_share_a_trace_and_link_parents() {
    let spans = capture();
    {
        let _outer = enter(&OUTER);
        let _inner = enter(&INNER);
    }
    let outer = spans.span("Svc.outer");
    let inner = spans.span("Svc.inner");
    assert!(inner.is_child_of(&outer));
    assert!(!outer.parent_span_id.to_string().chars().any(|c| c != '0'), "outer is a root");
    assert_eq!(outer.span_kind, opentelemetry::trace::SpanKind::Server);
    // New traces are sampled and carry the W3C Level 2 random flag.
    assert_eq!(outer.span_context.trace_flags().to_u8(), 0x03);
    assert!(inner.end_time <= outer.end_time && inner.start_time >= outer.start_time);
}

#[test]
fn plain_opentelemetry_spans_see_traced_spans_as_parents_and_back() {
    let spans = capture();
    let sdk_spans = MemoryExporter::default();
    let sdk = SdkTracerProvider::builder().with_simple_exporter(sdk_spans.clone()).build();
    let tracer = sdk.tracer("plain");
    {
        let _outer = enter(&OUTER);
        tracer.in_span("plain.child", |_| {
            // A traced span under a plain SDK span.
            let _inner = enter(&INNER);
        });
    }
    let outer = spans.span("Svc.outer");
    let inner = spans.span("Svc.inner");
    let plain = sdk_spans.spans().into_iter().find(|s| s.name == "plain.child").expect("sdk span");
    assert_eq!(plain.parent_span_id, outer.span_id());
    assert_eq!(plain.span_context.trace_id(), outer.span_context.trace_id());
    assert_eq!(inner.parent_span_id, plain.span_context.span_id());
}

#[test]
fn current_span_records_on_the_traced_span() {
    let spans = capture();
    {
        let _outer = enter(&OUTER);
        {
            let _inner = enter(&INNER);
            traced::span::current_span().set_attribute(KeyValue::new("cache.hit", true));
            traced::span::current_span().add_event("retry", vec![KeyValue::new("attempt", 2i64)]);
        }
        traced::span::current_span().set_attribute(KeyValue::new("outer.only", "yes"));
    }
    let inner = spans.span("Svc.inner");
    assert_eq!(inner.attr("cache.hit"), Some(&Value::Bool(true)));
    assert_eq!(inner.attr("outer.only"), None);
    assert_eq!(inner.event("retry").unwrap().attributes, vec![KeyValue::new("attempt", 2i64)]);
    assert_eq!(spans.span("Svc.outer").attr("outer.only"), Some(&Value::from("yes")));
    // Outside any span: nothing happens, nothing leaks.
    traced::span::current_span().set_attribute(KeyValue::new("nowhere", 1i64));
}

#[test]
fn injection_inside_a_span_carries_its_own_ids() {
    let spans = capture();
    let propagator = composite(&PropagatorKind::DEFAULT);
    let mut headers = HashMap::new();
    {
        let _outer = enter(&OUTER);
        propagator.inject_context(&Context::current(), &mut headers);
    }
    let outer = spans.span("Svc.outer");
    assert_eq!(headers["traceparent"], format!("00-{}-{}-03", outer.span_context.trace_id(), outer.span_id()));
}

#[test]
fn a_remote_parent_is_continued_and_a_malformed_one_restarts() {
    let spans = capture();
    let propagator = composite(&PropagatorKind::DEFAULT);
    let mut good = HashMap::new();
    good.insert("traceparent".to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string());
    {
        let _cx = propagator.extract(&good).attach();
        let _s = enter(&OUTER);
    }
    let continued = spans.span("Svc.outer");
    assert_eq!(continued.span_context.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(continued.parent_span_id.to_string(), "00f067aa0ba902b7");
    assert!(continued.parent_span_is_remote);
    // The incoming random flag was not set, so it is not invented.
    assert_eq!(continued.span_context.trace_flags().to_u8(), 0x01);
    spans.clear();
    let mut bad = HashMap::new();
    bad.insert("traceparent".to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1".to_string());
    {
        let _cx = propagator.extract(&bad).attach();
        let _s = enter(&OUTER);
    }
    let fresh = spans.span("Svc.outer");
    assert_ne!(fresh.span_context.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert!(!fresh.parent_span_is_remote);
}

#[test]
fn unsampled_traces_record_nothing_but_still_propagate() {
    let spans = capture_with(Sampler::ParentBased(Box::new(Sampler::AlwaysOff)));
    let propagator = composite(&PropagatorKind::DEFAULT);
    let mut headers = HashMap::new();
    let attributes_evaluated = std::cell::Cell::new(false);
    {
        let _root = enter(&OUTER);
        // What an integration asks before preparing a span: a transport's
        // still gets an id here. (Whether an internal one may start depends
        // on every provider installed, which other tests of this binary
        // install too.)
        assert!(traced::span::may_start(false));
        let _inner =
            SpanGuard::enter(ActiveSpan::start(&INNER, INNER.name(), 1, |_| attributes_evaluated.set(true), Vec::new));
        propagator.inject_context(&Context::current(), &mut headers);
    }
    assert!(spans.spans().is_empty());
    assert!(!attributes_evaluated.get(), "attributes of unsampled spans are never computed");
    let tp = &headers["traceparent"];
    assert!(tp.starts_with("00-") && tp.ends_with("-02"), "unsampled, random: {tp}");
}

#[test]
fn spans_may_start_under_a_sampled_parent() {
    let _spans = capture();
    let _root = enter(&OUTER);
    assert!(traced::span::may_start(true));
}

#[test]
fn span_limits_drop_and_count() {
    let spans = capture();
    let limits = spans.provider().span_limits();
    assert_eq!(limits.attribute_count, 128);
    {
        let _s = SpanGuard::enter(ActiveSpan::start(
            &OUTER,
            OUTER.name(),
            200,
            |a| {
                for i in 0..200 {
                    a.push(KeyValue::new(format!("k{i}"), i as i64));
                }
            },
            Vec::new,
        ));
    }
    let s = spans.span("Svc.outer");
    assert_eq!(s.attributes.len(), 128);
    assert_eq!(s.dropped_attributes_count, 72);
}

#[test]
fn every_span_limit_truncates_or_drops_and_counts() {
    let exporter = MemoryExporter::default();
    let limits = traced::SpanLimits {
        attribute_value_length: Some(8),
        event_count: 2,
        link_count: 1,
        ..traced::SpanLimits::default()
    };
    let traced::Pipeline { provider, .. } = traced::builder()
        .env(traced::config::EnvConfig::default())
        .span_limits(limits)
        .exporter(exporter.clone())
        .simple_export()
        .build()
        .unwrap();
    let provider = provider.unwrap();
    {
        let _default = provider.set_default();
        let linked = |n: u64| {
            let cx = opentelemetry::trace::SpanContext::new(
                opentelemetry::trace::TraceId::from(n as u128),
                opentelemetry::trace::SpanId::from(n),
                opentelemetry::trace::TraceFlags::SAMPLED,
                true,
                opentelemetry::trace::TraceState::NONE,
            );
            opentelemetry::trace::Link::with_context(cx)
        };
        let mut span = ActiveSpan::start(
            &OUTER,
            OUTER.name(),
            1,
            |a| a.push(KeyValue::new("note", "héllo wörld, longer than eight")),
            || vec![linked(1), linked(2), linked(3)],
        );
        for i in 0..5 {
            span.add_event(format!("e{i}"), vec![]);
        }
        span.end();
    }
    let s = exporter.spans().pop().expect("one span");
    // Eight characters, as the specification counts them (not bytes).
    assert_eq!(s.attributes[0].value.as_str(), "héllo wö");
    assert_eq!((s.events.len(), s.events.dropped_count), (2, 3));
    assert_eq!((s.links.len(), s.links.dropped_count), (1, 2));
}

#[test]
fn a_future_keeps_the_parent_it_was_called_under_across_threads() {
    let spans = capture();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let future = {
        let _outer = enter(&OUTER);
        // Created (called) here, polled later on a runtime thread.
        let span = ActiveSpan::start_carrying(&INNER, INNER.name(), 0, |_| {}, Vec::new);
        Instrumented::new(
            async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                tokio::task::yield_now().await;
                traced::span::current_span().set_attribute(KeyValue::new("after.await", true));
                Err::<(), _>("boom")
            },
            span,
            |span: &mut ActiveSpan, out: &Result<(), &str>| {
                if let Err(e) = out {
                    span.record_error_message("&str", e.to_string(), true);
                }
            },
        )
    };
    let handle = runtime.spawn(future);
    assert!(runtime.block_on(handle).unwrap().is_err());
    let outer = spans.span("Svc.outer");
    let inner = spans.span("Svc.inner");
    assert!(inner.is_child_of(&outer));
    assert!(inner.is_error());
    assert_eq!(inner.attr("after.await"), Some(&Value::Bool(true)));
}

#[test]
fn a_dropped_future_ends_its_span_marked_cancelled() {
    let spans = capture();
    let span = ActiveSpan::start_carrying(&INNER, INNER.name(), 0, |_| {}, Vec::new);
    let fut = Instrumented::new(std::future::pending::<()>(), span, |_: &mut ActiveSpan, _: &()| {});
    drop(fut);
    assert_eq!(spans.span("Svc.inner").attr(traced::span::CANCELLED), Some(&Value::Bool(true)));
}

#[test]
fn a_panic_is_recorded_and_unwinds_unchanged() {
    let spans = capture();
    let result = std::panic::catch_unwind(|| {
        let _s = enter(&OUTER);
        panic!("disk on fire");
    });
    assert_eq!(*result.unwrap_err().downcast::<&str>().unwrap(), "disk on fire");
    let s = spans.span("Svc.outer");
    assert!(s.is_error());
    let event = s.event("exception").expect("exception event");
    assert!(event.attributes.contains(&KeyValue::new("exception.message", "disk on fire")));
}

/// A sampler of the SDK's kind that decides on the span's attributes, and
/// adds one of its own.
#[derive(Debug, Clone)]
struct KeepFlagged;

impl opentelemetry_sdk::trace::ShouldSample for KeepFlagged {
    fn should_sample(
        &self,
        _: Option<&Context>,
        _: opentelemetry::trace::TraceId,
        _: &str,
        _: &opentelemetry::trace::SpanKind,
        attributes: &[KeyValue],
        _: &[opentelemetry::trace::Link],
    ) -> opentelemetry_sdk::trace::SamplingResult {
        let keep = attributes.iter().any(|kv| kv.key.as_str() == "keep" && kv.value == Value::Bool(true));
        opentelemetry_sdk::trace::SamplingResult {
            decision: if keep {
                opentelemetry_sdk::trace::SamplingDecision::RecordAndSample
            } else {
                opentelemetry_sdk::trace::SamplingDecision::Drop
            },
            attributes: vec![KeyValue::new("sampler.rule", "flagged")],
            trace_state: Default::default(),
        }
    }
}

#[test]
fn a_custom_sampler_sees_the_attributes_and_the_span_keeps_them() {
    let spans = capture_with(Sampler::Custom(Box::new(KeepFlagged)));
    for (keep, site) in [(true, &OUTER), (false, &INNER)] {
        let _g = SpanGuard::enter(ActiveSpan::start(
            site,
            site.name(),
            2,
            |a| {
                a.push(KeyValue::new("keep", keep));
                a.push(KeyValue::new("order.id", 7i64));
            },
            Vec::new,
        ));
    }
    let all = spans.spans();
    assert_eq!(all.len(), 1, "only the flagged span is sampled: {all:?}");
    let kept = spans.span("Svc.outer");
    let attr = |k: &str| kept.attributes.iter().find(|kv| kv.key.as_str() == k).map(|kv| kv.value.clone());
    assert_eq!(attr("keep"), Some(Value::Bool(true)));
    assert_eq!(attr("order.id"), Some(Value::I64(7)));
    assert_eq!(attr("sampler.rule"), Some(Value::from("flagged")));
}

/// A caller's `tracestate` (here with a probability sampler's threshold)
/// belongs to every span of the trace: in the exported spans, in the
/// context children and propagation see, and in the outgoing header.
#[test]
fn a_callers_tracestate_reaches_every_span_and_the_next_hop() {
    use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
    let spans = capture();
    let state = TraceState::from_key_value([("vendor", "x"), ("ot", "th:8")]).expect("tracestate");
    let caller = SpanContext::new(TraceId::from(0xabc_u128), SpanId::from(0xdef_u64), TraceFlags::SAMPLED, true, state);
    let injected = {
        let _caller = Context::new().with_remote_span_context(caller).attach();
        let _outer = enter(&OUTER);
        let mut inner = enter(&INNER);
        let seen = inner.span().expect("span").span_context();
        assert_eq!(seen.trace_state().header(), "vendor=x,ot=th:8", "the handle's context");
        assert_eq!(Context::current().span().span_context().trace_state().header(), "vendor=x,ot=th:8");
        let mut headers = HashMap::new();
        composite(&PropagatorKind::DEFAULT).inject_context(&Context::current(), &mut headers);
        headers
    };
    assert_eq!(injected.get("tracestate").map(String::as_str), Some("vendor=x,ot=th:8"));
    for name in ["Svc.outer", "Svc.inner"] {
        let span = spans.span(name);
        assert_eq!(span.span_context.trace_state().header(), "vendor=x,ot=th:8", "{name} as exported");
        assert_eq!(span.span_context.trace_id(), TraceId::from(0xabc_u128));
    }
}
