//! B3 and X-Ray against another implementation: the Python OpenTelemetry
//! propagators (`opentelemetry-propagator-b3`, `-aws-xray` from PyPI, in the
//! venv `.ci/python-peers.sh` makes). Headers we write, Python reads the same
//! ids and decision; headers Python writes, we read; and the same wire
//! input, well-formed or not, reads the same in both.
//!
//! Without the venv the test says so and passes, except with `CI=true`.

use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use traced::propagation::{B3Encoding, B3Propagator, XRayPropagator};

struct Peer {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    fn start() -> Option<Peer> {
        let python = std::env::var("TRACED_PY_PEERS")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/py-peers/bin/python"));
        if !python.exists() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true and no Python peers at {}: run .ci/python-peers.sh",
                python.display()
            );
            eprintln!("skipped: no Python peers at {} (bash .ci/python-peers.sh)", python.display());
            return None;
        }
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/propagation_peer.py");
        let mut child = Command::new(python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start python");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Some(Peer { child, stdin, stdout })
    }

    fn ask(&mut self, request: Value) -> Value {
        writeln!(self.stdin, "{request}").unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?} for {request}"))
    }

    /// What Python reads from `headers`: (trace id, span id, sampled).
    fn extract(&mut self, format: &str, headers: &HashMap<String, String>) -> Option<(String, String, bool)> {
        let a = self.ask(json!({ "format": format, "extract": headers }));
        Some((a["trace_id"].as_str()?.to_owned(), a["span_id"].as_str()?.to_owned(), a["sampled"].as_bool()?))
    }

    /// What Python writes for a context.
    fn inject(&mut self, format: &str, trace_id: &str, span_id: &str, sampled: bool) -> HashMap<String, String> {
        let a = self.ask(
            json!({ "format": format, "inject": { "trace_id": trace_id, "span_id": span_id, "sampled": sampled } }),
        );
        a["headers"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_str().unwrap().to_owned()))
            .collect()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn ours(format: &str) -> Box<dyn TextMapPropagator> {
    match format {
        "b3" => Box::new(B3Propagator::new(B3Encoding::SingleHeader)),
        "b3multi" => Box::new(B3Propagator::new(B3Encoding::MultipleHeaders)),
        _ => Box::new(XRayPropagator),
    }
}

fn our_extract(format: &str, headers: &HashMap<String, String>) -> Option<(String, String, bool)> {
    let lower: HashMap<String, String> = headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect();
    let cx = ours(format).extract_with_context(&Context::new(), &lower);
    let span = cx.span();
    let sc = span.span_context();
    sc.is_valid().then(|| (sc.trace_id().to_string(), sc.span_id().to_string(), sc.is_sampled()))
}

fn our_inject(format: &str, trace_id: &str, span_id: &str, sampled: bool) -> HashMap<String, String> {
    let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
    let sc = SpanContext::new(
        TraceId::from_hex(trace_id).unwrap(),
        SpanId::from_hex(span_id).unwrap(),
        flags,
        false,
        TraceState::NONE,
    );
    let mut headers = HashMap::new();
    ours(format).inject_context(&Context::new().with_remote_span_context(sc), &mut headers);
    headers
}

const CONTEXTS: [(&str, &str, bool); 3] = [
    ("80f198ee56343ba864fe8b2a57d3eff7", "e457b5a2e4d86bd1", true),
    ("5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8", false),
    ("0000000000000000a3ce929d0e0e4736", "00f067aa0ba902b7", true),
];

#[test]
fn what_we_write_python_reads_and_what_python_writes_we_read() {
    let Some(mut peer) = Peer::start() else { return };
    for format in ["b3", "b3multi", "xray"] {
        for (trace_id, span_id, sampled) in CONTEXTS {
            let expected = Some((trace_id.to_owned(), span_id.to_owned(), sampled));
            let written = our_inject(format, trace_id, span_id, sampled);
            assert_eq!(peer.extract(format, &written), expected, "{format}: Python reads ours {written:?}");
            let theirs = peer.inject(format, trace_id, span_id, sampled);
            assert_eq!(our_extract(format, &theirs), expected, "{format}: we read Python's {theirs:?}");
            if format != "b3multi" {
                assert_eq!(written, theirs, "{format}: the same bytes on the wire");
            } else {
                // Python writes `X-B3-Sampled` the same way; neither writes a parent id.
                assert_eq!(written, theirs, "{format}");
            }
        }
    }
}

