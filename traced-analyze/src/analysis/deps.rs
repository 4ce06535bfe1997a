//! The service dependency graph: an edge for every parent → child pair of
//! spans in different services (one call each), and for a CLIENT span no
//! recorded span answered, an edge to its peer as the span names it
//! (`peer.service`, else `server.address`, else `db.system.name`): the
//! databases and third-party APIs nobody instruments. Per edge: calls, errors (the callee's span
//! failed) and the callee's latency.

use super::stats::percentile;
use crate::model::{SpanKind, TraceSet, Value};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// One caller → callee edge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Edge {
    /// The calling service.
    pub from: String,
    /// The called service or peer.
    pub to: String,
    /// Whether `to` is a peer no span of which was recorded.
    pub uninstrumented: bool,
    /// Calls.
    pub calls: usize,
    /// Calls that failed.
    pub errors: usize,
    /// Median latency of the calls.
    pub p50_ns: u64,
    /// 99th percentile latency.
    pub p99_ns: u64,
}

/// The graph: every service seen, and the edges, busiest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DependencyGraph {
    /// Every service with spans, and every uninstrumented peer, sorted.
    pub services: Vec<String>,
    /// The edges.
    pub edges: Vec<Edge>,
}

/// Builds the graph over all traces.
pub fn dependencies(traces: &TraceSet) -> DependencyGraph {
    #[derive(Default)]
    struct Acc {
        latencies: Vec<u64>,
        errors: usize,
    }
    let mut edges: BTreeMap<(String, String, bool), Acc> = BTreeMap::new();
    let mut services: BTreeMap<String, ()> = BTreeMap::new();
    for trace in &traces.traces {
        for (i, span) in trace.spans.iter().enumerate() {
            services.insert(span.service().to_owned(), ());
            if let Some(p) = trace.parent(i) {
                let parent = &trace.spans[p];
                if parent.service() != span.service() {
                    let acc = edges.entry((parent.service().to_owned(), span.service().to_owned(), false)).or_default();
                    acc.latencies.push(span.duration_nanos());
                    acc.errors += usize::from(span.is_error());
                }
            }
            if span.kind == SpanKind::Client {
                // Answered: a recorded span served it (another service, or
                // this one's own server span).
                let answered = trace.children(i).iter().any(|&c| {
                    let child = &trace.spans[c];
                    child.service() != span.service() || matches!(child.kind, SpanKind::Server | SpanKind::Consumer)
                });
                let peer = ["peer.service", "server.address", "db.system.name"].iter().find_map(|key| {
                    match span.attribute(key) {
                        Some(Value::Str(s)) if !s.is_empty() => Some(s.to_string()),
                        _ => None,
                    }
                });
                if let (false, Some(peer)) = (answered, peer) {
                    let acc = edges.entry((span.service().to_owned(), peer, true)).or_default();
                    acc.latencies.push(span.duration_nanos());
                    acc.errors += usize::from(span.is_error());
                }
            }
        }
    }
    let mut out: Vec<Edge> = edges
        .into_iter()
        .map(|((from, to, uninstrumented), mut acc)| {
            acc.latencies.sort_unstable();
            Edge {
                from,
                to,
                uninstrumented,
                calls: acc.latencies.len(),
                errors: acc.errors,
                p50_ns: percentile(&acc.latencies, 50.0),
                p99_ns: percentile(&acc.latencies, 99.0),
            }
        })
        .collect();
    for e in out.iter().filter(|e| e.uninstrumented) {
        services.insert(e.to.clone(), ());
    }
    out.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to))));
    DependencyGraph { services: services.into_keys().collect(), edges: out }
}

impl DependencyGraph {
    /// Graphviz: `dot -Tsvg`.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph dependencies {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
        for s in &self.services {
            let dashed = self.edges.iter().any(|e| e.uninstrumented && &e.to == s);
            let _ = writeln!(out, "  {}{};", quote(s), if dashed { " [style=\"rounded,dashed\"]" } else { "" });
        }
        for e in &self.edges {
            let color = if e.errors > 0 { ", color=red" } else { "" };
            let _ = writeln!(
                out,
                "  {} -> {} [label={}{color}];",
                quote(&e.from),
                quote(&e.to),
                quote(&format!("{} calls, {} errors, p50 {}", e.calls, e.errors, crate::output::duration(e.p50_ns)))
            );
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid (`flowchart LR`), which GitHub and many wikis draw.
    pub fn to_mermaid(&self) -> String {
        let id = |s: &str| -> String {
            let index = self.services.iter().position(|x| x == s).unwrap_or(0);
            format!("s{index}")
        };
        let mut out = String::from("flowchart LR\n");
        for s in &self.services {
            let _ = writeln!(out, "  {}[\"{}\"]", id(s), s.replace('"', "#quot;"));
        }
        for e in &self.edges {
            let _ = writeln!(
                out,
                "  {} -->|\"{} calls, {} errors, p50 {}\"| {}",
                id(&e.from),
                e.calls,
                e.errors,
                crate::output::duration(e.p50_ns),
                id(&e.to)
            );
        }
        out
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
