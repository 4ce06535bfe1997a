//! Critical path, statistics, dependencies and comparison over traces built
//! to have known answers.

mod fixture;

use fixture::{ndjson, s, S};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind::{Client, Consumer, Producer, Server};
use traced_analyze::analysis::{self, Change, GroupBy};
use traced_analyze::{read, TraceSet};

fn set(spans: &[S]) -> TraceSet {
    let mut out = Vec::new();
    let report = read::read_bytes("t.jsonl", ndjson(spans).as_bytes(), |s| out.push(s));
    assert_eq!(report.problem_count, 0);
    TraceSet::from_spans(out)
}

/// Root R [0,100] with: C1 [10,40], C2 [20,70] (its child G [30,60]),
/// C3 [80,90], X [120,130] (outside R: dropped), O [95,110] (overflows:
/// clamped to [95,100]), a producer P [5,8] whose consumer Q [50,99] does not
/// block it.
fn jaeger_example() -> Vec<S> {
    vec![
        s("api", 1, 1, None, "R").kind(Server).at(0, 100),
        s("a", 1, 2, Some(1), "C1").at(10, 30),
        s("b", 1, 3, Some(1), "C2").at(20, 50),
        s("b", 1, 4, Some(3), "G").at(30, 30),
        s("api", 1, 5, Some(1), "C3").at(80, 10),
        s("api", 1, 6, Some(1), "X").at(120, 10),
        s("c", 1, 7, Some(1), "O").kind(Client).at(95, 15).str("server.address", "payments.example.com"),
        s("api", 1, 8, Some(1), "P").kind(Producer).at(5, 3),
        s("mailer", 1, 9, Some(8), "Q").kind(Consumer).at(50, 49).error("smtp refused"),
    ]
}

const MS: u64 = 1_000_000;

#[test]
fn critical_path_follows_jaegers_algorithm() {
    let traces = set(&jaeger_example());
    let path = analysis::critical_path(&traces.traces[0]);
    let sections: Vec<(&str, u64, u64)> = path
        .sections
        .iter()
        .map(|s| (s.name.as_str(), (s.start_unix_nano - fixture::T0) / MS, (s.end_unix_nano - fixture::T0) / MS))
        .collect();
    assert_eq!(
        sections,
        [
            ("R", 0, 5),
            ("P", 5, 8),
            ("R", 8, 20),
            ("C2", 20, 30),
            ("G", 30, 60),
            ("C2", 60, 70),
            ("R", 70, 80),
            ("C3", 80, 90),
            ("R", 90, 95),
            ("O", 95, 100),
        ]
    );
    let on_path: Vec<(&str, u64)> = path.spans.iter().map(|s| (s.name.as_str(), s.time_on_path_ns / MS)).collect();
    assert_eq!(on_path, [("R", 32), ("G", 30), ("C2", 20), ("C3", 10), ("O", 5), ("P", 3)]);
    // The trace lasts until X ends (130 ms): shares are of that.
    assert_eq!(path.trace_duration_ns, 130 * MS);
    assert!((path.spans[0].share - 32.0 / 130.0).abs() < 1e-9);
}

#[test]
fn each_root_of_a_fragmented_trace_has_its_path() {
    // The parent of "late" was never recorded: it is a root of its own.
    let traces = set(&[
        s("api", 2, 1, None, "first").at(0, 10),
        s("api", 2, 2, Some(1), "inner").at(2, 5),
        s("worker", 2, 3, Some(99), "late").at(20, 10),
    ]);
    let path = analysis::critical_path(&traces.traces[0]);
    let names: Vec<&str> = path.sections.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["first", "inner", "first", "late"]);
}

#[test]
fn bottlenecks_over_many_traces() {
    let mut spans = jaeger_example();
    spans.extend([s("api", 3, 1, None, "R").kind(Server).at(0, 50), s("b", 3, 2, Some(1), "C2").at(0, 40)]);
    let b = analysis::bottlenecks(&set(&spans));
    assert_eq!(b[0].operation, "b: C2");
    assert_eq!((b[0].traces, b[0].time_on_path_ns / MS), (2, 60));
    let r = b.iter().find(|x| x.operation == "api: R").unwrap();
    assert_eq!((r.traces, r.time_on_path_ns / MS), (2, 42));
}

