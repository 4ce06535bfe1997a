//! `#[traced]` side by side with what users would use instead, in one run on
//! the same work: a function called 1000 times per iteration under an active
//! sampled parent, every span handed to a batch processor whose exporter
//! counts and discards. After each scenario the exported count is checked
//! against the spans created, so dropping never looks fast.
//!
//! `cargo bench --features test-util,tracing --bench peers`, then
//! `python3 benches/report.py` for the table (see BENCHMARKS.md).
#![allow(missing_docs)]

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;
use tracing_subscriber::layer::SubscriberExt;

const CALLS: u64 = 1000;
const QUEUE: usize = 1 << 20;

#[path = "support/counting.rs"]
mod counting;
#[path = "support/poll.rs"]
mod poll;
use counting::Counting;
use poll::poll_once;

fn sdk_provider(exporter: Counting) -> SdkTracerProvider {
    let config = BatchConfigBuilder::default().with_max_queue_size(QUEUE).with_max_export_batch_size(512).build();
    SdkTracerProvider::builder()
        .with_span_processor(BatchSpanProcessor::builder(exporter).with_batch_config(config).build())
        .build()
}

// ---- the work, once per peer ------------------------------------------------

#[inline(never)]
fn plain(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced]
#[inline(never)]
fn traced_bare(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced(fields(n = n))]
#[inline(never)]
fn traced_one(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced(fields(n = n, user.id = 42u64, db.table = "users", cached = true))]
#[inline(never)]
fn traced_four(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced(enabled = false)]
#[inline(never)]
fn traced_compiled_out(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced]
#[inline(never)]
fn traced_err(n: u64) -> Result<u64, std::io::Error> {
    if black_box(n) < u64::MAX {
        return Err(std::io::Error::other("boom"));
    }
    Ok(n)
}

