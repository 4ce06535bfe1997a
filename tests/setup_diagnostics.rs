//! Mistakes in set-up are said once on stderr and never panic. Each case
//! runs in a child process (this test binary, run again for one test), so
//! what it prints and the process-wide set-up are its own.

use std::process::Command;

/// Runs the test `name` of this binary in a child process with `env`;
/// returns its stderr. The child runs the body because `TRACED_CHILD` is set.
fn child(name: &str, env: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().expect("the test binary");
    let out = Command::new(exe)
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env("TRACED_CHILD", "1")
        .envs(env.iter().copied())
        .env_remove("OTEL_LOG_LEVEL")
        .output()
        .expect("the child runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "child {name} failed:\n{stderr}");
    stderr
}

fn in_child() -> bool {
    std::env::var_os("TRACED_CHILD").is_some()
}

#[traced::traced]
fn work() -> u32 {
    1
}

#[test]
fn dropping_the_guard_at_once_is_said_when_a_span_is_lost() {
    if in_child() {
        let _ = traced::init();
        work();
        work();
        return;
    }
    let stderr = child("dropping_the_guard_at_once_is_said_when_a_span_is_lost", &[]);
    assert_eq!(stderr.matches("a span was started after tracing was shut down").count(), 1, "{stderr}");
    assert!(stderr.contains("let _guard = traced::init();"), "{stderr}");
}

#[test]
fn a_second_set_up_is_said_once_and_replaces_the_first() {
    if in_child() {
        let first = traced::init();
        let second = traced::init();
        let third = traced::init();
        work();
        let recorded = |g: &traced::ShutdownGuard| {
            let _ = g.force_flush();
            g.provider().map(|p| p.stats().exported + p.stats().pending).unwrap_or_default()
        };
        assert_eq!(recorded(&first), 0, "the first set-up no longer records");
        assert_eq!(recorded(&second), 0);
        assert_eq!(recorded(&third), 1, "the last set-up records");
        return;
    }
    let stderr = child("a_second_set_up_is_said_once_and_replaces_the_first", &[]);
    assert_eq!(stderr.matches("tracing was set up a second time").count(), 1, "{stderr}");
}

/// Every bad exporter setting, in and out of a runtime of either flavour:
/// set-up falls back, reports once, and never panics.
#[test]
fn set_up_never_panics_whatever_the_exporter_settings() {
    const CASES: [&[(&str, &str)]; 5] = [
        &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:1")],
        &[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "https://127.0.0.1:1")],
        &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url")],
        &[("OTEL_EXPORTER_OTLP_PROTOCOL", "carrier-pigeon"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://x")],
        &[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://unreachable.invalid:4317")],
    ];
    if in_child() {
        let flavour = std::env::var("TRACED_FLAVOUR").unwrap_or_default();
        let set_up = || {
            let guard = traced::init();
            work();
            drop(guard);
            let built = traced::builder().otlp().install();
            drop(built);
        };
        match flavour.as_str() {
            "current_thread" => {
                tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async { set_up() })
            }
            "multi_thread" => {
                tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async { set_up() })
            }
            _ => set_up(),
        }
        return;
    }
    for case in CASES {
        for flavour in ["none", "current_thread", "multi_thread"] {
            let mut env = case.to_vec();
            env.push(("OTEL_TRACES_EXPORTER", "otlp"));
            env.push(("TRACED_FLAVOUR", flavour));
            let stderr = child("set_up_never_panics_whatever_the_exporter_settings", &env);
            assert!(!stderr.contains("panicked"), "{case:?} in {flavour}: {stderr}");
        }
    }
}
