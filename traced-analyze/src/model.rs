//! The one model every reader fills and every analysis reads: traces of
//! spans, with OpenTelemetry's vocabulary (kinds, status, attributes,
//! events, links), whatever format the file was in.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A 16-byte trace id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TraceId(pub [u8; 16]);

/// An 8-byte span id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SpanId(pub [u8; 8]);

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}
impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}
impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}
impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

/// A span's kind, as OpenTelemetry defines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SpanKind {
    /// Not given.
    #[default]
    Unspecified,
    /// Internal work.
    Internal,
    /// Handles a request.
    Server,
    /// Makes a request.
    Client,
    /// Sends a message.
    Producer,
    /// Receives a message.
    Consumer,
}

impl SpanKind {
    /// The lower-case name TraceQL uses (`server`, `client`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Unspecified => "unspecified",
            SpanKind::Internal => "internal",
            SpanKind::Server => "server",
            SpanKind::Client => "client",
            SpanKind::Producer => "producer",
            SpanKind::Consumer => "consumer",
        }
    }
}

/// A span's status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum StatusCode {
    /// Not set.
    #[default]
    Unset,
    /// Set OK by the application.
    Ok,
    /// Failed.
    Error,
}

impl StatusCode {
    /// The lower-case name TraceQL uses.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Unset => "unset",
            StatusCode::Ok => "ok",
            StatusCode::Error => "error",
        }
    }
}

/// An attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A string.
    Str(Arc<str>),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// Bytes (base64 in OTLP JSON).
    Bytes(Vec<u8>),
    /// An array of values.
    Array(Vec<Value>),
    /// A nested list of key-value pairs.
    Map(Vec<(Arc<str>, Value)>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Str(s) => f.write_str(s),
            Value::Int(i) => write!(f, "{i}"),
            Value::Double(d) => write!(f, "{d}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Bytes(b) => write!(f, "{} bytes", b.len()),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
            Value::Map(entries) => {
                f.write_str("{")?;
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

/// Attributes in the order the file gave them; keys are shared strings.
pub type Attributes = Vec<(Arc<str>, Value)>;

/// Looks `key` up in `attributes`.
pub fn attribute<'a>(attributes: &'a Attributes, key: &str) -> Option<&'a Value> {
    attributes.iter().find(|(k, _)| &**k == key).map(|(_, v)| v)
}

/// The process that made spans: its resource attributes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resource {
    /// `service.name` (empty when the file did not say).
    pub service_name: Arc<str>,
    /// Every resource attribute, `service.name` included.
    pub attributes: Attributes,
}

/// Something that happened during a span.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When, in nanoseconds since the Unix epoch.
    pub time_unix_nano: u64,
    /// Its name (`exception` for recorded errors).
    pub name: Arc<str>,
    /// Its attributes.
    pub attributes: Attributes,
}

/// A link to a span of this or another trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The linked span's trace.
    pub trace_id: TraceId,
    /// The linked span.
    pub span_id: SpanId,
    /// The link's attributes.
    pub attributes: Attributes,
}

/// One span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Its trace.
    pub trace_id: TraceId,
    /// Its id.
    pub span_id: SpanId,
    /// Its parent, if it has one.
    pub parent_span_id: Option<SpanId>,
    /// Its name.
    pub name: Arc<str>,
    /// Its kind.
    pub kind: SpanKind,
    /// Start, in nanoseconds since the Unix epoch.
    pub start_unix_nano: u64,
    /// End, in nanoseconds since the Unix epoch.
    pub end_unix_nano: u64,
    /// Status code.
    pub status: StatusCode,
    /// Status message (empty when none).
    pub status_message: Arc<str>,
    /// Span attributes.
    pub attributes: Attributes,
    /// The process that made it.
    pub resource: Arc<Resource>,
    /// The instrumentation scope's name (empty when none).
    pub scope_name: Arc<str>,
    /// Its events.
    pub events: Vec<Event>,
    /// Its links.
    pub links: Vec<Link>,
}

impl Span {
    /// `end - start`, zero when the file has them the wrong way round.
    pub fn duration_nanos(&self) -> u64 {
        self.end_unix_nano.saturating_sub(self.start_unix_nano)
    }

    /// The service that made it.
    pub fn service(&self) -> &str {
        &self.resource.service_name
    }

    /// A span attribute.
    pub fn attribute(&self, key: &str) -> Option<&Value> {
        attribute(&self.attributes, key)
    }

    /// Failed: status Error, or (as Jaeger and older instrumentations say
    /// it) an `error = true` attribute.
    pub fn is_error(&self) -> bool {
        self.status == StatusCode::Error || matches!(self.attribute("error"), Some(Value::Bool(true)))
    }
}

/// The spans of one trace, in start order, with the tree among them.
#[derive(Debug, Clone)]
pub struct Trace {
    /// Its id.
    pub trace_id: TraceId,
    /// Its spans, ordered by start time (then span id).
    pub spans: Vec<Span>,
    /// For each span, the index of its parent in `spans` (`None` for a root
    /// or a span whose parent is not in the file).
    parents: Vec<Option<usize>>,
    /// For each span, the indices of its children, in start order.
    children: Vec<Vec<usize>>,
}

