//! The quickstart example's app, driven as its `main` drives it, with the
//! spans captured: what a new user sees first must stay right.
#![cfg(all(feature = "http-server", feature = "reqwest", feature = "sqlx", feature = "test-util"))]

#[path = "../examples/quickstart.rs"]
mod quickstart;

use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::Value;
use std::sync::Arc;
use traced::integrations::reqwest::RequestBuilderExt;
use traced::testing::capture;

#[tokio::test]
async fn a_found_user_and_the_error_path() {
    traced::propagation::install_global(&traced::propagation::PropagatorKind::DEFAULT);
    let spans = capture();
    let users = Arc::new(quickstart::UserService { db: quickstart::database().await.unwrap() });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, quickstart::app(users)).await });
    let client = reqwest::Client::new();

    let found = client.get(format!("{base}/users/1")).header("x-request-id", "r-1").send_traced().await.unwrap();
    assert_eq!(found.status(), 200);
    assert_eq!(found.headers()["x-request-id"], "r-1");
    assert!(found.text().await.unwrap().contains("Ada Lovelace"));

    let server = spans.span("GET /users/{id}");
    let get_user = spans.span("UserService.get_user");
    let fetch = spans.span("UserService.fetch_user_from_db");
    let select = spans.span("SELECT users");
    assert!(server.is_child_of(&spans.span("GET")) && server.parent_span_is_remote);
    assert!(get_user.is_child_of(&server));
    assert!(fetch.is_child_of(&get_user));
    assert!(select.is_child_of(&fetch));
    assert!(spans.span("UserService.process_user_data").is_child_of(&get_user));
    assert_eq!(select.span_kind, SpanKind::Client);
    assert_eq!(select.attr("db.system.name"), Some(&Value::from("sqlite")));
    assert_eq!(server.attr("request.id"), Some(&Value::from("r-1")));

    spans.clear();
    let failed = client.get(format!("{base}/users/error")).send_traced().await.unwrap();
    assert_eq!(failed.status(), 500);
    let fetch = spans.span("UserService.fetch_user_from_db");
    assert!(
        matches!(&fetch.status, Status::Error { description } if description.contains("database connection failed"))
    );
    assert!(fetch.event("exception").is_some());
    assert!(spans.span("UserService.get_user").is_error());
    assert!(spans.span("GET /users/{id}").is_error(), "a 500 is a server error");
    assert!(spans.named("SELECT users").is_empty());
}

/// sqlx closes a connection whose query was cancelled (a client that hung
/// up mid-request); the in-memory database went with it, and every later
/// request answered "no such table". The replacement connection is seeded.
#[tokio::test]
async fn the_users_survive_their_connection_being_replaced() {
    let users = Arc::new(quickstart::UserService { db: quickstart::database().await.unwrap() });
    // What sqlx does to a cancelled query's connection.
    users.db.inner().acquire().await.unwrap().close().await.unwrap();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, quickstart::app(users)).await });
    let found = reqwest::get(format!("{base}/users/12345")).await.unwrap();
    assert_eq!(found.status(), 200);
    assert!(found.text().await.unwrap().contains("Grace Hopper"));
}
