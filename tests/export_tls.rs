//! OTLP export over TLS to real receivers on 127.0.0.1 (HTTP and gRPC),
//! with a CA, server and client certificates made by the test: spans and
//! credentials arrive; an untrusted certificate, a wrong host name and a
//! missing client certificate are refused quickly, said once, counted, and
//! never print a credential; an outage over TLS is survived.
#![cfg(all(feature = "otlp-grpc", feature = "otlp-http", feature = "test-util"))]

mod support;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind as ProtoKind;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use support::otlp_receiver::{start_grpc_tls, start_http_tls, Receiver};
use support::tls::{server_config, Ca, Handshakes, Leaf};
use traced::config::{EnvConfig, OtlpEnv, OtlpProtocol, Pem};
use traced::processor::BatchConfig;

const TOKEN: &str = "Bearer eyJ0ZXN0IjoidG9rZW4ifQ.c2lnbmF0dXJl";
const API_KEY: &str = "hcaik_01j9testkey0000000000000";

/// Returns its trace id.
#[traced::traced(kind = server)]
fn checkout(n: u64) -> String {
    pay(n);
    traced::current_span().span_context().trace_id().to_string()
}

#[traced::traced]
fn pay(n: u64) -> u64 {
    std::hint::black_box(n * 2)
}

/// A root span and its child under `provider`, flushed; their trace id.
fn produce(provider: traced::Provider) -> String {
    let _default = provider.set_default();
    let trace = checkout(1);
    let _ = provider.force_flush(Duration::from_secs(10));
    trace
}

/// A pipeline from `OTEL_*` variables, exporting every 50 ms.
fn from_env(vars: &[(&str, String)]) -> Result<traced::Provider, traced::InitError> {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    let env = EnvConfig::from_lookup(&|name| vars.get(name).cloned());
    let traced::Pipeline { provider, .. } = traced::builder()
        .env(env)
        .service_name("shop")
        .batch(BatchConfig { schedule_delay: Duration::from_millis(50), ..BatchConfig::default() })
        .build()?;
    Ok(provider.expect("enabled"))
}

fn from_code(settings: OtlpEnv) -> Result<traced::Provider, traced::InitError> {
    let traced::Pipeline { provider, .. } = traced::builder()
        .env(EnvConfig::default())
        .service_name("shop")
        .otlp_with(OtlpEnv { timeout: Some(Duration::from_secs(3)), ..settings })
        .batch(BatchConfig { schedule_delay: Duration::from_millis(50), ..BatchConfig::default() })
        .build()?;
    Ok(provider.expect("enabled"))
}

struct Certs {
    ca: Ca,
    server: Leaf,
    dir: tempfile::TempDir,
}

impl Certs {
    fn new() -> Certs {
        let ca = Ca::new("traced test CA");
        let server = ca.issue(&["localhost", "127.0.0.1"]);
        Certs { ca, server, dir: tempfile::tempdir().unwrap() }
    }

    /// Writes `pem` to a file named `name`; its path.
    fn file(&self, name: &str, pem: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        path.display().to_string()
    }
}

fn start(protocol: OtlpProtocol, config: std::sync::Arc<rustls::ServerConfig>) -> (Receiver, Handshakes) {
    match protocol {
        OtlpProtocol::HttpProtobuf => start_http_tls(None, config),
        OtlpProtocol::Grpc => start_grpc_tls(config),
    }
}

fn alpn(protocol: OtlpProtocol) -> &'static [&'static [u8]] {
    match protocol {
        OtlpProtocol::Grpc => &[b"h2"],
        OtlpProtocol::HttpProtobuf => &[b"http/1.1"],
    }
}

fn protocol_name(protocol: OtlpProtocol) -> &'static str {
    match protocol {
        OtlpProtocol::Grpc => "grpc",
        OtlpProtocol::HttpProtobuf => "http/protobuf",
    }
}

/// The trace's two spans arrived, parent and child, with the credentials.
fn check_arrived(receiver: &Receiver, trace: &str, protocol: OtlpProtocol) {
    let spans = receiver.received.wait_for(2, Duration::from_secs(10));
    let ours: Vec<_> = spans
        .iter()
        .filter(|s| s.span.trace_id.iter().map(|b| format!("{b:02x}")).collect::<String>() == trace)
        .collect();
    assert_eq!(ours.len(), 2, "{protocol:?}: {spans:?}");
    let root = ours.iter().find(|s| s.span.name.ends_with("checkout")).expect("root");
    let child = ours.iter().find(|s| s.span.name.ends_with("pay")).expect("child");
    assert_eq!(child.span.parent_span_id, root.span.span_id, "{protocol:?}");
    assert_eq!(root.span.kind, ProtoKind::Server as i32);
    let headers = &receiver.received.headers()[0];
    assert_eq!(headers.get("authorization").map(|v| v.to_str().unwrap()), Some(TOKEN), "{protocol:?}");
    assert_eq!(headers.get("x-honeycomb-team").map(|v| v.to_str().unwrap()), Some(API_KEY), "{protocol:?}");
}

