//! Queries per second against the real PostgreSQL (127.0.0.1:5432, db
//! `test`): plain sqlx, and the traced pool with the trace comment off and
//! on. A commented statement is unique, so it runs unprepared (parse,
//! bind, execute each time) instead of from the statement cache: this
//! measures what that costs.
//!
//! `cargo bench --features sqlx,test-util --bench sqlx`; criterion prints
//! elements/s, one element per query. Each pool has one connection, and
//! each query is a primary-key lookup, so the round trip dominates.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool, Postgres};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use traced::integrations::sqlx::{TraceComment, TracedPool};

const URL: &str = "postgres://postgres@127.0.0.1:5432/test";
const QUERIES: u64 = 200;
const LOOKUP: &str = "SELECT id, name FROM traced_bench_users WHERE id = $1";

#[derive(Debug, Clone, Default)]
struct Counting(Arc<AtomicU64>);

impl SpanExporter for Counting {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

async fn one_connection() -> PgPool {
    PgPoolOptions::new().max_connections(1).connect(URL).await.expect("PostgreSQL at 127.0.0.1:5432")
}

async fn lookups<'a, E>(executor: impl Fn() -> E)
where
    E: Executor<'a, Database = Postgres>,
{
    for id in 0..QUERIES as i32 {
        let row: (i32, String) = sqlx::query_as(LOOKUP).bind(id % 1000).fetch_one(executor()).await.expect("row");
        std::hint::black_box(row);
    }
}

#[traced::traced(name = "bench.request")]
async fn traced_lookups(pool: &TracedPool<Postgres>) {
    lookups(|| pool).await
}

fn queries_per_second(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let exported = Counting::default();
    let _guard = traced::builder()
        .env(traced::config::EnvConfig::default())
        .exporter(exported.clone())
        .install()
        .expect("traced");
    let (plain, off, on) = rt.block_on(async {
        let setup = one_connection().await;
        setup
            .execute(
                "CREATE TABLE IF NOT EXISTS traced_bench_users (id int PRIMARY KEY, name text NOT NULL);
                 INSERT INTO traced_bench_users SELECT g, 'user ' || g FROM generate_series(0, 999) g
                 ON CONFLICT DO NOTHING",
            )
            .await
            .expect("bench table");
        let off = TracedPool::new(one_connection().await).with_trace_comment(TraceComment::Off);
        let on = TracedPool::new(one_connection().await);
        (one_connection().await, off, on)
    });

    let mut group = c.benchmark_group("sqlx/postgres_pk_lookup");
    group.throughput(Throughput::Elements(QUERIES));
    group.bench_function("sqlx_untraced", |b| b.iter(|| rt.block_on(lookups(|| &plain))));
    group.bench_function("traced_comment_off", |b| b.iter(|| rt.block_on(traced_lookups(&off))));
    group.bench_function("traced_comment_on", |b| b.iter(|| rt.block_on(traced_lookups(&on))));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = queries_per_second
}
criterion_main!(benches);
