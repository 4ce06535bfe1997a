//! `tracing` spans and events in `traced`'s trace, through the public API:
//! nesting in both directions (sync, async, spawned tasks), fields and the
//! `otel.*` ones, `Span::record`, events and their limit, the filter,
//! `set_parent` before and after the span starts, spans dropped without
//! being entered, and log lines (text and JSON, and `log` records) parsed
//! back for their trace ids.
#![cfg(all(feature = "tracing", feature = "test-util"))]

use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::Value;
use std::sync::{Arc, Mutex};
use traced::integrations::tracing_bridge::{self, TracedSpanExt};
use traced::testing::{capture, CapturedSpan};
use tracing::instrument::Instrument;
use tracing_subscriber::layer::SubscriberExt;

/// Runs `f` with a subscriber made of the bridge layer (default filter).
fn bridged<R>(f: impl FnOnce() -> R) -> R {
    let subscriber = tracing_subscriber::registry().with(tracing_bridge::layer());
    tracing::subscriber::with_default(subscriber, f)
}

fn hex(span: &CapturedSpan) -> (String, String) {
    (span.span_context.trace_id().to_string(), span.span_context.span_id().to_string())
}

#[traced::traced]
fn outer_traced() {
    inner_instrumented();
}

#[tracing::instrument]
fn inner_instrumented() {
    deepest_traced();
}

#[traced::traced]
fn deepest_traced() {
    tracing::info!(rows = 3_i64, "loaded");
}

#[test]
fn instrument_inside_traced_and_traced_inside_instrument_make_one_tree() {
    let spans = capture();
    bridged(outer_traced);
    let outer = spans.span("tracing_bridge.outer_traced");
    let inner = spans.span("inner_instrumented");
    let deepest = spans.span("tracing_bridge.deepest_traced");
    assert!(inner.is_child_of(&outer), "{:?}", spans.names());
    assert!(deepest.is_child_of(&inner), "{:?}", spans.names());
    assert_eq!(outer.span_context.trace_id(), deepest.span_context.trace_id());
    // The event of the innermost (`#[traced]`) span is on it.
    let loaded = deepest.event("loaded").expect("the info! event on the #[traced] span");
    let attr = |k: &str| loaded.attributes.iter().find(|kv| kv.key.as_str() == k).map(|kv| kv.value.clone());
    assert_eq!(attr("rows"), Some(Value::I64(3)));
    assert_eq!(attr("level"), Some(Value::from("INFO")));
    assert_eq!(attr("target"), Some(Value::from("tracing_bridge")));
    assert_eq!(inner.attr_str("level").as_deref(), Some("INFO"));
}

#[test]
fn fields_otel_fields_and_later_records_become_name_kind_status_and_attributes() {
    let spans = capture();
    bridged(|| {
        let span = tracing::info_span!(
            "request",
            otel.name = "GET /users/{id}",
            otel.kind = "server",
            http.response.status_code = tracing::field::Empty,
            user.id = tracing::field::Empty,
            cached = false,
            ratio = 0.25,
            big = u64::MAX,
            peer = ?std::net::Ipv4Addr::LOCALHOST,
            otel.status_code = tracing::field::Empty,
            otel.status_message = tracing::field::Empty,
        );
        let _entered = span.enter();
        span.record("user.id", 42_i64);
        span.record("http.response.status_code", 500_i64);
        span.record("otel.status_code", "error");
        span.record("otel.status_message", "upstream failed");
    });
    let span = spans.span("GET /users/{id}");
    assert_eq!(span.span_kind, SpanKind::Server);
    assert_eq!(span.attr("user.id"), Some(&Value::I64(42)), "recorded after the span started");
    assert_eq!(span.attr("http.response.status_code"), Some(&Value::I64(500)));
    assert_eq!(span.attr("cached"), Some(&Value::Bool(false)));
    assert_eq!(span.attr("ratio"), Some(&Value::F64(0.25)));
    assert_eq!(span.attr_str("big").as_deref(), Some("18446744073709551615"), "u64 past i64: a string");
    assert_eq!(span.attr_str("peer").as_deref(), Some("127.0.0.1"));
    assert_eq!(span.status, Status::error("upstream failed"));
    assert!(span.attr("otel.kind").is_none() && span.attr("otel.name").is_none());
}

