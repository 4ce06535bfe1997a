//! [`TracedPool`]: a `sqlx::Pool` whose statements, connections and
//! transactions are traced.

use super::commenter::TraceComment;
use super::connection::{TracedPoolConnection, TracedTransaction};
use super::query::Target;
use super::stream::finish;
use sqlx_core::database::Database;
use sqlx_core::error::Error;
use sqlx_core::pool::Pool;
use std::sync::Arc;

/// A pool whose every statement gets a CLIENT span. Use it where you would
/// use the pool: `sqlx::query("...").fetch_one(&pool)`, `pool.begin()`,
/// `pool.acquire()`; it clones as cheaply.
///
/// ```no_run
/// # async fn run() -> Result<(), sqlx::Error> {
/// use traced_integrations::sqlx::{TracedPgPool, TracedPool};
/// let pool: TracedPool<sqlx::Postgres> = TracedPgPool::connect("postgres://127.0.0.1/test").await?;
/// let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM users").fetch_one(&pool).await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct TracedPool<DB: Database> {
    pub(crate) pool: Pool<DB>,
    pub(crate) target: Arc<Target>,
}

impl<DB: Database> Clone for TracedPool<DB> {
    fn clone(&self) -> Self {
        TracedPool { pool: self.pool.clone(), target: self.target.clone() }
    }
}

impl<DB: Database> TracedPool<DB> {
    /// Traces `pool`. The database name, host and port for the spans are
    /// read from its connect options.
    pub fn new(pool: Pool<DB>) -> Self
    where
        Self: From<Pool<DB>>,
    {
        Self::from(pool)
    }

    /// Connects a pool to `url` and traces it; for MySQL URLs, asks the
    /// server whether it is MariaDB, so spans name the right system.
    pub async fn connect(url: &str) -> Result<Self, Error>
    where
        Self: From<Pool<DB>>,
    {
        Ok(Self::from(Pool::<DB>::connect(url).await?).detect_system().await)
    }

    /// Asks the server what it is where the URL cannot tell (MariaDB speaks
    /// MySQL's protocol); on any failure keeps what it had.
    pub async fn detect_system(self) -> Self {
        #[cfg(feature = "sqlx-mysql")]
        if let Some(pool) = (&self.pool as &dyn std::any::Any).downcast_ref::<Pool<sqlx_mysql::MySql>>() {
            if super::database::is_mariadb(pool).await {
                return self.with_system_name("mariadb");
            }
        }
        self
    }

    /// When statements carry the trace context as a comment (default:
    /// [`TraceComment::Sampled`]).
    pub fn with_trace_comment(self, comment: TraceComment) -> Self {
        self.with_target(|t| t.comment = comment)
    }

    /// Overrides `db.system.name` (e.g. `mariadb` for a pool built with
    /// [`TracedPool::new`]).
    pub fn with_system_name(self, name: &'static str) -> Self {
        self.with_target(|t| t.system_name = name)
    }

    fn with_target(mut self, change: impl FnOnce(&mut Target)) -> Self {
        let mut target = (*self.target).clone();
        change(&mut target);
        self.target = Arc::new(target);
        self
    }

    /// The pool underneath, for what is not traced (`size()`, `close()`...).
    pub fn inner(&self) -> &Pool<DB> {
        &self.pool
    }

    /// Takes a connection from the pool; statements run on it are traced.
    pub async fn acquire(&self) -> Result<TracedPoolConnection<DB>, Error> {
        let conn = self.pool.acquire().await?;
        Ok(TracedPoolConnection::new(conn, self.target.clone()))
    }

    /// Starts a transaction in a `BEGIN` span; its statements and its
    /// `COMMIT` or `ROLLBACK` are traced too.
    pub async fn begin(&self) -> Result<TracedTransaction<'static, DB>, Error> {
        let span = self.target.operation_span("BEGIN");
        let result = self.pool.begin().await;
        finish(span, &result, self.target.backend);
        Ok(TracedTransaction::new(result?, self.target.clone()))
    }

    /// Closes the pool (see `Pool::close`).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