impl Trace {
    /// Orders `spans` and links them into a tree.
    pub fn new(trace_id: TraceId, mut spans: Vec<Span>) -> Trace {
        spans.sort_by(|a, b| a.start_unix_nano.cmp(&b.start_unix_nano).then(a.span_id.cmp(&b.span_id)));
        // A span id given twice (a retried export): keep the first.
        let mut index: HashMap<SpanId, usize> = HashMap::with_capacity(spans.len());
        let mut kept = Vec::with_capacity(spans.len());
        for span in spans {
            if let std::collections::hash_map::Entry::Vacant(slot) = index.entry(span.span_id) {
                slot.insert(kept.len());
                kept.push(span);
            }
        }
        let parents: Vec<Option<usize>> = kept
            .iter()
            .map(|s| s.parent_span_id.and_then(|p| index.get(&p).copied()).filter(|&p| kept[p].span_id != s.span_id))
            .collect();
        let mut children = vec![Vec::new(); kept.len()];
        for (i, parent) in parents.iter().enumerate() {
            if let Some(p) = parent {
                children[*p].push(i);
            }
        }
        Trace { trace_id, spans: kept, parents, children }
    }

    /// The index of `i`'s parent, when it is in the trace.
    pub fn parent(&self, i: usize) -> Option<usize> {
        self.parents[i]
    }

    /// The indices of `i`'s children, in start order.
    pub fn children(&self, i: usize) -> &[usize] {
        &self.children[i]
    }

    /// The spans without a parent in the trace (a true root, or the top of a
    /// fragment whose parent was not recorded), in start order.
    pub fn roots(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.spans.len()).filter(|&i| self.parents[i].is_none())
    }

    /// The root: the earliest span with no parent id at all, else the
    /// earliest span whose parent is missing.
    pub fn root(&self) -> Option<&Span> {
        self.spans.iter().find(|s| s.parent_span_id.is_none()).or_else(|| self.roots().next().map(|i| &self.spans[i]))
    }

    /// Earliest start.
    pub fn start_unix_nano(&self) -> u64 {
        self.spans.iter().map(|s| s.start_unix_nano).min().unwrap_or(0)
    }

    /// Latest end.
    pub fn end_unix_nano(&self) -> u64 {
        self.spans.iter().map(|s| s.end_unix_nano).max().unwrap_or(0)
    }

    /// From the first start to the last end.
    pub fn duration_nanos(&self) -> u64 {
        self.end_unix_nano().saturating_sub(self.start_unix_nano())
    }

    /// How many spans failed.
    pub fn error_count(&self) -> usize {
        self.spans.iter().filter(|s| s.is_error()).count()
    }
}

/// Every trace read, joined by trace id across lines and files.
#[derive(Debug, Clone, Default)]
pub struct TraceSet {
    /// The traces, in start order.
    pub traces: Vec<Trace>,
}

impl TraceSet {
    /// Groups `spans` into traces.
    pub fn from_spans(spans: impl IntoIterator<Item = Span>) -> TraceSet {
        let mut by_trace: HashMap<TraceId, Vec<Span>> = HashMap::new();
        for span in spans {
            by_trace.entry(span.trace_id).or_default().push(span);
        }
        let mut traces: Vec<Trace> = by_trace.into_iter().map(|(id, spans)| Trace::new(id, spans)).collect();
        traces.sort_by(|a, b| a.start_unix_nano().cmp(&b.start_unix_nano()).then(a.trace_id.cmp(&b.trace_id)));
        TraceSet { traces }
    }

    /// The trace with this id.
    pub fn get(&self, trace_id: TraceId) -> Option<&Trace> {
        self.traces.iter().find(|t| t.trace_id == trace_id)
    }

    /// Number of spans in all traces.
    pub fn span_count(&self) -> usize {
        self.traces.iter().map(|t| t.spans.len()).sum()
    }
}

/// Parses a hex trace id (32 digits; 16 digits are a 64-bit id, left-padded).
pub fn parse_trace_id(text: &str) -> Option<TraceId> {
    let mut out = [0u8; 16];
    match text.len() {
        32 => decode_hex(text, &mut out)?,
        16 => decode_hex(text, &mut out[8..])?,
        _ => return None,
    }
    Some(TraceId(out))
}

/// Parses a 16-digit hex span id.
pub fn parse_span_id(text: &str) -> Option<SpanId> {
    let mut out = [0u8; 8];
    (text.len() == 16).then_some(())?;
    decode_hex(text, &mut out)?;
    Some(SpanId(out))
}

/// Decodes hex (either case) into `out`, which must be exactly half as long.
pub(crate) fn decode_hex(text: &str, out: &mut [u8]) -> Option<()> {
    let bytes = text.as_bytes();
    if bytes.len() != out.len() * 2 {
        return None;
    }
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    }
    for (i, pair) in bytes.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_in_either_case_and_short_trace_ids_are_padded() {
        let id = parse_trace_id("4BF92F3577B34DA6A3CE929D0E0E4736").unwrap();
        assert_eq!(id.to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
        assert_eq!(parse_trace_id("a3ce929d0e0e4736").unwrap().to_string(), "0000000000000000a3ce929d0e0e4736");
        assert!(parse_trace_id("xyz").is_none());
        assert!(parse_span_id("00f067aa0ba902b7").is_some());
        assert!(parse_span_id("00f067aa0ba902bz").is_none());
    }
}
