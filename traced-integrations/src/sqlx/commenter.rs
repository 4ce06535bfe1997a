//! The trace context carried into the database as a sqlcommenter comment:
//! `SELECT ... /*traceparent='00-...-01',tracestate='...'*/`, keys sorted,
//! values URL-encoded and quoted, so database logs, `pg_stat_activity`,
//! `information_schema.PROCESSLIST` and pg_tracing can tie the statement
//! to its span.

use opentelemetry::trace::SpanContext;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use traced_core::propagation::format_traceparent;
use traced_core::sql::Lexed;

/// When statements carry the comment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraceComment {
    /// Never: statements run exactly as written.
    Off,
    /// For sampled spans only (the default): the statements a trace will
    /// show, at the cost of a per-statement text (no statement cache).
    #[default]
    Sampled,
    /// For every statement with a valid span, sampled or not, so database
    /// logs carry a trace id even when the trace is not kept.
    Always,
}

impl TraceComment {
    /// Whether a statement of a span with this context gets the comment.
    pub(crate) fn applies(self, cx: &SpanContext) -> bool {
        match self {
            TraceComment::Off => false,
            TraceComment::Sampled => cx.is_valid() && cx.is_sampled(),
            TraceComment::Always => cx.is_valid(),
        }
    }
}

/// URL-encoding of all but the unreserved characters: stricter than
/// `encodeURIComponent` (which keeps `'` and `*`), so a value can neither
/// close the comment nor unbalance the quotes around it; any URL-decoder
/// reads it back the same.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `sql` with the comment for `cx` appended, or `None` when it must stay as
/// it is: it already has a comment (the specification leaves those alone),
/// or it ends inside a string or comment, where anything appended would be
/// swallowed.
pub(crate) fn with_trace_comment(sql: &str, lexed: &Lexed, cx: &SpanContext) -> Option<String> {
    if lexed.has_comment() || lexed.unterminated || sql.trim().is_empty() {
        return None;
    }
    let tracestate = cx.trace_state().header();
    // Sorted by key: traceparent < tracestate.
    let mut pairs = vec![("traceparent", format_traceparent(cx))];
    if !tracestate.is_empty() {
        pairs.push(("tracestate", tracestate));
    }
    let comment = pairs.iter().map(|(k, v)| format!("{}='{}'", quote(k), quote(v))).collect::<Vec<_>>().join(",");
    // The comment goes at the end, before one trailing `;` if there is one.
    let body = sql.trim_end();
    let (body, tail) = match body.strip_suffix(';') {
        Some(body) => (body.trim_end(), ";"),
        None => (body, ""),
    };
    Some(format!("{body} /*{comment}*/{tail}"))
}

fn quote(value: &str) -> String {
    utf8_percent_encode(value, COMPONENT).to_string().replace('\'', "\\'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanId, TraceFlags, TraceId, TraceState};
    use std::str::FromStr;
    use traced_core::sql::{lex, Dialect};

    fn cx(state: &str) -> SpanContext {
        SpanContext::new(
            TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap_or(TraceId::INVALID),
            SpanId::from_hex("00f067aa0ba902b7").unwrap_or(SpanId::INVALID),
            TraceFlags::SAMPLED,
            true,
            TraceState::from_str(state).unwrap_or_default(),
        )
    }

    fn comment(sql: &str) -> Option<String> {
        with_trace_comment(sql, &lex(sql, Dialect::POSTGRES), &cx("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"))
    }

    #[test]
    fn the_specification_example() {
        assert_eq!(
            comment("SELECT * FROM songs").as_deref(),
            Some(
                "SELECT * FROM songs /*traceparent='00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',\
                 tracestate='congo%3Dt61rcWkgMzE%2Crojo%3D00f067aa0ba902b7'*/"
            )
        );
    }

    #[test]
    fn placed_before_one_trailing_semicolon() {
        let out = comment("SELECT 1 ;  ").unwrap_or_default();
        assert!(out.starts_with("SELECT 1 /*traceparent="), "{out}");
        assert!(out.ends_with("*/;"), "{out}");
    }

    #[test]
    fn statements_with_comments_or_open_literals_are_left_alone() {
        assert_eq!(comment("SELECT 1 -- mine"), None);
        assert_eq!(comment("SELECT 1 /* mine */"), None);
        assert_eq!(comment("SELECT 'open"), None);
        assert!(comment("SELECT '--', '*/'").is_some());
    }

    #[test]
    fn values_cannot_close_the_comment() {
        // A valid tracestate value may hold `*`, `/` and `'`.
        let hostile = cx("k=a*/b'c");
        assert_eq!(hostile.trace_state().get("k"), Some("a*/b'c"));
        let out = with_trace_comment("SELECT 1", &lex("SELECT 1", Dialect::POSTGRES), &hostile).unwrap_or_default();
        assert_eq!(out.matches("*/").count(), 1, "{out}");
        assert!(out.ends_with("tracestate='k%3Da%2A%2Fb%27c'*/"), "{out}");
        // The specification's `'FOO%20\'BAR'` leaves `'` to be escaped; encoding
        // it too decodes the same and keeps quotes balanced in the text.
        assert_eq!(quote("FOO 'BAR"), "FOO%20%27BAR");
        assert_eq!(quote("a*/b"), "a%2A%2Fb");
    }
}
