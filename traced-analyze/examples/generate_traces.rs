//! Writes a synthetic OTLP JSON lines file for benchmarks and scale checks
//! (`benches/support/synthetic.rs` says what is in it):
//! `cargo run --release -p traced-analyze --example generate_traces -- PATH TRACES`.

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "traces.jsonl".into());
    let traces: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let file = std::fs::File::create(&path)?;
    synthetic::write(&mut std::io::BufWriter::with_capacity(1 << 20, file), traces)?;
    eprintln!("wrote {traces} traces ({} spans) to {path}", traces * 10);
    Ok(())
}
