//! The W3C Trace Context cases, written from the specification's text
//! (Level 2 processing model), run through the test-suite service in
//! `examples/w3c_trace_context_service.rs`: what arrives at the callback for
//! each kind of incoming header.
#![cfg(all(feature = "http-server", feature = "reqwest", feature = "test-util"))]

#[path = "../examples/w3c_trace_context_service.rs"]
#[allow(dead_code)]
mod service;

use axum::http::HeaderMap;
use axum::routing::post;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

const T: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const P: &str = "00f067aa0ba902b7";

type Seen = Arc<Mutex<Vec<HeaderMap>>>;

struct Harness {
    service: SocketAddr,
    callback: SocketAddr,
    seen: Seen,
    client: reqwest::Client,
}

impl Harness {
    async fn start() -> Self {
        traced::propagation::install_global(&traced::propagation::PropagatorKind::DEFAULT);
        let seen: Seen = Arc::default();
        let store = seen.clone();
        let callback_app = axum::Router::new().route(
            "/callback",
            post(move |headers: HeaderMap| {
                let store = store.clone();
                async move {
                    store.lock().unwrap().push(headers);
                }
            }),
        );
        let callback_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let callback = callback_listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(callback_listener, callback_app).await.unwrap() });
        let service_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let service = service_listener.local_addr().unwrap();
        let app = service::app(reqwest::Client::new());
        tokio::spawn(async move { axum::serve(service_listener, app).await.unwrap() });
        Harness { service, callback, seen, client: reqwest::Client::new() }
    }

    /// Calls the service with `headers`; returns the callback's
    /// `traceparent` and `tracestate`.
    async fn run(&self, headers: &[(&str, &str)]) -> (String, Option<String>) {
        self.seen.lock().unwrap().clear();
        let mut request = self.client.post(format!("http://{}/test", self.service));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let body = serde_json::json!([{ "url": format!("http://{}/callback", self.callback), "arguments": [] }]);
        let response = request.header("content-type", "application/json").body(body.to_string()).send().await.unwrap();
        assert_eq!(response.status(), 200, "the service answers 200 whatever the headers");
        let seen = self.seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let tp = seen[0].get("traceparent").expect("a traceparent on every callback").to_str().unwrap().to_owned();
        let ts = seen[0].get("tracestate").map(|v| v.to_str().unwrap().to_owned());
        (tp, ts)
    }
}

fn parts(tp: &str) -> (&str, &str, &str, &str) {
    let p: Vec<&str> = tp.split('-').collect();
    assert_eq!(p.len(), 4, "{tp}");
    assert_eq!(tp.len(), 55, "{tp}");
    (p[0], p[1], p[2], p[3])
}

fn continued(tp: &str) -> bool {
    let (version, trace, parent, _) = parts(tp);
    assert_eq!(version, "00");
    assert_ne!(parent, P, "the parent id changes on every hop");
    trace == T
}

#[tokio::test]
async fn valid_headers_are_continued_with_a_new_parent_id() {
    let _spans = traced::testing::capture();
    let h = Harness::start().await;
    for (flags, expected) in [("01", "01"), ("00", "00"), ("03", "03"), ("02", "02")] {
        let (tp, _) = h.run(&[("traceparent", &format!("00-{T}-{P}-{flags}"))]).await;
        assert!(continued(&tp), "{flags}: {tp}");
        assert_eq!(parts(&tp).3, expected, "sampled and random flags are kept: {tp}");
    }
    // Whitespace around the value is not part of it.
    let (tp, _) = h.run(&[("traceparent", &format!("  00-{T}-{P}-01\t"))]).await;
    assert!(continued(&tp));
    // Unknown flag bits are not passed on.
    let (tp, _) = h.run(&[("traceparent", &format!("00-{T}-{P}-ff"))]).await;
    assert!(continued(&tp));
    assert_eq!(parts(&tp).3, "03");
}

#[tokio::test]
async fn future_versions_are_continued_as_version_00() {
    let _spans = traced::testing::capture();
    let h = Harness::start().await;
    let (tp, _) = h.run(&[("traceparent", &format!("cc-{T}-{P}-01-what-the-future-will-be-like"))]).await;
    assert!(continued(&tp), "{tp}");
    let (tp, _) = h.run(&[("traceparent", &format!("01-{T}-{P}-01"))]).await;
    assert!(continued(&tp), "{tp}");
}

