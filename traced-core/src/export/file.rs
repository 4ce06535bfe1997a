//! Records spans to a file as OTLP JSON lines, in the format of the
//! OpenTelemetry Collector's `file` exporter (one `TracesData` object per
//! line, the OTLP/JSON mapping: hex ids, 64-bit integers as strings, enums
//! as integers), so `traced query`, the Jaeger UI's upload and a Collector's
//! `otlpjsonfile` receiver all read it.
//!
//! Selected with `OTEL_TRACES_EXPORTER=otlp_file` (the OpenTelemetry
//! specification names no value for it; `otlp_file` is the name its
//! declarative configuration and the C++ SDK use). Settings, not
//! OpenTelemetry variables: `TRACED_FILE_PATH` (default `traces.jsonl`),
//! `TRACED_FILE_MAX_BYTES` (rotate past this size; default 100 MiB, `0`
//! never), `TRACED_FILE_MAX_FILES` (rotated files kept; default 10).
//!
//! Rotation renames the full file to `<stem>-<UTC time>.<ext>` beside it
//! and starts a new one; the oldest rotated files beyond the limit are
//! deleted. A write that fails is an export failure (counted and reported
//! once by the pipeline); the program goes on.

use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::{Array, KeyValue, Value};
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where and how much to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSettings {
    /// The file written to.
    pub path: PathBuf,
    /// Rotate when a write would take the file past this many bytes (`0`:
    /// never rotate).
    pub max_bytes: u64,
    /// Rotated files kept beside the current one.
    pub max_files: usize,
}

impl Default for FileSettings {
    fn default() -> Self {
        FileSettings { path: PathBuf::from("traces.jsonl"), max_bytes: 100 << 20, max_files: 10 }
    }
}

/// Writes spans as OTLP JSON lines; see the module docs.
#[derive(Debug)]
pub struct FileExporter {
    settings: FileSettings,
    state: Mutex<State>,
    resource_json: String,
}

#[derive(Debug)]
struct State {
    file: Option<File>,
    size: u64,
}

impl FileExporter {
    /// An exporter appending to `settings.path` (created when missing).
    pub fn new(settings: FileSettings) -> std::io::Result<Self> {
        let (file, size) = open(&settings.path)?;
        Ok(FileExporter { settings, state: Mutex::new(State { file: Some(file), size }), resource_json: "{}".into() })
    }

    fn rotate(&self, state: &mut State) -> std::io::Result<()> {
        state.file = None;
        let path = &self.settings.path;
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("traces");
        let ext = path.extension().and_then(|s| s.to_str()).map(|e| format!(".{e}")).unwrap_or_default();
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        // Two rotations in one microsecond must not share a name: the
        // second takes the next free microsecond, so names still sort as
        // rotations happened.
        let mut at = SystemTime::now();
        let mut rotated = dir.join(format!("{stem}-{}{ext}", rotation_stamp(at)));
        while rotated.exists() {
            at += Duration::from_micros(1);
            rotated = dir.join(format!("{stem}-{}{ext}", rotation_stamp(at)));
        }
        std::fs::rename(path, &rotated)?;
        // Oldest first by name: the stamps sort as times do.
        let prefix = format!("{stem}-");
        let mut old: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix) && n.ends_with(&ext))
            })
            .collect();
        old.sort();
        let excess = old.len().saturating_sub(self.settings.max_files);
        for stale in &old[..excess] {
            let _ = std::fs::remove_file(stale);
        }
        let (file, size) = open(path)?;
        state.file = Some(file);
        state.size = size;
        Ok(())
    }
}

fn open(path: &Path) -> std::io::Result<(File, u64)> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    let size = file.metadata()?.len();
    Ok((file, size))
}

fn failure(e: impl std::fmt::Display) -> OTelSdkError {
    OTelSdkError::InternalFailure(format!("file exporter: {e}"))
}

