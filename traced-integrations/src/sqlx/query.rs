//! One statement: its CLIENT span, started when the query is handed to the
//! executor, and the statement that actually runs (the user's, or with the
//! trace comment appended and run unprepared-and-uncached).

use super::commenter::{with_trace_comment, TraceComment};
use super::summary::summarize;
use opentelemetry::KeyValue;
use opentelemetry_semantic_conventions::attribute::{
    DB_COLLECTION_NAME, DB_NAMESPACE, DB_OPERATION_NAME, DB_QUERY_SUMMARY, DB_QUERY_TEXT, DB_RESPONSE_STATUS_CODE,
    DB_SYSTEM_NAME, ERROR_TYPE, SERVER_ADDRESS, SERVER_PORT,
};
use sqlx_core::arguments::Arguments;
use sqlx_core::database::Database;
use sqlx_core::error::{BoxDynError, DatabaseError, Error};
use sqlx_core::executor::Execute;
use sqlx_core::sql_str::{AssertSqlSafe, SqlSafeStr, SqlStr};
use std::borrow::Cow;
use traced_core::span::{ActiveSpan, Attributes, Kind, SpanStart};
use traced_core::sql::{lex, sanitize, Dialect};

/// What differs between the databases, as plain data.
#[derive(Debug)]
pub(crate) struct Backend {
    /// `db.system.name`.
    pub(crate) system_name: &'static str,
    pub(crate) dialect: Dialect,
    /// `server.port` is recorded only when it differs from this.
    pub(crate) default_port: Option<u16>,
    /// `db.response.status_code` for a database error.
    pub(crate) status_code: fn(&dyn DatabaseError) -> Option<String>,
}

/// What every span of one pool records about the database.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    pub(crate) backend: &'static Backend,
    /// `db.system.name`: the backend's, or `mariadb` once detected.
    pub(crate) system_name: &'static str,
    pub(crate) namespace: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) comment: TraceComment,
}

impl Target {
    fn common_attributes(&self, a: &mut Attributes) {
        a.push(KeyValue::new(DB_SYSTEM_NAME, self.system_name));
        if let Some(namespace) = &self.namespace {
            a.push(KeyValue::new(DB_NAMESPACE, namespace.clone()));
        }
        if let Some(address) = &self.address {
            a.push(KeyValue::new(SERVER_ADDRESS, address.clone()));
            if let Some(port) = self.port.filter(|p| Some(*p) != self.backend.default_port) {
                a.push(KeyValue::new(SERVER_PORT, i64::from(port)));
            }
        }
    }

    /// A span for an operation we issue ourselves (`BEGIN`, `COMMIT`,
    /// `ROLLBACK`): the operation name is known, not parsed.
    pub(crate) fn operation_span(&self, operation: &'static str) -> ActiveSpan {
        ActiveSpan::start_with(SpanStart {
            name: Cow::Borrowed(operation),
            kind: Kind::Client,
            attributes: |a: &mut Attributes| {
                self.common_attributes(a);
                a.push(KeyValue::new(DB_OPERATION_NAME, operation));
            },
            attribute_capacity: 5,
            links: Vec::new,
            skip_unsampled_child: true,
            parent: None,
        })
    }
}

/// The statement handed to the driver: the user's query taken apart, with
/// the SQL possibly commented.
pub(crate) struct Statement<DB: Database> {
    sql: SqlStr,
    prepared: Option<DB::Statement>,
    arguments: Option<Result<Option<DB::Arguments>, BoxDynError>>,
    persistent: bool,
}

impl<'q, DB: Database> Execute<'q, DB> for Statement<DB> {
    fn sql(self) -> SqlStr {
        self.sql
    }

    fn statement(&self) -> Option<&DB::Statement> {
        self.prepared.as_ref()
    }

    fn take_arguments(&mut self) -> Result<Option<DB::Arguments>, BoxDynError> {
        self.arguments.take().unwrap_or(Ok(None))
    }

    fn persistent(&self) -> bool {
        self.persistent
    }
}