#[tokio::test]
async fn invalid_traceparents_restart_the_trace() {
    let _spans = traced::testing::capture();
    let h = Harness::start().await;
    let upper_trace = T.to_uppercase();
    let cases = [
        format!("00-{upper_trace}-{P}-01"),
        format!("00-00000000000000000000000000000000-{P}-01"),
        format!("00-{T}-0000000000000000-01"),
        format!("ff-{T}-{P}-01"),
        format!("00-{T}-{P}-01-extra"),
        format!("00-{T}-{P}-1"),
        format!("00-{T}{P}-01"),
        format!("0-{T}-{P}-01"),
        format!("00-{T}-{P}-0x"),
        "".to_owned(),
    ];
    for bad in cases {
        let (tp, ts) = h.run(&[("traceparent", &bad), ("tracestate", "foo=1")]).await;
        let (version, trace, _, _) = parts(&tp);
        assert_eq!(version, "00");
        assert_ne!(trace, T, "{bad:?} must not be continued");
        assert_eq!(ts, None, "{bad:?}: a restarted trace drops the tracestate");
    }
}

#[tokio::test]
async fn two_traceparent_headers_restart_the_trace() {
    let _spans = traced::testing::capture();
    let h = Harness::start().await;
    let (tp, _) = h
        .run(&[("traceparent", &format!("00-{T}-{P}-01")), ("traceparent", &format!("00-{T}-00f067aa0ba902b8-01"))])
        .await;
    assert_ne!(parts(&tp).1, T);
}

#[tokio::test]
async fn tracestate_is_propagated_within_the_limits() {
    let _spans = traced::testing::capture();
    let h = Harness::start().await;
    let tp = format!("00-{T}-{P}-01");
    let (out, ts) = h.run(&[("traceparent", &tp), ("tracestate", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")]).await;
    assert!(continued(&out));
    assert_eq!(ts.as_deref(), Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
    // Two tracestate headers are one list, in order.
    let (_, ts) = h.run(&[("traceparent", &tp), ("tracestate", "a=1"), ("tracestate", "b=2")]).await;
    assert_eq!(ts.as_deref(), Some("a=1,b=2"));
    // 32 members pass; a 33rd is beyond the limit and the header is dropped.
    let members = |n: usize| (0..n).map(|i| format!("k{i}=v{i}")).collect::<Vec<_>>().join(",");
    let (_, ts) = h.run(&[("traceparent", &tp), ("tracestate", &members(32))]).await;
    assert_eq!(ts.as_deref(), Some(members(32).as_str()));
    let (out, ts) = h.run(&[("traceparent", &tp), ("tracestate", &members(33))]).await;
    assert!(continued(&out), "a bad tracestate never affects the traceparent");
    assert_eq!(ts, None);
    // Invalid keys and values drop the header, not the trace.
    for bad in ["UPPER=1", "key=va,lue", "k=", "k=a=b", "@foo=1,bar=2", "foo.bar=1"] {
        let (out, ts) = h.run(&[("traceparent", &tp), ("tracestate", bad)]).await;
        assert!(continued(&out), "{bad}");
        assert_eq!(ts, None, "{bad}");
    }
}

#[tokio::test]
async fn a_tracestate_without_traceparent_is_ignored() {
    let _spans = traced::testing::capture();
    let h = Harness::start().await;
    let (tp, ts) = h.run(&[("tracestate", "foo=1")]).await;
    assert_ne!(parts(&tp).1, T);
    assert_eq!(ts, None);
}

/// The suite's Level 2 cases that `opentelemetry`'s own `TraceState`
/// refuses or that a strict reading drops: passed on, duplicates once.
#[tokio::test]
async fn level_2_tracestate_keys_and_duplicates_are_passed_on() {
    let _spans = traced::testing::capture();
    let h = Harness::start().await;
    let tp = format!("00-{T}-{P}-00");
    let (out, ts) = h.run(&[("traceparent", &tp), ("tracestate", "foo=1,foo=1")]).await;
    assert!(continued(&out));
    assert_eq!(ts.as_deref(), Some("foo=1"));
    let (_, ts) = h.run(&[("traceparent", &tp), ("tracestate", "foo=1"), ("tracestate", "foo=2")]).await;
    assert_eq!(ts.as_deref(), Some("foo=1"), "the first of two duplicates wins");
    for member in ["foo@=1,bar=2", "foo@@bar=1,bar=2", "foo@bar@baz=1,bar=2"] {
        let (out, ts) = h.run(&[("traceparent", &tp), ("tracestate", member)]).await;
        assert!(continued(&out));
        assert_eq!(ts.as_deref(), Some(member));
    }
    let vendor_14 = format!("{}@{}=1", "t".repeat(241), "v".repeat(14));
    let (_, ts) = h.run(&[("traceparent", &tp), ("tracestate", "foo=1"), ("tracestate", &vendor_14)]).await;
    assert_eq!(ts, Some(format!("foo=1,{vendor_14}")));
    let key_257 = format!("{}=1", "z".repeat(257));
    let (_, ts) = h.run(&[("traceparent", &tp), ("tracestate", "foo=1"), ("tracestate", &key_257)]).await;
    assert_eq!(ts, None, "a key over 256 characters drops the header");
}
