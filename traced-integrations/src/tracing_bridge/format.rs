//! Log lines that carry the trace: `tracing_subscriber::fmt`'s own text or
//! JSON line, with the current span's `trace_id` and `span_id` (the names
//! the OpenTelemetry log data model and Loki, Elasticsearch and Datadog
//! pipelines look for), so a log line links to its trace.

use super::span::BridgeSpan;
use opentelemetry::trace::{SpanContext, TraceContextExt};
use opentelemetry::Context;
use std::cell::RefCell;
use tracing_core::{Event, Subscriber};
use tracing_subscriber::fmt::format::{DefaultFields, Format, Full, Json, JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// An event format: `fmt`'s full text or JSON line plus the trace ids.
///
/// Text: `... INFO app: loaded rows=1 trace_id=4bf9… span_id=00f0…`;
/// JSON: `{..., "trace_id":"4bf9…","span_id":"00f0…"}`. Lines outside any
/// span are unchanged.
#[derive(Debug)]
pub struct TraceIdFormat {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Text(Format<Full>),
    Json(Format<Json>),
}

impl TraceIdFormat {
    /// `fmt`'s default text line, with the ids at its end.
    pub fn text() -> Self {
        TraceIdFormat { inner: Inner::Text(Format::default()) }
    }

    /// `fmt`'s JSON line, with the ids as two more fields. Use it with
    /// `JsonFields` (as [`fmt_layer_json`] does).
    pub fn json() -> Self {
        TraceIdFormat { inner: Inner::Json(Format::default().json()) }
    }
}

/// `fmt::layer()` writing [`TraceIdFormat::text`] lines to stdout.
pub fn fmt_layer<S>() -> tracing_subscriber::fmt::Layer<S, DefaultFields, TraceIdFormat>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer().event_format(TraceIdFormat::text())
}

/// `fmt::layer()` writing [`TraceIdFormat::json`] lines to stdout.
pub fn fmt_layer_json<S>() -> tracing_subscriber::fmt::Layer<S, JsonFields, TraceIdFormat>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    tracing_subscriber::fmt::layer().fmt_fields(JsonFields::new()).event_format(TraceIdFormat::json())
}

thread_local! {
    /// The line as `fmt` wrote it, before the ids are added; reused.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

impl<S, N> FormatEvent<S, N> for TraceIdFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(&self, ctx: &FmtContext<'_, S, N>, mut writer: Writer<'_>, event: &Event<'_>) -> std::fmt::Result {
        let ids = ids(ctx, event);
        LINE.with(|line| {
            // A nested use (a formatter that logs) gets a buffer of its own.
            let mut own = String::new();
            let mut borrowed = line.try_borrow_mut();
            let buf = match &mut borrowed {
                Ok(buf) => &mut **buf,
                Err(_) => &mut own,
            };
            buf.clear();
            match &self.inner {
                Inner::Text(format) => format.format_event(ctx, Writer::new(buf), event)?,
                Inner::Json(format) => format.format_event(ctx, Writer::new(buf), event)?,
            }
            let text = buf.trim_end_matches('\n');
            let Some(sc) = ids else { return writeln!(writer, "{text}") };
            let (trace_id, span_id) = (sc.trace_id(), sc.span_id());
            match (&self.inner, text.strip_suffix('}')) {
                (Inner::Json(_), Some(object)) => {
                    writeln!(writer, "{object},\"trace_id\":\"{trace_id}\",\"span_id\":\"{span_id}\"}}")
                }
                _ => {
                    writer.write_str(text)?;
                    writeln!(writer, " trace_id={trace_id} span_id={span_id}")
                }
            }
        })
    }
}

/// The span the event belongs to: its explicit parent's bridged span, else
/// the innermost span running here (bridged or `#[traced]`).
fn ids<S, N>(ctx: &FmtContext<'_, S, N>, event: &Event<'_>) -> Option<SpanContext>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    let sc = match event.parent() {
        Some(parent) => ctx
            .span(parent)?
            .scope()
            .find_map(|span| span.extensions().get::<BridgeSpan>().and_then(BridgeSpan::span_context))?,
        None if event.is_root() => return None,
        None => Context::map_current(|cx| cx.span().span_context().clone()),
    };
    sc.is_valid().then_some(sc)
}
