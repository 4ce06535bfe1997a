//! The test service of the W3C Trace Context test suite
//! (<https://github.com/w3c/trace-context/tree/main/test>), built with the
//! traced server layer and client.
//!
//! Listens on 127.0.0.1:`PORT` (default 5000). `POST /test` takes a JSON
//! array `[{"url": "...", "arguments": [...]}, ...]` and, in order, POSTs each
//! `arguments` as the JSON body to its `url` with the traced client, then
//! answers 200. The incoming `traceparent`/`tracestate` are continued into
//! every callback, which is what the suite checks.
//!
//! `cargo run --example w3c_trace_context_service --features http-server,reqwest`

use axum::routing::post;
use axum::Json;
use serde_json::Value;
use traced::integrations::http_server::TracedHttpServerLayer;
use traced::integrations::reqwest::RequestBuilderExt;

/// The service's routes, traced.
pub(crate) fn app(client: reqwest::Client) -> axum::Router {
    axum::Router::new()
        .route(
            "/test",
            post(move |Json(cases): Json<Vec<Value>>| {
                let client = client.clone();
                async move {
                    for case in cases {
                        let Some(url) = case.get("url").and_then(Value::as_str) else { continue };
                        let body = case.get("arguments").cloned().unwrap_or(Value::Array(Vec::new()));
                        let sent = client
                            .post(url)
                            .header("content-type", "application/json")
                            .body(body.to_string())
                            .send_traced()
                            .await;
                        if let Err(err) = sent {
                            eprintln!("callback to {url} failed: {err}");
                        }
                    }
                    axum::http::StatusCode::OK
                }
            }),
        )
        .layer(TracedHttpServerLayer::new().request_id(false))
}

#[tokio::main]
#[allow(dead_code)]
async fn main() -> std::io::Result<()> {
    // The suite only looks at headers: no exporter needed.
    let _guard = traced::builder().propagators(&traced::propagation::PropagatorKind::DEFAULT).install();
    let port = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5000u16);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    eprintln!("W3C Trace Context test service on http://127.0.0.1:{port}/test");
    axum::serve(listener, app(reqwest::Client::new())).await
}
