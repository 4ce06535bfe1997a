//! Recording without a collector: `OTEL_TRACES_EXPORTER=otlp_file` writes
//! OTLP JSON lines that the official OTLP definitions parse and that
//! `traced::analyze` queries; the file rotates by size.
#![cfg(feature = "analyze")]

use opentelemetry_proto::tonic::trace::v1::TracesData;
use std::collections::HashMap;
use std::sync::Mutex;
use traced::analyze::{read, Query};
use traced::config::EnvConfig;
use traced::traced;

/// Tests here install globally; one at a time.
static GLOBAL: Mutex<()> = Mutex::new(());

fn env(vars: &[(&str, String)]) -> EnvConfig {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    EnvConfig::from_lookup(&move |k| map.get(k).cloned())
}

struct Orders;

#[traced]
impl Orders {
    fn place(&self, user_id: &str) -> Result<u64, std::io::Error> {
        self.check(user_id)?;
        Ok(42)
    }

    fn check(&self, user_id: &str) -> Result<(), std::io::Error> {
        traced::record!(user.id = user_id.to_owned());
        if user_id == "banned" {
            return Err(std::io::Error::other("database connection failed"));
        }
        Ok(())
    }
}

#[test]
fn spans_recorded_to_a_file_read_back_with_the_official_definitions_and_query() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traces.jsonl");
    let guard = traced::builder()
        .env(env(&[
            ("OTEL_TRACES_EXPORTER", "otlp_file".into()),
            ("OTEL_SERVICE_NAME", "recorder".into()),
            ("TRACED_FILE_PATH", path.display().to_string()),
        ]))
        .install()
        .unwrap();
    let orders = Orders;
    assert_eq!(orders.place("12345").unwrap(), 42);
    assert!(orders.place("banned").is_err());
    let stats = guard.shutdown().unwrap();
    assert_eq!(stats.exported, 4);

    // The reference: opentelemetry-proto's own serde reads every line.
    let text = std::fs::read_to_string(&path).unwrap();
    let mut reference = Vec::new();
    for line in text.lines() {
        let data: TracesData = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for rs in data.resource_spans {
            for ss in rs.scope_spans {
                reference.extend(ss.spans);
            }
        }
    }
    assert_eq!(reference.len(), 4);

    let (traces, report) = read::read_paths(&[&path]).unwrap();
    assert_eq!((report.spans, report.problem_count), (4, 0));
    assert_eq!(traces.traces.len(), 2);
    for t in &traces.traces {
        let root = t.root().unwrap();
        assert_eq!(root.service(), "recorder");
        assert_eq!(&*root.name, "Orders.place");
        assert_eq!(t.children(0).len(), 1, "check is place's child");
        assert_eq!(&*t.spans[t.children(0)[0]].name, "Orders.check");
        let ids: Vec<String> = t.spans.iter().map(|s| s.span_id.to_string()).collect();
        for id in ids {
            assert!(reference.iter().any(|r| hex(&r.span_id) == id), "{id} is in the reference's reading");
        }
    }
    let failed =
        Query::parse("SELECT * FROM traces WHERE tags.error.message = \"database connection failed\"").unwrap();
    let m = failed.run(&traces);
    assert_eq!(m.len(), 1);
    let names: Vec<&str> = m[0].spans.iter().map(|&i| &*m[0].trace.spans[i].name).collect();
    assert!(names.contains(&"Orders.check"), "{names:?}");
    let by_user = Query::parse(r#"{ span.user.id = "12345" }"#).unwrap();
    assert_eq!(by_user.run(&traces).len(), 1);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_file_rotates_by_size_and_keeps_the_newest() {
    let _g = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spans.jsonl");
    let guard = traced::builder()
        .env(env(&[("OTEL_SERVICE_NAME", "rotator".into())]))
        .otlp_file(Some(traced::export::FileSettings { path: path.clone(), max_bytes: 4_000, max_files: 100 }))
        // One line per span, so the file grows past the limit many times.
        .simple_export()
        .install()
        .unwrap();
    for _ in 0..60 {
        assert_eq!(Orders.place("12345").unwrap(), 42);
    }
    guard.shutdown().unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert!(files.len() > 3, "rotated: {files:?}");
    for f in &files {
        let name = f.file_name().unwrap().to_str().unwrap();
        assert!(name == "spans.jsonl" || (name.starts_with("spans-") && name.ends_with(".jsonl")), "{name}");
        assert!(std::fs::metadata(f).unwrap().len() <= 4_000, "{name} stays under the limit");
    }
    // Nothing lost across the rotated files.
    let (traces, report) = read::read_paths(&[dir.path()]).unwrap();
    assert_eq!((report.spans, traces.traces.len()), (120, 60));

    // With two kept, older ones are deleted.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spans.jsonl");
    let guard = traced::builder()
        .env(env(&[]))
        .otlp_file(Some(traced::export::FileSettings { path, max_bytes: 4_000, max_files: 2 }))
        .simple_export()
        .install()
        .unwrap();
    for _ in 0..60 {
        let _ = Orders.place("12345");
    }
    guard.shutdown().unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3, "the current file and two rotated");
}