/// Starts the span for `query` under the current context and returns the
/// statement to run in its place.
pub(crate) fn start<'q, DB: Database, E: Execute<'q, DB>>(
    mut query: E,
    target: &Target,
) -> (Statement<DB>, ActiveSpan) {
    let prepared = query.statement().cloned();
    let arguments = query.take_arguments();
    let persistent = query.persistent();
    let sql = query.sql();

    // `Always` needs a span id for the comment even under an unsampled
    // parent; otherwise an unsampled statement costs nothing.
    let skip_unsampled_child = target.comment != TraceComment::Always;
    // Where no span can come of it, the statement is not read at all.
    if !traced_core::span::may_start(skip_unsampled_child) {
        return (Statement { sql, prepared, arguments: Some(arguments), persistent }, ActiveSpan::none());
    }

    let text = sql.as_str();
    let lexed = lex(text, target.backend.dialect);
    let summary = summarize(text, &lexed);
    let bound = matches!(&arguments, Ok(Some(args)) if args.len() > 0);
    let name = if summary.text.is_empty() { target.system_name.to_owned() } else { summary.text.clone() };
    let span = ActiveSpan::start_with(SpanStart {
        name: Cow::Owned(name),
        kind: Kind::Client,
        attributes: |a: &mut Attributes| {
            target.common_attributes(a);
            // Text with bind parameters holds no values; text without them
            // may, so its literals are replaced.
            let recorded = if bound { text.to_owned() } else { sanitize(text, &lexed) };
            a.push(KeyValue::new(DB_QUERY_TEXT, recorded));
            if let Some(operation) = summary.operation {
                a.push(KeyValue::new(DB_OPERATION_NAME, operation));
            }
            if let Some(collection) = summary.collection {
                a.push(KeyValue::new(DB_COLLECTION_NAME, collection));
            }
            if !summary.text.is_empty() {
                a.push(KeyValue::new(DB_QUERY_SUMMARY, summary.text));
            }
        },
        attribute_capacity: 8,
        links: Vec::new,
        skip_unsampled_child,
        parent: None,
    });

    // A statement prepared beforehand runs as prepared: its text is fixed.
    let commented = span.with_span_context(|span_context| {
        (prepared.is_none() && target.comment.applies(span_context))
            .then(|| with_trace_comment(text, &lexed, span_context))
            .flatten()
    });
    let statement = match commented {
        // Unique per span: caching it would only evict useful statements.
        Some(commented) => Statement {
            sql: AssertSqlSafe(commented).into_sql_str(),
            prepared,
            arguments: Some(arguments),
            persistent: false,
        },
        None => Statement { sql, prepared, arguments: Some(arguments), persistent },
    };
    (statement, span)
}

/// Records a failed statement: status Error with the message, an
/// `exception` event, `db.response.status_code` and `error.type`.
pub(crate) fn record_failure(span: &mut ActiveSpan, err: &Error, backend: &Backend) {
    if !span.is_recording() {
        return;
    }
    span.record_error("sqlx::Error", err, true);
    let code = match err {
        Error::Database(db) => (backend.status_code)(db.as_ref()),
        _ => None,
    };
    let error_type = match &code {
        Some(code) => code.clone(),
        None => error_kind(err).to_owned(),
    };
    if let Some(code) = code {
        span.set_attribute(KeyValue::new(DB_RESPONSE_STATUS_CODE, code));
    }
    span.set_attribute(KeyValue::new(ERROR_TYPE, error_type));
}

/// A low-cardinality name for a failure that has no database code.
fn error_kind(err: &Error) -> &'static str {
    match err {
        Error::Configuration(_) => "configuration",
        Error::InvalidArgument(_) => "invalid_argument",
        Error::Database(_) => "database",
        Error::Io(_) => "io",
        Error::Tls(_) => "tls",
        Error::Protocol(_) => "protocol",
        Error::RowNotFound => "row_not_found",
        Error::TypeNotFound { .. } => "type_not_found",
        Error::ColumnIndexOutOfBounds { .. } => "column_index_out_of_bounds",
        Error::ColumnNotFound(_) => "column_not_found",
        Error::ColumnDecode { .. } => "column_decode",
        Error::Encode(_) => "encode",
        Error::Decode(_) => "decode",
        Error::AnyDriverError(_) => "driver",
        Error::PoolTimedOut => "pool_timed_out",
        Error::PoolClosed => "pool_closed",
        Error::WorkerCrashed => "worker_crashed",
        _ => "_OTHER",
    }
}
