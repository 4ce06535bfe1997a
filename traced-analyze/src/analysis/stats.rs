//! Trace statistics, as Jaeger's trace statistics view computes them, over
//! one trace or many: per group (service, span name, or an attribute's
//! value) the count, total, average, extremes and percentiles of duration;
//! self time (the span's duration minus the union of its children's time,
//! clamped to the span); the share of trace time that self time is; and
//! errors.

use crate::model::{Trace, TraceSet};
use serde::Serialize;
use std::collections::BTreeMap;

/// What spans are grouped by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// `service.name`.
    Service,
    /// Span name, within its service.
    Name,
    /// An attribute's value (the span's, else the resource's); spans without
    /// it form the group `(none)`.
    Attribute(String),
}

impl GroupBy {
    /// `service`, `name`, or anything else as an attribute key.
    pub fn parse(text: &str) -> GroupBy {
        match text {
            "service" => GroupBy::Service,
            "name" | "operation" => GroupBy::Name,
            other => GroupBy::Attribute(other.to_owned()),
        }
    }
}

/// One group's figures. Durations in nanoseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupStats {
    /// The group's key (`service: name` when grouped by name).
    pub group: String,
    /// Spans in the group.
    pub count: usize,
    /// Sum of durations.
    pub total_ns: u64,
    /// Mean duration.
    pub avg_ns: u64,
    /// Shortest.
    pub min_ns: u64,
    /// Longest.
    pub max_ns: u64,
    /// Median (nearest rank).
    pub p50_ns: u64,
    /// 90th percentile (nearest rank).
    pub p90_ns: u64,
    /// 99th percentile (nearest rank).
    pub p99_ns: u64,
    /// Sum of self times.
    pub self_total_ns: u64,
    /// Mean self time.
    pub self_avg_ns: u64,
    /// Self time over the summed duration of the traces the group's spans
    /// are in (for one trace: over its duration).
    pub share_of_trace: f64,
    /// Spans that failed.
    pub errors: usize,
    /// `errors / count`.
    pub error_rate: f64,
}

/// A span's duration minus the union of its children's intervals, each
/// clamped to the span.
pub fn self_time(trace: &Trace, i: usize) -> u64 {
    let span = &trace.spans[i];
    let (start, end) = (span.start_unix_nano, span.end_unix_nano.max(span.start_unix_nano));
    let mut intervals: Vec<(u64, u64)> = trace
        .children(i)
        .iter()
        .map(|&c| {
            let child = &trace.spans[c];
            (child.start_unix_nano.clamp(start, end), child.end_unix_nano.clamp(start, end))
        })
        .filter(|(s, e)| s < e)
        .collect();
    intervals.sort_unstable();
    let mut covered = 0;
    let mut cursor = start;
    for (s, e) in intervals {
        let s = s.max(cursor);
        if e > s {
            covered += e - s;
            cursor = e;
        }
    }
    (end - start).saturating_sub(covered)
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The statistics of every group, largest self time first.
pub fn stats(traces: &TraceSet, by: &GroupBy) -> Vec<GroupStats> {
    #[derive(Default)]
    struct Acc {
        durations: Vec<u64>,
        self_total: u64,
        errors: usize,
        traces: Vec<usize>,
    }
    let mut groups: BTreeMap<String, Acc> = BTreeMap::new();
    for (t_index, trace) in traces.traces.iter().enumerate() {
        for (i, span) in trace.spans.iter().enumerate() {
            let key = match by {
                GroupBy::Service => span.service().to_owned(),
                GroupBy::Name => format!("{}: {}", span.service(), span.name),
                GroupBy::Attribute(key) => span
                    .attribute(key)
                    .or_else(|| crate::model::attribute(&span.resource.attributes, key))
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "(none)".to_owned()),
            };
            let acc = groups.entry(key).or_default();
            acc.durations.push(span.duration_nanos());
            acc.self_total += self_time(trace, i);
            acc.errors += usize::from(span.is_error());
            if acc.traces.last() != Some(&t_index) {
                acc.traces.push(t_index);
            }
        }
    }
    let mut out: Vec<GroupStats> = groups
        .into_iter()
        .map(|(group, mut acc)| {
            acc.durations.sort_unstable();
            let count = acc.durations.len();
            let total: u64 = acc.durations.iter().sum();
            let trace_time: u64 = acc.traces.iter().map(|&t| traces.traces[t].duration_nanos()).sum();
            GroupStats {
                group,
                count,
                total_ns: total,
                avg_ns: total / count as u64,
                min_ns: acc.durations[0],
                max_ns: acc.durations[count - 1],
                p50_ns: percentile(&acc.durations, 50.0),
                p90_ns: percentile(&acc.durations, 90.0),
                p99_ns: percentile(&acc.durations, 99.0),
                self_total_ns: acc.self_total,
                self_avg_ns: acc.self_total / count as u64,
                share_of_trace: if trace_time == 0 { 0.0 } else { acc.self_total as f64 / trace_time as f64 },
                errors: acc.errors,
                error_rate: acc.errors as f64 / count as f64,
            }
        })
        .collect();
    out.sort_by(|a, b| b.self_total_ns.cmp(&a.self_total_ns).then_with(|| a.group.cmp(&b.group)));
    out
}