#[test]
fn the_same_wire_input_reads_the_same() {
    let Some(mut peer) = Peer::start() else { return };
    let t = "80f198ee56343ba864fe8b2a57d3eff7";
    let s = "e457b5a2e4d86bd1";
    let cases: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("b3", vec![("b3", format!("{t}-{s}-1"))]),
        ("b3", vec![("b3", format!("{t}-{s}-0"))]),
        ("b3", vec![("b3", format!("{t}-{s}-d"))]),
        ("b3", vec![("b3", format!("{t}-{s}-1-05e3ac9a4f6e3b90"))]),
        ("b3", vec![("b3", format!("64fe8b2a57d3eff7-{s}-1"))]),
        ("b3", vec![("b3", "0".to_owned())]),
        ("b3", vec![("b3", format!("{t}-{s}-x"))]),
        ("b3", vec![("b3", format!("{t}-{}-1", "0".repeat(16)))]),
        (
            "b3",
            vec![
                ("b3", format!("{t}-{s}-1")),
                ("x-b3-traceid", "0af7651916cd43dd8448eb211c80319c".into()),
                ("x-b3-spanid", s.into()),
                ("x-b3-sampled", "0".into()),
            ],
        ),
        ("b3multi", vec![("X-B3-TraceId", t.into()), ("X-B3-SpanId", s.into()), ("X-B3-Sampled", "1".into())]),
        ("b3multi", vec![("X-B3-TraceId", t.into()), ("X-B3-SpanId", s.into()), ("X-B3-Sampled", "0".into())]),
        ("b3multi", vec![("X-B3-TraceId", t.into()), ("X-B3-SpanId", s.into()), ("X-B3-Flags", "1".into())]),
        (
            "b3multi",
            vec![("X-B3-TraceId", "64fe8b2a57d3eff7".into()), ("X-B3-SpanId", s.into()), ("X-B3-Sampled", "1".into())],
        ),
        ("b3multi", vec![("X-B3-TraceId", "xyz".into()), ("X-B3-SpanId", s.into()), ("X-B3-Sampled", "1".into())]),
        ("b3multi", vec![("X-B3-TraceId", t.into()), ("X-B3-SpanId", s.into()), ("X-B3-Sampled", "yes".into())]),
        ("b3multi", vec![("X-B3-TraceId", t.into()), ("X-B3-SpanId", s.into()), ("X-B3-Sampled", "true".into())]),
        (
            "xray",
            vec![(
                "X-Amzn-Trace-Id",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".into(),
            )],
        ),
        (
            "xray",
            vec![(
                "X-Amzn-Trace-Id",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0".into(),
            )],
        ),
        (
            "xray",
            vec![(
                "X-Amzn-Trace-Id",
                "Parent=53995c3f42cd8ad8;Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1;Lineage=a87bd80c:1".into(),
            )],
        ),
        (
            "xray",
            vec![(
                "X-Amzn-Trace-Id",
                "Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8;Sampled=1".into(),
            )],
        ),
        (
            "xray",
            vec![(
                "X-Amzn-Trace-Id",
                "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1".into(),
            )],
        ),
        ("xray", vec![("X-Amzn-Trace-Id", "garbage".into())]),
    ];
    let mut differences = Vec::new();
    for (format, headers) in cases {
        let headers: HashMap<String, String> = headers.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        let (us, them) = (our_extract(format, &headers), peer.extract(format, &headers));
        if us != them {
            differences.push(format!("{format} {headers:?}: we read {us:?}, Python {them:?}"));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
