//! Queries that look at one span at a time run over spans as they are read,
//! keeping a summary per trace: the rows are the ones the run over whole
//! traces gives.

mod fixture;

use fixture::{ndjson, seed_spans};
use traced_analyze::output::TraceRow;
use traced_analyze::{read, Query, TraceSet};

#[test]
fn streaming_rows_equal_whole_trace_rows() {
    let text = ndjson(&seed_spans());
    let mut spans = Vec::new();
    read::read_bytes("seed.jsonl", text.as_bytes(), |s| spans.push(s));
    let traces = TraceSet::from_spans(spans.clone());
    for query in [
        "SELECT * FROM traces WHERE tags.error = true",
        "SELECT * FROM traces WHERE service.name = \"my-app\"",
        "SELECT * FROM traces WHERE tags.db.operation = \"select\"",
        "SELECT * FROM traces WHERE tags.error.message = \"database connection failed\"",
        "{ kind = client || span.user.id = \"12345\" }",
        "{ !(status = error) && duration < 30ms }",
        "{ }",
    ] {
        let q = Query::parse(query).unwrap();
        let whole: Vec<TraceRow> = q.run(&traces).iter().map(TraceRow::new).collect();
        let mut run = q.streaming().unwrap_or_else(|| panic!("{query} streams"));
        for span in spans.iter().rev().cloned() {
            run.push(span);
        }
        assert_eq!(run.finish(), whole, "{query}");
        assert!(!whole.is_empty(), "{query} matches something");
    }
}

#[test]
fn queries_that_need_whole_traces_do_not_stream() {
    for query in [
        "SELECT * FROM traces WHERE duration > 1000ms",
        "{ rootName = \"GET /old\" }",
        "{ kind = server } > { kind = client }",
        "{ kind = server } && { status = error }",
        "{ } | count() > 2",
    ] {
        assert!(Query::parse(query).unwrap().streaming().is_none(), "{query}");
    }
}
