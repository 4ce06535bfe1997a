//! The tower server layer in a real axum server on 127.0.0.1, called with
//! the traced reqwest client: one trace across hops, statuses, request ids,
//! malformed headers, streamed bodies.
#![cfg(all(feature = "http-server", feature = "reqwest", feature = "test-util"))]

use axum::extract::{Path, State};
use axum::routing::get;
use opentelemetry::baggage::BaggageExt;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::{Context, KeyValue, Value};
use std::net::SocketAddr;
use std::time::Duration;
use traced::integrations::http_server::TracedHttpServerLayer;
use traced::integrations::reqwest::RequestBuilderExt;
use traced::testing::capture;
use traced::traced;

#[derive(Clone)]
struct App {
    addr: SocketAddr,
    client: reqwest::Client,
}

struct UserService;

#[traced]
impl UserService {
    async fn get_user(&self, app: &App, id: u32) -> String {
        // A second hop, to another route of the same server.
        let leaf = app.client.get(format!("http://{}/leaf", app.addr)).send_traced().await.unwrap();
        format!("user {id}: {}", leaf.text().await.unwrap())
    }
}

async fn user(State(app): State<App>, Path(id): Path<u32>) -> String {
    UserService.get_user(&app, id).await
}

async fn leaf() -> String {
    Context::map_current(|cx| cx.baggage().get("tenant").map(|v| v.to_string()).unwrap_or_default())
}

/// Records on the SERVER span without holding it, as a handler would.
async fn record_in_handler() -> String {
    let recording = traced::current_span().is_recording();
    traced::current_span().set_attribute(KeyValue::new("handler.attribute", "set"));
    tokio::task::yield_now().await;
    traced::record!(handler.recording = recording);
    format!("{recording}")
}

/// A streamed body whose chunks are made by work that asks which span is
/// current: each chunk is the span id it saw.
async fn stream_context() -> axum::body::Body {
    use futures_util::StreamExt;
    let chunks = futures_util::stream::iter(0..2).then(|_| async {
        tokio::task::yield_now().await;
        Ok::<_, std::io::Error>(format!("{}\n", traced::current_span().span_context().span_id()))
    });
    axum::body::Body::from_stream(chunks)
}

/// Lets the `/stream` body out one chunk per permit, so the test decides
/// when the body is done.
static STREAM_GATE: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(0);

async fn stream() -> axum::body::Body {
    use futures_util::StreamExt;
    let chunks = futures_util::stream::iter(0..3).then(|i| async move {
        if let Ok(permit) = STREAM_GATE.acquire().await {
            permit.forget();
        }
        Ok::<_, std::io::Error>(format!("chunk {i}\n"))
    });
    axum::body::Body::from_stream(chunks)
}

async fn serve(layer: TracedHttpServerLayer) -> App {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = App { addr, client: reqwest::Client::new() };
    let router = axum::Router::new()
        .route("/users/{id}", get(user))
        .route("/leaf", get(leaf))
        .route("/stream", get(stream))
        .route("/record", get(record_in_handler))
        .route("/stream-context", get(stream_context))
        .route(
            "/status/{code}",
            get(|Path(code): Path<u16>| async move { axum::http::StatusCode::from_u16(code).unwrap() }),
        )
        .layer(layer)
        .with_state(app.clone());
    // Served on this test's (current-thread) runtime, so the capture sees it.
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    app
}

fn propagators() {
    traced::propagation::install_global(&traced::propagation::PropagatorKind::DEFAULT);
}

