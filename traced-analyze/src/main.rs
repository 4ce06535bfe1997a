//! `traced`: answers questions about recorded traces.

use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use traced_analyze::output::{table, JsonOutput, TraceRow};
use traced_analyze::{read, Query};

mod commands;

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
    /// The critical path of a trace, or over many traces the operations most on it (bottlenecks).
    CriticalPath {
        /// Trace files or directories; `-` or none for standard input.
        files: Vec<PathBuf>,
        /// The trace (hex id); without it, one trace's path if there is one trace, else the bottlenecks.
        #[arg(long)]
        trace: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Statistics per group: count, durations, percentiles, self time, errors.
    Stats {
        /// Trace files or directories; `-` or none for standard input.
        files: Vec<PathBuf>,
        /// Group by `service`, `name`, or any attribute key.
        #[arg(long, default_value = "name")]
        by: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The service dependency graph (`--format dot` or `mermaid` to draw it).
    Deps {
        /// Trace files or directories; `-` or none for standard input.
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Compares two traces or two sets of traces (before, after), path by path.
    Diff {
        /// The first trace file or directory (before).
        a: PathBuf,
        /// The second (after).
        b: PathBuf,
        /// Compare only this trace of A (hex id).
        #[arg(long)]
        a_trace: Option<String>,
        /// Compare only this trace of B (hex id).
        #[arg(long)]
        b_trace: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Writes one self-contained HTML report: waterfalls with the critical path, statistics, dependencies.
    Report {
        /// Trace files or directories; `-` or none for standard input.
        files: Vec<PathBuf>,
        /// Where to write the report.
        #[arg(short, long, default_value = "report.html")]
        output: PathBuf,
        /// Title of the report.
        #[arg(long, default_value = "Trace report")]
        title: String,
        /// How many of the slowest traces get a waterfall.
        #[arg(long, default_value_t = 5)]
        waterfalls: usize,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// A table for people.
    Table,
    /// JSON for programs.
    Json,
    /// Graphviz (`deps` only).
    Dot,
    /// Mermaid (`deps` only).
    Mermaid,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Query { query, files, format, limit, explain } => run_query(&query, files, format, limit, explain),
        Command::CriticalPath { files, trace, format } => {
            with_traces(files, |traces| commands::critical_path(traces, trace.as_deref(), format))
        }
        Command::Stats { files, by, format } => with_traces(files, |traces| commands::stats(traces, &by, format)),
        Command::Deps { files, format } => with_traces(files, |traces| commands::deps(traces, format)),
        Command::Diff { a, b, a_trace, b_trace, format } => {
            let (Some(a), Some(b)) = (load(vec![a]), load(vec![b])) else { return ExitCode::FAILURE };
            finish(commands::diff(&a, &b, a_trace.as_deref(), b_trace.as_deref(), format))
        }
        Command::Report { files, output, title, waterfalls } => with_traces(files, |traces| {
            let options = traced_analyze::report::ReportOptions { title, waterfalls, ..Default::default() };
            let html = traced_analyze::report::report(traces, &options);
            std::fs::write(&output, html).map_err(|e| format!("{}: {e}", output.display()))?;
            Ok(format!("wrote {} ({} traces)\n", output.display(), traces.traces.len()))
        }),
    }
}

/// Reads `files` (standard input when none), printing problems; `None`
/// (after saying why) when a file cannot be read.
fn load(mut files: Vec<PathBuf>) -> Option<traced_analyze::TraceSet> {
    if files.is_empty() {
        files.push(PathBuf::from("-"));
    }
    match read::read_paths(&files) {
        Ok((traces, report)) => {
            print_problems(&report);
            Some(traces)
        }
        Err(e) => {
            eprintln!("error: {e}");
            None
        }
    }
}

/// Prints what a command made, or its error.
fn finish(result: Result<String, String>) -> ExitCode {
    match result {
        Ok(text) => {
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn with_traces(files: Vec<PathBuf>, f: impl FnOnce(&traced_analyze::TraceSet) -> Result<String, String>) -> ExitCode {
    match load(files) {
        Some(traces) => finish(f(&traces)),
        None => ExitCode::FAILURE,
    }
}

fn print_problems(report: &read::ReadReport) {
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
    print_problems(&report);
    if let Some(limit) = limit {
        rows.truncate(limit);
    }
    let text = match format {
        Format::Table | Format::Dot | Format::Mermaid => table(&rows),
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
