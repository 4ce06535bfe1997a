//! Comparing two traces, or two sets of traces (before and after a change),
//! as Jaeger's trace comparison does: every span is folded onto its path of
//! `service: name` steps from the root, and each path is compared: the
//! same number of calls, more, fewer, added or removed, with the change in
//! latency. For sets, calls are counted per trace, so sets of different
//! sizes compare.

use crate::model::{Trace, TraceSet};
use serde::Serialize;
use std::collections::BTreeMap;

/// How a path changed from A to B.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// As many calls per trace.
    Same,
    /// More calls per trace in B.
    More,
    /// Fewer calls per trace in B.
    Less,
    /// Only in B.
    Added,
    /// Only in A.
    Removed,
}

/// One path's comparison.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathDiff {
    /// `service: name` steps from the root, joined by ` > `.
    pub path: String,
    /// What changed.
    pub change: Change,
    /// Calls per trace in A.
    pub calls_a: f64,
    /// Calls per trace in B.
    pub calls_b: f64,
    /// Mean duration in A (0 when absent).
    pub mean_a_ns: u64,
    /// Mean duration in B (0 when absent).
    pub mean_b_ns: u64,
    /// `mean_b - mean_a`; positive is slower.
    pub delta_ns: i64,
}

#[derive(Default)]
struct Fold {
    calls: usize,
    total: u64,
}

fn fold(traces: &TraceSet) -> BTreeMap<String, Fold> {
    let mut out: BTreeMap<String, Fold> = BTreeMap::new();
    for trace in &traces.traces {
        for (i, span) in trace.spans.iter().enumerate() {
            let f = out.entry(path(trace, i)).or_default();
            f.calls += 1;
            f.total += span.duration_nanos();
        }
    }
    out
}

/// `a: GET / > b: Repo.load` for span `i`.
pub fn path(trace: &Trace, i: usize) -> String {
    let mut steps = Vec::new();
    let mut current = Some(i);
    while let Some(c) = current {
        let s = &trace.spans[c];
        steps.push(format!("{}: {}", s.service(), s.name));
        if steps.len() > trace.spans.len() {
            break;
        }
        current = trace.parent(c);
    }
    steps.reverse();
    steps.join(" > ")
}

/// Compares `a` with `b`; the paths that got slower first, then the rest
/// by path.
pub fn diff(a: &TraceSet, b: &TraceSet) -> Vec<PathDiff> {
    let (fa, fb) = (fold(a), fold(b));
    let per_trace = |calls: usize, set: &TraceSet| calls as f64 / set.traces.len().max(1) as f64;
    let mut paths: Vec<&String> = fa.keys().chain(fb.keys()).collect();
    paths.sort();
    paths.dedup();
    let mut out: Vec<PathDiff> = paths
        .into_iter()
        .map(|p| {
            let (x, y) = (fa.get(p), fb.get(p));
            let calls_a = x.map_or(0.0, |f| per_trace(f.calls, a));
            let calls_b = y.map_or(0.0, |f| per_trace(f.calls, b));
            let mean = |f: Option<&Fold>| f.map_or(0, |f| f.total / f.calls.max(1) as u64);
            let (mean_a, mean_b) = (mean(x), mean(y));
            let change = match (x, y) {
                (None, _) => Change::Added,
                (_, None) => Change::Removed,
                _ if (calls_a - calls_b).abs() < 1e-9 => Change::Same,
                _ if calls_b > calls_a => Change::More,
                _ => Change::Less,
            };
            let delta = match change {
                Change::Added | Change::Removed => 0,
                _ => mean_b as i64 - mean_a as i64,
            };
            PathDiff {
                path: p.clone(),
                change,
                calls_a,
                calls_b,
                mean_a_ns: mean_a,
                mean_b_ns: mean_b,
                delta_ns: delta,
            }
        })
        .collect();
    out.sort_by(|x, y| y.delta_ns.max(0).cmp(&x.delta_ns.max(0)).then_with(|| x.path.cmp(&y.path)));
    out
}
