//! The cost of tracing one HTTP request on the server's side, in
//! instructions: the quickstart's `GET /users/{id}` (no database) called
//! through axum's router a fixed number of times, without a socket, so that
//! `valgrind --tool=callgrind` counts the request path alone and the count
//! repeats (`http_load.sh` measures the same service under `wrk`, where the
//! figure moves with the machine).
//!
//! ```sh
//! cargo bench --features http-server,sqlx-sqlite,tonic,test-util --bench server_instructions --no-run
//! valgrind --tool=callgrind --toggle-collect='server_instructions::run_requests*' \
//!     target/release/deps/server_instructions-* traced 20000
//! ```
//!
//! Scenarios: `untraced`, `traced` (the server layer and three `#[traced]`
//! methods: four spans per request, handed to a batch processor that counts
//! and discards them; the export thread's work is not on this thread and
//! not counted). Requests carry what `wrk` sends: a `Host` header.
//! `untraced-called`, `traced-called`: the same with the seven headers a
//! traced caller sends through a proxy (`traceparent`, `tracestate`,
//! `User-Agent`, `X-Forwarded-For`, ...): the server span follows its
//! sampled parent.
//! `grpc-untraced` and `grpc-traced`: a unary gRPC call through the tonic
//! server layer, client layer (its CLIENT span the parent, its context
//! injected into the request) and a handler that answers at once: the
//! layers' own cost per call, two spans.
//!
//! The count moves by about 1 % between runs: when the export thread hands
//! chunks back (and so which thread frees what) depends on timing.
#![allow(missing_docs)]

#[path = "support/counting.rs"]
mod counting;
#[path = "support/poll.rs"]
mod poll;
use poll::poll_once;
#[path = "support/user_service.rs"]
#[allow(dead_code)]
mod user_service;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use counting::Counting;
use std::hint::black_box;
use std::sync::atomic::Ordering;
use tower::ServiceExt;
use user_service::{untraced, with_traced};

/// One request through the router, its body read to the end (the server
/// span ends with the body). `called`: with the headers another traced
/// service sends through a proxy (its context among them), not only `Host`.
fn request(app: &Router, called: bool) -> usize {
    poll_once(async {
        let mut request = Request::get("/users/1").header("host", "127.0.0.1:18080");
        if called {
            request = request
                .header("user-agent", "checkout/1.4")
                .header("accept", "*/*")
                .header("accept-encoding", "gzip")
                .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
                .header("tracestate", "vendor=opaque")
                .header("x-forwarded-for", "10.1.2.3");
        }
        let request = request.body(Body::empty()).expect("request");
        let response = app.clone().oneshot(request).await.expect("infallible");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
        body.len()
    })
}

/// A gRPC service that answers every call at once, OK.
#[derive(Clone)]
struct Answer;

impl tower::Service<Request<Body>> for Answer {
    type Response = axum::http::Response<Body>;
    type Error = std::io::Error;
    type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
    fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn call(&mut self, _: Request<Body>) -> Self::Future {
        let response = axum::http::Response::builder()
            .header("content-type", "application/grpc")
            .header("grpc-status", "0")
            .body(Body::empty())
            .map_err(std::io::Error::other);
        std::future::ready(response)
    }
}

type Grpc = tower::util::BoxCloneService<Request<Body>, axum::http::Response<Body>, std::io::Error>;

/// One unary call through the client and server layers (or neither).
fn call(service: &Grpc) -> usize {
    poll_once(async {
        let request = Request::post("http://127.0.0.1:50051/helloworld.Greeter/SayHello")
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(Body::empty())
            .expect("request");
        let response = service.clone().oneshot(request).await.expect("answer");
        let body = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
        body.len()
    })
}

#[inline(never)]
fn run_calls(n: u64, service: &Grpc) {
    for _ in 0..n {
        black_box(call(service));
    }
}

fn grpc(traced: bool) -> Grpc {
    if !traced {
        return tower::util::BoxCloneService::new(Answer);
    }
    use tower::Layer;
    use traced::integrations::tonic::{TracedGrpcClientLayer, TracedGrpcServerLayer};
    let server = TracedGrpcServerLayer::new().layer(Answer);
    let client = TracedGrpcClientLayer::new().layer(server);
    // The layers' bodies and errors, back to the plain types.
    let client = tower::ServiceExt::map_response(client, |r: axum::http::Response<_>| r.map(Body::new));
    let client = tower::ServiceExt::map_err(client, |e: std::io::Error| e);
    tower::util::BoxCloneService::new(client)
}

/// The measured part (the name is what callgrind's `--toggle-collect` matches).
#[inline(never)]
fn run_requests(n: u64, app: &Router, called: bool) {
    for _ in 0..n {
        black_box(request(app, called));
    }
}

/// The same, not measured: the router's, the thread's buffers' and the
/// first chunks' first-time costs.
#[inline(never)]
fn warm_up(n: u64, app: &Router, called: bool) {
    for _ in 0..n {
        black_box(request(app, called));
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let scenario = args.next().unwrap_or_else(|| "traced".to_owned());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let counted = Counting::default();
    let install = || {
        let guard = traced::builder()
            .env(traced::config::EnvConfig::default())
            .exporter(counted.clone())
            .batch(traced::BatchConfig { max_queue_size: 1 << 20, ..traced::BatchConfig::default() })
            .install()
            .expect("install");
        // Kept installed for the whole run.
        std::mem::forget(guard);
    };
    let flush = || {
        // Exported chunks come back to this thread for reuse: steady state.
        if let Some(provider) = traced::Provider::current() {
            provider.force_flush(std::time::Duration::from_secs(30)).expect("flush");
        }
    };
    if let Some(traced) = scenario.strip_prefix("grpc-").map(|mode| mode == "traced") {
        if traced {
            install();
        }
        let service = grpc(traced);
        for _ in 0..2_000 {
            black_box(call(&service));
        }
        flush();
        run_calls(n, &service);
        println!("{scenario}: {n} calls; spans exported so far {}", counted.0.load(Ordering::Relaxed));
        return;
    }
    let (scenario, called) = match scenario.strip_suffix("-called") {
        Some(mode) => (mode.to_owned(), true),
        None => (scenario, false),
    };
    let app = match scenario.as_str() {
        "untraced" => untraced::app(untraced::Users { db: None }),
        "traced" => {
            install();
            with_traced::app(with_traced::UserService { db: None })
        }
        other => {
            eprintln!("unknown scenario {other:?}");
            std::process::exit(2);
        }
    };
    warm_up(2_000, &app, called);
    flush();
    run_requests(n, &app, called);
    println!("{scenario}: {n} requests; spans exported so far {}", counted.0.load(Ordering::Relaxed));
}
