//! B3 and X-Ray through a real server: a decision upstream is kept, no
//! decision upstream leaves it to our sampler (in the caller's trace), and
//! the next hop gets the headers in the same formats.
#![cfg(all(feature = "http-server", feature = "reqwest", feature = "test-util"))]

use axum::http::HeaderMap;
use axum::routing::get;
use opentelemetry::trace::SpanKind;
use std::net::SocketAddr;
use traced::integrations::http_server::TracedHttpServerLayer;
use traced::integrations::reqwest::RequestBuilderExt;
use traced::propagation::PropagatorKind;
use traced::testing::capture;

const T: &str = "80f198ee56343ba864fe8b2a57d3eff7";
const S: &str = "e457b5a2e4d86bd1";

fn propagators() {
    traced::propagation::install_global(&[PropagatorKind::TraceContext, PropagatorKind::B3, PropagatorKind::XRay]);
}

/// `/hop` calls `/leaf`, which answers with the trace headers it got.
async fn serve() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = axum::Router::new()
        .route(
            "/hop",
            get(move || async move {
                let leaf = reqwest::Client::new().get(format!("http://{addr}/leaf")).send_traced().await.unwrap();
                leaf.text().await.unwrap()
            }),
        )
        .route(
            "/leaf",
            get(|headers: HeaderMap| async move {
                let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
                format!("{}\n{}", get("b3"), get("x-amzn-trace-id"))
            }),
        )
        .layer(TracedHttpServerLayer::new());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    addr
}

async fn hop(addr: SocketAddr, header: (&str, &str)) -> (String, String) {
    let text = reqwest::Client::new()
        .get(format!("http://{addr}/hop"))
        .header(header.0, header.1)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (b3, xray) = text.split_once('\n').unwrap();
    (b3.to_owned(), xray.to_owned())
}

#[tokio::test]
async fn b3_without_a_sampling_state_is_decided_by_our_sampler_in_the_callers_trace() {
    propagators();
    let spans = capture();
    let addr = serve().await;
    let (b3, xray) = hop(addr, ("b3", &format!("{T}-{S}"))).await;
    let hop_span = spans.wait_for("GET /hop", 1, std::time::Duration::from_secs(10)).await.remove(0);
    assert_eq!(hop_span.span_kind, SpanKind::Server);
    assert_eq!(hop_span.span_context.trace_id().to_string(), T, "the caller's trace");
    assert_eq!(hop_span.parent_span_id.to_string(), S, "the caller's span is the parent");
    assert!(hop_span.span_context.is_sampled(), "our sampler (always on) decided");
    // The next hop: our client span, sampled, in both formats.
    let client = spans.span("GET");
    assert_eq!(b3, format!("{T}-{}-1", client.span_context.span_id()));
    assert_eq!(xray, format!("Root=1-{}-{};Parent={};Sampled=1", &T[..8], &T[8..], client.span_context.span_id()));
}

#[tokio::test]
async fn an_upstream_no_is_kept_and_passed_on() {
    propagators();
    let spans = capture();
    let addr = serve().await;
    let (b3, _) = hop(addr, ("b3", &format!("{T}-{S}-0"))).await;
    assert!(spans.named("GET /hop").is_empty(), "not sampled upstream: no span");
    let (trace, _span, state) = {
        let mut parts = b3.split('-');
        (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned(), parts.next().unwrap_or("").to_owned())
    };
    assert_eq!((trace.as_str(), state.as_str()), (T, "0"), "the trace and the decision go on: {b3}");
}

#[tokio::test]
async fn xray_question_mark_defers_and_other_fields_travel() {
    propagators();
    let spans = capture();
    let addr = serve().await;
    let header =
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?;Lineage=a87bd80c:1|68fd508a:5";
    let (_, xray) = hop(addr, ("x-amzn-trace-id", header)).await;
    let hop_span = spans.wait_for("GET /hop", 1, std::time::Duration::from_secs(10)).await.remove(0);
    assert_eq!(hop_span.span_context.trace_id().to_string(), "5759e988bd862e3fe1be46a994272793");
    assert_eq!(hop_span.parent_span_id.to_string(), "53995c3f42cd8ad8");
    assert!(hop_span.span_context.is_sampled());
    let client = spans.span("GET");
    assert_eq!(
        xray,
        format!(
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent={};Sampled=1;Lineage=a87bd80c:1|68fd508a:5",
            client.span_context.span_id()
        )
    );
}

#[tokio::test]
async fn xray_sampled_zero_makes_no_span() {
    propagators();
    let spans = capture();
    let addr = serve().await;
    let (_, xray) =
        hop(addr, ("x-amzn-trace-id", "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"))
            .await;
    assert!(spans.named("GET /hop").is_empty());
    // The outgoing call has a span id of its own, unsampled.
    assert!(
        xray.starts_with("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=") && xray.ends_with(";Sampled=0"),
        "{xray}"
    );
}
