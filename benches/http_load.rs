//! What a user feels: the quickstart's `GET /users/{id}` served by axum at
//! the highest rate a load generator can drive, untraced, with `traced`, and
//! with `tracing` + `tracing-opentelemetry`, both exporting every span over
//! OTLP/HTTP to a receiver on this machine. Driven by
//! `benches/http_load.sh`, which starts these processes and runs `wrk`:
//!
//! ```text
//! http_load receive PORT                         an OTLP/HTTP receiver; GET /spans counts what arrived
//! http_load serve MODE PORT RECEIVER_PORT [sqlite]
//!     MODE: untraced | traced | traced-no-comment | tracing-otel; `sqlite`
//!     adds the query (`traced-no-comment`: without the SQL trace comment,
//!     which makes every statement's text unique and so uncached)
//! ```
//!
//! The three servers run the same handlers: `get_user` → (with `sqlite`, a
//! query on an in-memory SQLite database) → `process_user_data`, under a
//! server span for the request. `traced` and the SDK run with their
//! default batch settings, sampling everything.
#![allow(missing_docs)]

#[path = "support/user_service.rs"]
mod user_service;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tracing_subscriber::layer::SubscriberExt;
use user_service::{database, untraced, with_traced, with_tracing};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

// ---- the receiver -----------------------------------------------------------

/// Spans in an `ExportTraceServiceRequest`, counted by walking the
/// protobuf's length prefixes (resource_spans = 1, scope_spans = 2,
/// spans = 2) without decoding the spans: the receiver shares this
/// machine's two cores with the server and the load generator, and a full
/// decode of every span took a large part of one.
fn count_spans(mut buf: &[u8], depth: usize) -> Option<u64> {
    fn varint(buf: &mut &[u8]) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = buf.split_first()?;
            *buf = rest;
            value |= u64::from(byte & 0x7f) << shift;
            if byte < 0x80 {
                return Some(value);
            }
        }
        None
    }
    // The field holding the next level down, at each depth.
    let wanted = [1, 2, 2][depth];
    let mut count = 0;
    while !buf.is_empty() {
        let key = varint(&mut buf)?;
        let (field, wire) = (key >> 3, key & 7);
        let len = match wire {
            0 => {
                varint(&mut buf)?;
                continue;
            }
            1 => 8,
            5 => 4,
            2 => usize::try_from(varint(&mut buf)?).ok()?,
            _ => return None,
        };
        let body = buf.get(..len)?;
        buf = buf.get(len..)?;
        if wire == 2 && field == wanted {
            count += if depth == 2 { 1 } else { count_spans(body, depth + 1)? };
        }
    }
    Some(count)
}

async fn receive(port: u16) -> Result<(), BoxError> {
    let spans = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route(
            "/v1/traces",
            post(|State(spans): State<Arc<AtomicU64>>, body: axum::body::Bytes| async move {
                match count_spans(&body, 0) {
                    Some(n) => {
                        spans.fetch_add(n, Ordering::Relaxed);
                        StatusCode::OK
                    }
                    None => StatusCode::BAD_REQUEST,
                }
            }),
        )
        .route(
            "/spans",
            get(|State(spans): State<Arc<AtomicU64>>| async move { spans.load(Ordering::Relaxed).to_string() }),
        )
        .with_state(spans);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

// ---- the servers ------------------------------------------------------------

async fn serve(mode: &str, port: u16, receiver: u16, sqlite: bool) -> Result<(), BoxError> {
    let db = if sqlite { Some(database().await?) } else { None };
    let endpoint = format!("http://127.0.0.1:{receiver}");
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let shutdown = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        match &mut term {
            Some(term) => {
                term.recv().await;
            }
            None => std::future::pending().await,
        }
    };
    match mode {
        "untraced" => {
            axum::serve(listener, untraced::app(untraced::Users { db })).with_graceful_shutdown(shutdown).await?
        }
        "traced" | "traced-no-comment" => {
            let env = traced::config::EnvConfig::from_lookup(&|name| match name {
                "OTEL_SERVICE_NAME" => Some("user-service".to_owned()),
                "OTEL_EXPORTER_OTLP_ENDPOINT" => Some(endpoint.clone()),
                "OTEL_EXPORTER_OTLP_PROTOCOL" => Some("http/protobuf".to_owned()),
                _ => None,
            });
            let guard = traced::builder().env(env).install()?;
            let comment = match mode {
                "traced-no-comment" => traced::integrations::sqlx::TraceComment::Off,
                _ => traced::integrations::sqlx::TraceComment::default(),
            };
            let users = with_traced::UserService {
                db: db.map(|db| traced::integrations::sqlx::TracedPool::new(db).with_trace_comment(comment)),
            };
            axum::serve(listener, with_traced::app(users)).with_graceful_shutdown(shutdown).await?;
            let stats = traced::Provider::current().map(|p| p.stats());
            drop(guard);
            eprintln!("traced: {stats:?}");
        }
        "tracing-otel" => {
            let exporter = opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
                .with_endpoint(format!("{endpoint}/v1/traces"))
                .build()?;
            let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(opentelemetry_sdk::Resource::builder().with_service_name("user-service").build())
                .build();
            let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("http_load"));
            let subscriber = tracing_subscriber::registry().with(layer);
            tracing::subscriber::set_global_default(subscriber)?;
            let users = with_tracing::UserService { db };
            axum::serve(listener, with_tracing::app(users)).with_graceful_shutdown(shutdown).await?;
            // The SDK's shutdown blocks on its exporter: off the runtime.
            tokio::task::spawn_blocking(move || provider.shutdown()).await??;
        }
        other => return Err(format!("unknown mode {other:?}").into()),
    }
    Ok(())
}

fn main() -> Result<(), BoxError> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let port = |i: usize| -> Result<u16, BoxError> { Ok(args.get(i).ok_or("missing port")?.parse()?) };
    match args.first().map(String::as_str) {
        Some("receive") => runtime.block_on(receive(port(1)?)),
        Some("serve") => {
            let mode = args.get(1).ok_or("missing mode")?;
            let sqlite = args.get(4).is_some_and(|a| a == "sqlite");
            runtime.block_on(serve(mode, port(2)?, port(3)?, sqlite))
        }
        // `cargo bench` runs every bench target with no arguments: nothing
        // to do alone; the script drives it.
        _ => {
            println!("http_load: run benches/http_load.sh");
            Ok(())
        }
    }
}
