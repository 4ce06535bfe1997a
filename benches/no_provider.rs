//! `#[traced]` with nothing installed (no `init`): what a library pays when
//! its user never turns tracing on. Its own process, since a provider cannot
//! be uninstalled from the peers benchmark.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const CALLS: u64 = 1000;

#[inline(never)]
fn plain(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced(fields(n = n))]
#[inline(never)]
fn traced_one(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

fn no_provider(c: &mut Criterion) {
    let mut g = c.benchmark_group("no provider installed");
    g.throughput(Throughput::Elements(CALLS));
    g.bench_function("plain", |b| {
        b.iter(|| {
            for i in 0..CALLS {
                black_box(plain(i));
            }
        })
    });
    g.bench_function("traced", |b| {
        b.iter(|| {
            for i in 0..CALLS {
                black_box(traced_one(i));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, no_provider);
criterion_main!(benches);
