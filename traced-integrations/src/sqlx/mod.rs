//! SQL with sqlx 0.9 (PostgreSQL, MySQL/MariaDB, SQLite): a CLIENT span per
//! statement, and the trace context carried into the database.
//!
//! Wrap the pool once; the rest of the code stays ordinary sqlx:
//!
//! ```no_run
//! # async fn run() -> Result<(), sqlx::Error> {
//! use traced_integrations::sqlx::TracedPgPool;
//!
//! let pool = TracedPgPool::connect("postgres://127.0.0.1:5432/test").await?;
//! let name: String = sqlx::query_scalar("SELECT name FROM users WHERE id = $1").bind(42).fetch_one(&pool).await?;
//!
//! let mut tx = pool.begin().await?;                       // span BEGIN
//! sqlx::query("UPDATE users SET seen = now() WHERE id = $1").bind(42).execute(&mut *tx).await?;
//! tx.commit().await?;                                      // span COMMIT
//! # Ok(()) }
//! ```
//!
//! **Spans** follow the database conventions: named by `db.query.summary`
//! (`SELECT users`), else `db.system.name`; `db.system.name`,
//! `db.namespace`, `db.query.text` (as written when values are bound; with
//! every literal replaced by `?` when not), `db.query.summary`,
//! `server.address` (and `server.port` when not the default),
//! `db.response.returned_rows`, and on failure status Error, an `exception`
//! event, `db.response.status_code` (SQLSTATE for PostgreSQL, the error
//! number for MySQL and MariaDB, the result code for SQLite) and
//! `error.type`. `db.operation.name` and `db.collection.name` are set only
//! when the statement has exactly one operation and at most one table: the
//! conventions forbid guessing them from statements that touch several. A
//! span ends when its rows are all read, when the stream is dropped, or
//! with its single-row future.
//!
//! **Trace comment** ([sqlcommenter]): statements of sampled spans end with
//! `/*traceparent='00-<trace>-<span>-01',tracestate='...'*/` carrying the
//! statement's own span, so `pg_stat_activity`, the database's logs,
//! `information_schema.PROCESSLIST` and pg_tracing tie it to the trace. A
//! commented text is unique, so it runs as a non-persistent statement and
//! leaves the statement cache to uncommented ones; statements that already
//! hold a comment are left alone. [`TracedPool::with_trace_comment`] turns
//! it off, or on for unsampled spans too.
//!
//! [sqlcommenter]: https://google.github.io/sqlcommenter/spec/

mod commenter;
mod connection;
mod database;
mod executor;
mod pool;
mod query;
mod stream;
mod summary;

pub use commenter::TraceComment;
pub use connection::{ConnectionHolder, TracedConnection, TracedPoolConnection, TracedTransaction};
pub use pool::TracedPool;

/// A traced PostgreSQL pool.
#[cfg(feature = "sqlx-postgres")]
pub type TracedPgPool = TracedPool<sqlx_postgres::Postgres>;
/// A traced MySQL or MariaDB pool.
#[cfg(feature = "sqlx-mysql")]
pub type TracedMySqlPool = TracedPool<sqlx_mysql::MySql>;
/// A traced SQLite pool.
#[cfg(feature = "sqlx-sqlite")]
pub type TracedSqlitePool = TracedPool<sqlx_sqlite::Sqlite>;
