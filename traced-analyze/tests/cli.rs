//! The `traced` command as a user runs it: files or stdin in, a table or
//! JSON out, problems on stderr, and exit codes that scripts can test.

mod fixture;

use fixture::{ndjson, seed_spans, trace_hex};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn traced(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_traced"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run traced");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn seed_file() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traces.jsonl");
    std::fs::write(&path, ndjson(&seed_spans())).unwrap();
    (dir, path.display().to_string())
}

#[test]
fn the_table_lists_matching_traces_and_explain_shows_the_traceql() {
    let (_dir, file) = seed_file();
    let out = traced(&["query", "--explain", "SELECT * FROM traces WHERE tags.error = true", &file], None);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr, "TraceQL: { (status = error || span.error = true) }\n");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("TRACE ID"), "{stdout}");
    assert!(lines[1].starts_with(&trace_hex(3)), "{stdout}");
    assert!(lines[1].contains("checkout: POST /orders"), "{stdout}");
    assert!(lines[1].contains("2018-12-13 14:51:00.200"), "{stdout}");
    assert!(lines[1].contains("80.0ms"), "{stdout}");
    assert!(lines[1].ends_with("2 spans: POST /orders, OrderRepo.save"), "{stdout}");
    assert!(lines[2].starts_with(&trace_hex(4)), "{stdout}");
    assert_eq!(lines[3], "2 traces");
}

#[test]
fn json_lists_the_matched_spans_and_limit_cuts() {
    let (_dir, file) = seed_file();
    let out = traced(&["query", "--format", "json", "{ span.user.id = \"12345\" }", &file], None);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let traces = json["traces"].as_array().unwrap();
    assert_eq!(traces.len(), 1);
    assert_eq!(traces[0]["trace_id"], trace_hex(2));
    assert_eq!(traces[0]["root_service"], "users");
    assert_eq!(traces[0]["root_name"], "UserService.GetUser");
    assert_eq!(traces[0]["duration_ns"], 40_000_000);
    assert_eq!(traces[0]["spans"].as_array().unwrap().len(), 1);
    assert_eq!(traces[0]["spans"][0]["name"], "UserService.GetUser");
    assert_eq!(traces[0]["spans"][0]["span_id"], "00f067aa0ba90201");
    assert_eq!(traces[0]["spans"][0]["service"], "users");

    let out = traced(&["query", "--format", "json", "--limit", "2", "{ }", &file], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["traces"].as_array().unwrap().len(), 2);
}

#[test]
fn standard_input_and_problems_on_stderr() {
    let mut input = ndjson(&seed_spans());
    input.push_str("{\"resourceSpans\": [oops\n");
    let out = traced(&["query", "{ name = \"GET /health\" }"], Some(&input));
    assert!(out.status.success(), "a corrupt line does not fail the query");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains(&trace_hex(5)), "{stdout}");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with("warning: -:5: expected value"), "{stderr}");
    assert!(stderr.contains("1 problem in the input; the rest was read (10 spans)"), "{stderr}");
}

#[test]
fn a_syntax_error_exits_2_with_a_caret() {
    let out = traced(&["query", "{ duration > 10parsecs }", "-"], Some(""));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "error: the query does not parse\n{ duration > 10parsecs }\n               ^\ncolumn 16: unknown duration unit `parsecs`: expected ns, us, ms, s, m or h\n"
    );
    let out = traced(&["query", "{ }", "/nonexistent/traces.json"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr).unwrap().starts_with("error: /nonexistent/traces.json: "));
}

#[test]
fn analysis_subcommands_print_tables_json_and_graphs() {
    let (dir, file) = seed_file();
    // One trace's critical path.
    let out = traced(&["critical-path", "--trace", &trace_hex(3), &file], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with(&format!("Critical path of {} (80.0ms):", trace_hex(3))), "{text}");
    assert!(text.contains("checkout: OrderRepo.save"), "{text}");
    // Over all traces: the bottlenecks, as JSON.
    let out = traced(&["critical-path", "--format", "json", &file], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["traces"], 6);
    assert_eq!(json["bottlenecks"][0]["operation"], "my-app: ReportService.build");
    // Statistics by service.
    let out = traced(&["stats", "--by", "service", "--format", "json", &file], None);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let checkout = json["groups"].as_array().unwrap().iter().find(|g| g["group"] == "checkout").unwrap();
    assert_eq!((checkout["count"].as_u64(), checkout["errors"].as_u64()), (Some(2), Some(2)));
    // Dependencies drawn for Graphviz.
    let out = traced(&["deps", "--format", "dot", &file], None);
    let dot = String::from_utf8(out.stdout).unwrap();
    assert!(dot.starts_with("digraph dependencies {"), "{dot}");
    assert!(dot.contains("\"users\" -> \"postgresql\""), "{dot}");
    // A comparison of a trace with a slower copy of itself.
    let b = dir.path().join("b.jsonl");
    let mut slower = seed_spans();
    slower[1] = slower[1].clone().at(50, 2400);
    std::fs::write(&b, ndjson(&slower)).unwrap();
    let out =
        traced(&["diff", "--a-trace", &trace_hex(1), "--b-trace", &trace_hex(1), &file, b.to_str().unwrap()], None);
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().nth(2).unwrap_or_default();
    assert!(
        first.starts_with("same")
            && first.contains("+1.000s")
            && first.ends_with("my-app: GET /report > my-app: ReportService.build"),
        "{text}"
    );
    // The report.
    let html = dir.path().join("r.html");
    let out = traced(&["report", &file, "-o", html.to_str().unwrap()], None);
    assert!(out.status.success());
    assert!(std::fs::read_to_string(&html).unwrap().contains("<h1>Trace report</h1>"));
    // dot is for deps only.
    let out = traced(&["stats", "--format", "dot", &file], None);
    assert_eq!(out.status.code(), Some(1));
}
