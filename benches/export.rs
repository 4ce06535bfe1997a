//! Export end to end: `#[traced]` spans produced at a fixed rate (100k/s for
//! 10 s by default) through the OTLP exporters to a receiver on 127.0.0.1
//! that decodes every request and counts its spans. Prints spans created, exported, received and
//! dropped, and the CPU time per exported span of everything but the
//! receiver (the producing thread, the export thread, the exporter's own
//! threads), read from /proc for each thread.
//!
//! `cargo bench --features otlp-grpc,otlp-http --bench export [-- RATE SECONDS [http|grpc] [tls]]`
//! (`tls`: each protocol plaintext, then over TLS to a receiver with a
//! certificate made here; the receiver's side of TLS is excluded like the
//! rest of the receiver.)
#![allow(missing_docs)]

#[path = "../tests/support/otlp_receiver.rs"]
#[allow(dead_code, unreachable_pub)]
mod otlp_receiver;
#[path = "../tests/support/tls.rs"]
#[allow(dead_code, unreachable_pub)]
mod tls;

use std::time::{Duration, Instant};
use traced::config::{EnvConfig, OtlpEnv, OtlpProtocol};

#[traced::traced(fields(n = n, route = "/users/{id}"))]
fn handle(n: u64) -> u64 {
    std::hint::black_box(n).wrapping_mul(31)
}

/// CPU seconds used so far by each thread of this process, by thread name.
fn thread_cpu() -> Vec<(String, f64)> {
    let ticks = 100.0; // USER_HZ on Linux
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return out };
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default().trim().to_owned();
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: utime is the 12th, stime the 13th.
        let Some(rest) = stat.rsplit(')').next() else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        let stime: f64 = fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        out.push((comm, (utime + stime) / ticks));
    }
    out
}

fn cpu_excluding_receiver() -> f64 {
    thread_cpu().iter().filter(|(name, _)| !name.starts_with("otlp-receiver")).map(|(_, s)| s).sum()
}

/// CPU seconds by thread name (threads of one name added up), receiver excluded.
fn cpu_by_thread() -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    for (name, s) in thread_cpu() {
        if !name.starts_with("otlp-receiver") {
            *out.entry(name).or_insert(0.0) += s;
        }
    }
    out
}

/// Calls `handle` `total` times at `rate` per second (in 1 ms ticks);
/// returns the calls made and the slowest one.
fn produce(rate: u64, total: u64) -> (u64, Duration) {
    let started = Instant::now();
    let tick = Duration::from_millis(1);
    let per_tick = rate / 1000;
    let mut made = 0u64;
    let mut worst_call = Duration::ZERO;
    while made < total {
        let due = started + tick * (made / per_tick.max(1)) as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        for _ in 0..per_tick {
            // The TSC clock: a cheap reading, so that timing each call
            // adds little to the producer's CPU figure.
            let t = minstant::Instant::now();
            handle(made);
            worst_call = worst_call.max(t.elapsed());
            made += 1;
        }
    }
    (made, worst_call)
}

/// CPU seconds of this (the producing) thread.
fn own_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// A receiver for `protocol`, over TLS (a certificate for `localhost` from
/// a CA made here) when `tls`; the exporter's settings to reach it.
fn receiver(protocol: OtlpProtocol, tls: bool) -> (otlp_receiver::Receiver, OtlpEnv) {
    if !tls {
        let receiver = match protocol {
            OtlpProtocol::Grpc => otlp_receiver::start_grpc_counting(),
            OtlpProtocol::HttpProtobuf => otlp_receiver::start_http_counting(),
        };
        let endpoint = format!("http://{}", receiver.addr);
        return (receiver, OtlpEnv { endpoint: Some(endpoint), protocol: Some(protocol), ..Default::default() });
    }
    let ca = tls::Ca::new("bench CA");
    let leaf = ca.issue(&["localhost"]);
    let (receiver, _) = match protocol {
        OtlpProtocol::Grpc => otlp_receiver::start_grpc_tls_counting(tls::server_config(&leaf, None, &[b"h2"])),
        OtlpProtocol::HttpProtobuf => {
            otlp_receiver::start_http_tls_counting(tls::server_config(&leaf, None, &[b"http/1.1"]))
        }
    };
    let endpoint = format!("https://localhost:{}", receiver.addr.port());
    let settings = OtlpEnv {
        endpoint: Some(endpoint),
        protocol: Some(protocol),
        certificate: Some(traced::config::Pem::Inline(ca.pem.into_bytes())),
        ..Default::default()
    };
    (receiver, settings)
}

