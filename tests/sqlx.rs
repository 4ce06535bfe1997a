//! SQL through the traced sqlx pool against the real servers of this machine:
//! PostgreSQL at 127.0.0.1:5432 (db `test`), MariaDB at 127.0.0.1:3306
//! (root, db `test`), and SQLite in memory. `.ci/run` starts the servers; an
//! unreachable one fails the test. Tables are per test and dropped.
#![cfg(all(feature = "sqlx", feature = "test-util"))]

use futures_util::StreamExt;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::Value;
use sqlx::{MySql, Postgres, Sqlite};
use traced::integrations::sqlx::{TraceComment, TracedPool};
use traced::testing::{capture, capture_with, CapturedSpan};
use traced::{traced, Sampler};

const POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const MARIADB_URL: &str = "mysql://root@127.0.0.1:3306/test";

async fn postgres() -> TracedPool<Postgres> {
    TracedPool::connect(POSTGRES_URL).await.expect("PostgreSQL at 127.0.0.1:5432 (`.ci/services.sh` starts it)")
}

async fn mariadb() -> TracedPool<MySql> {
    TracedPool::connect(MARIADB_URL).await.expect("MariaDB at 127.0.0.1:3306 (`.ci/services.sh` starts it)")
}

async fn sqlite() -> TracedPool<Sqlite> {
    // One connection: each in-memory connection is its own database.
    let pool = sqlx::pool::PoolOptions::<Sqlite>::new().max_connections(1).connect("sqlite::memory:").await.unwrap();
    TracedPool::new(pool)
}

/// A table name no other test (or run) uses.
fn table(prefix: &str) -> String {
    format!("{prefix}_{}", traced::ids::new_span_id())
}

/// The comment a statement of `span` must end with.
fn comment_of(span: &CapturedSpan) -> String {
    let cx = &span.span_context;
    format!("/*traceparent='00-{}-{}-{:02x}'*/", cx.trace_id(), cx.span_id(), cx.trace_flags().to_u8())
}

fn attr(span: &CapturedSpan, key: &str) -> Option<Value> {
    span.attr(key).cloned()
}

#[traced]
async fn current_query(pool: &TracedPool<Postgres>) -> String {
    sqlx::query_scalar("SELECT current_query()").fetch_one(pool).await.unwrap()
}

#[tokio::test]
async fn postgres_sees_the_query_spans_own_context_in_the_comment() {
    let spans = capture();
    let pool = postgres().await;
    let seen = current_query(&pool).await;

    let query = spans.span("SELECT");
    assert!(query.is_child_of(&spans.span("sqlx.current_query")));
    assert_eq!(seen, format!("SELECT current_query() {}", comment_of(&query)));
    assert!(query.span_context.is_sampled());
}

