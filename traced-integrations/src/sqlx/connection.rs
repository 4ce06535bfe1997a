//! Traced connections and transactions. `&mut *conn` and `&mut *tx` are
//! executors, as with plain sqlx.

use super::query::Target;
use super::stream::finish;
use sqlx_core::connection::Connection;
use sqlx_core::database::Database;
use sqlx_core::error::Error;
use sqlx_core::pool::PoolConnection;
use sqlx_core::transaction::{Transaction, TransactionManager};
use std::fmt::Debug;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// What a [`TracedConnection`] can hold: a pooled connection or a
/// transaction.
pub trait ConnectionHolder: Send + Debug {
    /// The database.
    type Database: Database;
    /// The connection statements run on.
    fn connection(&mut self) -> &mut <Self::Database as Database>::Connection;
}

impl<DB: Database> ConnectionHolder for PoolConnection<DB> {
    type Database = DB;
    fn connection(&mut self) -> &mut DB::Connection {
        self
    }
}

impl<DB: Database> ConnectionHolder for Transaction<'_, DB> {
    type Database = DB;
    fn connection(&mut self) -> &mut DB::Connection {
        self
    }
}

/// A connection whose statements are traced: `&mut TracedConnection` is an
/// `Executor`. You get one by dereferencing a [`TracedPoolConnection`] or a
/// [`TracedTransaction`] (`&mut *tx`).
#[derive(Debug)]
pub struct TracedConnection<C> {
    pub(crate) conn: C,
    pub(crate) target: Arc<Target>,
}

impl<C: ConnectionHolder> TracedConnection<C> {
    /// The untraced connection, for what the wrapper does not cover
    /// (`ping`, `cached_statements_size`, driver-specific calls).
    pub fn raw(&mut self) -> &mut <C::Database as Database>::Connection {
        self.conn.connection()
    }

    /// Begins a transaction on this connection, or a savepoint inside the
    /// current one, in a `BEGIN` (or `SAVEPOINT`) span.
    pub async fn begin(&mut self) -> Result<TracedTransaction<'_, C::Database>, Error> {
        let depth = transaction_depth::<C::Database>(self.conn.connection());
        let span = self.target.operation_span(if depth == 0 { "BEGIN" } else { "SAVEPOINT" });
        let result = self.conn.connection().begin().await;
        finish(span, &result, self.target.backend);
        Ok(TracedTransaction::new(result?, self.target.clone()))
    }
}

fn transaction_depth<DB: Database>(conn: &DB::Connection) -> usize {
    <DB::TransactionManager as TransactionManager>::get_transaction_depth(conn)
}

/// A connection taken from a [`super::TracedPool`]; `&mut *conn` runs
/// traced statements on it. Returns to the pool on drop.
#[derive(Debug)]
pub struct TracedPoolConnection<DB: Database>(TracedConnection<PoolConnection<DB>>);

impl<DB: Database> TracedPoolConnection<DB> {
    pub(crate) fn new(conn: PoolConnection<DB>, target: Arc<Target>) -> Self {
        TracedPoolConnection(TracedConnection { conn, target })
    }
}

impl<DB: Database> Deref for TracedPoolConnection<DB> {
    type Target = TracedConnection<PoolConnection<DB>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<DB: Database> DerefMut for TracedPoolConnection<DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// A transaction (or savepoint) whose statements, `COMMIT` and `ROLLBACK`
/// are traced; `&mut *tx` is its executor. Dropped without either, sqlx
/// rolls it back the next time the connection is used (no span then).
#[derive(Debug)]
pub struct TracedTransaction<'c, DB: Database>(TracedConnection<Transaction<'c, DB>>);

impl<'c, DB: Database> TracedTransaction<'c, DB> {
    pub(crate) fn new(tx: Transaction<'c, DB>, target: Arc<Target>) -> Self {
        TracedTransaction(TracedConnection { conn: tx, target })
    }

    /// Commits, in a `COMMIT` span (`RELEASE SAVEPOINT` when nested).
    pub async fn commit(self) -> Result<(), Error> {
        let TracedConnection { conn, target } = self.0;
        let nested = transaction_depth::<DB>(&conn) > 1;
        let span = target.operation_span(if nested { "RELEASE SAVEPOINT" } else { "COMMIT" });
        let result = conn.commit().await;
        finish(span, &result, target.backend);
        result
    }

    /// Rolls back, in a `ROLLBACK` span (`ROLLBACK TO SAVEPOINT` when nested).
    pub async fn rollback(self) -> Result<(), Error> {
        let TracedConnection { conn, target } = self.0;
        let nested = transaction_depth::<DB>(&conn) > 1;
        let span = target.operation_span(if nested { "ROLLBACK TO SAVEPOINT" } else { "ROLLBACK" });
        let result = conn.rollback().await;
        finish(span, &result, target.backend);
        result
    }
}

impl<'c, DB: Database> Deref for TracedTransaction<'c, DB> {
    type Target = TracedConnection<Transaction<'c, DB>>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<DB: Database> DerefMut for TracedTransaction<'_, DB> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}
