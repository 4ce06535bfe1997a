//! `traced report`: one self-contained HTML file (no script, no network):
//! the slowest traces, each linked to its waterfall with the critical path
//! marked and errors flagged, the statistics per operation, the
//! bottlenecks, and the service dependency graph drawn.
//!
//! Every drawn thing carries a class a test (or a user's stylesheet) can
//! find: `rect.span` (with `data-span-id`, and `error` when it failed),
//! `rect.critical` for a critical-path stretch, `g.service-node` and
//! `path.dependency` in the graph.

use crate::analysis::{self, DependencyGraph, GroupBy};
use crate::model::{Trace, TraceSet};
use crate::output::{duration, utc};
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What goes in the report.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Title at the top.
    pub title: String,
    /// How many of the slowest traces get a waterfall (all are listed, up to
    /// `listed`).
    pub waterfalls: usize,
    /// How many traces the slowest-traces table lists.
    pub listed: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions { title: "Trace report".into(), waterfalls: 5, listed: 25 }
    }
}

const PALETTE: [&str; 10] =
    ["#4c78a8", "#72b7b2", "#54a24b", "#b279a2", "#9d755d", "#79706e", "#d6a5c9", "#83bcb6", "#88d27a", "#bab0ac"];
const CRITICAL: &str = "#f58518";
const ERROR: &str = "#d62728";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The report for `traces`, as an HTML document.
pub fn report(traces: &TraceSet, options: &ReportOptions) -> String {
    let mut services: Vec<&str> = traces.traces.iter().flat_map(|t| t.spans.iter().map(|s| s.service())).collect();
    services.sort_unstable();
    services.dedup();
    let color = |service: &str| PALETTE[services.iter().position(|s| *s == service).unwrap_or(0) % PALETTE.len()];

    let mut slowest: Vec<&Trace> = traces.traces.iter().collect();
    slowest.sort_by(|a, b| b.duration_nanos().cmp(&a.duration_nanos()).then(a.trace_id.cmp(&b.trace_id)));

    let mut html = String::with_capacity(64 * 1024);
    let errors: usize = traces.traces.iter().map(Trace::error_count).sum();
    let _ = write!(
        html,
        r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{STYLE}</style></head><body>
<header><h1>{title}</h1><p class="summary"><span id="trace-count">{traces}</span> traces · <span id="span-count">{spans}</span> spans · {services} services · <span class="{error_class}">{errors} failed spans</span></p></header>
<nav><a href="#slowest">Slowest traces</a> <a href="#waterfalls">Waterfalls</a> <a href="#bottlenecks">Bottlenecks</a> <a href="#statistics">Statistics</a> <a href="#dependencies">Dependencies</a></nav>
"##,
        title = esc(&options.title),
        traces = traces.traces.len(),
        spans = traces.span_count(),
        services = services.len(),
        error_class = if errors > 0 { "bad" } else { "" },
    );

    // Slowest traces.
    html.push_str(r##"<section id="slowest"><h2>Slowest traces</h2><table><thead><tr><th>Trace</th><th>Root</th><th>Start (UTC)</th><th class="num">Duration</th><th class="num">Spans</th><th class="num">Errors</th></tr></thead><tbody>"##);
    for (rank, t) in slowest.iter().take(options.listed).enumerate() {
        let root = t.root().map(|r| format!("{}: {}", r.service(), r.name)).unwrap_or_default();
        let id = t.trace_id.to_string();
        let link = if rank < options.waterfalls {
            format!(r##"<a href="#trace-{id}"><code>{id}</code></a>"##)
        } else {
            format!("<code>{id}</code>")
        };
        let errors = t.error_count();
        let _ = write!(
            html,
            r##"<tr><td>{link}</td><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num{}">{errors}</td></tr>"##,
            esc(&root),
            utc(t.start_unix_nano()),
            duration(t.duration_nanos()),
            t.spans.len(),
            if errors > 0 { " bad" } else { "" },
        );
    }
    html.push_str("</tbody></table></section>\n");

    // Waterfalls.
    html.push_str(r##"<section id="waterfalls"><h2>Waterfalls</h2><p class="legend"><span class="swatch critical"></span> critical path <span class="swatch error"></span> failed span</p>"##);
    for t in slowest.iter().take(options.waterfalls) {
        waterfall(&mut html, t, &color);
    }
    html.push_str("</section>\n");

    // Bottlenecks.
    html.push_str(r##"<section id="bottlenecks"><h2>Bottlenecks</h2><p>Operations by their time on the critical path, over all traces.</p><table><thead><tr><th>Operation</th><th class="num">Traces</th><th class="num">Time on path</th><th class="num">Mean share</th></tr></thead><tbody>"##);
    for b in analysis::bottlenecks(traces).iter().take(20) {
        let _ = write!(
            html,
            r##"<tr><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num"><span class="bar" style="width:{:.0}px"></span> {:.1} %</td></tr>"##,
            esc(&b.operation),
            b.traces,
            duration(b.time_on_path_ns),
            (b.mean_share * 80.0).clamp(0.0, 80.0),
            b.mean_share * 100.0
        );
    }
    html.push_str("</tbody></table></section>\n");

    // Statistics.
    html.push_str(r##"<section id="statistics"><h2>Statistics</h2><table><thead><tr><th>Operation</th><th class="num">Count</th><th class="num">Avg</th><th class="num">p50</th><th class="num">p90</th><th class="num">p99</th><th class="num">Max</th><th class="num">Self total</th><th class="num">% of trace</th><th class="num">Errors</th></tr></thead><tbody>"##);
    for g in analysis::stats(traces, &GroupBy::Name) {
        let _ = write!(
            html,
            r##"<tr><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{:.1} %</td><td class="num{}">{} ({:.0} %)</td></tr>"##,
            esc(&g.group),
            g.count,
            duration(g.avg_ns),
            duration(g.p50_ns),
            duration(g.p90_ns),
            duration(g.p99_ns),
            duration(g.max_ns),
            duration(g.self_total_ns),
            g.share_of_trace * 100.0,
            if g.errors > 0 { " bad" } else { "" },
            g.errors,
            g.error_rate * 100.0
        );
    }
    html.push_str("</tbody></table></section>\n");

    // Dependencies.
    html.push_str(r##"<section id="dependencies"><h2>Dependencies</h2>"##);
    dependency_svg(&mut html, &analysis::dependencies(traces), &color);
    html.push_str("</section>\n<footer>Made by <code>traced report</code>. Times in UTC.</footer></body></html>\n");
    html
}

/// Depth of each span in the tree (roots 0).
fn depths(trace: &Trace) -> Vec<usize> {
    let mut depth = vec![0; trace.spans.len()];
    let mut stack: Vec<usize> = trace.roots().collect();
    while let Some(i) = stack.pop() {
        for &c in trace.children(i) {
            depth[c] = depth[i] + 1;
            stack.push(c);
        }
    }
    depth
}

/// Spans in tree order: each parent followed by its subtree, children by start.
fn tree_order(trace: &Trace) -> Vec<usize> {
    let mut order = Vec::with_capacity(trace.spans.len());
    let mut stack: Vec<usize> = trace.roots().collect();
    stack.reverse();
    while let Some(i) = stack.pop() {
        order.push(i);
        for &c in trace.children(i).iter().rev() {
            stack.push(c);
        }
    }
    order
}

fn waterfall(html: &mut String, t: &Trace, color: &dyn Fn(&str) -> &'static str) {
    const LABEL: f64 = 330.0;
    const CHART: f64 = 820.0;
    const ROW: f64 = 22.0;
    const TOP: f64 = 28.0;
    let start = t.start_unix_nano();
    let total = t.duration_nanos().max(1) as f64;
    let x = |ns: u64| LABEL + (ns.saturating_sub(start) as f64 / total) * CHART;
    let order = tree_order(t);
    let depth = depths(t);
    let path = analysis::critical_path(t);
    let mut row_of = vec![0; t.spans.len()];
    for (row, &i) in order.iter().enumerate() {
        row_of[i] = row;
    }
    let height = TOP + order.len() as f64 * ROW + 8.0;
    let id = t.trace_id.to_string();
    let root = t.root().map(|r| format!("{}: {}", r.service(), r.name)).unwrap_or_default();
    let _ = write!(
        html,
        r##"<article class="trace" id="trace-{id}"><h3>{} <small><code>{id}</code> · {} · {} spans</small></h3>"##,
        esc(&root),
        duration(t.duration_nanos()),
        t.spans.len()
    );
    let on_path: Vec<String> = path
        .spans
        .iter()
        .take(3)
        .map(|s| format!("{} {} ({:.0} %)", esc(&s.name), duration(s.time_on_path_ns), s.share * 100.0))
        .collect();
    let _ = write!(html, r##"<p class="path-summary">Critical path: {}</p>"##, on_path.join(" · "));
    let _ = write!(
        html,
        r##"<svg class="waterfall" viewBox="0 0 {w} {height}" width="{w}" height="{height}" role="img" aria-label="waterfall of trace {id}">"##,
        w = LABEL + CHART + 20.0
    );
    // Time axis.
    for tick in 0..=4 {
        let tx = LABEL + CHART * f64::from(tick) / 4.0;
        let _ = write!(
            html,
            r##"<line class="tick" x1="{tx:.1}" y1="{}" x2="{tx:.1}" y2="{height}"/><text class="axis" x="{tx:.1}" y="14" text-anchor="middle">{}</text>"##,
            TOP - 6.0,
            duration((total * f64::from(tick) / 4.0) as u64)
        );
    }
    for (row, &i) in order.iter().enumerate() {
        let s = &t.spans[i];
        let y = TOP + row as f64 * ROW;
        if row % 2 == 1 {
            let _ = write!(
                html,
                r##"<rect class="stripe" x="0" y="{y:.1}" width="{}" height="{ROW}"/>"##,
                LABEL + CHART + 20.0
            );
        }
        let label = format!("{}{}", if s.is_error() { "⚠ " } else { "" }, s.name);
        let _ = write!(
            html,
            r##"<text class="label{}" x="{:.1}" y="{:.1}"><tspan class="svc">{}</tspan> {}</text>"##,
            if s.is_error() { " bad" } else { "" },
            6.0 + depth[i] as f64 * 12.0,
            y + 15.0,
            esc(s.service()),
            esc(&label)
        );
        let (x0, x1) = (x(s.start_unix_nano), x(s.end_unix_nano.max(s.start_unix_nano)));
        let mut tooltip = format!(
            "{}: {}\n{} (starts +{})",
            s.service(),
            s.name,
            duration(s.duration_nanos()),
            duration(s.start_unix_nano - start)
        );
        if !s.status_message.is_empty() {
            let _ = write!(tooltip, "\nerror: {}", s.status_message);
        }
        for (k, v) in s.attributes.iter().take(12) {
            let _ = write!(tooltip, "\n{k} = {v}");
        }
        let _ = write!(
            html,
            r##"<rect class="span{}" data-span-id="{}" x="{x0:.1}" y="{:.1}" width="{:.1}" height="14" rx="2" fill="{}"><title>{}</title></rect>"##,
            if s.is_error() { " error" } else { "" },
            s.span_id,
            y + 4.0,
            (x1 - x0).max(1.5),
            color(s.service()),
            esc(&tooltip)
        );
        let _ = write!(
            html,
            r##"<text class="dur" x="{:.1}" y="{:.1}">{}</text>"##,
            (x1 + 4.0).min(LABEL + CHART - 40.0),
            y + 15.0,
            duration(s.duration_nanos())
        );
    }
    for section in &path.sections {
        let y = TOP + row_of[section.span] as f64 * ROW;
        let (x0, x1) = (x(section.start_unix_nano), x(section.end_unix_nano));
        let _ = write!(
            html,
            r##"<rect class="critical" data-span-id="{}" x="{x0:.1}" y="{:.1}" width="{:.1}" height="4" fill="{CRITICAL}"/>"##,
            section.span_id,
            y + 14.0,
            (x1 - x0).max(1.0)
        );
    }
    html.push_str("</svg></article>\n");
}

/// Services in columns by their depth from the callers, edges between.
fn dependency_svg(html: &mut String, graph: &DependencyGraph, color: &dyn Fn(&str) -> &'static str) {
    if graph.services.is_empty() {
        html.push_str("<p>No services.</p>");
        return;
    }
    // Column: longest chain of calls leading to the service (bounded, so a
    // cycle cannot loop).
    let mut column: BTreeMap<&str, usize> = graph.services.iter().map(|s| (s.as_str(), 0)).collect();
    for _ in 0..graph.services.len() {
        let mut changed = false;
        for e in &graph.edges {
            let next = column.get(e.from.as_str()).copied().unwrap_or(0) + 1;
            if e.from != e.to && column.get(e.to.as_str()).copied().unwrap_or(0) < next && next < graph.services.len() {
                column.insert(&e.to, next);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let columns = column.values().max().copied().unwrap_or(0) + 1;
    let mut rows_in: Vec<usize> = vec![0; columns];
    let mut place: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    const W: f64 = 180.0;
    const H: f64 = 40.0;
    const GAP_X: f64 = 120.0;
    const GAP_Y: f64 = 30.0;
    for s in &graph.services {
        let c = column[s.as_str()];
        let r = rows_in[c];
        rows_in[c] += 1;
        place.insert(s, (20.0 + c as f64 * (W + GAP_X), 20.0 + r as f64 * (H + GAP_Y)));
    }
    let width = 40.0 + columns as f64 * (W + GAP_X) - GAP_X;
    let height = 40.0 + rows_in.iter().max().copied().unwrap_or(1) as f64 * (H + GAP_Y) - GAP_Y;
    let _ = write!(
        html,
        r##"<svg class="dependencies" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="service dependency graph"><defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#666"/></marker><marker id="arrow-bad" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="{ERROR}"/></marker></defs>"##
    );
    for e in &graph.edges {
        let (Some(&(fx, fy)), Some(&(tx, ty))) = (place.get(e.from.as_str()), place.get(e.to.as_str())) else {
            continue;
        };
        let (x1, y1, x2, y2) = if (fx - tx).abs() < 1.0 {
            // Same column: loop out to the right.
            (fx + W, fy + H / 2.0, tx + W, ty + H / 2.0)
        } else if fx < tx {
            (fx + W, fy + H / 2.0, tx, ty + H / 2.0)
        } else {
            (fx, fy + H / 2.0, tx + W, ty + H / 2.0)
        };
        let bend = if (fx - tx).abs() < 1.0 { 60.0 } else { (x2 - x1) / 2.0 };
        let bad = e.errors > 0;
        let _ = write!(
            html,
            r##"<path class="dependency{}" d="M {x1:.1} {y1:.1} C {:.1} {y1:.1}, {:.1} {y2:.1}, {x2:.1} {y2:.1}" fill="none" stroke="{}" stroke-width="{:.1}"{} marker-end="url(#{})"><title>{} → {}: {} calls, {} errors, p50 {}, p99 {}</title></path>"##,
            if bad { " bad" } else { "" },
            x1 + bend,
            x2 - bend,
            if bad { ERROR } else { "#666" },
            1.5 + (e.calls as f64).log10().max(0.0),
            if e.uninstrumented { r##" stroke-dasharray="5 4""## } else { "" },
            if bad { "arrow-bad" } else { "arrow" },
            esc(&e.from),
            esc(&e.to),
            e.calls,
            e.errors,
            duration(e.p50_ns),
            duration(e.p99_ns)
        );
        let _ = write!(
            html,
            r##"<text class="edge-label" x="{:.1}" y="{:.1}" text-anchor="middle">{} calls{}</text>"##,
            (x1 + x2) / 2.0 + if (fx - tx).abs() < 1.0 { 70.0 } else { 0.0 },
            (y1 + y2) / 2.0 - 6.0,
            e.calls,
            if bad { format!(", {} errors", e.errors) } else { String::new() }
        );
    }
    for s in &graph.services {
        let (x, y) = place[s.as_str()];
        let peer = graph.edges.iter().any(|e| e.uninstrumented && &e.to == s);
        let _ = write!(
            html,
            r##"<g class="service-node" data-service="{name}"><rect x="{x:.1}" y="{y:.1}" width="{W}" height="{H}" rx="8" fill="{}" {}/><text x="{:.1}" y="{:.1}" text-anchor="middle">{name}</text></g>"##,
            if peer { "#fff" } else { color(s) },
            if peer { r##"stroke="#666" stroke-dasharray="5 4""## } else { "" },
            x + W / 2.0,
            y + H / 2.0 + 5.0,
            name = esc(s)
        );
    }
    html.push_str("</svg>");
    html.push_str(r##"<table><thead><tr><th>Caller</th><th>Callee</th><th class="num">Calls</th><th class="num">Errors</th><th class="num">p50</th><th class="num">p99</th></tr></thead><tbody>"##);
    for e in &graph.edges {
        let _ = write!(
            html,
            r##"<tr><td>{}</td><td>{}{}</td><td class="num">{}</td><td class="num{}">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"##,
            esc(&e.from),
            esc(&e.to),
            if e.uninstrumented { " <small>(not instrumented)</small>" } else { "" },
            e.calls,
            if e.errors > 0 { " bad" } else { "" },
            e.errors,
            duration(e.p50_ns),
            duration(e.p99_ns)
        );
    }
    html.push_str("</tbody></table>");
}

const STYLE: &str = r##"
:root { --fg: #1f2328; --muted: #656d76; --line: #d0d7de; --bg: #ffffff; --alt: #f6f8fa; --bad: #d62728; --path: #f58518; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 20px 32px 8px; border-bottom: 1px solid var(--line); }
h1 { margin: 0 0 4px; font-size: 24px; }
h2 { font-size: 19px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 4px; }
h3 small { color: var(--muted); font-weight: normal; }
nav { padding: 8px 32px; background: var(--alt); border-bottom: 1px solid var(--line); position: sticky; top: 0; }
nav a { margin-right: 18px; color: #0969da; text-decoration: none; }
section, footer { padding: 0 32px; }
footer { color: var(--muted); margin: 32px 0; }
.summary { color: var(--muted); margin: 0; }
.bad { color: var(--bad); font-weight: 600; }
table { border-collapse: collapse; width: 100%; max-width: 1180px; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); }
th { background: var(--alt); font-weight: 600; }
tbody tr:nth-child(even) { background: #fbfcfd; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.legend { color: var(--muted); }
.swatch { display: inline-block; width: 22px; height: 8px; vertical-align: middle; margin: 0 4px 0 12px; }
.swatch.critical { background: var(--path); }
.swatch.error { background: var(--bad); }
.bar { display: inline-block; height: 8px; background: var(--path); vertical-align: middle; }
.path-summary { margin: 0 0 6px; color: var(--muted); }
svg { display: block; max-width: 100%; height: auto; }
svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
svg .svc { fill: var(--muted); }
svg .label.bad { fill: var(--bad); font-weight: 600; }
svg .axis, svg .dur, svg .edge-label { fill: var(--muted); font-size: 11px; }
svg .tick { stroke: var(--line); }
svg .stripe { fill: var(--alt); }
svg rect.span.error { stroke: var(--bad); stroke-width: 2; }
svg .service-node text { fill: #fff; font-weight: 600; }
svg .service-node rect[fill="#fff"] + text { fill: var(--fg); }
article.trace { margin-bottom: 18px; }
"##;