#[traced]
async fn caller(app: &App) -> String {
    app.client.get(format!("http://{}/users/7", app.addr)).send_traced().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn one_trace_across_client_server_handler_and_a_second_hop() {
    propagators();
    let spans = capture();
    let app = serve(TracedHttpServerLayer::new()).await;
    let body = {
        let _b = Context::current_with_baggage(vec![KeyValue::new("tenant", "acme")]).attach();
        caller(&app).await
    };
    assert_eq!(body, "user 7: acme", "baggage reached the second server hop");
    let root = spans.span("http_server.caller");
    let clients = spans.named("GET");
    let server = spans.span("GET /users/{id}");
    let handler = spans.span("UserService.get_user");
    let leaf = spans.span("GET /leaf");
    assert_eq!(clients.len(), 2);
    let first_client = clients.iter().find(|c| c.is_child_of(&root)).expect("client span under the caller");
    let second_client = clients.iter().find(|c| c.is_child_of(&handler)).expect("client span under the handler");
    assert!(server.is_child_of(first_client) && server.parent_span_is_remote);
    assert!(handler.is_child_of(&server));
    assert!(leaf.is_child_of(second_client));
    let trace = root.span_context.trace_id();
    for s in spans.spans() {
        assert_eq!(s.span_context.trace_id(), trace, "{} is in another trace", s.name);
    }
    assert_eq!(server.span_kind, SpanKind::Server);
    assert_eq!(server.attr("http.route"), Some(&Value::from("/users/{id}")));
    assert_eq!(server.attr("url.path"), Some(&Value::from("/users/7")));
    assert_eq!(server.attr("url.scheme"), Some(&Value::from("http")));
    assert_eq!(server.attr("http.request.method"), Some(&Value::from("GET")));
    assert_eq!(server.attr("http.response.status_code"), Some(&Value::I64(200)));
    assert_eq!(server.attr("server.address"), Some(&Value::from("127.0.0.1")));
    assert_eq!(server.attr("server.port"), Some(&Value::I64(i64::from(app.addr.port()))));
    assert_eq!(server.attr("client.address"), None, "no ConnectInfo and no X-Forwarded-For here");
    assert_eq!(server.attr("network.protocol.version"), Some(&Value::from("1.1")));
    assert_eq!(server.attr("request.id"), Some(&Value::from(trace.to_string())));
}

#[tokio::test]
async fn statuses_request_ids_and_malformed_headers() {
    propagators();
    let spans = capture();
    let app = serve(TracedHttpServerLayer::new().server_timing(true)).await;
    let client = reqwest::Client::new();
    let r404 = client.get(format!("http://{}/status/404", app.addr)).send().await.unwrap();
    assert_eq!(r404.status(), 404);
    let r500 =
        client.get(format!("http://{}/status/500", app.addr)).header("x-request-id", "req-123").send().await.unwrap();
    assert_eq!(r500.headers()["x-request-id"], "req-123");
    let bad = client
        .get(format!("http://{}/status/200", app.addr))
        .header("traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 200, "a malformed traceparent never fails the request");
    let timing = bad.headers()["server-timing"].to_str().unwrap().to_owned();

    let all = spans.named("GET /status/{code}");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].status, Status::Unset, "4xx is not a server error");
    assert_eq!(all[1].status, Status::error(""));
    assert_eq!(all[1].attr_str("error.type").as_deref(), Some("500"));
    assert_eq!(all[1].attr("request.id"), Some(&Value::from("req-123")));
    let restarted = &all[2];
    assert!(!restarted.parent_span_is_remote, "malformed header: a new trace");
    assert_ne!(restarted.span_context.trace_id().to_string(), "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_eq!(timing, format!("trace;desc=00-{}-{}-03", restarted.span_context.trace_id(), restarted.span_id()));
    assert_eq!(bad.headers()["x-request-id"].to_str().unwrap(), restarted.span_context.trace_id().to_string());
}

#[tokio::test]
async fn the_span_ends_when_the_streamed_body_is_done() {
    propagators();
    let spans = capture();
    let app = serve(TracedHttpServerLayer::new()).await;
    let response = reqwest::Client::new().get(format!("http://{}/stream", app.addr)).send().await.unwrap();
    // The headers are in; the body (three chunks, held by the gate) is not.
    assert!(spans.named("GET /stream").is_empty(), "the span must outlive the headers");
    let released = std::time::SystemTime::now();
    STREAM_GATE.add_permits(3);
    let text = response.text().await.unwrap();
    assert_eq!(text, "chunk 0\nchunk 1\nchunk 2\n");
    let s = spans.wait_for("GET /stream", 1, Duration::from_secs(10)).await.remove(0);
    assert_eq!(s.attr("http.response.status_code"), Some(&Value::I64(200)));
    // Span times come from the CPU counter, anchored to the wall clock: allow
    // them a little skew against `SystemTime::now()`.
    let slack = Duration::from_millis(5);
    assert!(s.end_time + slack >= released, "the span covers the streamed body, which ended after the gate opened");
}

#[tokio::test]
async fn a_whole_body_ends_the_span_with_its_last_frame() {
    use axum::body::HttpBody;
    use tower::ServiceExt;
    propagators();
    let spans = capture();
    let router = axum::Router::new().route("/whole", get(|| async { "all of it" })).layer(TracedHttpServerLayer::new());
    let request = axum::http::Request::get("/whole").body(axum::body::Body::empty()).unwrap();
    let mut body = router.oneshot(request).await.unwrap().into_body();
    let frame = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await;
    let data = frame.expect("a frame").expect("not an error").into_data().expect("data");
    assert_eq!(&data[..], b"all of it");
    // The body knows it is done: the span has ended although the body is
    // neither polled again nor dropped (a client that reads exactly the
    // length it was told stops here).
    let span = spans.wait_for("GET /whole", 1, Duration::from_secs(10)).await.remove(0);
    assert_eq!(span.attr("http.response.status_code"), Some(&Value::I64(200)));
    assert!(body.is_end_stream());
    drop(body);
    assert_eq!(spans.named("GET /whole").len(), 1, "ended once");
}

#[tokio::test]
async fn current_span_and_record_reach_the_server_span_from_the_handler() {
    propagators();
    let spans = capture();
    let app = serve(TracedHttpServerLayer::new()).await;
    let body = reqwest::Client::new().get(format!("http://{}/record", app.addr)).send().await.unwrap();
    assert_eq!(body.text().await.unwrap(), "true", "the handler sees a recording span");
    let server = spans.wait_for("GET /record", 1, Duration::from_secs(10)).await.remove(0);
    assert_eq!(server.attr("handler.attribute"), Some(&Value::from("set")));
    assert_eq!(server.attr("handler.recording"), Some(&Value::Bool(true)), "set after an await, in a later poll");
}

#[tokio::test]
async fn a_streamed_body_is_made_inside_the_server_span() {
    propagators();
    let spans = capture();
    let app = serve(TracedHttpServerLayer::new()).await;
    let body = reqwest::Client::new().get(format!("http://{}/stream-context", app.addr)).send().await.unwrap();
    let seen = body.text().await.unwrap();
    let server = spans.wait_for("GET /stream-context", 1, Duration::from_secs(10)).await.remove(0);
    let expected = format!("{}\n", server.span_id());
    assert_eq!(seen, expected.repeat(2), "each chunk was made with the SERVER span current");
}

#[tokio::test]
async fn extension_points_name_add_attributes_and_classify() {
    propagators();
    let spans = capture();
    let layer = TracedHttpServerLayer::new()
        .name(|req| req.route.map(|route| format!("handle {} {route}", req.method)))
        .on_request(|req, attributes| {
            if let Some(tenant) = req.headers.get("x-tenant").and_then(|v| v.to_str().ok()) {
                attributes.push(KeyValue::new("tenant", tenant.to_owned()));
            }
        })
        .on_response(|res, span| {
            span.set_attribute(KeyValue::new("response.status_class", i64::from(res.status.as_u16() / 100)))
        })
        .classify(|status| status.is_server_error() || status.as_u16() == 429);
    let app = serve(layer).await;
    let client = reqwest::Client::new();
    for code in [429, 404] {
        let response =
            client.get(format!("http://{}/status/{code}", app.addr)).header("x-tenant", "acme").send().await.unwrap();
        assert_eq!(response.status().as_u16(), code);
    }
    let all = spans.wait_for("handle GET /status/{code}", 2, Duration::from_secs(10)).await;
    assert_eq!(all.len(), 2, "named by the layer's function: {:?}", spans.names());
    let (too_many, not_found) = (&all[0], &all[1]);
    assert_eq!(too_many.attr_str("tenant").as_deref(), Some("acme"));
    assert_eq!(too_many.attr("response.status_class"), Some(&Value::I64(4)));
    assert!(too_many.is_error(), "429 classified as an error");
    assert_eq!(too_many.attr_str("error.type").as_deref(), Some("429"));
    assert!(!not_found.is_error(), "404 is not");
}