fn headers_var() -> String {
    // OTEL_EXPORTER_OTLP_HEADERS is W3C Baggage: the space is percent-encoded.
    format!("authorization={},x-honeycomb-team={API_KEY}", TOKEN.replace(' ', "%20"))
}

/// `OTEL_EXPORTER_OTLP_CERTIFICATE` names the test's CA; the gRPC endpoint
/// is a bare `localhost:port`, which the specification says means TLS.
#[test]
fn spans_and_credentials_arrive_over_tls_with_the_ca_from_the_environment() {
    let certs = Certs::new();
    let ca_file = certs.file("ca.pem", &certs.ca.pem);
    for protocol in [OtlpProtocol::HttpProtobuf, OtlpProtocol::Grpc] {
        let (receiver, handshakes) = start(protocol, server_config(&certs.server, None, alpn(protocol)));
        let port = receiver.addr.port();
        let endpoint = match protocol {
            OtlpProtocol::HttpProtobuf => format!("https://localhost:{port}/v1/traces"),
            OtlpProtocol::Grpc => format!("localhost:{port}"),
        };
        let provider = from_env(&[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", protocol_name(protocol).into()),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", ca_file.clone()),
            ("OTEL_EXPORTER_OTLP_HEADERS", headers_var()),
        ])
        .expect("pipeline");
        // Several exports, one connection: the handshake is paid once.
        let trace = produce(provider);
        check_arrived(&receiver, &trace, protocol);
        for _ in 0..3 {
            produce(provider);
        }
        assert_eq!(receiver.received.wait_for_count(8, Duration::from_secs(10)), 8, "{protocol:?}");
        assert_eq!(handshakes.done(), 1, "{protocol:?}: the connection is reused");
        assert_eq!(provider.stats().lost(), 0, "{protocol:?}");
        provider.shutdown(Duration::from_secs(5)).unwrap();
    }
}

/// A server certificate from another CA, one for another host name, and a
/// plaintext endpoint on a TLS port: each export fails at once (no retry
/// can fix a certificate), the spans are counted as failed, and the
/// caller never waits.
#[test]
fn untrusted_or_misnamed_certificates_are_refused_quickly_and_counted() {
    let certs = Certs::new();
    let other_ca = Ca::new("someone else");
    let cases = [
        ("untrusted", other_ca.issue(&["localhost", "127.0.0.1"]), "not signed by a trusted CA"),
        ("wrong host", certs.ca.issue(&["collector.example.com"]), "not valid for the endpoint's host name"),
    ];
    for protocol in [OtlpProtocol::HttpProtobuf, OtlpProtocol::Grpc] {
        for (case, leaf, said) in &cases {
            let (receiver, handshakes) = start(protocol, server_config(leaf, None, alpn(protocol)));
            let provider = from_code(OtlpEnv {
                traces_endpoint: Some(format!("https://localhost:{}/v1/traces", receiver.addr.port())),
                protocol: Some(protocol),
                certificate: Some(Pem::Inline(certs.ca.pem.clone().into_bytes())),
                headers: vec![("authorization".into(), TOKEN.into())],
                ..Default::default()
            })
            .expect("pipeline");
            let _default = provider.set_default();
            let started = Instant::now();
            checkout(1);
            let call = started.elapsed();
            let flushed = provider.force_flush(Duration::from_secs(10));
            let took = started.elapsed();
            let stats = provider.stats();
            assert_eq!(stats.failed, 2, "{protocol:?} {case}: {stats:?}");
            assert_eq!(stats.exported, 0, "{protocol:?} {case}");
            assert!(call < Duration::from_millis(100), "{protocol:?} {case}: the call waited {call:?}");
            // The export timeout is 3 s: a refusal must not wait it out.
            assert!(took < Duration::from_secs(2), "{protocol:?} {case}: {took:?}");
            let error = format!("{flushed:?}");
            assert!(error.contains(said), "{protocol:?} {case}: {error}");
            assert!(!error.contains("eyJ0ZXN0"), "{protocol:?} {case}: {error}");
            assert_eq!(receiver.received.count(), 0);
            assert!(handshakes.done() == 0, "{protocol:?} {case}");
            provider.shutdown(Duration::from_secs(5)).unwrap();
        }
    }
}

