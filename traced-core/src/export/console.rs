//! The console exporter: each finished trace printed as an indented tree with
//! durations, status and attributes. The default when no collector is
//! configured, so the first run shows something readable.
//!
//! Spans are held until their root arrives, then the whole tree is printed
//! at once. A root whose parent is remote (a server span continuing a
//! caller's trace) is held one export longer, so that when the caller is in
//! this process too, client and server print as one tree. Whatever is still
//! held at flush or shutdown is printed as it is.

use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Prints traces as trees to stdout (or any writer).
pub struct ConsoleExporter {
    state: Mutex<State>,
}

struct State {
    out: Box<dyn Write + Send>,
    pending: HashMap<TraceId, Vec<SpanData>>,
    /// Traces whose only root so far has a remote parent: printed at the
    /// next export unless their parent arrives first.
    deferred: Vec<TraceId>,
}

impl std::fmt::Debug for ConsoleExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConsoleExporter")
    }
}

impl Default for ConsoleExporter {
    fn default() -> Self {
        Self::new(std::io::stdout())
    }
}

impl ConsoleExporter {
    /// Prints to `out`.
    pub fn new(out: impl Write + Send + 'static) -> Self {
        ConsoleExporter {
            state: Mutex::new(State { out: Box::new(out), pending: HashMap::new(), deferred: Vec::new() }),
        }
    }

    /// Prints into a shared buffer (for tests and golden files).
    pub fn to_buffer() -> (Self, SharedBuffer) {
        let buf = SharedBuffer::default();
        (Self::new(buf.clone()), buf)
    }

    fn print_all(&self) -> OTelSdkResult {
        let mut state = self.state.lock().map_err(|_| OTelSdkError::InternalFailure("poisoned".into()))?;
        state.deferred.clear();
        let traces: Vec<_> = state.pending.drain().collect();
        for (_, spans) in traces {
            let text = render_trace(&spans);
            state.out.write_all(text.as_bytes()).map_err(|e| OTelSdkError::InternalFailure(e.to_string()))?;
        }
        state.out.flush().map_err(|e| OTelSdkError::InternalFailure(e.to_string()))
    }
}

/// A cloneable in-memory writer.
#[derive(Clone, Default, Debug)]
pub struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    /// What was written so far, as text.
    pub fn contents(&self) -> String {
        self.0.lock().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().map_err(|_| std::io::Error::other("poisoned"))?.extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SpanExporter for ConsoleExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut state = self.state.lock().map_err(|_| OTelSdkError::InternalFailure("poisoned".into()))?;
        let mut complete = std::mem::take(&mut state.deferred);
        let mut deferred = Vec::new();
        for span in batch {
            let trace_id = span.span_context.trace_id();
            if span.parent_span_id == SpanId::INVALID {
                complete.push(trace_id);
            } else if span.parent_span_is_remote {
                deferred.push(trace_id);
            }
            state.pending.entry(trace_id).or_default().push(span);
        }
        let mut printed = HashSet::new();
        for trace_id in complete {
            if let Some(spans) = state.pending.remove(&trace_id) {
                printed.insert(trace_id);
                let text = render_trace(&spans);
                state.out.write_all(text.as_bytes()).map_err(|e| OTelSdkError::InternalFailure(e.to_string()))?;
            }
        }
        deferred.retain(|id| !printed.contains(id));
        deferred.dedup();
        state.deferred = deferred;
        state.out.flush().map_err(|e| OTelSdkError::InternalFailure(e.to_string()))
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.print_all()
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.print_all()
    }
}

fn format_duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.1}µs")
    } else if micros < 1e6 {
        format!("{:.2}ms", micros / 1e3)
    } else {
        format!("{:.2}s", micros / 1e6)
    }
}

fn kind_label(kind: &SpanKind) -> Option<&'static str> {
    match kind {
        SpanKind::Internal => None,
        SpanKind::Server => Some("server"),
        SpanKind::Client => Some("client"),
        SpanKind::Producer => Some("producer"),
        SpanKind::Consumer => Some("consumer"),
    }
}

