//! Reading and querying recorded traces, side by side with `jq` answering
//! the same question (which spans have `user.id = "user-4242"`) over the
//! same file: 200,000 spans of synthetic OTLP JSON lines (~86 MB).
//!
//! `cargo bench -p traced-analyze --bench query`. Needs `jq` on the PATH
//! (Debian's package `jq`); without it only `traced` is measured.

#![allow(missing_docs)] // criterion_group! makes an undocumented function.

#[path = "support/synthetic.rs"]
mod synthetic;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;
use traced_analyze::{read, Query};

const TRACES: u64 = 20_000;
const SPANS: u64 = TRACES * 10;

fn file() -> PathBuf {
    let path = std::env::temp_dir().join(format!("traced-analyze-bench-{TRACES}.jsonl"));
    if !path.exists() {
        let f = std::fs::File::create(&path).expect("bench file");
        synthetic::write(&mut std::io::BufWriter::new(f), TRACES).expect("write bench file");
    }
    path
}

fn attribute_equality(c: &mut Criterion) {
    let path = file();
    let query = Query::parse(r#"{ span.user.id = "user-4242" }"#).expect("query");
    let mut g = c.benchmark_group("attribute equality, 200k spans");
    g.sample_size(10).measurement_time(Duration::from_secs(20)).throughput(Throughput::Elements(SPANS));
    g.bench_function("traced, streaming", |b| {
        b.iter(|| {
            let mut run = query.streaming().expect("streams");
            read::read_spans(&[&path], |s| run.push(s)).expect("read");
            assert_eq!(run.finish().len(), 2);
        })
    });
    g.bench_function("traced, whole traces", |b| {
        b.iter(|| {
            let (traces, _) = read::read_paths(&[&path]).expect("read");
            assert_eq!(query.run(&traces).len(), 2);
        })
    });
    let jq = Command::new("jq").arg("--version").output().is_ok_and(|o| o.status.success());
    if jq {
        g.bench_function("jq", |b| {
            b.iter(|| {
                let out = Command::new("jq")
                    .args([
                        "-c",
                        r#".resourceSpans[].scopeSpans[].spans[] | select(any(.attributes[]; .key == "user.id" and .value.stringValue == "user-4242")) | .traceId"#,
                    ])
                    .arg(&path)
                    .output()
                    .expect("jq");
                assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 6, "two traces, three spans each");
            })
        });
    } else {
        eprintln!("jq is not installed: measured traced alone (apt-get install jq)");
    }
    g.finish();
}

fn parse_query(c: &mut Criterion) {
    c.bench_function("parse and translate a seed query", |b| {
        b.iter(|| {
            Query::parse("SELECT * FROM traces WHERE tags.db.operation = \"select\" AND service.name = \"users\"")
        })
    });
}

criterion_group!(benches, attribute_equality, parse_query);
criterion_main!(benches);