/// A collector that requires client certificates takes ours and refuses a
/// client without one.
#[test]
fn mutual_tls_with_and_without_a_client_certificate() {
    let certs = Certs::new();
    let client_ca = Ca::new("clients");
    let client = client_ca.issue(&["shop"]);
    let cert_file = certs.file("client.pem", &client.cert_pem);
    let key_file = certs.file("client-key.pem", &client.key_pem);
    let ca_file = certs.file("ca.pem", &certs.ca.pem);
    for protocol in [OtlpProtocol::HttpProtobuf, OtlpProtocol::Grpc] {
        let config = server_config(&certs.server, Some(&client_ca), alpn(protocol));
        let (receiver, _) = start(protocol, config.clone());
        let endpoint = format!("https://127.0.0.1:{}/v1/traces", receiver.addr.port());
        let provider = from_env(&[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.clone()),
            ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", protocol_name(protocol).into()),
            ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", ca_file.clone()),
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", cert_file.clone()),
            ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", key_file.clone()),
            ("OTEL_EXPORTER_OTLP_HEADERS", headers_var()),
        ])
        .expect("pipeline");
        let trace = produce(provider);
        check_arrived(&receiver, &trace, protocol);
        provider.shutdown(Duration::from_secs(5)).unwrap();

        let (receiver, handshakes) = start(protocol, config);
        let provider = from_code(OtlpEnv {
            traces_endpoint: Some(format!("https://127.0.0.1:{}/v1/traces", receiver.addr.port())),
            protocol: Some(protocol),
            certificate: Some(Pem::Path(ca_file.clone().into())),
            ..Default::default()
        })
        .expect("pipeline");
        let started = Instant::now();
        let flushed = {
            let _default = provider.set_default();
            checkout(1);
            provider.force_flush(Duration::from_secs(10))
        };
        let said = format!("{flushed:?}");
        assert!(said.contains("TLS") && said.contains("client certificate"), "{protocol:?}: {said}");
        let stats = provider.stats();
        assert_eq!(stats.exported, 0, "{protocol:?}: {stats:?}");
        assert_eq!(stats.failed, 2, "{protocol:?}: {stats:?}");
        // The refusal comes as the server's alert (final at once) or, when
        // the connection closes first, as a broken pipe, retried until the
        // export timeout (3 s): bounded either way.
        assert!(started.elapsed() < Duration::from_secs(6), "{protocol:?}: {:?}", started.elapsed());
        assert!(handshakes.failed() >= 1, "{protocol:?}: the server refused the handshake");
        assert_eq!(receiver.received.count(), 0);
        provider.shutdown(Duration::from_secs(5)).unwrap();
    }
}

/// Mistakes in the certificate settings are errors at set-up, naming the
/// variable and the file, never the key's content.
#[test]
fn bad_certificate_settings_fail_the_set_up_with_the_file_named() {
    let certs = Certs::new();
    let other = certs.ca.issue(&["shop"]);
    let mismatched = certs.ca.issue(&["shop"]);
    let cert_file = certs.file("client.pem", &other.cert_pem);
    let wrong_key = certs.file("wrong-key.pem", &mismatched.key_pem);
    let endpoint = "https://localhost:1/v1/traces".to_owned();
    let missing = from_env(&[
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.clone()),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/nonexistent/ca.pem".into()),
    ])
    .expect_err("no CA file");
    let said = missing.to_string();
    assert!(said.contains("OTEL_EXPORTER_OTLP_CERTIFICATE") && said.contains("/nonexistent/ca.pem"), "{said}");

    let not_pem = certs.file("garbage.pem", "hello");
    let said = from_env(&[
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint.clone()),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", not_pem),
    ])
    .expect_err("no certificate")
    .to_string();
    assert!(said.contains("no PEM certificate"), "{said}");

    let said = from_env(&[
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", cert_file),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", wrong_key),
    ])
    .expect_err("a key of another certificate")
    .to_string();
    assert!(said.contains("do not go together"), "{said}");
    assert!(!said.contains("PRIVATE KEY"), "{said}");
}

