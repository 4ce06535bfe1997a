//! `traced`: answers questions about recorded traces.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use traced_analyze::output::{table, JsonOutput, TraceRow};
use traced_analyze::{read, Query};

#[derive(Parser)]
#[command(
    name = "traced",
    version,
    about = "Answers questions about recorded traces (OTLP JSON, OTLP protobuf, Jaeger JSON)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lists the traces that match a TraceQL query (or `SELECT * FROM traces WHERE ...`).
    Query {
        /// The query, e.g. `{ status = error && duration > 1s }`.
        query: String,
        /// Trace files or directories (gzip read as is); `-` or none for standard input.
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Print at most this many traces (the earliest first).
        #[arg(long)]
        limit: Option<usize>,
        /// Print the TraceQL the query runs as, then run it.
        #[arg(long)]
        explain: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// A table for people.
    Table,
    /// JSON for programs.
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Query { query, files, format, limit, explain } => run_query(&query, files, format, limit, explain),
    }
}

fn run_query(text: &str, mut files: Vec<PathBuf>, format: Format, limit: Option<usize>, explain: bool) -> ExitCode {
    let query = match Query::parse(text) {
        Ok(q) => q,
        Err(e) => {
            eprintln!("error: the query does not parse\n{}", e.render(text));
            return ExitCode::from(2);
        }
    };
    if explain {
        eprintln!("TraceQL: {}", query.traceql());
    }
    if files.is_empty() {
        files.push(PathBuf::from("-"));
    }
    // A query that looks at one span at a time streams: spans are tested
    // as they are read and only per-trace summaries are kept, so files larger
    // than memory answer. Others read whole traces first.
    let result = match query.streaming() {
        Some(mut run) => read::read_spans(&files, |span| run.push(span)).map(|report| (run.finish(), report)),
        None => read::read_paths(&files)
            .map(|(traces, report)| (query.run(&traces).iter().map(TraceRow::new).collect(), report)),
    };
    let (mut rows, report): (Vec<TraceRow>, _) = match result {
        Ok(read) => read,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for problem in &report.problems {
        eprintln!("warning: {problem}");
    }
    if report.problem_count > 0 {
        eprintln!(
            "warning: {} problem{} in the input; the rest was read ({} spans)",
            report.problem_count,
            if report.problem_count == 1 { "" } else { "s" },
            report.spans
        );
    }
    if let Some(limit) = limit {
        rows.truncate(limit);
    }
    let text = match format {
        Format::Table => table(&rows),
        Format::Json => match serde_json::to_string_pretty(&JsonOutput { traces: &rows }) {
            Ok(json) => json + "\n",
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    // A closed pipe (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
}
