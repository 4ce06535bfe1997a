//! A fixed number of spans of one scenario, for counting instructions rather
//! than timing them: this machine is shared, and instruction counts from
//! `valgrind --tool=callgrind` repeat exactly for the same binary and input.
//!
//! ```sh
//! cargo bench --features test-util --bench span_instructions --no-run
//! valgrind --tool=callgrind --toggle-collect='span_instructions::run*' \
//!     target/release/deps/span_instructions-* traced-bare 50000
//! ```
//!
//! Scenarios: `traced-bare`, `traced-one`, `traced-async`, `traced-error`
//! (a returned `Err`: status, `error.type` and an `exception` event),
//! `traced-tracestate` (`traced-bare` in a trace whose caller put
//! `ot=th:8` in `tracestate`, as probability samplers do), `fastrace-bare`, `fastrace-one`. Each runs under a sampled root of its own kind, every span
//! handed to a batch processor (or fastrace's reporter) that counts and
//! discards; only the calling thread's work falls inside `run`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::Ordering;

#[path = "support/counting.rs"]
mod counting;
#[path = "support/poll.rs"]
mod poll;
use counting::Counting;
use poll::poll_once;

#[traced::traced]
#[inline(never)]
fn traced_bare(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced(fields(n = n))]
#[inline(never)]
fn traced_one(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced(fields(n = n))]
#[inline(never)]
async fn traced_async(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced]
#[inline(never)]
fn traced_err(n: u64) -> Result<u64, std::io::Error> {
    if black_box(n) < u64::MAX {
        return Err(std::io::Error::other("boom"));
    }
    Ok(n)
}

#[fastrace::trace]
#[inline(never)]
fn fastrace_bare(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[fastrace::trace(properties = { "n": "{n}" })]
#[inline(never)]
fn fastrace_one(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

/// The measured part: `n` calls of `f` (the name is what callgrind's
/// `--toggle-collect` matches).
#[inline(never)]
fn run_calls(n: u64, f: impl Fn(u64) -> u64) {
    for i in 0..n {
        black_box(f(i));
    }
}

/// Not measured: the same calls, inline rather than through `run_calls`,
/// which callgrind counts whoever calls it.
fn warm_up(n: u64, f: fn(u64) -> u64) {
    let mut sum = 0u64;
    for i in 0..n {
        sum = sum.wrapping_add(f(i));
    }
    black_box(sum);
}

#[traced::traced(name = "bench.root")]
fn traced_root(n: u64, f: fn(u64) -> u64, measured: bool) {
    if measured {
        run_calls(n, f)
    } else {
        warm_up(n, f)
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let scenario = args.next().unwrap_or_else(|| "traced-bare".to_owned());
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(50_000);
    let counted = Counting::default();
    match scenario.as_str() {
        "traced-bare" | "traced-one" | "traced-async" | "traced-error" | "traced-tracestate" => {
            let _guard = traced::builder()
                .env(traced::config::EnvConfig::default())
                .exporter(counted.clone())
                .batch(traced::BatchConfig { max_queue_size: 1 << 20, ..traced::BatchConfig::default() })
                .install()
                .expect("install");
            // Warm up: the thread's buffers and first chunk.
            traced_root(2_000, traced_bare, false);
            let f: fn(u64) -> u64 = match scenario.as_str() {
                "traced-bare" => traced_bare,
                "traced-one" => traced_one,
                "traced-error" => |i| traced_err(i).unwrap_or_default(),
                _ => |i| poll_once(traced_async(i)),
            };
            if scenario == "traced-tracestate" {
                // The trace came from a caller that samples by probability
                // and records its threshold (`ot=th:8`): every span of the
                // trace carries that `tracestate`.
                use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
                let state: TraceState = "ot=th:8".parse().expect("valid");
                let parent =
                    SpanContext::new(TraceId::from(7u128), SpanId::from(7u64), TraceFlags::SAMPLED, true, state);
                let _caller = opentelemetry::Context::new().with_remote_span_context(parent).attach();
                traced_root(n, traced_bare, true);
            } else {
                traced_root(n, f, true);
            }
        }
        "fastrace-bare" | "fastrace-one" => {
            fastrace::set_reporter(counted.clone(), fastrace::collector::Config::default());
            let f: fn(u64) -> u64 = if scenario == "fastrace-bare" { fastrace_bare } else { fastrace_one };
            for measured in [false, true] {
                let root = fastrace::Span::root("bench.root", fastrace::collector::SpanContext::random());
                let _g = root.set_local_parent();
                if measured {
                    run_calls(n, f);
                } else {
                    warm_up(2_000, f);
                }
            }
            fastrace::flush();
        }
        other => {
            eprintln!("unknown scenario {other:?}");
            std::process::exit(2);
        }
    }
    println!("{scenario}: {n} calls; exported {}", counted.0.load(Ordering::Relaxed));
}
