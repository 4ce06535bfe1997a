//! The first thing to run: a small user service, traced end to end.
//!
//! ```sh
//! cargo run --example quickstart            # calls itself a few times, prints each trace, exits
//! cargo run --example quickstart -- --serve # keeps serving on 127.0.0.1:$PORT (default 8080)
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 cargo run --example quickstart   # to a collector or Jaeger
//! OTEL_TRACES_EXPORTER=otlp_file cargo run --example quickstart       # to traces.jsonl, for `traced query`
//! ```
//!
//! An axum app behind the traced server layer: `GET /health` and
//! `GET /users/{id}`, served by a `UserService` whose `#[traced]` methods run
//! `get_user` → `fetch_user_from_db` (a real query through the traced sqlx
//! pool, on an SQLite database in memory that the example creates and
//! seeds) → `process_user_data`. The id `error` takes the error path: the
//! spans get status Error with the message, the caller a 500. Each response
//! carries `X-Request-ID` (the caller's, or the trace id).
//!
//! Nothing to install: no database server, no collector.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::Sqlite;
use std::sync::Arc;
use traced::integrations::http_server::TracedHttpServerLayer;
use traced::integrations::reqwest::RequestBuilderExt;
use traced::integrations::sqlx::TracedPool;
use traced::traced;

/// A user as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
struct User {
    id: i64,
    name: String,
    email: String,
}

/// Why a user could not be served.
#[derive(Debug)]
enum UserError {
    /// The database failed (or, for the id `error`, pretends to).
    Database(String),
}

impl std::fmt::Display for UserError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserError::Database(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for UserError {}

impl From<sqlx::Error> for UserError {
    fn from(err: sqlx::Error) -> Self {
        UserError::Database(err.to_string())
    }
}

/// The service the routes call: every method is a span `UserService.<method>`.
pub(crate) struct UserService {
    pub(crate) db: TracedPool<Sqlite>,
}

#[traced]
impl UserService {
    /// Looks a user up and prepares it for the response.
    #[traced(fields(user.id = id))]
    async fn get_user(&self, id: &str) -> Result<Option<Value>, UserError> {
        let Some(user) = self.fetch_user_from_db(id).await? else { return Ok(None) };
        Ok(Some(self.process_user_data(&user)))
    }

    /// One query through the traced pool: its own CLIENT span below this one.
    async fn fetch_user_from_db(&self, id: &str) -> Result<Option<User>, UserError> {
        if id == "error" {
            return Err(UserError::Database("database connection failed".into()));
        }
        let Ok(id) = id.parse::<i64>() else { return Ok(None) };
        let user =
            sqlx::query_as("SELECT id, name, email FROM users WHERE id = ?").bind(id).fetch_optional(&self.db).await?;
        Ok(user)
    }

    #[traced(fields(user.id = user.id))]
    fn process_user_data(&self, user: &User) -> Value {
        let domain = user.email.split('@').nth(1).unwrap_or_default();
        json!({ "id": user.id, "name": user.name, "email_domain": domain })
    }
}

async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

async fn get_user(State(users): State<Arc<UserService>>, Path(id): Path<String>) -> (StatusCode, Json<Value>) {
    match users.get_user(&id).await {
        Ok(Some(user)) => (StatusCode::OK, Json(user)),
        Ok(None) => (StatusCode::NOT_FOUND, Json(json!({ "error": "user not found" }))),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": err.to_string() }))),
    }
}

/// The app: routes, the service, and the traced server layer (which also
/// handles `X-Request-ID`).
pub(crate) fn app(users: Arc<UserService>) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/users/{id}", get(get_user))
        .with_state(users)
        .layer(TracedHttpServerLayer::new())
}

/// The users the embedded database starts with.
const SEED: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
     INSERT INTO users VALUES (1, 'Ada Lovelace', 'ada@example.com'), (2, 'Alan Turing', 'alan@example.org'),
                             (12345, 'Grace Hopper', 'grace@example.net');";

/// The embedded database: created in memory and seeded.
pub(crate) async fn database() -> Result<TracedPool<Sqlite>, sqlx::Error> {
    // One connection: each in-memory connection is a database of its own.
    // sqlx closes a connection whose query was cancelled (a client that hung
    // up mid-request), so every new connection is created and seeded: the
    // next request finds the table.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .after_connect(|conn, _| Box::pin(async move { sqlx::raw_sql(SEED).execute(conn).await.map(|_| ()) }))
        .connect("sqlite::memory:")
        .await?;
    Ok(TracedPool::new(pool))
}

/// Calls the running app the way a client would, through the traced client.
async fn call_it(base: &str) -> Result<(), reqwest::Error> {
    let client = reqwest::Client::new();
    for path in ["/health", "/users/1", "/users/12345", "/users/404", "/users/error"] {
        let mut request = client.get(format!("{base}{path}"));
        if path == "/users/1" {
            request = request.header("x-request-id", "quickstart-1");
        }
        let response = request.send_traced().await?;
        let status = response.status();
        let request_id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
        let body = response.text().await?;
        println!("GET {path} -> {status}  x-request-id: {request_id}  {body}");
    }
    Ok(())
}

#[tokio::main]
#[allow(dead_code)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The console exporter unless OTEL_EXPORTER_OTLP_ENDPOINT (or another
    // OTEL_* variable) says otherwise; the guard flushes on the way out.
    let guard = traced::builder()
        .service_name("user-service")
        .service_version(env!("CARGO_PKG_VERSION"))
        .environment("development")
        .install()?;
    let users = Arc::new(UserService { db: database().await? });

    if std::env::args().any(|a| a == "--serve") {
        let port: u16 = std::env::var("PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(8080);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!("user-service on http://127.0.0.1:{port} (try /users/1, /users/error); Ctrl-C to stop");
        axum::serve(listener, app(users))
            .with_graceful_shutdown(async {
                tokio::signal::ctrl_c().await.ok();
            })
            .await?;
    } else {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let base = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move { axum::serve(listener, app(users)).await });
        call_it(&base).await?;
        let to_file = std::env::var("OTEL_TRACES_EXPORTER").is_ok_and(|e| e.contains("otlp_file"));
        match std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
            .or_else(|_| std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        {
            Ok(endpoint) => println!("\nThe traces went to {endpoint}."),
            Err(_) if to_file => {
                let path = std::env::var("TRACED_FILE_PATH").unwrap_or_else(|_| "traces.jsonl".into());
                println!("\nThe traces went to {path}: try `traced query '{{ status = error }}' {path}`.");
            }
            Err(_) => println!("\nThe traces (client span → server span → UserService → SQL):\n"),
        }
    }
    drop(guard);
    Ok(())
}
