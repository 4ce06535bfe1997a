//! Every format and spelling real trace files come in reads into the same
//! model; what cannot be read is reported with file and line and skipped.

mod fixture;

use fixture::{ndjson, s, seed_spans, trace_hex, traces_data, T0};
use prost::Message;
use std::io::Write;
use traced_analyze::model::{SpanKind, StatusCode, Value};
use traced_analyze::{read, TraceSet};

fn read_text(name: &str, text: &str) -> (TraceSet, read::ReadReport) {
    let mut spans = Vec::new();
    let report = read::read_bytes(name, text.as_bytes(), |s| spans.push(s));
    (TraceSet::from_spans(spans), report)
}

#[test]
fn otlp_json_from_the_official_serde_reads_field_for_field() {
    let (traces, report) = read_text("seed.jsonl", &ndjson(&seed_spans()));
    assert_eq!((report.spans, report.problem_count), (10, 0));
    let t3 = traces.traces.iter().find(|t| t.trace_id.to_string() == trace_hex(3)).unwrap();
    let root = t3.root().unwrap();
    assert_eq!(&*root.name, "POST /orders");
    assert_eq!(root.service(), "checkout");
    assert_eq!(root.kind, SpanKind::Server);
    assert_eq!(root.start_unix_nano, T0 + 200_000_000);
    assert_eq!(root.duration_nanos(), 80_000_000);
    assert_eq!(root.attribute("http.response.status_code"), Some(&Value::Int(500)));
    assert_eq!(root.status, StatusCode::Error);
    let save = &t3.spans[1];
    assert_eq!(save.parent_span_id, Some(root.span_id));
    assert_eq!(t3.parent(1), Some(0));
    assert_eq!(&*save.status_message, "database connection failed");
    assert_eq!(&*save.events[0].name, "exception");
    assert_eq!(
        traced_analyze::model::attribute(&save.events[0].attributes, "exception.message"),
        Some(&Value::Str("database connection failed".into()))
    );
    assert_eq!(&*save.scope_name, "traced");
}

#[test]
fn a_single_pretty_document_reads_too() {
    let pretty = serde_json::to_string_pretty(&traces_data(&seed_spans())).unwrap();
    let (traces, report) = read_text("seed.json", &pretty);
    assert_eq!((traces.traces.len(), report.spans, report.problem_count), (6, 10, 0));
}

/// What real files carry besides the canonical form: upper-case hex, base64
/// ids, numbers for 64-bit integers, enum names, the legacy field name.
#[test]
fn lenient_spellings_read_as_the_canonical_ones() {
    let canonical = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"a","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"3000","attributes":[{"key":"n","value":{"intValue":"7"}}],"status":{"code":2}}]}]}]}"#;
    let variants = [
        r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"4BF92F3577B34DA6A3CE929D0E0E4736","spanId":"00F067AA0BA902B7","name":"a","kind":"SPAN_KIND_SERVER","startTimeUnixNano":1000,"endTimeUnixNano":3000,"attributes":[{"key":"n","value":{"intValue":7}}],"status":{"code":"STATUS_CODE_ERROR"}}]}]}]}"#,
        r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":""},"spans":[{"traceId":"S/kvNXezTaajzpKdDg5HNg==","spanId":"APBnqgupArc=","name":"a","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"3000","attributes":[{"key":"n","value":{"intValue":"7"}}],"status":{"code":2},"unknownField":{"x":[1,2]}}]}]}],"extra":true}"#,
        r#"{"result":{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"a","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"3000","attributes":[{"key":"n","value":{"intValue":"7"}}],"status":{"code":2}}]}]}]}}"#,
        r#"{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"a","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1000","endTimeUnixNano":"3000","attributes":[{"key":"n","value":{"intValue":"7"}}],"status":{"code":"STATUS_CODE_ERROR"}}]}]}]}"#,
    ];
    let (expected, _) = read_text("canonical.json", canonical);
    let expected = &expected.traces[0].spans[0];
    assert_eq!(expected.status, StatusCode::Error);
    for (i, variant) in variants.iter().enumerate() {
        let (traces, report) = read_text("variant.json", variant);
        assert_eq!(report.problem_count, 0, "variant {i}: {:?}", report.problems);
        let mut span = traces.traces[0].spans[0].clone();
        span.scope_name = expected.scope_name.clone();
        assert_eq!(&span, expected, "variant {i}");
    }
}

