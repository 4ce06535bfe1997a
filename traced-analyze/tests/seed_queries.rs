//! The eight queries of the seed, verbatim, over files written by an
//! independent OTLP writer: each finds exactly the traces built to match.

mod fixture;

use fixture::{ndjson, seed_spans, trace_hex};
use traced_analyze::{read, Query, TraceSet};

fn traces() -> TraceSet {
    let text = ndjson(&seed_spans());
    let mut spans = Vec::new();
    let report = read::read_bytes("seed.jsonl", text.as_bytes(), |s| spans.push(s));
    assert_eq!(report.problem_count, 0, "{:?}", report.problems);
    TraceSet::from_spans(spans)
}

fn matching(query: &str, traces: &TraceSet) -> Vec<String> {
    let q = Query::parse(query).unwrap_or_else(|e| panic!("{}", e.render(query)));
    q.run(traces).iter().map(|m| m.trace.trace_id.to_string()).collect()
}

fn ids(ns: &[u8]) -> Vec<String> {
    ns.iter().map(|&n| trace_hex(n)).collect()
}

#[test]
fn the_eight_seed_queries_find_their_traces() {
    let traces = traces();
    assert_eq!(traces.traces.len(), 6);
    let cases: [(&str, &[u8]); 8] = [
        ("SELECT * FROM traces WHERE duration > 1000ms", &[1]),
        ("SELECT * FROM traces WHERE tags.error = true", &[3, 4]),
        ("SELECT * FROM traces WHERE service.name = \"my-app\"", &[1, 5]),
        ("SELECT * FROM traces WHERE operation.name = \"UserService.GetUser\"", &[2, 6]),
        ("SELECT * FROM traces WHERE tags.user.id = \"12345\"", &[2]),
        ("SELECT * FROM traces WHERE tags.http.status_code = 500", &[3, 4]),
        ("SELECT * FROM traces WHERE tags.db.operation = \"select\"", &[2, 4]),
        ("SELECT * FROM traces WHERE tags.error.message = \"database connection failed\"", &[3]),
    ];
    for (query, expected) in cases {
        assert_eq!(matching(query, &traces), ids(expected), "{query}");
    }
}

#[test]
fn matched_spans_are_the_ones_that_satisfy_the_condition() {
    let traces = traces();
    let q = Query::parse("SELECT * FROM traces WHERE tags.error.message = \"database connection failed\"").unwrap();
    let m = q.run(&traces);
    let names: Vec<&str> = m[0].spans.iter().map(|&i| &*m[0].trace.spans[i].name).collect();
    assert_eq!(names, ["OrderRepo.save"]);
    // A trace-level condition lists every span of the trace.
    let q = Query::parse("SELECT * FROM traces WHERE duration > 1000ms").unwrap();
    assert_eq!(q.run(&traces)[0].spans.len(), 2);
}

#[test]
fn conditions_combine_on_one_span_with_and_binding_tighter_than_or() {
    let traces = traces();
    assert_eq!(
        matching("SELECT * FROM traces WHERE service.name = \"users\" AND tags.user.id = \"99999\"", &traces),
        ids(&[6])
    );
    assert_eq!(
        matching(
            "SELECT * FROM traces WHERE service.name = \"legacy\" OR service.name = \"users\" AND tags.user.id = \"12345\"",
            &traces
        ),
        ids(&[2, 4])
    );
    // `!=` negates `=`: a span without the attribute satisfies it (trace 2's
    // SELECT span has no user.id), unlike TraceQL's `!=`.
    assert_eq!(
        matching("SELECT * FROM traces WHERE service.name = \"users\" AND tags.user.id != \"12345\"", &traces),
        ids(&[2, 6])
    );
}

#[test]
fn explain_shows_the_traceql_that_runs() {
    let q = Query::parse("SELECT * FROM traces WHERE tags.db.operation = \"select\"").unwrap();
    assert!(q.is_sql());
    assert_eq!(q.traceql(), r#"{ (span.db.operation =~ "(?i)select" || span.db.operation.name =~ "(?i)select") }"#);
    // And that TraceQL, given directly, finds the same traces.
    let traces = traces();
    assert_eq!(matching(q.traceql(), &traces), ids(&[2, 4]));
}
