//! The Zipkin exporter against a receiver on 127.0.0.1 that decodes the
//! Zipkin v2 JSON it is sent.
#![cfg(feature = "zipkin")]

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;
use traced::config::EnvConfig;
use traced::span::{ActiveSpan, Callsite, Kind, SpanGuard};

static SITE: Callsite = Callsite::new("Checkout.pay", Kind::Server);

/// A Zipkin collector's route: decodes the v2 JSON and keeps the spans.
fn zipkin_app(store: Arc<Mutex<Vec<serde_json::Value>>>) -> axum::Router {
    axum::Router::new().route(
        "/api/v2/spans",
        axum::routing::post(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                let spans: Vec<serde_json::Value> = serde_json::from_slice(&body).expect("zipkin json");
                store.lock().unwrap().extend(spans);
                axum::http::StatusCode::ACCEPTED
            }
        }),
    )
}

#[test]
fn exports_zipkin_json() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let app = zipkin_app(received.clone());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });

    let traced::Pipeline { provider, .. } = traced::builder()
        .env(EnvConfig::default())
        .service_name("checkout")
        .zipkin(Some(format!("http://{addr}/api/v2/spans")))
        .build()
        .unwrap();
    let provider = provider.unwrap();
    let trace_id;
    {
        let _d = provider.set_default();
        let mut s = SpanGuard::enter(ActiveSpan::start(&SITE, SITE.name(), 0, |_| {}, Vec::new));
        trace_id = s.span().unwrap().span_context().trace_id().to_string();
    }
    provider.force_flush(Duration::from_secs(10)).unwrap();
    let spans = received.lock().unwrap().clone();
    assert_eq!(spans.len(), 1, "{spans:?}");
    let span = &spans[0];
    assert_eq!(span["name"], "Checkout.pay");
    assert!(span.get("parentId").is_none());
    assert!(span["duration"].as_u64().unwrap() >= 1);
    assert_eq!(span["traceId"], trace_id);
    assert_eq!(span["kind"], "SERVER");
    assert_eq!(span["localEndpoint"]["serviceName"], "checkout");
    provider.shutdown(Duration::from_secs(5)).unwrap();
}

/// Zipkin behind TLS with a private CA: the spans arrive over TLS, and an
/// exporter that trusts only the system's roots is refused, saying why.
#[test]
fn exports_zipkin_json_over_tls() {
    use support::tls::{accept, server_config, Ca, Handshakes, TlsListener};
    use traced::export::zipkin::ZipkinExporter;
    let ca = Ca::new("zipkin CA");
    let leaf = ca.issue(&["localhost"]);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let app = zipkin_app(received.clone());
    let handshakes = Handshakes::default();
    let config = server_config(&leaf, None, &[b"http/1.1"]);
    let counts = handshakes.clone();
    runtime.spawn(async move {
        let listener = TlsListener { incoming: accept(listener, config, counts), addr };
        axum::serve(listener, app).await.unwrap()
    });
    let endpoint = format!("https://localhost:{}/api/v2/spans", addr.port());

    let run = |exporter: ZipkinExporter| {
        let traced::Pipeline { provider, .. } =
            traced::builder().env(EnvConfig::default()).service_name("checkout").exporter(exporter).build().unwrap();
        let provider = provider.unwrap();
        {
            let _d = provider.set_default();
            let _s = SpanGuard::enter(ActiveSpan::start(&SITE, SITE.name(), 0, |_| {}, Vec::new));
        }
        let flushed = provider.force_flush(Duration::from_secs(10));
        provider.shutdown(Duration::from_secs(5)).unwrap();
        flushed
    };
    let pem = traced::config::Pem::Inline(ca.pem.clone().into_bytes());
    run(ZipkinExporter::with_certificate(endpoint.clone(), Duration::from_secs(5), pem).unwrap()).expect("exported");
    let spans = received.lock().unwrap().clone();
    assert_eq!(spans.len(), 1, "{spans:?}");
    assert_eq!(spans[0]["name"], "Checkout.pay");
    assert_eq!(handshakes.done(), 1);

    let refused = run(ZipkinExporter::new(endpoint, Duration::from_secs(5)).unwrap());
    assert!(format!("{refused:?}").contains("not signed by a trusted CA"), "{refused:?}");
    assert_eq!(received.lock().unwrap().len(), 1, "nothing more arrived");
}