#[test]
fn stats_with_self_time_and_errors() {
    let traces = set(&jaeger_example());
    let trace = &traces.traces[0];
    let root = trace.spans.iter().position(|s| &*s.name == "R").unwrap();
    // 100 ms minus the union of [5,8], [10,70], [80,90], [95,100].
    assert_eq!(analysis::self_time(trace, root) / MS, 22);
    let by_service = analysis::stats(&traces, &GroupBy::Service);
    let api = by_service.iter().find(|g| g.group == "api").unwrap();
    assert_eq!((api.count, api.total_ns / MS, api.min_ns / MS, api.max_ns / MS), (4, 123, 3, 100));
    assert_eq!((api.p50_ns / MS, api.p99_ns / MS), (10, 100));
    assert_eq!(api.self_total_ns / MS, 22 + 10 + 10 + 3);
    let mailer = by_service.iter().find(|g| g.group == "mailer").unwrap();
    assert_eq!((mailer.errors, mailer.error_rate), (1, 1.0));
    let by_name = analysis::stats(&traces, &GroupBy::Name);
    assert!(by_name.iter().any(|g| g.group == "b: G" && g.self_total_ns == 30 * MS));
    let by_attr = analysis::stats(&traces, &GroupBy::parse("server.address"));
    assert_eq!(
        by_attr.iter().map(|g| (g.group.as_str(), g.count)).collect::<Vec<_>>(),
        [("(none)", 8), ("payments.example.com", 1)]
    );
}

#[test]
fn dependencies_between_services_and_to_uninstrumented_peers() {
    let graph = analysis::dependencies(&set(&jaeger_example()));
    let edges: Vec<(&str, &str, bool, usize, usize)> =
        graph.edges.iter().map(|e| (e.from.as_str(), e.to.as_str(), e.uninstrumented, e.calls, e.errors)).collect();
    assert_eq!(
        edges,
        [
            ("api", "a", false, 1, 0),
            ("api", "b", false, 1, 0),
            ("api", "c", false, 1, 0),
            ("api", "mailer", false, 1, 1),
            ("c", "payments.example.com", true, 1, 0),
        ]
    );
    assert_eq!(graph.services, ["a", "api", "b", "c", "mailer", "payments.example.com"]);
    let dot = graph.to_dot();
    assert!(dot.contains("\"api\" -> \"mailer\" [label=\"1 calls, 1 errors, p50 49.0ms\", color=red];"), "{dot}");
    assert!(dot.contains("\"payments.example.com\" [style=\"rounded,dashed\"];"), "{dot}");
    let mermaid = graph.to_mermaid();
    assert!(mermaid.starts_with("flowchart LR\n"));
    assert!(mermaid.contains("s1 -->|\"1 calls, 1 errors, p50 49.0ms\"| s4"), "{mermaid}");
}

#[test]
fn diff_folds_by_path_and_puts_slower_first() {
    let a = set(&[
        s("api", 1, 1, None, "GET /").at(0, 50),
        s("db", 1, 2, Some(1), "query").at(1, 10),
        s("db", 1, 3, Some(1), "query").at(12, 10),
        s("cache", 1, 4, Some(1), "get").at(30, 1),
    ]);
    let b = set(&[
        s("api", 2, 1, None, "GET /").at(0, 90),
        s("db", 2, 2, Some(1), "query").at(1, 20),
        s("db", 2, 3, Some(1), "query").at(22, 20),
        s("db", 2, 4, Some(1), "query").at(43, 20),
        s("search", 2, 5, Some(1), "find").at(70, 5),
    ]);
    let d = analysis::diff(&a, &b);
    let rows: Vec<(&str, Change, f64, f64, i64)> =
        d.iter().map(|p| (p.path.as_str(), p.change, p.calls_a, p.calls_b, p.delta_ns / MS as i64)).collect();
    assert_eq!(
        rows,
        [
            ("api: GET /", Change::Same, 1.0, 1.0, 40),
            ("api: GET / > db: query", Change::More, 2.0, 3.0, 10),
            ("api: GET / > cache: get", Change::Removed, 1.0, 0.0, 0),
            ("api: GET / > search: find", Change::Added, 0.0, 1.0, 0),
        ]
    );
}