impl SpanExporter for FileExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if batch.is_empty() {
            return Ok(());
        }
        let line = traces_data_json(&self.resource_json, &batch);
        let mut state = self.state.lock().map_err(|_| failure("poisoned"))?;
        let len = line.len() as u64;
        if self.settings.max_bytes > 0 && state.size > 0 && state.size + len > self.settings.max_bytes {
            self.rotate(&mut state).map_err(failure)?;
        }
        if state.file.is_none() {
            let (file, size) = open(&self.settings.path).map_err(failure)?;
            state.file = Some(file);
            state.size = size;
        }
        let file = state.file.as_mut().ok_or_else(|| failure("no file"))?;
        file.write_all(line.as_bytes()).map_err(failure)?;
        state.size += len;
        Ok(())
    }

    fn force_flush(&self) -> OTelSdkResult {
        let mut state = self.state.lock().map_err(|_| failure("poisoned"))?;
        match state.file.as_mut() {
            Some(file) => file.flush().map_err(failure),
            None => Ok(()),
        }
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        let mut out = String::from("{\"attributes\":[");
        let mut first = true;
        for (key, value) in resource.iter() {
            if !first {
                out.push(',');
            }
            first = false;
            key_value(&mut out, key.as_str(), value);
        }
        out.push_str("]}");
        self.resource_json = out;
    }
}

/// `traces-2026-11-28T10-41-31.123456`: sortable, and valid in file names
/// everywhere.
fn rotation_stamp(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}-{:02}-{:02}.{:06}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_micros()
    )
}

/// One `TracesData` line: the batch grouped by instrumentation scope.
fn traces_data_json(resource_json: &str, batch: &[SpanData]) -> String {
    let mut out = String::with_capacity(batch.len() * 512);
    out.push_str("{\"resourceSpans\":[{\"resource\":");
    out.push_str(resource_json);
    out.push_str(",\"scopeSpans\":[");
    let mut scopes: Vec<&opentelemetry::InstrumentationScope> = Vec::new();
    for span in batch {
        if !scopes.contains(&&span.instrumentation_scope) {
            scopes.push(&span.instrumentation_scope);
        }
    }
    for (i, scope) in scopes.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"scope\":{\"name\":");
        string(&mut out, scope.name());
        if let Some(version) = scope.version() {
            out.push_str(",\"version\":");
            string(&mut out, version);
        }
        out.push_str("},\"spans\":[");
        let mut first = true;
        for span in batch.iter().filter(|s| &&s.instrumentation_scope == scope) {
            if !first {
                out.push(',');
            }
            first = false;
            span_json(&mut out, span);
        }
        out.push_str("]}");
    }
    out.push_str("]}]}\n");
    out
}

fn nanos(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

fn span_json(out: &mut String, span: &SpanData) {
    let cx = &span.span_context;
    let _ = write!(out, "{{\"traceId\":\"{}\",\"spanId\":\"{}\"", cx.trace_id(), cx.span_id());
    let state = cx.trace_state().header();
    if !state.is_empty() {
        out.push_str(",\"traceState\":");
        string(out, &state);
    }
    if span.parent_span_id != opentelemetry::trace::SpanId::INVALID {
        let _ = write!(out, ",\"parentSpanId\":\"{}\"", span.parent_span_id);
    }
    // Bits 8 and 9: whether the parent's remoteness is known, and whether it is remote.
    let flags = u32::from(cx.trace_flags().to_u8()) | 0x100 | if span.parent_span_is_remote { 0x200 } else { 0 };
    let _ = write!(out, ",\"flags\":{flags},\"name\":");
    string(out, &span.name);
    let kind = match span.span_kind {
        SpanKind::Internal => 1,
        SpanKind::Server => 2,
        SpanKind::Client => 3,
        SpanKind::Producer => 4,
        SpanKind::Consumer => 5,
    };
    let _ = write!(
        out,
        ",\"kind\":{kind},\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":",
        nanos(span.start_time),
        nanos(span.end_time)
    );
    attributes(out, &span.attributes);
    if span.dropped_attributes_count > 0 {
        let _ = write!(out, ",\"droppedAttributesCount\":{}", span.dropped_attributes_count);
    }
    out.push_str(",\"events\":[");
    for (i, event) in span.events.events.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{{\"timeUnixNano\":\"{}\",\"name\":", nanos(event.timestamp));
        string(out, &event.name);
        out.push_str(",\"attributes\":");
        attributes(out, &event.attributes);
        if event.dropped_attributes_count > 0 {
            let _ = write!(out, ",\"droppedAttributesCount\":{}", event.dropped_attributes_count);
        }
        out.push('}');
    }
    out.push(']');
    if span.events.dropped_count > 0 {
        let _ = write!(out, ",\"droppedEventsCount\":{}", span.events.dropped_count);
    }
    out.push_str(",\"links\":[");
    for (i, link) in span.links.links.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let lcx = &link.span_context;
        let _ = write!(out, "{{\"traceId\":\"{}\",\"spanId\":\"{}\",\"attributes\":", lcx.trace_id(), lcx.span_id());
        attributes(out, &link.attributes);
        if link.dropped_attributes_count > 0 {
            let _ = write!(out, ",\"droppedAttributesCount\":{}", link.dropped_attributes_count);
        }
        out.push('}');
    }
    out.push(']');
    if span.links.dropped_count > 0 {
        let _ = write!(out, ",\"droppedLinksCount\":{}", span.links.dropped_count);
    }
    out.push_str(",\"status\":{");
    match &span.status {
        Status::Unset => {}
        Status::Ok => out.push_str("\"code\":1"),
        Status::Error { description } => {
            out.push_str("\"code\":2");
            if !description.is_empty() {
                out.push_str(",\"message\":");
                string(out, description);
            }
        }
    }
    out.push_str("}}");
}

