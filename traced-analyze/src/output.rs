//! What `traced query` prints: a table for people, JSON for programs.

use crate::query::Match;
use serde::Serialize;
use std::fmt::Write as _;

/// `--format json`: the matched traces and, in each, the spans that matched.
#[derive(Debug, Serialize)]
pub struct JsonOutput<'a> {
    /// One entry per matched trace.
    pub traces: &'a [TraceRow],
}

/// A matched trace, as the table and the JSON show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceRow {
    /// Hex trace id.
    pub trace_id: String,
    /// The root span's service.
    pub root_service: String,
    /// The root span's name.
    pub root_name: String,
    /// Earliest span start, nanoseconds since the Unix epoch.
    pub start_unix_nano: u64,
    /// From the first start to the last end.
    pub duration_ns: u64,
    /// Spans in the trace.
    pub span_count: usize,
    /// Spans that failed.
    pub error_count: usize,
    /// The spans that matched, in start order.
    pub spans: Vec<SpanRow>,
}

/// A matched span.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanRow {
    /// Hex span id.
    pub span_id: String,
    /// Its name.
    pub name: String,
    /// Its service.
    pub service: String,
    /// Its duration.
    pub duration_ns: u64,
}

impl SpanRow {
    /// The row for `span`.
    pub fn new(span: &crate::model::Span) -> SpanRow {
        SpanRow {
            span_id: span.span_id.to_string(),
            name: span.name.to_string(),
            service: span.service().to_owned(),
            duration_ns: span.duration_nanos(),
        }
    }
}

impl TraceRow {
    /// The row for a match found over whole traces.
    pub fn new(m: &Match<'_>) -> TraceRow {
        let t = m.trace;
        let root = t.root();
        TraceRow {
            trace_id: t.trace_id.to_string(),
            root_service: root.map(|r| r.service().to_owned()).unwrap_or_default(),
            root_name: root.map(|r| r.name.to_string()).unwrap_or_default(),
            start_unix_nano: t.start_unix_nano(),
            duration_ns: t.duration_nanos(),
            span_count: t.spans.len(),
            error_count: t.error_count(),
            spans: m.spans.iter().map(|&i| SpanRow::new(&t.spans[i])).collect(),
        }
    }
}

/// The table: a row per trace, the matched spans' names at the end.
pub fn table(rows: &[TraceRow]) -> String {
    if rows.is_empty() {
        return "no traces match\n".to_owned();
    }
    let header = ["TRACE ID", "ROOT", "START (UTC)", "DURATION", "SPANS", "ERRORS", "MATCHED"];
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|t| {
            let root = if t.root_service.is_empty() {
                t.root_name.clone()
            } else {
                format!("{}: {}", t.root_service, t.root_name)
            };
            let mut names: Vec<&str> = Vec::new();
            for span in &t.spans {
                if !names.contains(&span.name.as_str()) {
                    names.push(&span.name);
                }
            }
            let shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
            let matched = if names.len() > 3 {
                format!("{} spans: {shown}, +{} more", t.spans.len(), names.len() - 3)
            } else {
                format!("{} span{}: {shown}", t.spans.len(), if t.spans.len() == 1 { "" } else { "s" })
            };
            vec![
                t.trace_id.clone(),
                root,
                utc(t.start_unix_nano),
                duration(t.duration_ns),
                t.span_count.to_string(),
                t.error_count.to_string(),
                matched,
            ]
        })
        .collect();
    let mut out = grid(&header, &cells);
    let _ = write!(out, "{} trace{}", rows.len(), if rows.len() == 1 { "" } else { "s" });
    out.push('\n');
    out
}

/// Aligned columns under a header, two spaces apart; the last column runs
/// free.
pub fn grid(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[String]| {
        let mut text = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<w$}  ");
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for row in rows {
        line(row);
    }
    out
}

/// `1.250s`, `12.3ms`, `850µs`, `40ns`.
pub fn duration(nanos: u64) -> String {
    let n = nanos as f64;
    if nanos >= 1_000_000_000 {
        format!("{:.3}s", n / 1e9)
    } else if nanos >= 1_000_000 {
        format!("{:.1}ms", n / 1e6)
    } else if nanos >= 1_000 {
        format!("{:.0}µs", n / 1e3)
    } else {
        format!("{nanos}ns")
    }
}

/// `2026-11-28 10:41:31.123` from nanoseconds since the epoch.
pub fn utc(unix_nano: u64) -> String {
    let secs = unix_nano / 1_000_000_000;
    let millis = (unix_nano / 1_000_000) % 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}.{millis:03}", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_durations_read_well() {
        assert_eq!(utc(1_544_712_660_000_000_000), "2018-12-13 14:51:00.000");
        assert_eq!(utc(0), "1970-01-01 00:00:00.000");
        assert_eq!(duration(1_250_000_000), "1.250s");
        assert_eq!(duration(12_345_678), "12.3ms");
        assert_eq!(duration(850_000), "850µs");
        assert_eq!(duration(40), "40ns");
    }
}
