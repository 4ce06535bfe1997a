//! `traced::testing::capture()` alone, with nothing else set up: a client
//! and an axum server in one test on a multi-thread runtime make one trace
//! and every span is captured; two such tests at once see only their own.
#![cfg(all(feature = "http-server", feature = "reqwest", feature = "test-util"))]

use axum::routing::get;
use traced::integrations::http_server::TracedHttpServerLayer;
use traced::integrations::reqwest::RequestBuilderExt;
use traced::testing::{capture, SpanCapture};
use traced::traced;

#[traced]
async fn call(addr: std::net::SocketAddr, path: &'static str) -> String {
    reqwest::Client::new().get(format!("http://{addr}{path}")).send_traced().await.unwrap().text().await.unwrap()
}

#[traced]
async fn handler_work() -> &'static str {
    "done"
}

async fn serve() -> std::net::SocketAddr {
    let app = axum::Router::new()
        .route("/a", get(|| async { handler_work().await }))
        .route("/b", get(|| async { handler_work().await }))
        .layer(TracedHttpServerLayer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Every span of one request, in one trace, parented as on the wire. The
/// server's span ends with its body, which can be just after the client has
/// read it: wait for it (bounded) rather than sleep.
async fn one_trace(spans: &SpanCapture, route: &str) {
    spans.wait_for(&format!("GET {route}"), 1, std::time::Duration::from_secs(10)).await;
    let root = spans.span("testing_capture.call");
    let client = spans.span("GET");
    let server = spans.span(&format!("GET {route}"));
    let work = spans.span("testing_capture.handler_work");
    assert!(client.is_child_of(&root));
    assert!(server.is_child_of(&client), "the server continues the client's trace: propagators are installed");
    assert!(work.is_child_of(&server));
    assert_eq!(spans.spans().len(), 4, "only this test's spans: {:?}", spans.names());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_and_server_on_a_multi_thread_runtime_make_one_captured_trace() {
    let spans = capture();
    let addr = serve().await;
    assert_eq!(call(addr, "/a").await, "done");
    one_trace(&spans, "/a").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_running_alongside_sees_only_its_own_spans() {
    let spans = capture();
    let addr = serve().await;
    for _ in 0..3 {
        spans.clear();
        assert_eq!(call(addr, "/b").await, "done");
        one_trace(&spans, "/b").await;
    }
}
