//! `traced::init()` reads the real process environment. Each case sets
//! variables, initialises, checks, and restores; one at a time.
#![cfg(feature = "test-util")]

use opentelemetry::trace::TraceContextExt;
use opentelemetry::{Context, Key};
use std::collections::HashMap;
use std::sync::Mutex;

static ENV: Mutex<()> = Mutex::new(());

/// Removes the variables again even when the test fails.
struct Restore(Vec<String>);

impl Drop for Restore {
    fn drop(&mut self) {
        for k in &self.0 {
            std::env::remove_var(k);
        }
    }
}

fn with_env<R>(vars: &[(&str, &str)], f: impl FnOnce() -> R) -> R {
    let _g = ENV.lock().unwrap_or_else(|e| e.into_inner());
    let _restore = Restore(vars.iter().map(|(k, _)| k.to_string()).collect());
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
    f()
}

#[test]
fn sdk_disabled_installs_no_provider_but_propagates() {
    with_env(&[("OTEL_SDK_DISABLED", "true")], || {
        let guard = traced::init();
        assert!(guard.provider().is_none());
        let mut incoming = HashMap::new();
        incoming
            .insert("traceparent".to_string(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_string());
        let cx = traced::propagation::extract(&incoming);
        assert!(cx.span().span_context().is_valid());
        let mut out = HashMap::new();
        traced::propagation::inject(&cx, &mut out);
        assert_eq!(out["traceparent"], incoming["traceparent"]);
    });
}

#[test]
fn init_reads_service_sampler_exporter_and_propagators() {
    with_env(
        &[
            ("OTEL_SERVICE_NAME", "billing"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.namespace=shop,bad%ZZ=1"),
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
            ("OTEL_TRACES_EXPORTER", "none"),
            ("OTEL_PROPAGATORS", "jaeger"),
        ],
        || {
            let guard = traced::init();
            let provider = guard.provider().expect("enabled");
            assert_eq!(
                provider.resource().get(&Key::from_static_str("service.name")).map(|v| v.to_string()).as_deref(),
                Some("billing")
            );
            // The malformed resource variable was reported and ignored as a whole.
            assert!(provider.resource().get(&Key::from_static_str("service.namespace")).is_none());
            assert_eq!(format!("{:?}", provider.sampler()), "TraceIdRatio(0.25)");
            // Only the jaeger format is propagated now.
            let mut out = HashMap::new();
            let cx = Context::new().with_remote_span_context(opentelemetry::trace::SpanContext::new(
                opentelemetry::trace::TraceId::from(1u128),
                opentelemetry::trace::SpanId::from(2u64),
                opentelemetry::trace::TraceFlags::SAMPLED,
                true,
                Default::default(),
            ));
            traced::propagation::inject(&cx, &mut out);
            assert!(out.contains_key("uber-trace-id") && !out.contains_key("traceparent"), "{out:?}");
        },
    );
}
