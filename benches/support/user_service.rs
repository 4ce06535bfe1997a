//! The quickstart's `GET /users/{id}` three ways, the same handlers in each:
//! untraced, with `traced` (the layer and `#[traced]` methods), and with
//! `tracing` + `tracing-opentelemetry`. Shared by `http_load.rs` (under a
//! load generator) and `server_instructions.rs` (instructions per request).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{Sqlite, SqlitePool};
use std::sync::Arc;
use tracing::Instrument;

#[derive(Debug, Clone, sqlx::FromRow)]
struct User {
    id: i64,
    name: String,
    email: String,
}

const SCHEMA: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL);
     INSERT INTO users VALUES (1, 'Ada Lovelace', 'ada@example.com'), (2, 'Alan Turing', 'alan@example.org');";

pub(crate) async fn database() -> Result<SqlitePool, sqlx::Error> {
    // A file, not `sqlite::memory:`: a request cancelled by the load
    // generator mid-query makes sqlx close the connection, and an in-memory
    // database goes with its connection (the next one finds no table).
    let path = std::env::temp_dir().join(format!("traced-http-load-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
    // One connection, as the quickstart has.
    let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
    sqlx::raw_sql(SCHEMA).execute(&pool).await?;
    Ok(pool)
}

/// The user without a database: what the handler would have fetched.
fn fixed_user(id: i64) -> User {
    User { id, name: "Ada Lovelace".into(), email: "ada@example.com".into() }
}

fn process(user: &User) -> Value {
    let domain = user.email.split('@').nth(1).unwrap_or_default();
    json!({ "id": user.id, "name": user.name, "email_domain": domain })
}

fn respond(result: Result<Option<Value>, sqlx::Error>) -> (StatusCode, Json<Value>) {
    match result {
        Ok(Some(user)) => (StatusCode::OK, Json(user)),
        Ok(None) => (StatusCode::NOT_FOUND, Json(json!({ "error": "user not found" }))),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": err.to_string() }))),
    }
}

// ---- untraced ---------------------------------------------------------------

pub(crate) mod untraced {
    use super::*;

    pub(crate) struct Users {
        pub(crate) db: Option<SqlitePool>,
    }

    impl Users {
        async fn get_user(&self, id: &str) -> Result<Option<Value>, sqlx::Error> {
            let Some(user) = self.fetch(id).await? else { return Ok(None) };
            Ok(Some(self.process_user_data(&user)))
        }
        async fn fetch(&self, id: &str) -> Result<Option<User>, sqlx::Error> {
            let Ok(id) = id.parse::<i64>() else { return Ok(None) };
            match &self.db {
                Some(db) => {
                    sqlx::query_as("SELECT id, name, email FROM users WHERE id = ?").bind(id).fetch_optional(db).await
                }
                None => Ok(Some(fixed_user(id))),
            }
        }
        fn process_user_data(&self, user: &User) -> Value {
            process(user)
        }
    }

    async fn handler(State(users): State<Arc<Users>>, Path(id): Path<String>) -> (StatusCode, Json<Value>) {
        respond(users.get_user(&id).await)
    }

    pub(crate) fn app(users: Users) -> Router {
        Router::new().route("/users/{id}", get(handler)).with_state(Arc::new(users))
    }
}

// ---- traced -----------------------------------------------------------------

pub(crate) mod with_traced {
    use super::*;
    use traced::integrations::http_server::TracedHttpServerLayer;
    use traced::integrations::sqlx::TracedPool;
    use traced::traced;

    pub(crate) struct UserService {
        pub(crate) db: Option<TracedPool<Sqlite>>,
    }

    #[traced]
    impl UserService {
        #[traced(fields(user.id = id))]
        async fn get_user(&self, id: &str) -> Result<Option<Value>, sqlx::Error> {
            let Some(user) = self.fetch_user_from_db(id).await? else { return Ok(None) };
            Ok(Some(self.process_user_data(&user)))
        }
        async fn fetch_user_from_db(&self, id: &str) -> Result<Option<User>, sqlx::Error> {
            let Ok(id) = id.parse::<i64>() else { return Ok(None) };
            match &self.db {
                Some(db) => {
                    sqlx::query_as("SELECT id, name, email FROM users WHERE id = ?").bind(id).fetch_optional(db).await
                }
                None => Ok(Some(fixed_user(id))),
            }
        }
        #[traced(fields(user.id = user.id))]
        fn process_user_data(&self, user: &User) -> Value {
            process(user)
        }
    }

    async fn handler(State(users): State<Arc<UserService>>, Path(id): Path<String>) -> (StatusCode, Json<Value>) {
        respond(users.get_user(&id).await)
    }

    pub(crate) fn app(users: UserService) -> Router {
        Router::new().route("/users/{id}", get(handler)).with_state(Arc::new(users)).layer(TracedHttpServerLayer::new())
    }
}

// ---- tracing + tracing-opentelemetry ----------------------------------------

pub(crate) mod with_tracing {
    use super::*;
    use axum::extract::Request;
    use axum::middleware::Next;
    use axum::response::Response;

    pub(crate) struct UserService {
        pub(crate) db: Option<SqlitePool>,
    }

    impl UserService {
        #[tracing::instrument(name = "UserService.get_user", skip_all, fields(user.id = id))]
        async fn get_user(&self, id: &str) -> Result<Option<Value>, sqlx::Error> {
            let Some(user) = self.fetch_user_from_db(id).await? else { return Ok(None) };
            Ok(Some(self.process_user_data(&user)))
        }
        #[tracing::instrument(name = "UserService.fetch_user_from_db", skip_all, err)]
        async fn fetch_user_from_db(&self, id: &str) -> Result<Option<User>, sqlx::Error> {
            let Ok(id) = id.parse::<i64>() else { return Ok(None) };
            match &self.db {
                Some(db) => {
                    let query = "SELECT id, name, email FROM users WHERE id = ?";
                    let span = tracing::info_span!(
                        "SELECT users",
                        otel.kind = "client",
                        db.system.name = "sqlite",
                        db.query.text = query
                    );
                    sqlx::query_as(query).bind(id).fetch_optional(db).instrument(span).await
                }
                None => Ok(Some(fixed_user(id))),
            }
        }
        #[tracing::instrument(name = "UserService.process_user_data", skip_all, fields(user.id = user.id))]
        fn process_user_data(&self, user: &User) -> Value {
            process(user)
        }
    }

    async fn handler(State(users): State<Arc<UserService>>, Path(id): Path<String>) -> (StatusCode, Json<Value>) {
        respond(users.get_user(&id).await)
    }

    /// A SERVER span per request with the attributes the traced layer sets.
    async fn server_span(request: Request, next: Next) -> Response {
        let span = tracing::info_span!(
            "GET /users/{id}",
            otel.kind = "server",
            http.request.method = %request.method(),
            http.route = "/users/{id}",
            url.path = %request.uri().path(),
            url.scheme = "http",
            network.protocol.version = "1.1",
            http.response.status_code = tracing::field::Empty,
        );
        let response = next.run(request).instrument(span.clone()).await;
        span.record("http.response.status_code", response.status().as_u16());
        response
    }

    pub(crate) fn app(users: UserService) -> Router {
        Router::new()
            .route("/users/{id}", get(handler))
            .with_state(Arc::new(users))
            .layer(axum::middleware::from_fn(server_span))
    }
}
