//! The analysis subcommands: each computes with the library and renders a
//! table, JSON, or (for `deps`) Graphviz and Mermaid.

use crate::Format;
use serde::Serialize;
use traced_analyze::analysis::{self, GroupBy};
use traced_analyze::model::{parse_trace_id, TraceSet};
use traced_analyze::output::{duration, grid, utc};

fn json<T: Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string_pretty(value).map(|s| s + "\n").map_err(|e| e.to_string())
}

fn only_table_or_json(format: Format) -> Result<(), String> {
    match format {
        Format::Table | Format::Json => Ok(()),
        _ => Err("this command prints `table` or `json`; `dot` and `mermaid` are for `deps`".into()),
    }
}

/// Keeps the one trace `id` names.
fn pick(traces: &TraceSet, id: &str) -> Result<TraceSet, String> {
    let wanted = parse_trace_id(id).ok_or_else(|| format!("`{id}` is not a hex trace id"))?;
    let trace = traces.get(wanted).ok_or_else(|| format!("no trace {id} in the input"))?;
    Ok(TraceSet { traces: vec![trace.clone()] })
}

pub(crate) fn critical_path(traces: &TraceSet, trace: Option<&str>, format: Format) -> Result<String, String> {
    only_table_or_json(format)?;
    let one = match trace {
        Some(id) => Some(pick(traces, id)?),
        None if traces.traces.len() == 1 => Some(traces.clone()),
        None => None,
    };
    let Some(one) = one else {
        let bottlenecks = analysis::bottlenecks(traces);
        if let Format::Json = format {
            return json(&serde_json::json!({ "traces": traces.traces.len(), "bottlenecks": bottlenecks }));
        }
        let rows: Vec<Vec<String>> = bottlenecks
            .iter()
            .map(|b| {
                vec![
                    b.operation.clone(),
                    b.traces.to_string(),
                    duration(b.time_on_path_ns),
                    format!("{:.1} %", b.mean_share * 100.0),
                ]
            })
            .collect();
        return Ok(format!(
            "Bottlenecks over {} traces (time on the critical path):\n{}",
            traces.traces.len(),
            grid(&["OPERATION", "TRACES", "TIME ON PATH", "MEAN SHARE"], &rows)
        ));
    };
    let path = analysis::critical_path(&one.traces[0]);
    if let Format::Json = format {
        return json(&path);
    }
    let sections: Vec<Vec<String>> = path
        .sections
        .iter()
        .map(|s| {
            vec![
                utc(s.start_unix_nano),
                duration(s.end_unix_nano - s.start_unix_nano),
                s.span_id.clone(),
                format!("{}: {}", s.service, s.name),
            ]
        })
        .collect();
    let spans: Vec<Vec<String>> = path
        .spans
        .iter()
        .map(|s| {
            vec![
                format!("{}: {}", s.service, s.name),
                s.span_id.clone(),
                duration(s.time_on_path_ns),
                format!("{:.1} %", s.share * 100.0),
            ]
        })
        .collect();
    Ok(format!(
        "Critical path of {} ({}):\n{}\n{}",
        path.trace_id,
        duration(path.trace_duration_ns),
        grid(&["FROM (UTC)", "FOR", "SPAN ID", "SPAN"], &sections),
        grid(&["SPAN", "SPAN ID", "ON PATH", "SHARE"], &spans)
    ))
}

pub(crate) fn stats(traces: &TraceSet, by: &str, format: Format) -> Result<String, String> {
    only_table_or_json(format)?;
    let groups = analysis::stats(traces, &GroupBy::parse(by));
    if let Format::Json = format {
        return json(&serde_json::json!({ "by": by, "groups": groups }));
    }
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            vec![
                g.group.clone(),
                g.count.to_string(),
                duration(g.total_ns),
                duration(g.avg_ns),
                duration(g.min_ns),
                duration(g.max_ns),
                duration(g.p50_ns),
                duration(g.p90_ns),
                duration(g.p99_ns),
                duration(g.self_total_ns),
                duration(g.self_avg_ns),
                format!("{:.1} %", g.share_of_trace * 100.0),
                format!("{} ({:.1} %)", g.errors, g.error_rate * 100.0),
            ]
        })
        .collect();
    Ok(grid(
        &[
            &by.to_uppercase(),
            "COUNT",
            "TOTAL",
            "AVG",
            "MIN",
            "MAX",
            "P50",
            "P90",
            "P99",
            "SELF TOTAL",
            "SELF AVG",
            "% OF TRACE",
            "ERRORS",
        ],
        &rows,
    ))
}

pub(crate) fn deps(traces: &TraceSet, format: Format) -> Result<String, String> {
    let graph = analysis::dependencies(traces);
    Ok(match format {
        Format::Json => return json(&graph),
        Format::Dot => graph.to_dot(),
        Format::Mermaid => graph.to_mermaid(),
        Format::Table => {
            let rows: Vec<Vec<String>> = graph
                .edges
                .iter()
                .map(|e| {
                    vec![
                        e.from.clone(),
                        if e.uninstrumented { format!("{} (not instrumented)", e.to) } else { e.to.clone() },
                        e.calls.to_string(),
                        e.errors.to_string(),
                        duration(e.p50_ns),
                        duration(e.p99_ns),
                    ]
                })
                .collect();
            grid(&["CALLER", "CALLEE", "CALLS", "ERRORS", "P50", "P99"], &rows)
        }
    })
}

pub(crate) fn diff(
    a: &TraceSet,
    b: &TraceSet,
    a_trace: Option<&str>,
    b_trace: Option<&str>,
    format: Format,
) -> Result<String, String> {
    only_table_or_json(format)?;
    let a = match a_trace {
        Some(id) => pick(a, id)?,
        None => a.clone(),
    };
    let b = match b_trace {
        Some(id) => pick(b, id)?,
        None => b.clone(),
    };
    let paths = analysis::diff(&a, &b);
    if let Format::Json = format {
        return json(&serde_json::json!({ "traces_a": a.traces.len(), "traces_b": b.traces.len(), "paths": paths }));
    }
    let rows: Vec<Vec<String>> = paths
        .iter()
        .map(|p| {
            let delta = if p.delta_ns >= 0 {
                format!("+{}", duration(p.delta_ns as u64))
            } else {
                format!("-{}", duration(p.delta_ns.unsigned_abs()))
            };
            vec![
                format!("{:?}", p.change).to_lowercase(),
                format!("{:.2}", p.calls_a),
                format!("{:.2}", p.calls_b),
                duration(p.mean_a_ns),
                duration(p.mean_b_ns),
                delta,
                p.path.clone(),
            ]
        })
        .collect();
    Ok(format!(
        "A: {} traces, B: {} traces; calls per trace; slower paths first\n{}",
        a.traces.len(),
        b.traces.len(),
        grid(&["CHANGE", "CALLS A", "CALLS B", "MEAN A", "MEAN B", "DELTA", "PATH"], &rows)
    ))
}