#[test]
fn events_are_span_events_within_the_limit_and_errors_set_status_only_when_asked() {
    let spans = capture();
    bridged(|| {
        let _span = tracing::info_span!("import").entered();
        for i in 0..200_i64 {
            tracing::info!(row = i, "row");
        }
        tracing::error!(code = 7_i64, "row 201 rejected");
    });
    let import = spans.span("import");
    assert_eq!(import.events.len(), 128, "OTEL_SPAN_EVENT_COUNT_LIMIT's default");
    assert_eq!(import.events.dropped_count, 73, "what is past the limit is counted");
    assert_eq!(import.status, Status::Unset, "an ERROR event alone does not fail the span");

    let spans = capture();
    let subscriber =
        tracing_subscriber::registry().with(tracing_bridge::TracedLayer::new().error_events_set_status(true));
    tracing::subscriber::with_default(subscriber, || {
        let _span = tracing::info_span!("import").entered();
        tracing::error!("row 1 rejected");
    });
    assert_eq!(spans.span("import").status, Status::error("row 1 rejected"));
}

/// Runs the test `name` of this binary alone in a child process (the
/// bridge's counters are process-wide); true inside that child.
fn in_own_process(name: &str) -> bool {
    if std::env::var_os("TRACED_BRIDGE_CHILD").is_some() {
        return true;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args([name, "--exact", "--nocapture"])
        .env("TRACED_BRIDGE_CHILD", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    false
}

#[test]
fn events_outside_any_span_are_counted() {
    if !in_own_process("events_outside_any_span_are_counted") {
        return;
    }
    let _spans = capture();
    bridged(|| {
        tracing::warn!("no span here");
        let _span = tracing::info_span!("with_a_span").entered();
        tracing::info!("inside: not counted");
    });
    assert_eq!(tracing_bridge::stats().events_outside_spans, 1);
}

#[test]
fn the_filter_decides_which_spans_are_bridged_and_excluded_ones_are_transparent() {
    let spans = capture();
    bridged(|| {
        let _outer = tracing::info_span!("outer").entered();
        let _noisy = tracing::debug_span!("debug_detail").entered();
        let _inner = tracing::info_span!("inner").entered();
    });
    assert_eq!(spans.names(), ["inner", "outer"], "the DEBUG span is not bridged");
    assert!(spans.span("inner").is_child_of(&spans.span("outer")), "its child hangs from the nearest bridged span");

    let spans = capture();
    let filter = tracing_bridge::Targets::new()
        .with_default(tracing::Level::TRACE)
        .with_target("h2", tracing_subscriber::filter::LevelFilter::OFF);
    let subscriber = tracing_subscriber::registry().with(tracing_bridge::layer_with(filter));
    tracing::subscriber::with_default(subscriber, || {
        let _app = tracing::trace_span!("app_detail").entered();
        let _lib = tracing::info_span!(target: "h2::codec", "frame").entered();
    });
    assert_eq!(spans.names(), ["app_detail"]);
}

#[test]
fn the_current_span_agrees_between_tracing_traced_and_opentelemetry() {
    let spans = capture();
    bridged(|| {
        let span = tracing::info_span!("handler");
        let _entered = span.enter();
        let ours = traced::current_span().span_context();
        assert!(ours.is_valid());
        assert_eq!(ours, tracing::Span::current().span_context());
        assert_eq!(ours, span.span_context());
        use opentelemetry::trace::TraceContextExt;
        assert_eq!(&ours, opentelemetry::Context::current().span().span_context());
    });
    assert_eq!(spans.names(), ["handler"]);
}

#[test]
fn set_parent_before_the_first_enter_joins_the_callers_trace_and_after_it_links() {
    let spans = capture();
    let caller_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let caller_span = "00f067aa0ba902b7";
    let headers =
        std::collections::HashMap::from([("traceparent".to_owned(), format!("00-{caller_trace}-{caller_span}-01"))]);
    let cx = traced::propagation::extract(&headers);
    let before = tracing_bridge::stats().late_parents;
    bridged(|| {
        let request = tracing::info_span!("request", otel.kind = "server");
        assert!(request.set_parent(&cx), "not started yet: the parent is taken");
        {
            let _entered = request.enter();
            let _child = tracing::info_span!("load").entered();
        }
        let late = tracing::info_span!("late");
        late.in_scope(|| {});
        assert!(!late.set_parent(&cx), "started: a link instead");
    });
    let request = spans.span("request");
    assert_eq!(hex(&request).0, caller_trace);
    assert_eq!(request.parent_span_id.to_string(), caller_span);
    assert!(request.parent_span_is_remote);
    assert!(spans.span("load").is_child_of(&request));
    let late = spans.span("late");
    assert_ne!(hex(&late).0, caller_trace);
    assert_eq!(late.links.links.len(), 1);
    assert_eq!(late.links.links[0].span_context.span_id().to_string(), caller_span);
    assert!(tracing_bridge::stats().late_parents > before);
}

#[test]
fn a_span_dropped_without_being_entered_is_still_recorded() {
    let spans = capture();
    bridged(|| {
        let span = tracing::info_span!("never_entered", n = 1_i64);
        std::thread::sleep(std::time::Duration::from_millis(2));
        drop(span);
    });
    let span = spans.span("never_entered");
    let took = span.end_time.duration_since(span.start_time).expect("end after start");
    assert!(took >= std::time::Duration::from_millis(2), "timed from its creation: {took:?}");
    assert_eq!(span.attr("n"), Some(&Value::I64(1)));
}

#[tracing::instrument]
async fn fetch_user(id: u64) -> u64 {
    tokio::task::yield_now().await;
    lookup(id).await
}

#[traced::traced]
async fn lookup(id: u64) -> u64 {
    tokio::task::yield_now().await;
    id * 2
}

#[test]
fn async_functions_and_spawned_tasks_keep_the_tree_across_polls() {
    let spans = capture();
    let subscriber = tracing_subscriber::registry().with(tracing_bridge::layer());
    let _dispatch = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let root = tracing::info_span!("batch");
        async {
            let task = tokio::spawn(fetch_user(1).instrument(tracing::info_span!("task")));
            let direct = fetch_user(2).await;
            assert_eq!(task.await.unwrap() + direct, 6);
        }
        .instrument(root)
        .await;
    });
    let batch = spans.span("batch");
    let task = spans.span("task");
    assert!(task.is_child_of(&batch), "{:?}", spans.names());
    let fetches = spans.named("fetch_user");
    assert_eq!(fetches.len(), 2);
    assert!(fetches.iter().any(|f| f.is_child_of(&task)));
    assert!(fetches.iter().any(|f| f.is_child_of(&batch)));
    for lookup in spans.named("tracing_bridge.lookup") {
        assert!(fetches.iter().any(|f| lookup.is_child_of(f)), "each #[traced] lookup under its fetch_user");
    }
    assert_eq!(spans.named("tracing_bridge.lookup").len(), 2);
    assert!(fetches[0].attr("id").is_some());
}

