//! Queries over traces: TraceQL (Grafana Tempo's language, for the part
//! that works on a set of traces), and the seed SQL form translated to it.
//!
//! ```
//! use traced_analyze::{Query, TraceSet};
//! let query = Query::parse(r#"{ resource.service.name = "checkout" && status = error } | count() > 1"#)?;
//! let traces = TraceSet::default();
//! let matches = query.run(&traces);
//! assert!(matches.is_empty());
//! # Ok::<(), traced_analyze::QueryError>(())
//! ```

mod ast;
mod eval;
mod lexer;
mod parser;
mod sql;

use crate::model::{Span, Trace, TraceId, TraceSet};
use crate::output::{SpanRow, TraceRow};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

pub use lexer::Scope;

/// A query that did not parse: where, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct QueryError {
    /// 1-based column, in characters, of the query as given.
    pub column: usize,
    /// What was expected and what was found.
    pub message: String,
}

impl QueryError {
    pub(crate) fn at(column: usize, message: impl Into<String>) -> Self {
        QueryError { column, message: message.into() }
    }

    /// The query with a caret under the column, then the message: how a
    /// terminal shows it.
    pub fn render(&self, query: &str) -> String {
        format!("{query}\n{:>width$}\n{self}", "^", width = self.column)
    }
}

/// A parsed query, ready to run over traces.
#[derive(Debug, Clone)]
pub struct Query {
    traceql: String,
    from_sql: bool,
    pipeline: ast::Pipeline,
}

/// A trace that matched, and which of its spans did.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    /// The trace.
    pub trace: &'a Trace,
    /// Indices into `trace.spans` of the spans that matched, in start order
    /// (every span, for conditions on the whole trace).
    pub spans: Vec<usize>,
}

impl Query {
    /// Parses TraceQL, or the SQL form (`SELECT * FROM traces WHERE ...`),
    /// which is translated to TraceQL first. For SQL, error columns count in
    /// the SQL text.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        if sql::is_sql(text) {
            let traceql = sql::translate(text)?;
            let pipeline = parser::parse(&traceql)
                .map_err(|e| QueryError::at(1, format!("internal translation error: {} in `{traceql}`", e.message)))?;
            return Ok(Query { traceql, from_sql: true, pipeline });
        }
        let pipeline = parser::parse(text)?;
        Ok(Query { traceql: text.trim().to_owned(), from_sql: false, pipeline })
    }

    /// The TraceQL this query runs: what `--explain` prints, and what runs
    /// in Tempo unchanged.
    pub fn traceql(&self) -> &str {
        &self.traceql
    }

    /// Whether it was given in the SQL form.
    pub fn is_sql(&self) -> bool {
        self.from_sql
    }

    /// The traces that match, in the set's order.
    pub fn run<'a>(&self, traces: &'a TraceSet) -> Vec<Match<'a>> {
        traces.traces.iter().filter_map(|t| self.run_trace(t)).collect()
    }

    /// Runs over one trace.
    pub fn run_trace<'a>(&self, trace: &'a Trace) -> Option<Match<'a>> {
        eval::run(&self.pipeline, trace).map(|spans| Match { trace, spans })
    }
}

impl Query {
    /// A run that takes spans one at a time and keeps only a summary per
    /// trace and the spans that matched, when the query allows it: one
    /// selector (any `&&`, `||`, `!` inside) that reads only the span and its
    /// resource. `None` for structural operators, pipelines and the trace
    /// intrinsics (`rootName`, `rootServiceName`, `traceDuration`), which
    /// need whole traces.
    pub fn streaming(&self) -> Option<StreamingRun> {
        let ast::SpansetExpr::Select(expr) = &self.pipeline.spansets else { return None };
        if !self.pipeline.stages.is_empty() || eval::needs_trace(expr) {
            return None;
        }
        Some(StreamingRun { expr: expr.clone(), traces: HashMap::new() })
    }
}

/// A query running over spans as they are read; see [`Query::streaming`].
///
/// Memory: about a hundred bytes per trace seen, plus the matched spans'
/// rows, whatever the number of spans. Two differences from the run over
/// whole traces: a span recorded twice is counted twice, and a trace with
/// no parentless span takes its earliest span as root.
#[derive(Debug)]
pub struct StreamingRun {
    expr: ast::Expr,
    traces: HashMap<TraceId, Summary>,
}

#[derive(Debug)]
struct Summary {
    start: u64,
    end: u64,
    /// The earliest parentless span, else the earliest span: start, name, service.
    root: (bool, u64, Arc<str>, Arc<str>),
    span_count: usize,
    error_count: usize,
    matched: Vec<(u64, SpanRow)>,
}

impl StreamingRun {
    /// Takes one span.
    pub fn push(&mut self, span: Span) {
        let matched = eval::test_span(&self.expr, &span);
        let is_root = span.parent_span_id.is_none();
        let s = self.traces.entry(span.trace_id).or_insert_with(|| Summary {
            start: span.start_unix_nano,
            end: span.end_unix_nano,
            root: (is_root, span.start_unix_nano, span.name.clone(), span.resource.service_name.clone()),
            span_count: 0,
            error_count: 0,
            matched: Vec::new(),
        });
        s.start = s.start.min(span.start_unix_nano);
        s.end = s.end.max(span.end_unix_nano);
        s.span_count += 1;
        s.error_count += usize::from(span.is_error());
        let better_root = (is_root && !s.root.0) || (is_root == s.root.0 && span.start_unix_nano < s.root.1);
        if better_root {
            s.root = (is_root, span.start_unix_nano, span.name.clone(), span.resource.service_name.clone());
        }
        if matched {
            s.matched.push((span.start_unix_nano, SpanRow::new(&span)));
        }
    }

    /// The matching traces, in start order, as rows.
    pub fn finish(self) -> Vec<TraceRow> {
        let mut rows: Vec<(TraceId, Summary)> =
            self.traces.into_iter().filter(|(_, s)| !s.matched.is_empty()).collect();
        rows.sort_by(|a, b| a.1.start.cmp(&b.1.start).then(a.0.cmp(&b.0)));
        rows.into_iter()
            .map(|(id, mut s)| {
                s.matched.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.span_id.cmp(&b.1.span_id)));
                TraceRow {
                    trace_id: id.to_string(),
                    root_service: s.root.3.to_string(),
                    root_name: s.root.2.to_string(),
                    start_unix_nano: s.start,
                    duration_ns: s.end.saturating_sub(s.start),
                    span_count: s.span_count,
                    error_count: s.error_count,
                    spans: s.matched.into_iter().map(|(_, row)| row).collect(),
                }
            })
            .collect()
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.traceql)
    }
}
