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

use crate::model::{Trace, TraceSet};
use std::fmt;

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

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.traceql)
    }
}