fn attributes(out: &mut String, kvs: &[KeyValue]) {
    out.push('[');
    for (i, kv) in kvs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        key_value(out, kv.key.as_str(), &kv.value);
    }
    out.push(']');
}

fn key_value(out: &mut String, key: &str, value: &Value) {
    out.push_str("{\"key\":");
    string(out, key);
    out.push_str(",\"value\":");
    any_value(out, value);
    out.push('}');
}

fn any_value(out: &mut String, value: &Value) {
    match value {
        Value::Bool(b) => {
            let _ = write!(out, "{{\"boolValue\":{b}}}");
        }
        Value::I64(i) => {
            let _ = write!(out, "{{\"intValue\":\"{i}\"}}");
        }
        Value::F64(f) => {
            out.push_str("{\"doubleValue\":");
            double(out, *f);
            out.push('}');
        }
        Value::String(s) => {
            out.push_str("{\"stringValue\":");
            string(out, s.as_str());
            out.push('}');
        }
        Value::Array(array) => {
            out.push_str("{\"arrayValue\":{\"values\":[");
            match array {
                Array::Bool(items) => join(out, items, |out, b| {
                    let _ = write!(out, "{{\"boolValue\":{b}}}");
                }),
                Array::I64(items) => join(out, items, |out, i| {
                    let _ = write!(out, "{{\"intValue\":\"{i}\"}}");
                }),
                Array::F64(items) => join(out, items, |out, f| {
                    out.push_str("{\"doubleValue\":");
                    double(out, *f);
                    out.push('}');
                }),
                Array::String(items) => join(out, items, |out, s| {
                    out.push_str("{\"stringValue\":");
                    string(out, s.as_str());
                    out.push('}');
                }),
                // A kind added upstream later: written as text.
                other => {
                    out.push_str("{\"stringValue\":");
                    string(out, &other.to_string());
                    out.push('}');
                }
            }
            out.push_str("]}}");
        }
        other => {
            out.push_str("{\"stringValue\":");
            string(out, &other.to_string());
            out.push('}');
        }
    }
}

fn join<T>(out: &mut String, items: &[T], mut each: impl FnMut(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        each(out, item);
    }
}

/// JSON has no NaN or infinities; the OTLP/JSON mapping writes them as strings.
fn double(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str("\"NaN\"");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { "\"Infinity\"" } else { "\"-Infinity\"" });
    } else {
        let _ = write!(out, "{f:?}");
    }
}

/// A JSON string literal.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_and_doubles_are_valid_json() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
        let mut out = String::new();
        for f in [1.0, 0.5, f64::NAN, f64::NEG_INFINITY] {
            double(&mut out, f);
            out.push(' ');
        }
        assert_eq!(out, r#"1.0 0.5 "NaN" "-Infinity" "#);
    }

    #[test]
    fn rotation_stamps_sort_as_times_do() {
        let t = UNIX_EPOCH + Duration::from_millis(1_544_712_660_123);
        assert_eq!(rotation_stamp(t), "2018-12-13T14-51-00.123000");
    }
}