/// Over TLS as over plaintext: the collector goes away, spans made meanwhile
/// are counted as lost, the caller never waits, and export resumes by itself
/// (a new connection, a new handshake) when the collector returns.
#[test]
fn an_outage_over_tls_is_counted_and_export_resumes() {
    let certs = Certs::new();
    let config = server_config(&certs.server, None, alpn(OtlpProtocol::HttpProtobuf));
    let (receiver, _) = start_http_tls(None, config.clone());
    let addr = receiver.addr;
    let provider = from_code(OtlpEnv {
        traces_endpoint: Some(format!("https://localhost:{}/v1/traces", addr.port())),
        protocol: Some(OtlpProtocol::HttpProtobuf),
        certificate: Some(Pem::Inline(certs.ca.pem.clone().into_bytes())),
        ..Default::default()
    })
    .expect("pipeline");
    produce(provider);
    assert_eq!(receiver.received.wait_for_count(2, Duration::from_secs(10)), 2);
    drop(receiver);

    let _default = provider.set_default();
    let mut slowest = Duration::ZERO;
    for n in 0..200 {
        let t = Instant::now();
        checkout(n);
        slowest = slowest.max(t.elapsed());
    }
    let _ = provider.force_flush(Duration::from_secs(10));
    let during = provider.stats();
    assert!(slowest < Duration::from_millis(100), "a call waited {slowest:?} while the collector was down");
    assert_eq!(during.failed, 400, "{during:?}");

    let (back, handshakes) = start_http_tls(Some(addr), config);
    for n in 0..50 {
        checkout(n);
    }
    provider.force_flush(Duration::from_secs(10)).expect("export resumed");
    assert_eq!(back.received.wait_for_count(100, Duration::from_secs(10)), 100);
    assert_eq!(handshakes.done(), 1);
    let stats = provider.stats();
    assert_eq!(stats.exported, 102, "{stats:?}");
    assert_eq!(stats.exported + stats.lost(), 502, "every span exported or counted: {stats:?}");
    drop(_default);
    provider.shutdown(Duration::from_secs(5)).unwrap();
}

/// `OTEL_EXPORTER_OTLP_INSECURE=true` makes a bare gRPC endpoint plaintext;
/// without it the exporter speaks TLS to it (and fails against a plaintext
/// receiver, saying so).
#[test]
fn insecure_makes_a_bare_grpc_endpoint_plaintext() {
    let plain = support::otlp_receiver::start_grpc();
    let endpoint = format!("127.0.0.1:{}", plain.addr.port());
    let provider = from_env(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".into()),
        ("OTEL_EXPORTER_OTLP_INSECURE", "true".into()),
    ])
    .expect("pipeline");
    produce(provider);
    assert_eq!(plain.received.wait_for_count(2, Duration::from_secs(10)), 2);
    provider.shutdown(Duration::from_secs(5)).unwrap();

    let provider = from_env(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc".into()),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "3000".into()),
    ])
    .expect("pipeline");
    let _default = provider.set_default();
    checkout(1);
    let flushed = provider.force_flush(Duration::from_secs(10));
    assert!(format!("{flushed:?}").contains("TLS"), "{flushed:?}");
    assert_eq!(provider.stats().failed, 2);
    assert_eq!(plain.received.count(), 2, "nothing more arrived in plaintext");
    drop(_default);
    provider.shutdown(Duration::from_secs(5)).unwrap();
}

/// What the user sees on stderr when the collector's certificate is not
/// trusted: one clear line for the first failure, none for the next ones,
/// and no credential. Runs in a child process so its stderr is its own.
#[test]
fn a_refused_certificate_is_said_once_without_credentials() {
    if std::env::var_os("TRACED_TLS_CHILD").is_some() {
        let other_ca = Ca::new("someone else");
        let leaf = other_ca.issue(&["localhost"]);
        let (receiver, _) = start_http_tls(None, server_config(&leaf, None, &[b"http/1.1"]));
        let provider = from_env(&[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", format!("https://localhost:{}/v1/traces", receiver.addr.port())),
            ("OTEL_EXPORTER_OTLP_HEADERS", headers_var()),
        ])
        .expect("pipeline");
        for _ in 0..3 {
            produce(provider);
        }
        assert_eq!(provider.stats().failed, 6);
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["a_refused_certificate_is_said_once_without_credentials", "--exact", "--nocapture"])
        .env("TRACED_TLS_CHILD", "1")
        .env_remove("OTEL_LOG_LEVEL")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("traced:")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(
        lines[0].contains("not signed by a trusted CA") && lines[0].contains("OTEL_EXPORTER_OTLP_CERTIFICATE"),
        "{stderr}"
    );
    assert!(!stderr.contains("eyJ0ZXN0") && !stderr.contains(API_KEY), "{stderr}");
}