/// A writer the formatter writes into, kept for the test to read.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Lines {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Runs `f` under the bridge and the bridge's `fmt` layer (JSON or text);
/// the lines it wrote.
fn logged(json: bool, f: impl FnOnce()) -> String {
    let lines = Lines::default();
    let writer = lines.clone();
    let make = move || writer.clone();
    let bridged = tracing_subscriber::registry().with(tracing_bridge::layer());
    if json {
        tracing::subscriber::with_default(bridged.with(tracing_bridge::fmt_layer_json().with_writer(make)), f);
    } else {
        tracing::subscriber::with_default(bridged.with(tracing_bridge::fmt_layer().with_writer(make)), f);
    }
    lines.text()
}

#[test]
fn text_log_lines_carry_the_trace_and_span_ids() {
    let spans = capture();
    let text = logged(false, || {
        tracing::info!("before any span");
        let _span = tracing::info_span!("checkout").entered();
        tracing::info!(order = 7_i64, "paid");
    });
    let checkout = spans.span("checkout");
    let (trace, span) = hex(&checkout);
    let all: Vec<&str> = text.lines().collect();
    assert_eq!(all.len(), 2, "{text}");
    assert!(!all[0].contains("trace_id="), "{text}");
    assert!(all[1].contains("paid") && all[1].contains("order=7"), "{text}");
    assert!(all[1].ends_with(&format!("trace_id={trace} span_id={span}")), "{text}");
}