#[traced]
async fn crud(pool: &TracedPool<Postgres>, table: &str) -> Vec<(i32, String)> {
    let create = format!("CREATE TABLE {table} (id int PRIMARY KEY, name text NOT NULL)");
    sqlx::raw_sql(sqlx::AssertSqlSafe(create)).execute(pool).await.unwrap();
    let insert = format!("INSERT INTO {table} (id, name) VALUES ($1, $2), ($3, $4)");
    sqlx::query(sqlx::AssertSqlSafe(insert)).bind(1).bind("ada").bind(2).bind("bob").execute(pool).await.unwrap();
    let update = format!("UPDATE {table} SET name = $1 WHERE id = $2");
    sqlx::query(sqlx::AssertSqlSafe(update)).bind("alan").bind(2).execute(pool).await.unwrap();
    let delete = format!("DELETE FROM {table} WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(delete)).bind(1).execute(pool).await.unwrap();
    let select = format!("SELECT id, name FROM {table} ORDER BY id");
    let rows = sqlx::query_as(sqlx::AssertSqlSafe(select)).fetch_all(pool).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE {table}"))).execute(pool).await.unwrap();
    rows
}

#[tokio::test]
async fn postgres_statement_spans_follow_the_database_conventions() {
    let spans = capture();
    let pool = postgres().await;
    let t = table("traced_users");
    assert_eq!(crud(&pool, &t).await, vec![(2, "alan".to_owned())]);

    let caller = spans.span("sqlx.crud");
    for (name, operation, text) in [
        (format!("INSERT {t}"), "INSERT", format!("INSERT INTO {t} (id, name) VALUES ($1, $2), ($3, $4)")),
        (format!("UPDATE {t}"), "UPDATE", format!("UPDATE {t} SET name = $1 WHERE id = $2")),
        (format!("DELETE {t}"), "DELETE", format!("DELETE FROM {t} WHERE id = $1")),
        (format!("SELECT {t}"), "SELECT", format!("SELECT id, name FROM {t} ORDER BY id")),
    ] {
        let span = spans.span(&name);
        assert_eq!(span.span_kind, SpanKind::Client, "{name}");
        assert!(span.is_child_of(&caller), "{name}");
        assert_eq!(span.status, Status::Unset, "{name}");
        assert_eq!(attr(&span, "db.system.name"), Some(Value::from("postgresql")));
        assert_eq!(attr(&span, "db.namespace"), Some(Value::from("test")));
        assert_eq!(attr(&span, "server.address"), Some(Value::from("127.0.0.1")));
        assert_eq!(attr(&span, "server.port"), None, "5432 is the default port");
        // Bound values never appear; the text is as written.
        assert_eq!(attr(&span, "db.query.text"), Some(Value::from(text)));
        assert_eq!(attr(&span, "db.query.summary"), Some(Value::from(name.clone())));
        assert_eq!(attr(&span, "db.operation.name"), Some(Value::from(operation)));
        assert_eq!(attr(&span, "db.collection.name"), Some(Value::from(t.clone())));
    }
    assert_eq!(attr(&spans.span(&format!("SELECT {t}")), "db.response.returned_rows"), Some(Value::I64(1)));
    assert_eq!(spans.named(&format!("CREATE TABLE {t}")).len(), 1);
}

#[tokio::test]
async fn literals_in_unbound_text_are_replaced() {
    let spans = capture();
    let pool = postgres().await;
    let row: (String, i32) = sqlx::query_as("SELECT 'ada@example.com'::text, 42").fetch_one(&pool).await.unwrap();
    assert_eq!(row, ("ada@example.com".to_owned(), 42));
    assert_eq!(attr(&spans.span("SELECT"), "db.query.text"), Some(Value::from("SELECT ?::text, ?")));
}

#[tokio::test]
async fn a_syntax_error_is_an_error_span_with_its_sqlstate() {
    let spans = capture();
    let pool = postgres().await;
    let err = sqlx::query("SELEC 1").execute(&pool).await.unwrap_err();
    assert!(err.as_database_error().is_some());

    let span = spans.span("postgresql");
    assert!(span.is_error());
    assert!(matches!(&span.status, Status::Error { description } if description.contains("syntax error")));
    assert_eq!(attr(&span, "db.response.status_code"), Some(Value::from("42601")));
    assert_eq!(attr(&span, "error.type"), Some(Value::from("42601")));
    assert!(span.event("exception").is_some());
}

#[traced]
async fn transfer(pool: &TracedPool<Postgres>, table: &str) {
    let mut tx = pool.begin().await.unwrap();
    let insert = format!("INSERT INTO {table} (id, balance) VALUES ($1, $2)");
    sqlx::query(sqlx::AssertSqlSafe(insert.clone())).bind(1).bind(100).execute(&mut *tx).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(insert)).bind(2).bind(0).execute(&mut *tx).await.unwrap();
    let update = format!("UPDATE {table} SET balance = balance + 10 WHERE id = $1");
    sqlx::query(sqlx::AssertSqlSafe(update)).bind(2).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_transaction_is_begin_its_statements_and_commit_under_the_caller() {
    let spans = capture();
    let pool = postgres().await;
    let t = table("traced_accounts");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE TABLE {t} (id int PRIMARY KEY, balance int)")))
        .execute(&pool)
        .await
        .unwrap();
    transfer(&pool, &t).await;
    let balance: i32 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT balance FROM {t} WHERE id = 2")))
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(balance, 10, "committed");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE {t}"))).execute(&pool).await.unwrap();

    let caller = spans.span("sqlx.transfer");
    let mut children = spans.children_of(&caller);
    children.sort_by_key(|s| s.start_time);
    let names: Vec<_> = children.iter().map(|s| s.name.to_string()).collect();
    assert_eq!(names, ["BEGIN", &format!("INSERT {t}"), &format!("INSERT {t}"), &format!("UPDATE {t}"), "COMMIT"]);
    for span in &children {
        assert_eq!(span.span_kind, SpanKind::Client);
        assert_eq!(attr(span, "db.system.name"), Some(Value::from("postgresql")));
    }
    assert_eq!(attr(&children[0], "db.operation.name"), Some(Value::from("BEGIN")));
    assert_eq!(attr(&children[4], "db.operation.name"), Some(Value::from("COMMIT")));
}

#[tokio::test]
async fn a_rolled_back_savepoint_and_transaction_are_spans_too() {
    let spans = capture();
    let pool = postgres().await;
    let mut conn = pool.acquire().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    let savepoint = tx.begin().await.unwrap();
    savepoint.rollback().await.unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(spans.names(), ["BEGIN", "SAVEPOINT", "ROLLBACK TO SAVEPOINT", "ROLLBACK"]);
}

#[tokio::test]
async fn the_statement_cache_still_serves_uncommented_statements() {
    // Sampled: commented, run unprepared, the cache left alone.
    let _spans = capture();
    let pool = postgres().await;
    let mut conn = pool.acquire().await.unwrap();
    let before = sqlx::Connection::cached_statements_size(conn.raw());
    for _ in 0..3 {
        let _: i32 = sqlx::query_scalar("SELECT 1 + $1").bind(1).fetch_one(&mut *conn).await.unwrap();
    }
    assert_eq!(sqlx::Connection::cached_statements_size(conn.raw()), before);
    drop(conn);

    // Comment off: the statement is prepared once and cached.
    let plain = pool.clone().with_trace_comment(TraceComment::Off);
    let mut conn = plain.acquire().await.unwrap();
    let before = sqlx::Connection::cached_statements_size(conn.raw());
    for _ in 0..3 {
        let _: i32 = sqlx::query_scalar("SELECT 2 + $1").bind(1).fetch_one(&mut *conn).await.unwrap();
    }
    assert_eq!(sqlx::Connection::cached_statements_size(conn.raw()), before + 1);
}

#[tokio::test]
async fn unsampled_statements_are_neither_commented_nor_recorded() {
    let spans = capture_with(Sampler::AlwaysOff);
    let pool = postgres().await;
    let text: String = sqlx::query_scalar("SELECT current_query()").fetch_one(&pool).await.unwrap();
    assert_eq!(text, "SELECT current_query()");
    assert!(spans.spans().is_empty());
}

#[tokio::test]
async fn comment_always_marks_unsampled_statements_too() {
    let _spans = capture_with(Sampler::AlwaysOff);
    let pool = postgres().await.with_trace_comment(TraceComment::Always);
    let text: String = sqlx::query_scalar("SELECT current_query()").fetch_one(&pool).await.unwrap();
    assert!(text.starts_with("SELECT current_query() /*traceparent='00-"), "{text}");
    assert!(text.ends_with("-02'*/"), "unsampled, random flag set: {text}");
}

#[tokio::test]
async fn hostile_text_cannot_break_out_of_the_comment() {
    let spans = capture();
    let pool = postgres().await;
    // Comment markers and quotes inside literals: the comment is appended,
    // and the values come back untouched.
    let sql = "SELECT '*/ DROP TABLE nothing; --' AS a, 'it''s /*' AS b, $$ */ $$ AS c, current_query() AS q";
    let (a, b, c, q): (String, String, String, String) = sqlx::query_as(sql).fetch_one(&pool).await.unwrap();
    assert_eq!((a.as_str(), b.as_str(), c.as_str()), ("*/ DROP TABLE nothing; --", "it's /*", " */ "));
    assert_eq!(q, format!("{sql} {}", comment_of(&spans.span("SELECT"))));

    // A statement with its own comment is left as it is.
    spans.clear();
    let sql = "SELECT current_query() -- mine";
    let q: String = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    assert_eq!(q, sql);
    let sql = "SELECT /* mine */ current_query();";
    let q: String = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
    assert_eq!(q, sql);

    // A trailing `;` stays last.
    spans.clear();
    let q: String = sqlx::query_scalar("SELECT current_query();").fetch_one(&pool).await.unwrap();
    assert_eq!(q, format!("SELECT current_query() {};", comment_of(&spans.span("SELECT"))));
}

#[tokio::test]
async fn a_stream_span_ends_with_the_stream_or_when_dropped() {
    let spans = capture();
    let pool = postgres().await;
    let all: Vec<_> = sqlx::query("SELECT generate_series(1, 10)").fetch(&pool).collect().await;
    assert_eq!(all.len(), 10);
    assert_eq!(attr(&spans.span("SELECT"), "db.response.returned_rows"), Some(Value::I64(10)));

    spans.clear();
    let mut stream = sqlx::query("SELECT generate_series(1, 1000)").fetch(&pool);
    for _ in 0..3 {
        stream.next().await.unwrap().unwrap();
    }
    assert!(spans.spans().is_empty(), "still reading");
    drop(stream);
    let span = spans.span("SELECT");
    assert_eq!(attr(&span, "db.response.returned_rows"), None, "the reader stopped early");
    assert_eq!(span.status, Status::Unset);
}

#[traced]
async fn processlist(pool: &TracedPool<MySql>) -> String {
    sqlx::query_scalar("SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn mariadb_sees_the_comment_and_spans_name_the_system() {
    let spans = capture();
    let pool = mariadb().await;
    let info = processlist(&pool).await;

    let span = spans.span("SELECT information_schema.PROCESSLIST");
    assert!(span.is_child_of(&spans.span("sqlx.processlist")));
    assert_eq!(
        info,
        format!("SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID() {}", comment_of(&span))
    );
    assert_eq!(attr(&span, "db.system.name"), Some(Value::from("mariadb")));
    assert_eq!(attr(&span, "db.namespace"), Some(Value::from("test")));
    assert_eq!(attr(&span, "server.address"), Some(Value::from("127.0.0.1")));
    assert_eq!(attr(&span, "db.collection.name"), Some(Value::from("information_schema.PROCESSLIST")));
    assert_eq!(attr(&span, "db.response.returned_rows"), Some(Value::I64(1)));
}

#[tokio::test]
async fn mariadb_statements_and_errors() {
    let spans = capture();
    let pool = mariadb().await;
    let t = table("traced_items");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE TABLE {t} (id INT PRIMARY KEY, label TEXT)")))
        .execute(&pool)
        .await
        .unwrap();
    let insert = format!("INSERT INTO {t} (id, label) VALUES (?, ?)");
    sqlx::query(sqlx::AssertSqlSafe(insert.clone())).bind(1).bind("a").execute(&pool).await.unwrap();
    let duplicate = sqlx::query(sqlx::AssertSqlSafe(insert.clone())).bind(1).bind("b").execute(&pool).await;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TABLE {t}"))).execute(&pool).await.unwrap();
    assert!(duplicate.is_err());

    let inserts = spans.named(&format!("INSERT {t}"));
    assert_eq!(inserts.len(), 2);
    assert_eq!(attr(&inserts[0], "db.query.text"), Some(Value::from(insert)));
    assert_eq!(inserts[0].status, Status::Unset);
    // MariaDB's error number for a duplicate key, not the SQLSTATE.
    assert!(inserts[1].is_error());
    assert_eq!(attr(&inserts[1], "db.response.status_code"), Some(Value::from("1062")));
    assert_eq!(attr(&inserts[1], "error.type"), Some(Value::from("1062")));
}

#[tokio::test]
async fn sqlite_spans_are_right_and_the_comment_is_harmless() {
    let spans = capture();
    let pool = sqlite().await;
    sqlx::raw_sql("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)").execute(&pool).await.unwrap();
    sqlx::query("INSERT INTO users (id, email) VALUES (?, ?)").bind(7).bind("a@b.c").execute(&pool).await.unwrap();
    let email: String =
        sqlx::query_scalar("SELECT email FROM users WHERE id = ?;").bind(7).fetch_one(&pool).await.unwrap();
    assert_eq!(email, "a@b.c");

    let select = spans.span("SELECT users");
    assert_eq!(attr(&select, "db.system.name"), Some(Value::from("sqlite")));
    assert_eq!(attr(&select, "server.address"), None);
    assert_eq!(attr(&select, "db.namespace"), None);
    assert_eq!(attr(&select, "db.query.text"), Some(Value::from("SELECT email FROM users WHERE id = ?;")));
    assert_eq!(attr(&select, "db.response.returned_rows"), Some(Value::I64(1)));
    assert_eq!(spans.span("INSERT users").span_kind, SpanKind::Client);

    let err = sqlx::query("SELECT * FROM missing").fetch_all(&pool).await.unwrap_err();
    assert!(err.as_database_error().is_some());
    let failed = spans.span("SELECT missing");
    assert!(failed.is_error());
    assert_eq!(attr(&failed, "db.response.status_code"), Some(Value::from("1")));
}
