//! The critical path of a trace, by the algorithm of Jaeger's UI
//! (`TracePage/CriticalPath`): from a root, take the child that finished
//! last (before the child we came back from started); the parent owns the
//! gaps between. Before walking, children entirely outside their parent's
//! time are dropped with their subtrees, children overflowing it are
//! clamped to it, and a CONSUMER child of a PRODUCER is left out: the
//! producer does not wait for it. Each root of a trace (a fragment whose
//! parent was not recorded is a root too) gets its own path.

use crate::model::{SpanKind, Trace};
use serde::Serialize;

/// A stretch of time during which one span was what the trace waited on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    /// The span's index in the trace.
    #[serde(skip)]
    pub span: usize,
    /// Hex span id.
    pub span_id: String,
    /// Span name.
    pub name: String,
    /// Its service.
    pub service: String,
    /// Start of the stretch, nanoseconds since the Unix epoch.
    pub start_unix_nano: u64,
    /// End of the stretch.
    pub end_unix_nano: u64,
}

/// The critical path of one trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CriticalPath {
    /// Hex trace id.
    pub trace_id: String,
    /// The trace's duration.
    pub trace_duration_ns: u64,
    /// The stretches, in time order.
    pub sections: Vec<Section>,
    /// Per span on the path: its time on it and that time's share of the
    /// trace, longest first.
    pub spans: Vec<SpanOnPath>,
}

/// One span's part in a critical path.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanOnPath {
    /// The span's index in the trace.
    #[serde(skip)]
    pub span: usize,
    /// Hex span id.
    pub span_id: String,
    /// Span name.
    pub name: String,
    /// Its service.
    pub service: String,
    /// Time the trace waited on this span itself.
    pub time_on_path_ns: u64,
    /// `time_on_path_ns` over the trace's duration.
    pub share: f64,
}

/// A span's times after sanitising, and the children the walk may enter.
#[derive(Clone)]
struct Node {
    start: u64,
    end: u64,
    parent: Option<usize>,
    children: Vec<usize>,
}

/// Computes the critical path of `trace`.
pub fn critical_path(trace: &Trace) -> CriticalPath {
    let nodes = sanitize(trace);
    let mut raw: Vec<(usize, u64, u64)> = Vec::new();
    for root in trace.roots() {
        walk(&nodes, root, &mut raw);
    }
    raw.sort_by_key(|&(_, start, end)| (start, end));
    let sections: Vec<Section> = raw
        .iter()
        .map(|&(i, start, end)| {
            let s = &trace.spans[i];
            Section {
                span: i,
                span_id: s.span_id.to_string(),
                name: s.name.to_string(),
                service: s.service().to_owned(),
                start_unix_nano: start,
                end_unix_nano: end,
            }
        })
        .collect();
    let duration = trace.duration_nanos();
    let mut per_span: Vec<(usize, u64)> = Vec::new();
    for &(i, start, end) in &raw {
        match per_span.iter_mut().find(|(s, _)| *s == i) {
            Some((_, total)) => *total += end - start,
            None => per_span.push((i, end - start)),
        }
    }
    per_span.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let spans = per_span
        .into_iter()
        .map(|(i, time)| {
            let s = &trace.spans[i];
            SpanOnPath {
                span: i,
                span_id: s.span_id.to_string(),
                name: s.name.to_string(),
                service: s.service().to_owned(),
                time_on_path_ns: time,
                share: if duration == 0 { 0.0 } else { time as f64 / duration as f64 },
            }
        })
        .collect();
    CriticalPath { trace_id: trace.trace_id.to_string(), trace_duration_ns: duration, sections, spans }
}

