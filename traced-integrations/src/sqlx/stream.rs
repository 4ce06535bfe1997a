//! The span's end: when a statement's row stream ends (or fails, or is
//! dropped half-read), or when a single-row future completes.

use super::query::{record_failure, Backend};
use futures_core::future::BoxFuture;
use futures_core::stream::{BoxStream, Stream};
use opentelemetry::KeyValue;
use opentelemetry_semantic_conventions::attribute::DB_RESPONSE_RETURNED_ROWS;
use sqlx_core::database::Database;
use sqlx_core::error::Error;
use sqlx_core::Either;
use std::pin::Pin;
use std::task::{Context, Poll};
use traced_core::span::ActiveSpan;

type Step<DB> = Result<Either<<DB as Database>::QueryResult, <DB as Database>::Row>, Error>;

/// The driver's stream, ending the span with it. Dropped early, the span
/// ends then, without a row count: the caller stopped reading.
pub(crate) struct QueryStream<'e, DB: Database> {
    inner: BoxStream<'e, Step<DB>>,
    span: ActiveSpan,
    rows: i64,
    backend: &'static Backend,
}

impl<'e, DB: Database> QueryStream<'e, DB> {
    pub(crate) fn boxed(
        inner: BoxStream<'e, Step<DB>>,
        span: ActiveSpan,
        backend: &'static Backend,
    ) -> BoxStream<'e, Step<DB>> {
        Box::pin(QueryStream::<DB> { inner, span, rows: 0, backend })
    }
}

impl<DB: Database> Stream for QueryStream<'_, DB> {
    type Item = Step<DB>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let step = std::task::ready!(this.inner.as_mut().poll_next(cx));
        match &step {
            Some(Ok(Either::Right(_))) => this.rows += 1,
            Some(Ok(Either::Left(_))) => {}
            Some(Err(err)) => {
                record_failure(&mut this.span, err, this.backend);
                this.span.end();
            }
            None => {
                this.span.set_attribute(KeyValue::new(DB_RESPONSE_RETURNED_ROWS, this.rows));
                this.span.end();
            }
        }
        Poll::Ready(step)
    }
}

/// The driver's `fetch_optional`, ending the span with its outcome.
pub(crate) fn traced_optional<'e, Row: Send + 'e>(
    inner: BoxFuture<'e, Result<Option<Row>, Error>>,
    mut span: ActiveSpan,
    backend: &'static Backend,
) -> BoxFuture<'e, Result<Option<Row>, Error>> {
    Box::pin(async move {
        let result = inner.await;
        match &result {
            Ok(row) => span.set_attribute(KeyValue::new(DB_RESPONSE_RETURNED_ROWS, i64::from(row.is_some()))),
            Err(err) => record_failure(&mut span, err, backend),
        }
        span.end();
        result
    })
}

/// Ends a span of ours (`BEGIN`, `COMMIT`, ...) with its outcome.
pub(crate) fn finish<T>(mut span: ActiveSpan, result: &Result<T, Error>, backend: &Backend) {
    if let Err(err) = result {
        record_failure(&mut span, err, backend);
    }
    span.end();
}