fn render_value(v: &opentelemetry::Value) -> String {
    let s = v.to_string();
    let s = if matches!(v, opentelemetry::Value::String(_)) && (s.is_empty() || s.contains(' ')) {
        format!("{s:?}")
    } else {
        s
    };
    if s.chars().count() > 80 {
        let cut: String = s.chars().take(77).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn span_line(span: &SpanData) -> String {
    let mut line = span.name.to_string();
    let duration = span.end_time.duration_since(span.start_time).unwrap_or_default();
    let _ = write!(line, "  {}", format_duration(duration));
    if let Some(kind) = kind_label(&span.span_kind) {
        let _ = write!(line, "  [{kind}]");
    }
    match &span.status {
        Status::Error { description } if description.is_empty() => line.push_str("  ERROR"),
        Status::Error { description } => {
            let _ = write!(line, "  ERROR: {description}");
        }
        Status::Ok => line.push_str("  OK"),
        Status::Unset => {}
    }
    for kv in &span.attributes {
        let _ = write!(line, "  {}={}", kv.key, render_value(&kv.value));
    }
    line
}

/// Renders one trace's spans as a tree (children by start time).
pub fn render_trace(spans: &[SpanData]) -> String {
    let ids: HashSet<SpanId> = spans.iter().map(|s| s.span_context.span_id()).collect();
    let mut children: HashMap<SpanId, Vec<&SpanData>> = HashMap::new();
    let mut roots = Vec::new();
    for s in spans {
        if ids.contains(&s.parent_span_id) {
            children.entry(s.parent_span_id).or_default().push(s);
        } else {
            roots.push(s);
        }
    }
    for list in children.values_mut() {
        list.sort_by_key(|s| s.start_time);
    }
    roots.sort_by_key(|s| s.start_time);
    let mut out = String::new();
    if let Some(first) = spans.first() {
        let _ = writeln!(out, "trace {}", first.span_context.trace_id());
    }
    fn walk(out: &mut String, span: &SpanData, prefix: &str, last: bool, children: &HashMap<SpanId, Vec<&SpanData>>) {
        let branch = if last { "└─ " } else { "├─ " };
        let _ = writeln!(out, "{prefix}{branch}{}", span_line(span));
        let child_prefix = format!("{prefix}{}", if last { "   " } else { "│  " });
        let kids = children.get(&span.span_context.span_id()).map(Vec::as_slice).unwrap_or(&[]);
        for event in &span.events.events {
            let bar = if kids.is_empty() { "" } else { "│ " };
            let mut line = format!("{child_prefix}{bar}• {}", event.name);
            for kv in &event.attributes {
                let _ = write!(line, "  {}={}", kv.key, render_value(&kv.value));
            }
            let _ = writeln!(out, "{line}");
        }
        for (i, child) in kids.iter().enumerate() {
            walk(out, child, &child_prefix, i + 1 == kids.len(), children);
        }
    }
    for (i, root) in roots.iter().enumerate() {
        walk(&mut out, root, "", i + 1 == roots.len(), &children);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Event, SpanContext, TraceFlags, TraceState};
    use opentelemetry::{InstrumentationScope, KeyValue};
    use opentelemetry_sdk::trace::{SpanEvents, SpanLinks};
    use std::time::{SystemTime, UNIX_EPOCH};

    fn span(id: u64, parent: u64, name: &'static str, start_us: u64, dur_us: u64) -> SpanData {
        let t0 = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        SpanData {
            span_context: SpanContext::new(
                TraceId::from(0x4bf92f3577b34da6a3ce929d0e0e4736u128),
                SpanId::from(id),
                TraceFlags::SAMPLED,
                false,
                TraceState::NONE,
            ),
            parent_span_id: SpanId::from(parent),
            parent_span_is_remote: false,
            span_kind: SpanKind::Internal,
            name: name.into(),
            start_time: t0 + Duration::from_micros(start_us),
            end_time: t0 + Duration::from_micros(start_us + dur_us),
            attributes: vec![],
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: Status::Unset,
            instrumentation_scope: InstrumentationScope::builder("t").build(),
        }
    }

    #[test]
    fn golden_tree() {
        let mut root = span(1, 0, "GET /users/{id}", 0, 12_345);
        root.span_kind = SpanKind::Server;
        root.attributes =
            vec![KeyValue::new("http.response.status_code", 500), KeyValue::new("url.path", "/users/error")];
        root.status = Status::error("");
        let get_user = span(2, 1, "UserService.get_user", 100, 10_000);
        let mut fetch = span(3, 2, "UserService.fetch_user_from_db", 200, 8_000);
        fetch.status = Status::error("user not found");
        fetch.attributes = vec![KeyValue::new("error.type", "app::DbError")];
        fetch.events.events.push(Event::new(
            "exception",
            SystemTime::now(),
            vec![KeyValue::new("exception.type", "app::DbError"), KeyValue::new("exception.message", "user not found")],
            0,
        ));
        let process = span(4, 2, "UserService.process_user_data", 8_300, 900);
        let (exporter, buf) = ConsoleExporter::to_buffer();
        // Children end first, in a separate batch from the root.
        futures_executor::block_on(exporter.export(vec![process, fetch])).unwrap();
        assert_eq!(buf.contents(), "", "nothing printed before the root ends");
        futures_executor::block_on(exporter.export(vec![get_user, root])).unwrap();
        let expected = "\
trace 4bf92f3577b34da6a3ce929d0e0e4736
└─ GET /users/{id}  12.35ms  [server]  ERROR  http.response.status_code=500  url.path=/users/error
   └─ UserService.get_user  10.00ms
      ├─ UserService.fetch_user_from_db  8.00ms  ERROR: user not found  error.type=app::DbError
      │  • exception  exception.type=app::DbError  exception.message=\"user not found\"
      └─ UserService.process_user_data  900.0µs
";
        assert_eq!(buf.contents(), expected);
    }

    #[test]
    fn orphans_print_on_flush() {
        let (exporter, buf) = ConsoleExporter::to_buffer();
        futures_executor::block_on(exporter.export(vec![span(7, 99, "orphan", 0, 2_500_000)])).unwrap();
        assert_eq!(buf.contents(), "");
        exporter.force_flush().unwrap();
        assert_eq!(buf.contents(), "trace 4bf92f3577b34da6a3ce929d0e0e4736\n└─ orphan  2.50s\n");
    }

    #[test]
    fn a_caller_in_this_process_prints_with_its_server_span() {
        let mut server = span(2, 1, "GET /users/{id}", 100, 500);
        server.parent_span_is_remote = true;
        let client = span(1, 0, "GET", 0, 800);
        let (exporter, buf) = ConsoleExporter::to_buffer();
        futures_executor::block_on(exporter.export(vec![server])).unwrap();
        assert_eq!(buf.contents(), "", "held one export for its caller");
        futures_executor::block_on(exporter.export(vec![client])).unwrap();
        assert_eq!(
            buf.contents(),
            "trace 4bf92f3577b34da6a3ce929d0e0e4736\n└─ GET  800.0µs\n   └─ GET /users/{id}  500.0µs\n"
        );
    }

    #[test]
    fn a_remote_callers_trace_prints_at_the_next_export() {
        let mut server = span(2, 1, "GET /users/{id}", 100, 500);
        server.parent_span_is_remote = true;
        let (exporter, buf) = ConsoleExporter::to_buffer();
        futures_executor::block_on(exporter.export(vec![server])).unwrap();
        futures_executor::block_on(exporter.export(vec![])).unwrap();
        assert_eq!(buf.contents(), "trace 4bf92f3577b34da6a3ce929d0e0e4736\n└─ GET /users/{id}  500.0µs\n");
    }
}