#[traced::traced]
#[inline(never)]
fn traced_depth3(n: u64) -> u64 {
    traced_depth2(n)
}
#[traced::traced]
#[inline(never)]
fn traced_depth2(n: u64) -> u64 {
    traced_depth1(n)
}
#[traced::traced]
#[inline(never)]
fn traced_depth1(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced(fields(n = n))]
#[inline(never)]
async fn traced_async(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

/// A future that is pending `polls - 1` times before it completes.
struct Polls(u32);

impl std::future::Future for Polls {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.0 <= 1 {
            return std::task::Poll::Ready(());
        }
        self.0 -= 1;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

#[traced::traced(fields(n = n))]
#[inline(never)]
async fn traced_async_ten(n: u64) -> u64 {
    Polls(10).await;
    black_box(n).wrapping_mul(31)
}

#[tracing::instrument(fields(n = n), skip_all)]
#[inline(never)]
async fn tracing_async_ten(n: u64) -> u64 {
    Polls(10).await;
    black_box(n).wrapping_mul(31)
}

#[fastrace::trace(properties = { "n": "{n}" })]
#[inline(never)]
async fn fastrace_async_ten(n: u64) -> u64 {
    Polls(10).await;
    black_box(n).wrapping_mul(31)
}

#[tracing::instrument(err, skip_all)]
#[inline(never)]
fn tracing_err(n: u64) -> Result<u64, std::io::Error> {
    if black_box(n) < u64::MAX {
        return Err(std::io::Error::other("boom"));
    }
    Ok(n)
}

fn sdk_err(tracer: &opentelemetry_sdk::trace::SdkTracer, n: u64) -> Result<u64, std::io::Error> {
    tracer.in_span("bench.sdk_err", |cx| {
        let r = if black_box(n) < u64::MAX { Err(std::io::Error::other("boom")) } else { Ok(n) };
        if let Err(e) = &r {
            let span = cx.span();
            span.set_status(opentelemetry::trace::Status::error(e.to_string()));
            span.set_attribute(KeyValue::new("error.type", "std::io::error::Error"));
            span.record_error(e);
        }
        r
    })
}

#[tracing::instrument(skip_all)]
#[inline(never)]
fn tracing_depth3(n: u64) -> u64 {
    tracing_depth2(n)
}
#[tracing::instrument(skip_all)]
#[inline(never)]
fn tracing_depth2(n: u64) -> u64 {
    tracing_depth1(n)
}
#[tracing::instrument(skip_all)]
#[inline(never)]
fn tracing_depth1(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[fastrace::trace]
#[inline(never)]
fn fastrace_depth3(n: u64) -> u64 {
    fastrace_depth2(n)
}
#[fastrace::trace]
#[inline(never)]
fn fastrace_depth2(n: u64) -> u64 {
    fastrace_depth1(n)
}
#[fastrace::trace]
#[inline(never)]
fn fastrace_depth1(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

fn sdk_depth3(tracer: &opentelemetry_sdk::trace::SdkTracer, n: u64) -> u64 {
    tracer.in_span("bench.d3", |_| {
        tracer.in_span("bench.d2", |_| tracer.in_span("bench.d1", |_| black_box(n).wrapping_mul(31)))
    })
}

#[tracing::instrument(fields(n = n), skip_all)]
#[inline(never)]
fn tracing_one(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[tracing::instrument(fields(n = n, user.id = 42u64, db.table = "users", cached = true), skip_all)]
#[inline(never)]
fn tracing_four(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[tracing::instrument(fields(n = n), skip_all)]
#[inline(never)]
async fn tracing_async(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[fastrace::trace]
#[inline(never)]
fn fastrace_bare(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[fastrace::trace(properties = { "n": "{n}" })]
#[inline(never)]
fn fastrace_one(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[fastrace::trace(properties = { "n": "{n}", "user.id": "42", "db.table": "users", "cached": "true" })]
#[inline(never)]
fn fastrace_four(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[fastrace::trace(properties = { "n": "{n}" })]
#[inline(never)]
async fn fastrace_async(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

fn sdk_one(tracer: &opentelemetry_sdk::trace::SdkTracer, n: u64) -> u64 {
    tracer.in_span("bench.sdk_one", |cx| {
        cx.span().set_attribute(KeyValue::new("n", n as i64));
        black_box(n).wrapping_mul(31)
    })
}

fn sdk_four(tracer: &opentelemetry_sdk::trace::SdkTracer, n: u64) -> u64 {
    tracer.in_span("bench.sdk_four", |cx| {
        let span = cx.span();
        span.set_attribute(KeyValue::new("n", n as i64));
        span.set_attribute(KeyValue::new("user.id", 42i64));
        span.set_attribute(KeyValue::new("db.table", "users"));
        span.set_attribute(KeyValue::new("cached", true));
        black_box(n).wrapping_mul(31)
    })
}

// ---- harness ----------------------------------------------------------------

struct Peers {
    traced: Counting,
    _traced_guard: traced::ShutdownGuard,
    sdk: Counting,
    sdk_provider: SdkTracerProvider,
    tracing: Counting,
    tracing_provider: SdkTracerProvider,
    tracing_dispatch: tracing::Dispatch,
    /// `tracing` bridged into `traced` by its layer (INFO and above).
    bridged_dispatch: tracing::Dispatch,
    /// A `tracing` registry with no layer: what `tracing` costs by itself.
    registry_dispatch: tracing::Dispatch,
    fastrace: Counting,
}

static PEERS: OnceLock<Peers> = OnceLock::new();
static CREATED: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];
const TRACED: usize = 0;
const SDK: usize = 1;
const TRACING: usize = 2;
const FASTRACE: usize = 3;

fn peers() -> &'static Peers {
    PEERS.get_or_init(|| {
        let traced = Counting::default();
        let guard = traced::builder()
            .env(traced::config::EnvConfig::default())
            .exporter(traced.clone())
            .batch(traced::BatchConfig { max_queue_size: QUEUE, ..traced::BatchConfig::default() })
            .install()
            .expect("traced");
        let sdk = Counting::default();
        let sdk_provider = sdk_provider(sdk.clone());
        let tracing = Counting::default();
        let tracing_provider = sdk_provider_for_tracing(tracing.clone());
        let layer = tracing_opentelemetry::layer().with_tracer(tracing_provider.tracer("bench"));
        let tracing_dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
        let bridged_dispatch =
            tracing::Dispatch::new(tracing_subscriber::registry().with(traced::integrations::tracing_bridge::layer()));
        let registry_dispatch = tracing::Dispatch::new(tracing_subscriber::registry());
        let fastrace = Counting::default();
        fastrace::set_reporter(fastrace.clone(), fastrace::collector::Config::default());
        Peers {
            traced,
            _traced_guard: guard,
            sdk,
            sdk_provider,
            tracing,
            tracing_provider,
            tracing_dispatch,
            bridged_dispatch,
            registry_dispatch,
            fastrace,
        }
    })
}

fn sdk_provider_for_tracing(exporter: Counting) -> SdkTracerProvider {
    sdk_provider(exporter)
}

/// Runs `calls` under a sampled parent of each peer's own kind.
fn under_traced_parent(mut calls: impl FnMut()) {
    #[traced::traced(name = "bench.parent")]
    fn parent(calls: &mut dyn FnMut()) {
        calls()
    }
    parent(&mut calls);
    CREATED[TRACED].fetch_add(1, Ordering::Relaxed);
}

fn under_sdk_parent(tracer: &opentelemetry_sdk::trace::SdkTracer, mut calls: impl FnMut()) {
    let cx = Context::current_with_span(tracer.start("bench.parent"));
    let guard = cx.attach();
    calls();
    drop(guard);
    CREATED[SDK].fetch_add(1, Ordering::Relaxed);
}

fn under_tracing_parent(mut calls: impl FnMut()) {
    tracing::dispatcher::with_default(&peers().tracing_dispatch, || {
        let _parent = tracing::info_span!("bench.parent").entered();
        calls();
    });
    CREATED[TRACING].fetch_add(1, Ordering::Relaxed);
}

/// The same `tracing` parent, bridged into `traced` (its spans are traced's).
fn under_bridged_parent(mut calls: impl FnMut()) {
    tracing::dispatcher::with_default(&peers().bridged_dispatch, || {
        let _parent = tracing::info_span!("bench.parent").entered();
        calls();
    });
    CREATED[TRACED].fetch_add(1, Ordering::Relaxed);
}

fn under_fastrace_parent(mut calls: impl FnMut()) {
    let root = fastrace::Span::root("bench.parent", fastrace::collector::SpanContext::random());
    {
        let _g = root.set_local_parent();
        calls();
    }
    drop(root);
    CREATED[FASTRACE].fetch_add(1, Ordering::Relaxed);
}

fn count(peer: usize, spans_per_call: u64) {
    CREATED[peer].fetch_add(CALLS * spans_per_call, Ordering::Relaxed);
}

macro_rules! calls {
    ($f:expr) => {
        || {
            for i in 0..CALLS {
                let _ = black_box($f(i));
            }
        }
    };
}

fn sampled_one_attribute(c: &mut Criterion) {
    let p = peers();
    let tracer = p.sdk_provider.tracer("bench");
    let mut g = c.benchmark_group("sampled sync, one int attribute");
    g.throughput(Throughput::Elements(CALLS));
    g.bench_function("plain", |b| b.iter(calls!(plain)));
    g.bench_function("opentelemetry_sdk in_span", |b| {
        b.iter(|| {
            under_sdk_parent(&tracer, calls!(|i| sdk_one(&tracer, i)));
            count(SDK, 1)
        })
    });
    g.bench_function("tracing + tracing-opentelemetry", |b| {
        b.iter(|| {
            under_tracing_parent(calls!(tracing_one));
            count(TRACING, 1)
        })
    });
    g.bench_function("fastrace, no property", |b| {
        b.iter(|| {
            under_fastrace_parent(calls!(fastrace_bare));
            count(FASTRACE, 1)
        })
    });
    g.bench_function("fastrace, one property", |b| {
        b.iter(|| {
            under_fastrace_parent(calls!(fastrace_one));
            count(FASTRACE, 1)
        })
    });
    g.bench_function("traced, no attribute", |b| {
        b.iter(|| {
            under_traced_parent(calls!(traced_bare));
            count(TRACED, 1)
        })
    });
    g.bench_function("traced", |b| {
        b.iter(|| {
            under_traced_parent(calls!(traced_one));
            count(TRACED, 1)
        })
    });
    g.finish();
    check_exports("sampled sync, one int attribute");
}

/// A caller's context whose `tracestate` carries a probability sampler's
/// threshold (`ot=th:8`): every span of such a trace carries it too.
fn callers_context() -> Context {
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
    let state = TraceState::from_key_value([("ot", "th:8")]).unwrap_or_default();
    let caller = SpanContext::new(TraceId::from(7u128), SpanId::from(7u64), TraceFlags::SAMPLED, true, state);
    Context::new().with_remote_span_context(caller)
}

fn tracestate_one_attribute(c: &mut Criterion) {
    let p = peers();
    let tracer = p.sdk_provider.tracer("bench");
    let mut g = c.benchmark_group("sampled sync, one int attribute, caller's tracestate");
    g.throughput(Throughput::Elements(CALLS));
    g.bench_function("opentelemetry_sdk in_span", |b| {
        b.iter(|| {
            let _caller = callers_context().attach();
            under_sdk_parent(&tracer, calls!(|i| sdk_one(&tracer, i)));
            count(SDK, 1)
        })
    });
    g.bench_function("traced", |b| {
        b.iter(|| {
            let _caller = callers_context().attach();
            under_traced_parent(calls!(traced_one));
            count(TRACED, 1)
        })
    });
    g.finish();
    check_exports("sampled sync, one int attribute, caller's tracestate");
}

fn sampled_four_attributes(c: &mut Criterion) {
    let p = peers();
    let tracer = p.sdk_provider.tracer("bench");
    let mut g = c.benchmark_group("sampled sync, four attributes");
    g.throughput(Throughput::Elements(CALLS));
    g.bench_function("opentelemetry_sdk in_span", |b| {
        b.iter(|| {
            under_sdk_parent(&tracer, calls!(|i| sdk_four(&tracer, i)));
            count(SDK, 1)
        })
    });
    g.bench_function("tracing + tracing-opentelemetry", |b| {
        b.iter(|| {
            under_tracing_parent(calls!(tracing_four));
            count(TRACING, 1)
        })
    });
    g.bench_function("fastrace", |b| {
        b.iter(|| {
            under_fastrace_parent(calls!(fastrace_four));
            count(FASTRACE, 1)
        })
    });
    g.bench_function("traced", |b| {
        b.iter(|| {
            under_traced_parent(calls!(traced_four));
            count(TRACED, 1)
        })
    });
    g.finish();
    check_exports("sampled sync, four attributes");
}

fn async_one_poll(c: &mut Criterion) {
    let mut g = c.benchmark_group("sampled async, one poll");
    g.throughput(Throughput::Elements(CALLS));
    g.bench_function("tracing + tracing-opentelemetry", |b| {
        b.iter(|| {
            under_tracing_parent(calls!(|i| poll_once(tracing_async(i))));
            count(TRACING, 1)
        })
    });
    g.bench_function("fastrace", |b| {
        b.iter(|| {
            under_fastrace_parent(calls!(|i| poll_once(fastrace_async(i))));
            count(FASTRACE, 1)
        })
    });
    g.bench_function("traced", |b| {
        b.iter(|| {
            under_traced_parent(calls!(|i| poll_once(traced_async(i))));
            count(TRACED, 1)
        })
    });
    g.finish();
    check_exports("sampled async, one poll");
}

fn async_ten_polls(c: &mut Criterion) {
    let mut g = c.benchmark_group("sampled async, ten polls");
    g.throughput(Throughput::Elements(CALLS));
    g.bench_function("tracing + tracing-opentelemetry", |b| {
        b.iter(|| {
            under_tracing_parent(calls!(|i| poll_once(tracing_async_ten(i))));
            count(TRACING, 1)
        })
    });
    g.bench_function("fastrace", |b| {
        b.iter(|| {
            under_fastrace_parent(calls!(|i| poll_once(fastrace_async_ten(i))));
            count(FASTRACE, 1)
        })
    });
    g.bench_function("traced", |b| {
        b.iter(|| {
            under_traced_parent(calls!(|i| poll_once(traced_async_ten(i))));
            count(TRACED, 1)
        })
    });
    g.finish();
    check_exports("sampled async, ten polls");
}

fn error_path(c: &mut Criterion) {
    let p = peers();
    let tracer = p.sdk_provider.tracer("bench");
    let mut g = c.benchmark_group("error path");
    g.throughput(Throughput::Elements(CALLS));
    g.bench_function("opentelemetry_sdk in_span", |b| {
        b.iter(|| {
            under_sdk_parent(&tracer, calls!(|i| sdk_err(&tracer, i)));
            count(SDK, 1)
        })
    });
    g.bench_function("tracing + tracing-opentelemetry", |b| {
        b.iter(|| {
            under_tracing_parent(calls!(tracing_err));
            count(TRACING, 1)
        })
    });
    g.bench_function("traced", |b| {
        b.iter(|| {
            under_traced_parent(calls!(traced_err));
            count(TRACED, 1)
        })
    });
    g.finish();
    check_exports("error path");
}

fn nesting_depth_3(c: &mut Criterion) {
    let p = peers();
    let tracer = p.sdk_provider.tracer("bench");
    let mut g = c.benchmark_group("nesting depth 3");
    g.throughput(Throughput::Elements(CALLS));
    g.bench_function("opentelemetry_sdk in_span", |b| {
        b.iter(|| {
            under_sdk_parent(&tracer, calls!(|i| sdk_depth3(&tracer, i)));
            count(SDK, 3)
        })
    });
    g.bench_function("tracing + tracing-opentelemetry", |b| {
        b.iter(|| {
            under_tracing_parent(calls!(tracing_depth3));
            count(TRACING, 3)
        })
    });
    g.bench_function("fastrace", |b| {
        b.iter(|| {
            under_fastrace_parent(calls!(fastrace_depth3));
            count(FASTRACE, 3)
        })
    });
    g.bench_function("traced", |b| {
        b.iter(|| {
            under_traced_parent(calls!(traced_depth3));
            count(TRACED, 3)
        })
    });
    g.finish();
    check_exports("nesting depth 3");
}

/// Per-span cost on one thread and on two threads sharing the provider
/// (each iteration: each thread makes `CALLS * 10` spans).
fn two_threads(c: &mut Criterion) {
    let _ = peers();
    let mut g = c.benchmark_group("threads sharing one provider");
    g.throughput(Throughput::Elements(CALLS * 10));
    for threads in [1u64, 2] {
        g.bench_function(BenchmarkId::new("traced", format!("{threads} thread(s)")), |b| {
            b.iter(|| {
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        s.spawn(|| {
                            for _ in 0..10 {
                                under_traced_parent(calls!(traced_one));
                                count(TRACED, 1);
                            }
                        });
                    }
                });
            })
        });
    }
    g.finish();
    check_exports("threads");
}

#[tracing::instrument(level = "debug", fields(n = n), skip_all)]
#[inline(never)]
fn tracing_debug_one(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

/// The same `#[instrument]` function, its spans made by
/// `tracing-opentelemetry` or by the `traced` bridge; and a DEBUG span the
/// bridge's INFO filter excludes, against `tracing`'s registry alone.
fn tracing_bridge(c: &mut Criterion) {
    let p = peers();
    let mut g = c.benchmark_group("tracing #[instrument], one int attribute");
    g.throughput(Throughput::Elements(CALLS));
    // `tracing`'s registry alone keeps memory per span made here (about
    // 230 bytes, already at the start of this session's code): fewer
    // samples keep the whole run within this machine's memory.
    g.sample_size(20);
    g.bench_function("tracing + tracing-opentelemetry", |b| {
        b.iter(|| {
            under_tracing_parent(calls!(tracing_one));
            count(TRACING, 1)
        })
    });
    g.bench_function("tracing + traced bridge", |b| {
        b.iter(|| {
            under_bridged_parent(calls!(tracing_one));
            count(TRACED, 1)
        })
    });
    // The floor: `tracing`'s registry making the same spans, nothing more.
    g.bench_function("tracing registry alone", |b| {
        b.iter(|| {
            tracing::dispatcher::with_default(&p.registry_dispatch, || {
                let _parent = tracing::info_span!("bench.parent").entered();
                calls!(tracing_one)();
            })
        })
    });
    g.finish();
    check_exports("tracing #[instrument], one int attribute");

    let mut g = c.benchmark_group("tracing DEBUG span, filtered out");
    g.throughput(Throughput::Elements(CALLS));
    g.sample_size(20);
    g.bench_function("tracing registry alone", |b| {
        b.iter(|| tracing::dispatcher::with_default(&p.registry_dispatch, calls!(tracing_debug_one)))
    });
    g.bench_function("registry + traced bridge (INFO)", |b| {
        b.iter(|| tracing::dispatcher::with_default(&p.bridged_dispatch, calls!(tracing_debug_one)))
    });
    g.finish();
}

fn compiled_out(c: &mut Criterion) {
    let mut g = c.benchmark_group("compiled out");
    g.throughput(Throughput::Elements(CALLS));
    g.bench_function("plain", |b| b.iter(calls!(plain)));
    g.bench_function("traced", |b| b.iter(calls!(traced_compiled_out)));
    g.finish();
}

fn unsampled_parent(c: &mut Criterion) {
    let _ = peers();
    let mut g = c.benchmark_group("child of an unsampled parent");
    g.throughput(Throughput::Elements(CALLS));
    let unsampled = opentelemetry::trace::SpanContext::new(
        opentelemetry::trace::TraceId::from(1u128),
        opentelemetry::trace::SpanId::from(1u64),
        opentelemetry::trace::TraceFlags::default(),
        true,
        Default::default(),
    );
    let _cx = Context::new().with_remote_span_context(unsampled).attach();
    g.bench_function("plain", |b| b.iter(calls!(plain)));
    g.bench_function("traced", |b| b.iter(calls!(traced_one)));
    g.finish();
}

/// Flushes every peer and checks nothing was dropped so far.
/// Losses of peers that promise not to lose spans, reported at the end: a
/// peer that dropped spans did less work than its figure claims.
static LOSSES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Flushes every peer (each flush returns once its exporter has the spans)
/// and compares what each created with what reached its exporter. fastrace
/// drops by design when its reporter falls behind: its loss is printed only.
fn check_exports(scenario: &str) {
    let p = peers();
    let _ = p.sdk_provider.force_flush();
    let _ = p.tracing_provider.force_flush();
    fastrace::flush();
    let _ = traced::Provider::current().map(|t| t.force_flush(Duration::from_secs(30)));
    for (name, peer, counter, may_lose) in [
        ("traced", TRACED, &p.traced, false),
        ("opentelemetry_sdk", SDK, &p.sdk, false),
        ("tracing-opentelemetry", TRACING, &p.tracing, false),
        ("fastrace", FASTRACE, &p.fastrace, true),
    ] {
        // Counted per scenario: the next one starts from zero.
        let created = CREATED[peer].swap(0, Ordering::Relaxed);
        let exported = counter.0.swap(0, Ordering::Relaxed);
        let lost = created.saturating_sub(exported);
        let verdict = match (lost, may_lose) {
            (0, _) if exported > created => {
                format!("{} more than created: late spans of the scenario before", exported - created)
            }
            (0, _) => "none lost".to_owned(),
            // fastrace reports from its own thread when it gets to it, and
            // drops when it falls behind: a loss here may be only late.
            (_, true) => format!(
                "{lost} ({:.2}%) missing at flush, late or dropped by design",
                lost as f64 * 100.0 / created as f64
            ),
            (_, false) => {
                let line = format!(
                    "{scenario:?}: {name} lost {lost} of {created} spans ({:.2}%)",
                    lost as f64 * 100.0 / created as f64
                );
                LOSSES.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                format!("LOST {lost} ({:.2}%): its figures are flattered", lost as f64 * 100.0 / created as f64)
            }
        };
        println!("export check after {scenario:?}: {name}: created {created}, exported {exported}: {verdict}");
    }
}

criterion_group!(
    benches,
    sampled_one_attribute,
    tracestate_one_attribute,
    sampled_four_attributes,
    async_one_poll,
    async_ten_polls,
    error_path,
    nesting_depth_3,
    two_threads,
    tracing_bridge,
    compiled_out,
    unsampled_parent
);

// `criterion_main!`, plus the verdict: the run fails when a peer that must
// not lose spans lost some.
fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    let losses = LOSSES.lock().unwrap_or_else(|e| e.into_inner());
    if !losses.is_empty() {
        eprintln!("spans lost by peers that must not lose any:");
        for line in losses.iter() {
            eprintln!("  {line}");
        }
        std::process::exit(1);
    }
}