/// Drops children outside their parent's time (with their subtrees) and
/// consumers of producers; clamps children overflowing their parent.
fn sanitize(trace: &Trace) -> Vec<Node> {
    let mut nodes: Vec<Node> = trace
        .spans
        .iter()
        .enumerate()
        .map(|(i, s)| Node {
            start: s.start_unix_nano,
            end: s.end_unix_nano.max(s.start_unix_nano),
            parent: trace.parent(i),
            children: Vec::new(),
        })
        .collect();
    // Parents before children: clamp top-down, so a clamped parent bounds
    // its children in turn.
    let mut order: Vec<usize> = trace.roots().collect();
    let mut next = 0;
    while next < order.len() {
        let p = order[next];
        next += 1;
        for &c in trace.children(p) {
            let (ps, pe) = (nodes[p].start, nodes[p].end);
            let child = &trace.spans[c];
            let non_blocking = child.kind == SpanKind::Consumer && trace.spans[p].kind == SpanKind::Producer;
            if non_blocking || nodes[c].start > pe || nodes[c].end < ps {
                continue;
            }
            nodes[c].start = nodes[c].start.clamp(ps, pe);
            nodes[c].end = nodes[c].end.clamp(ps, pe);
            nodes[p].children.push(c);
            order.push(c);
        }
    }
    nodes
}

/// The walk, as a loop: `(span, returning child's start)` replaces the
/// recursion, so a deep trace cannot overflow the stack.
fn walk(nodes: &[Node], root: usize, out: &mut Vec<(usize, u64, u64)>) {
    let mut current = root;
    let mut returning: Option<u64> = None;
    // Each step moves down to a child or up to a parent with an earlier
    // bound; bounded anyway, against cycles in broken files.
    for _ in 0..nodes.len().saturating_mul(4).max(16) {
        let node = &nodes[current];
        let section_end = returning.unwrap_or(node.end);
        let last_finishing = node
            .children
            .iter()
            .copied()
            .filter(|&c| returning.is_none_or(|r| nodes[c].end < r))
            .max_by(|&a, &b| nodes[a].end.cmp(&nodes[b].end).then(nodes[a].start.cmp(&nodes[b].start)));
        match last_finishing {
            Some(child) => {
                let start = nodes[child].end;
                if start < section_end {
                    out.push((current, start, section_end));
                }
                current = child;
                returning = None;
            }
            None => {
                if node.start < section_end {
                    out.push((current, node.start, section_end));
                }
                if current == root {
                    return;
                }
                match node.parent {
                    Some(parent) => {
                        returning = Some(node.start);
                        current = parent;
                    }
                    None => return,
                }
            }
        }
    }
}

/// An operation's part in the critical paths of many traces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bottleneck {
    /// `service: name`.
    pub operation: String,
    /// Traces whose critical path it is on.
    pub traces: usize,
    /// Its time on the critical paths, summed.
    pub time_on_path_ns: u64,
    /// Its mean share of those traces' durations.
    pub mean_share: f64,
}

/// The operations on the critical paths of `traces`, most time first.
pub fn bottlenecks(traces: &crate::model::TraceSet) -> Vec<Bottleneck> {
    let mut by_operation: std::collections::BTreeMap<String, (usize, u64, f64)> = Default::default();
    for trace in &traces.traces {
        let path = critical_path(trace);
        let mut seen: Vec<String> = Vec::new();
        for s in &path.spans {
            let operation = format!("{}: {}", s.service, s.name);
            let entry = by_operation.entry(operation.clone()).or_default();
            entry.1 += s.time_on_path_ns;
            if !seen.contains(&operation) {
                seen.push(operation);
                entry.0 += 1;
            }
        }
        // Shares per trace, summed over an operation's spans in it.
        for operation in seen {
            let time: u64 = path
                .spans
                .iter()
                .filter(|s| format!("{}: {}", s.service, s.name) == operation)
                .map(|s| s.time_on_path_ns)
                .sum();
            if let Some(entry) = by_operation.get_mut(&operation) {
                entry.2 += if path.trace_duration_ns == 0 { 0.0 } else { time as f64 / path.trace_duration_ns as f64 };
            }
        }
    }
    let mut out: Vec<Bottleneck> = by_operation
        .into_iter()
        .map(|(operation, (traces, time, shares))| Bottleneck {
            operation,
            traces,
            time_on_path_ns: time,
            mean_share: shares / traces.max(1) as f64,
        })
        .collect();
    out.sort_by(|a, b| b.time_on_path_ns.cmp(&a.time_on_path_ns).then_with(|| a.operation.cmp(&b.operation)));
    out
}
