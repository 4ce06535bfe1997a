//! `Executor` for the traced pool and connections: each statement starts
//! its span, runs as the driver would run it (commented or not), and the
//! span ends with the rows. Every other `Executor` method (`execute`,
//! `fetch_one`, `fetch_all`, ...) is sqlx's default over these two.

use super::connection::{ConnectionHolder, TracedConnection};
use super::pool::TracedPool;
use super::query::start;
use super::stream::{traced_optional, QueryStream};
use futures_core::future::BoxFuture;
use futures_core::stream::BoxStream;
use sqlx_core::database::Database;
use sqlx_core::describe::Describe;
use sqlx_core::error::Error;
use sqlx_core::executor::{Execute, Executor};
use sqlx_core::sql_str::SqlStr;
use sqlx_core::Either;

type Step<DB> = Result<Either<<DB as Database>::QueryResult, <DB as Database>::Row>, Error>;

impl<'p, DB: Database> Executor<'p> for &'p TracedPool<DB>
where
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    type Database = DB;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Step<DB>>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let (statement, span) = start(query, &self.target);
        QueryStream::<DB>::boxed(self.pool.fetch_many(statement), span, self.target.backend)
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<DB::Row>, Error>>
    where
        'p: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let (statement, span) = start(query, &self.target);
        traced_optional(self.pool.fetch_optional(statement), span, self.target.backend)
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement, Error>>
    where
        'p: 'e,
    {
        self.pool.prepare_with(sql, parameters)
    }

    #[doc(hidden)]
    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<DB>, Error>>
    where
        'p: 'e,
    {
        self.pool.describe(sql)
    }
}

impl<'t, C, DB> Executor<'t> for &'t mut TracedConnection<C>
where
    C: ConnectionHolder<Database = DB>,
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
{
    type Database = DB;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Step<DB>>
    where
        't: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let (statement, span) = start(query, &self.target);
        let backend = self.target.backend;
        QueryStream::<DB>::boxed(self.conn.connection().fetch_many(statement), span, backend)
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<DB::Row>, Error>>
    where
        't: 'e,
        E: 'q + Execute<'q, DB>,
    {
        let (statement, span) = start(query, &self.target);
        let backend = self.target.backend;
        traced_optional(self.conn.connection().fetch_optional(statement), span, backend)
    }

    fn prepare_with<'e>(
        self,
        sql: SqlStr,
        parameters: &'e [DB::TypeInfo],
    ) -> BoxFuture<'e, Result<DB::Statement, Error>>
    where
        't: 'e,
    {
        self.conn.connection().prepare_with(sql, parameters)
    }

    #[doc(hidden)]
    fn describe<'e>(self, sql: SqlStr) -> BoxFuture<'e, Result<Describe<DB>, Error>>
    where
        't: 'e,
    {
        self.conn.connection().describe(sql)
    }
}
