//! The traced reqwest client against a real server on 127.0.0.1: the headers
//! on the wire, the CLIENT span's attributes, and failures.
#![cfg(all(feature = "reqwest", feature = "test-util"))]

use axum::http::HeaderMap;
use axum::routing::get;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::{Context, KeyValue, Value};
use std::net::SocketAddr;
use std::time::Duration;
use traced::integrations::reqwest::RequestBuilderExt;
use traced::testing::capture;
use traced::traced;

/// Serves `/echo` (answers the request headers as JSON), `/status/{code}`
/// and `/slow` on 127.0.0.1.
async fn server() -> SocketAddr {
    async fn echo(headers: HeaderMap) -> String {
        let map: serde_json::Map<String, serde_json::Value> = headers
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), serde_json::Value::String(v.to_str().unwrap_or("").to_owned())))
            .collect();
        serde_json::Value::Object(map).to_string()
    }
    let app = axum::Router::new()
        .route("/echo", get(echo))
        .route(
            "/status/{code}",
            get(|axum::extract::Path(code): axum::extract::Path<u16>| async move {
                axum::http::StatusCode::from_u16(code).unwrap()
            }),
        )
        .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(5)).await }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn install_propagators() {
    traced::propagation::install_global(&traced::propagation::PropagatorKind::DEFAULT);
}

#[traced]
async fn call_echo(client: &reqwest::Client, url: String) -> serde_json::Value {
    let response =
        client.get(url).header("x-user-header", "kept").header("traceparent", "00-stale").send_traced().await.unwrap();
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

#[tokio::test]
async fn headers_on_the_wire_come_from_the_client_span() {
    install_propagators();
    let spans = capture();
    let addr = server().await;
    let client = reqwest::Client::new();
    let seen = {
        let _baggage = Context::current_with_baggage(vec![KeyValue::new("tenant", "acme")]).attach();
        call_echo(&client, format!("http://user:secret@{addr}/echo?token=abc&page=2")).await
    };
    let parent = spans.span("reqwest.call_echo");
    let client_span = spans.span("GET");
    assert!(client_span.is_child_of(&parent));
    assert_eq!(client_span.span_kind, SpanKind::Client);
    // The server saw this span's ids, not the parent's, and not the stale header.
    let expected = format!("00-{}-{}-03", client_span.span_context.trace_id(), client_span.span_id());
    assert_eq!(seen["traceparent"], expected);
    assert_eq!(seen["x-user-header"], "kept");
    assert_eq!(seen["baggage"], "tenant=acme");
    assert!(seen.get("tracestate").is_none(), "no empty tracestate is sent");
    assert_eq!(client_span.attr("http.request.method"), Some(&Value::from("GET")));
    // reqwest moves URL credentials into an Authorization header, so none
    // are left to record; query values are redacted.
    let url = client_span.attr_str("url.full").unwrap();
    assert_eq!(url, format!("http://{addr}/echo?token=REDACTED&page=REDACTED"));
    assert!(!url.contains("secret"));
    assert_eq!(client_span.attr("server.address"), Some(&Value::from("127.0.0.1")));
    assert_eq!(client_span.attr("server.port"), Some(&Value::I64(i64::from(addr.port()))));
    assert_eq!(client_span.attr("http.response.status_code"), Some(&Value::I64(200)));
    assert_eq!(client_span.attr("network.protocol.version"), Some(&Value::from("1.1")));
    assert_eq!(client_span.status, Status::Unset);
}

#[tokio::test]
async fn every_call_has_its_own_parent_id() {
    install_propagators();
    let spans = capture();
    let addr = server().await;
    let client = reqwest::Client::new();
    let a = call_echo(&client, format!("http://{addr}/echo")).await;
    let b = call_echo(&client, format!("http://{addr}/echo")).await;
    assert_ne!(a["traceparent"], b["traceparent"]);
    assert_eq!(spans.named("GET").len(), 2);
}

#[tokio::test]
async fn error_statuses_and_transport_failures() {
    install_propagators();
    let spans = capture();
    let addr = server().await;
    let client = reqwest::Client::builder().timeout(Duration::from_millis(200)).build().unwrap();
    for code in [404u16, 500] {
        let r = client.get(format!("http://{addr}/status/{code}")).send_traced().await.unwrap();
        assert_eq!(r.status().as_u16(), code);
    }
    assert!(client.get(format!("http://{addr}/slow")).send_traced().await.unwrap_err().is_timeout());
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    assert!(client.get(format!("http://{dead}/")).send_traced().await.unwrap_err().is_connect());
    let all = spans.named("GET");
    assert_eq!(all.len(), 4);
    let error_types: Vec<_> = all.iter().map(|s| s.attr_str("error.type").unwrap_or_default()).collect();
    assert_eq!(error_types, ["404", "500", "timeout", "connect"]);
    assert!(all.iter().all(|s| s.is_error()));
    assert_eq!(all[0].status, Status::error(""), "no description repeating the code");
    assert_eq!(all[3].attr("http.response.status_code"), None);
}

#[cfg(feature = "reqwest-middleware")]
#[tokio::test]
async fn the_middleware_makes_the_same_span() {
    install_propagators();
    let spans = capture();
    let addr = server().await;
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(traced::integrations::reqwest_middleware::TracedMiddleware)
        .build();
    let body = client.get(format!("http://{addr}/echo")).send().await.unwrap().text().await.unwrap();
    let seen: serde_json::Value = serde_json::from_str(&body).unwrap();
    let span = spans.span("GET");
    assert_eq!(seen["traceparent"], format!("00-{}-{}-03", span.span_context.trace_id(), span.span_id()));
    assert_eq!(span.attr("http.response.status_code"), Some(&Value::I64(200)));
    let missing = client.get(format!("http://{addr}/status/404")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(spans.named("GET")[1].attr_str("error.type").as_deref(), Some("404"));
}