#[test]
fn json_log_lines_carry_the_trace_and_span_ids_as_fields() {
    let spans = capture();
    let text = logged(true, || {
        let _span = tracing::info_span!("checkout", cart = 3_i64).entered();
        traced_inside_json();
    });
    let checkout = spans.span("checkout");
    let inner = spans.span("tracing_bridge.traced_json_child");
    let parsed: Vec<serde_json::Value> =
        text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert_eq!(parsed.len(), 2, "{text}");
    assert_eq!(parsed[0]["fields"]["message"], "in the span");
    assert_eq!(parsed[0]["trace_id"], hex(&checkout).0);
    assert_eq!(parsed[0]["span_id"], hex(&checkout).1);
    assert_eq!(parsed[0]["level"], "INFO");
    // Inside a `#[traced]` function: that span's id.
    assert_eq!(parsed[1]["span_id"], hex(&inner).1, "{text}");
    assert_eq!(parsed[1]["trace_id"], hex(&checkout).0);
}

fn traced_inside_json() {
    tracing::info!("in the span");
    traced_json_child();
}

#[traced::traced]
fn traced_json_child() {
    tracing::warn!("inside traced");
}

#[test]
fn log_records_inside_a_traced_span_get_the_ids_and_become_events() {
    // `log` to `tracing`, process-wide (the only test here that does it).
    let _ = tracing_log::LogTracer::init();
    let spans = capture();
    let text = logged(false, logs_with_the_log_crate);
    let span = spans.span("tracing_bridge.logs_with_the_log_crate");
    assert!(span.event("cache miss for user 42").is_some(), "{:?}", span.events);
    let (trace, id) = hex(&span);
    assert!(text.contains("cache miss for user 42"), "{text}");
    assert!(text.trim_end().ends_with(&format!("trace_id={trace} span_id={id}")), "{text}");
}

#[traced::traced]
fn logs_with_the_log_crate() {
    log::info!("cache miss for user {}", 42);
}

/// A span kept alive forever is never exported, but it is not silent: the
/// open count says so; spans dropped (entered or not) leave it. Runs in a
/// child process: the count is process-wide.
#[test]
fn spans_that_never_close_are_counted_as_open() {
    if !in_own_process("spans_that_never_close_are_counted_as_open") {
        return;
    }
    let spans = capture();
    let kept = bridged(|| {
        let kept = tracing::info_span!("held_by_a_cache");
        kept.in_scope(|| {});
        let _done = tracing::info_span!("done").entered();
        drop(tracing::info_span!("dropped_unentered"));
        kept
    });
    assert_eq!(tracing_bridge::stats().open_spans, 1, "the span held by the cache");
    assert_eq!(spans.names(), ["dropped_unentered", "done"]);
    drop(kept);
    assert_eq!(tracing_bridge::stats().open_spans, 0);
    assert_eq!(spans.names(), ["dropped_unentered", "done", "held_by_a_cache"]);
}