#[test]
fn a_corrupt_line_is_reported_with_file_and_line_and_the_rest_still_reads() {
    let mut lines: Vec<String> = ndjson(&seed_spans()).lines().map(str::to_owned).collect();
    lines.insert(
        1,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz","spanId":"00f067aa0ba902b7"}]}]}]}"#.into(),
    );
    lines.insert(3, r#"{"resourceSpans": [ truncated"#.into());
    let (traces, report) = read_text("file.json", &(lines.join("\n") + "\n"));
    assert_eq!(traces.span_count(), 10, "every good line still read");
    assert_eq!(report.problem_count, 2);
    let first = report.problems[0].to_string();
    assert!(first.starts_with("file.json:2: expected hex trace id, found \"xyz\""), "{first}");
    let second = report.problems[1].to_string();
    assert!(second.starts_with("file.json:4: "), "{second}");
}

#[test]
fn jaeger_json_maps_tags_references_and_logs() {
    let jaeger = r#"{"data":[{"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spans":[
      {"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"00f067aa0ba902b7","operationName":"GET /users/{id}","references":[],
       "startTime":1544712660000000,"duration":250000,"processID":"p1","flags":1,
       "tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"http.response.status_code","type":"int64","value":500},
               {"key":"otel.status_code","type":"string","value":"ERROR"},{"key":"otel.status_description","type":"string","value":"boom"}],
       "logs":[{"timestamp":1544712660100000,"fields":[{"key":"event","type":"string","value":"exception"},{"key":"exception.message","type":"string","value":"db down"}]}]},
      {"traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"1111111111111111","operationName":"SELECT","processID":"p2",
       "references":[{"refType":"CHILD_OF","traceID":"4bf92f3577b34da6a3ce929d0e0e4736","spanID":"00f067aa0ba902b7"},
                     {"refType":"FOLLOWS_FROM","traceID":"0000000000000000a3ce929d0e0e4736","spanID":"2222222222222222"}],
       "startTime":1544712660010000,"duration":20000,"tags":[{"key":"error","type":"bool","value":true},{"key":"db.operation","type":"string","value":"select"}],"logs":[]}],
     "processes":{"p1":{"serviceName":"api","tags":[{"key":"host.name","type":"string","value":"h1"}]},"p2":{"serviceName":"db-client","tags":[]}},
     "warnings":null}],"total":0,"limit":0,"offset":0,"errors":null}"#;
    let (traces, report) = read_text("jaeger.json", jaeger);
    assert_eq!(report.problem_count, 0, "{:?}", report.problems);
    let t = &traces.traces[0];
    let root = t.root().unwrap();
    assert_eq!((root.service(), &*root.name, root.kind), ("api", "GET /users/{id}", SpanKind::Server));
    assert_eq!((root.start_unix_nano, root.duration_nanos()), (T0, 250_000_000));
    assert_eq!((root.status, &*root.status_message), (StatusCode::Error, "boom"));
    assert!(root.attribute("span.kind").is_none(), "kind is not left as an attribute");
    assert_eq!(root.attribute("http.response.status_code"), Some(&Value::Int(500)));
    assert_eq!(&*root.events[0].name, "exception");
    assert_eq!(root.events[0].time_unix_nano, T0 + 100_000_000);
    assert_eq!(
        traced_analyze::model::attribute(&root.resource.attributes, "host.name"),
        Some(&Value::Str("h1".into()))
    );
    let child = &t.spans[1];
    assert_eq!(child.parent_span_id, Some(root.span_id));
    assert_eq!(child.service(), "db-client");
    assert_eq!(child.status, StatusCode::Error, "error=true is status Error");
    assert_eq!(child.links.len(), 1);
    assert_eq!(child.links[0].trace_id.to_string(), "0000000000000000a3ce929d0e0e4736");
}

#[test]
fn protobuf_files_read_length_prefixed_or_whole() {
    let data = traces_data(&seed_spans());
    let whole = data.encode_to_vec();
    let mut prefixed = Vec::new();
    for rs in &data.resource_spans {
        let one =
            opentelemetry_proto::tonic::trace::v1::TracesData { resource_spans: vec![rs.clone()] }.encode_to_vec();
        prefixed.extend_from_slice(&(one.len() as u32).to_be_bytes());
        prefixed.extend_from_slice(&one);
    }
    for (name, bytes) in [("whole.pb", whole), ("prefixed.pb", prefixed)] {
        let mut spans = Vec::new();
        let report = read::read_bytes(name, &bytes, |s| spans.push(s));
        assert_eq!((report.spans, report.problem_count), (10, 0), "{name}: {:?}", report.problems);
        let (json, _) = read_text("seed.jsonl", &ndjson(&seed_spans()));
        let from_pb = TraceSet::from_spans(spans);
        assert_eq!(from_pb.traces.len(), json.traces.len());
        for (a, b) in from_pb.traces.iter().zip(&json.traces) {
            assert_eq!(a.spans, b.spans, "{name}");
        }
    }
}

#[test]
fn gzip_directories_and_traces_split_across_files_join() {
    let dir = tempfile::tempdir().unwrap();
    // Trace 1's root in one file, its child in a gzip file in a subdirectory.
    let root = vec![s("my-app", 1, 1, None, "root").at(0, 100)];
    let child = vec![s("my-app", 1, 2, Some(1), "child").at(10, 50), s("other", 2, 1, None, "alone")];
    std::fs::write(dir.path().join("a.jsonl"), ndjson(&root)).unwrap();
    std::fs::create_dir(dir.path().join("more")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(dir.path().join("more/b.jsonl.gz")).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(ndjson(&child).as_bytes()).unwrap();
    gz.finish().unwrap();
    std::fs::write(dir.path().join(".hidden"), "not a trace").unwrap();
    let (traces, report) = read::read_paths(&[dir.path()]).unwrap();
    assert_eq!((report.files, report.spans, report.problem_count), (2, 3, 0), "{:?}", report.problems);
    let t1 = &traces.traces[0];
    assert_eq!(t1.spans.len(), 2);
    assert_eq!(t1.children(0), &[1]);
    // A missing file is an error that names it.
    let missing = dir.path().join("nope.json");
    let err = read::read_paths(&[&missing]).unwrap_err().to_string();
    assert!(err.starts_with(&missing.display().to_string()), "{err}");
}
