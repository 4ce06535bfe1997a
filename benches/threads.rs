//! Two threads making spans against one: CPU time per span on the
//! producing threads, and the export thread's apart, read per thread from
//! /proc (criterion's wall time mixes them: on this 2-core machine, two
//! producers and the export thread share two cores).
//!
//! `cargo bench --features test-util --bench threads [-- SPANS_PER_THREAD ROUNDS]`
//! (default 2,000,000 and 3).
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[path = "support/counting.rs"]
mod counting;
use counting::Counting;

#[traced::traced(fields(n = n))]
#[inline(never)]
fn traced_one(n: u64) -> u64 {
    black_box(n).wrapping_mul(31)
}

#[traced::traced(name = "bench.root")]
fn root(from: u64, calls: u64) {
    for i in from..from + calls {
        black_box(traced_one(i));
    }
}

/// CPU seconds of the calling thread.
fn own_cpu() -> f64 {
    cpu_of(&std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default())
}

/// CPU seconds of this process's threads named `name`.
fn cpu_of_thread(name: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).unwrap_or_default().trim() == name)
        .map(|t| cpu_of(&std::fs::read_to_string(t.path().join("stat")).unwrap_or_default()))
        .sum()
}

/// utime + stime of a /proc stat line, in seconds (USER_HZ = 100).
fn cpu_of(stat: &str) -> f64 {
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

struct Run {
    producer_cpu_ns: f64,
    producer_wall_ns: f64,
    export_cpu_ns: f64,
}

fn run(threads: u64, spans: u64, exported: &Counting) -> Run {
    let export_before = cpu_of_thread("traced-export");
    let before = exported.0.load(Ordering::Relaxed);
    let per_thread: Vec<(f64, f64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let (cpu, wall) = (own_cpu(), Instant::now());
                    for chunk in 0..spans / 1000 {
                        root(t * spans + chunk * 1000, 1000);
                    }
                    (own_cpu() - cpu, wall.elapsed().as_secs_f64())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("producer")).collect()
    });
    if let Some(p) = traced::Provider::current() {
        let _ = p.force_flush(Duration::from_secs(60));
    }
    let made = threads * (spans + spans / 1000);
    let got = exported.0.load(Ordering::Relaxed) - before;
    assert_eq!(got, made, "every span exported");
    let n = (threads * spans) as f64;
    Run {
        producer_cpu_ns: per_thread.iter().map(|(c, _)| c).sum::<f64>() * 1e9 / n,
        producer_wall_ns: per_thread.iter().map(|(_, w)| w).sum::<f64>() * 1e9 / n,
        export_cpu_ns: (cpu_of_thread("traced-export") - export_before) * 1e9 / n,
    }
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let spans = args.first().copied().unwrap_or(2_000_000);
    let rounds = args.get(1).copied().unwrap_or(3);
    let exported = Counting::default();
    let _guard = traced::builder()
        .env(traced::config::EnvConfig::default())
        .exporter(exported.clone())
        .batch(traced::BatchConfig { max_queue_size: 1 << 20, ..traced::BatchConfig::default() })
        .install()
        .expect("install");
    run(1, 200_000, &exported); // warm-up
    println!("spans per thread {spans}; ns per span (CPU of the producing threads | their wall time | CPU of the export thread)");
    for round in 1..=rounds {
        let one = run(1, spans, &exported);
        let two = run(2, spans, &exported);
        println!(
            "round {round}: 1 thread {:.0} | {:.0} | {:.0};  2 threads {:.0} | {:.0} | {:.0};  \
             2/1: producer CPU {:.2}x, wall {:.2}x",
            one.producer_cpu_ns,
            one.producer_wall_ns,
            one.export_cpu_ns,
            two.producer_cpu_ns,
            two.producer_wall_ns,
            two.export_cpu_ns,
            two.producer_cpu_ns / one.producer_cpu_ns,
            two.producer_wall_ns / one.producer_wall_ns,
        );
    }
}
