//! The three databases: what their spans record, read from the pool's
//! connect options.

use super::commenter::TraceComment;
use super::pool::TracedPool;
use super::query::{Backend, Target};
use sqlx_core::pool::Pool;
use traced_core::sql::Dialect;

use std::sync::Arc;

fn target(
    backend: &'static Backend,
    namespace: Option<&str>,
    address: Option<String>,
    port: Option<u16>,
) -> Arc<Target> {
    Arc::new(Target {
        backend,
        system_name: backend.system_name,
        namespace: namespace.filter(|n| !n.is_empty()).map(str::to_owned),
        address,
        port,
        comment: TraceComment::default(),
    })
}

#[cfg(feature = "sqlx-postgres")]
static POSTGRES: Backend = Backend {
    system_name: "postgresql",
    dialect: Dialect::POSTGRES,
    default_port: Some(5432),
    // SQLSTATE.
    status_code: |e| e.code().map(std::borrow::Cow::into_owned),
};

#[cfg(feature = "sqlx-postgres")]
impl From<Pool<sqlx_postgres::Postgres>> for TracedPool<sqlx_postgres::Postgres> {
    fn from(pool: Pool<sqlx_postgres::Postgres>) -> Self {
        let options = pool.connect_options();
        let (address, port) = match options.get_socket() {
            Some(socket) => (socket.display().to_string(), None),
            None => (options.get_host().to_owned(), Some(options.get_port())),
        };
        let target = target(&POSTGRES, options.get_database(), Some(address), port);
        TracedPool { pool, target }
    }
}

#[cfg(feature = "sqlx-mysql")]
static MYSQL: Backend = Backend {
    system_name: "mysql",
    dialect: Dialect::MYSQL,
    default_port: Some(3306),
    // The server's error number (MariaDB's vendor code too), not SQLSTATE.
    status_code: |e| e.try_downcast_ref::<sqlx_mysql::MySqlDatabaseError>().map(|e| e.number().to_string()),
};

#[cfg(feature = "sqlx-mysql")]
impl From<Pool<sqlx_mysql::MySql>> for TracedPool<sqlx_mysql::MySql> {
    fn from(pool: Pool<sqlx_mysql::MySql>) -> Self {
        let options = pool.connect_options();
        let (address, port) = match options.get_socket() {
            Some(socket) => (socket.display().to_string(), None),
            None => (options.get_host().to_owned(), Some(options.get_port())),
        };
        let target = target(&MYSQL, options.get_database(), Some(address), port);
        TracedPool { pool, target }
    }
}

/// Whether the server behind `pool` says it is MariaDB.
#[cfg(feature = "sqlx-mysql")]
pub(crate) async fn is_mariadb(pool: &Pool<sqlx_mysql::MySql>) -> bool {
    let version: Result<(String,), _> = sqlx_core::query_as::query_as("SELECT VERSION()").fetch_one(pool).await;
    version.is_ok_and(|(v,)| v.to_ascii_lowercase().contains("mariadb"))
}

#[cfg(feature = "sqlx-sqlite")]
static SQLITE: Backend = Backend {
    system_name: "sqlite",
    dialect: Dialect::SQLITE,
    default_port: None,
    // The (extended) result code.
    status_code: |e| e.code().map(std::borrow::Cow::into_owned),
};

#[cfg(feature = "sqlx-sqlite")]
impl From<Pool<sqlx_sqlite::Sqlite>> for TracedPool<sqlx_sqlite::Sqlite> {
    fn from(pool: Pool<sqlx_sqlite::Sqlite>) -> Self {
        // A file, not a server: no address, and no namespace by convention.
        TracedPool { pool, target: target(&SQLITE, None, None, None) }
    }
}
