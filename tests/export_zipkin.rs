//! The Zipkin exporter against a receiver on 127.0.0.1 that decodes the
//! Zipkin v2 JSON it is sent.
#![cfg(feature = "zipkin")]

use std::sync::{Arc, Mutex};
use std::time::Duration;
use traced::config::EnvConfig;
use traced::span::{ActiveSpan, Callsite, Kind, SpanGuard};

static SITE: Callsite = Callsite::new("Checkout.pay", Kind::Server);

#[test]
fn exports_zipkin_json() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let received: Arc<Mutex<Vec<serde_json::Value>>> = Arc::default();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let addr = listener.local_addr().unwrap();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/api/v2/spans",
        axum::routing::post(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                let spans: Vec<serde_json::Value> = serde_json::from_slice(&body).expect("zipkin json");
                store.lock().unwrap().extend(spans);
                axum::http::StatusCode::ACCEPTED
            }
        }),
    );
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