fn run(protocol: OtlpProtocol, tls: bool, rate: u64, seconds: u64, baseline_ns: f64) {
    let (receiver, settings) = receiver(protocol, tls);
    let guard = traced::builder()
        .env(EnvConfig::default())
        .service_name("export-bench")
        .otlp_with(settings)
        // The specification's default queue and batch; a short delay.
        .batch(traced::BatchConfig {
            schedule_delay: Duration::from_millis(200),
            max_queue_size: std::env::var("QUEUE").ok().and_then(|q| q.parse().ok()).unwrap_or(2048),
            ..traced::BatchConfig::default()
        })
        .install()
        .expect("tracing");

    let total = rate * seconds;
    let cpu_before = cpu_excluding_receiver();
    let threads_before = cpu_by_thread();
    let started = Instant::now();
    let (made, worst_call) = produce(rate, total);
    let produced_in = started.elapsed();
    // Everything exported while every thread is still alive to be read
    // (the export thread ends with the shutdown).
    let _ = guard.force_flush();
    let threads = cpu_by_thread();
    let cpu = cpu_excluding_receiver() - cpu_before;
    let stats = guard.shutdown().expect("shutdown");
    let received = receiver.received.wait_for_count(stats.exported as usize, Duration::from_secs(10));
    let per_span = cpu * 1e9 / stats.exported.max(1) as f64;
    println!(
        "{protocol:?}{}: {made} spans in {:.1} s ({:.0}/s); exported {}, dropped {}, received {}; \
         CPU per exported span (producer + export, receiver excluded) {per_span:.0} ns, of which tracing \
         (less the same loop untraced, {baseline_ns:.0} ns per call) {:.0} ns; slowest call {:?}",
        if tls { " over TLS" } else { "" },
        produced_in.as_secs_f64(),
        made as f64 / produced_in.as_secs_f64(),
        stats.exported,
        stats.lost(),
        received,
        per_span - baseline_ns,
        worst_call,
    );
    // Where it went, per exported span.
    for (name, s) in &threads {
        let used = s - threads_before.get(name).copied().unwrap_or(0.0);
        if used > 0.0 {
            println!("  {name}: {:.0} ns per span", used * 1e9 / stats.exported.max(1) as f64);
        }
    }
}

fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let rate = args.first().copied().unwrap_or(100_000);
    let seconds = args.get(1).copied().unwrap_or(10);
    // `http` or `grpc` among the arguments runs that protocol only.
    let only = |p: &str| std::env::args().any(|a| a == p);
    let both = !only("http") && !only("grpc");
    // The producing loop alone (no provider is installed yet): what the
    // loop, its sleeps and its timing cost per call without tracing.
    let before = own_cpu();
    let (calls, _) = produce(rate, rate * seconds.min(3));
    let baseline_ns = (own_cpu() - before) * 1e9 / calls as f64;
    // `tls` runs each protocol twice, plaintext then over TLS, side by side.
    let modes: &[bool] = if only("tls") { &[false, true] } else { &[false] };
    for &tls in modes {
        if both || only("http") {
            run(OtlpProtocol::HttpProtobuf, tls, rate, seconds, baseline_ns);
        }
    }
    for &tls in modes {
        if both || only("grpc") {
            run(OtlpProtocol::Grpc, tls, rate, seconds, baseline_ns);
        }
    }
}
