//! Cost of one sampled span under a sampled parent: ours against the raw
//! `opentelemetry_sdk` tracer, both exporting through a batch processor to an
//! exporter that counts and discards.

#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use traced_core::span::{ActiveSpan, Callsite, Kind, SpanGuard};

#[derive(Debug, Clone, Default)]
struct Counting(Arc<AtomicU64>);

impl SpanExporter for Counting {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

#[inline(never)]
fn work(x: u64) -> u64 {
    black_box(x).wrapping_mul(31)
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sampled_span_one_int_attribute");

    g.bench_function("plain", |b| b.iter(|| work(7)));

    let sdk = SdkTracerProvider::builder().with_batch_exporter(Counting::default()).build();
    let tracer = sdk.tracer("bench");
    let parent = tracer.start("parent");
    let cx = Context::current_with_span(parent);
    let guard = cx.clone().attach();
    g.bench_function("opentelemetry_sdk in_span", |b| {
        b.iter(|| {
            tracer.in_span("Svc.op", |cx| {
                cx.span().set_attribute(KeyValue::new("n", 7i64));
                work(7)
            })
        })
    });
    drop(guard);

    let counted = Counting::default();
    let _guard = traced_core::builder()
        .env(traced_core::config::EnvConfig::default())
        .exporter(counted.clone())
        .install()
        .unwrap();
    static PARENT: Callsite = Callsite::new("parent", Kind::Internal);
    static SITE: Callsite = Callsite::new("Svc.op", Kind::Internal);
    let _parent = SpanGuard::enter(ActiveSpan::start(&PARENT, PARENT.name(), 0, |_| {}, Vec::new));
    g.bench_function("traced", |b| {
        b.iter(|| {
            let _g = SpanGuard::enter(ActiveSpan::start(
                &SITE,
                SITE.name(),
                1,
                |a| a.push(KeyValue::new("n", 7i64)),
                Vec::new,
            ));
            work(7)
        })
    });
    g.finish();

    let mut g = c.benchmark_group("unsampled_parent");
    let unsampled = opentelemetry::trace::SpanContext::new(
        opentelemetry::trace::TraceId::from(1u128),
        opentelemetry::trace::SpanId::from(1u64),
        opentelemetry::trace::TraceFlags::default(),
        true,
        Default::default(),
    );
    let _cx = Context::new().with_remote_span_context(unsampled).attach();
    g.bench_function("plain", |b| b.iter(|| work(7)));
    g.bench_function("traced", |b| {
        b.iter(|| {
            let _g = SpanGuard::start(&SITE, || SITE.name(), 1, |a| a.push(KeyValue::new("n", 7i64)), Vec::new);
            work(7)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
