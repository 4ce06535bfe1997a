//! Reading trace files into the model, whatever their format: OTLP JSON
//! (NDJSON as the Collector's file exporter writes it, or one document, in
//! the Jaeger v2 and Tempo envelopes too), Jaeger JSON, and OTLP protobuf;
//! gzip-compressed or not; files, directories and standard input (`-`).
//!
//! Nothing in a file stops the others: a line that does not parse is
//! reported (`file:line: what was expected`) and skipped, and counted in
//! the [`ReadReport`]. Only a file that cannot be opened is an error.
//!
//! NDJSON is read a line at a time into a reused buffer and each span is
//! handed to a sink as soon as it is parsed, so [`read_spans`] holds no more
//! than one line of input: what lets a query stream through files larger
//! than memory.

mod jaeger_json;
pub(crate) mod lenient;
mod otlp_json;
mod otlp_proto;

use crate::model::{Resource, Span, TraceSet, Value};
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file that could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Opening or reading failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Something in a file that was skipped, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file (`-` for standard input).
    pub file: String,
    /// The line (NDJSON), or the message number (protobuf); 0 when neither.
    pub line: usize,
    /// What was expected and found.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// What a read went through.
#[derive(Debug, Clone, Default)]
pub struct ReadReport {
    /// Files read.
    pub files: usize,
    /// Spans read.
    pub spans: usize,
    /// Problems found (each a skipped line, message or span); only the
    /// first [`ReadReport::KEPT_PROBLEMS`] are kept, all are counted.
    pub problems: Vec<Problem>,
    /// How many problems there were in all.
    pub problem_count: usize,
}

impl ReadReport {
    /// How many problems are kept with their text.
    pub const KEPT_PROBLEMS: usize = 100;
}

/// Reads every file in `paths` (directories recursively, `-` for standard
/// input) into one set of traces; spans of a trace spread over lines or
/// files are joined.
pub fn read_paths<P: AsRef<Path>>(paths: &[P]) -> Result<(TraceSet, ReadReport), ReadError> {
    let mut spans = Vec::new();
    let report = read_spans(paths, |span| spans.push(span))?;
    Ok((TraceSet::from_spans(spans), report))
}

/// Reads every file in `paths`, handing each span to `sink` as it is read.
pub fn read_spans<P: AsRef<Path>>(paths: &[P], mut sink: impl FnMut(Span)) -> Result<ReadReport, ReadError> {
    let mut files = Vec::new();
    for path in paths {
        collect_files(path.as_ref(), &mut files)?;
    }
    let mut b = Builder::new(&mut sink);
    for file in files {
        let name = file.display().to_string();
        b.start_file(&name);
        if name == "-" {
            read_stream(BufReader::new(std::io::stdin().lock()), &mut b).map_err(|e| io(&name, e))?;
        } else {
            let f = std::fs::File::open(&file).map_err(|e| io(&name, e))?;
            read_stream(BufReader::with_capacity(1 << 20, f), &mut b).map_err(|e| io(&name, e))?;
        }
    }
    Ok(b.finish())
}

/// Reads one file's bytes (already in memory), handing spans to `sink`.
pub fn read_bytes(name: &str, bytes: &[u8], mut sink: impl FnMut(Span)) -> ReadReport {
    let mut b = Builder::new(&mut sink);
    b.start_file(name);
    // Reading from memory cannot fail.
    let _ = read_stream(BufReader::new(bytes), &mut b);
    b.finish()
}

fn io(path: &str, source: std::io::Error) -> ReadError {
    ReadError::Io { path: path.to_owned(), source }
}

fn collect_files(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ReadError> {
    if path == Path::new("-") {
        out.push(path.to_owned());
        return Ok(());
    }
    let meta = std::fs::metadata(path).map_err(|e| io(&path.display().to_string(), e))?;
    if !meta.is_dir() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|e| io(&path.display().to_string(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
        .collect();
    entries.sort();
    for entry in entries {
        collect_files(&entry, out)?;
    }
    Ok(())
}

/// Decompresses when the input starts with gzip's magic bytes, then reads.
fn read_stream<R: BufRead>(mut input: R, b: &mut Builder) -> std::io::Result<()> {
    let head = input.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let decoder = flate2::bufread::MultiGzDecoder::new(input);
        return read_plain(BufReader::with_capacity(1 << 20, decoder), b);
    }
    read_plain(input, b)
}

fn read_plain<R: BufRead>(mut input: R, b: &mut Builder) -> std::io::Result<()> {
    let head = input.fill_buf()?;
    let first = head.iter().find(|c| !c.is_ascii_whitespace()).copied();
    match first {
        None => Ok(()),
        Some(b'{') | Some(b'[') => read_json(input, b),
        Some(_) => {
            let mut bytes = Vec::new();
            input.read_to_end(&mut bytes)?;
            if let Err(message) = otlp_proto::read(&bytes, b) {
                b.set_line(0);
                b.problem(message);
            }
            Ok(())
        }
    }
}

/// NDJSON when the first line is a whole JSON value; one document otherwise.
fn read_json<R: BufRead>(mut input: R, b: &mut Builder) -> std::io::Result<()> {
    let mut line = Vec::with_capacity(1 << 16);
    let mut number = 0;
    // Skip blank lines before the first value.
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        number += 1;
        if !line.iter().all(u8::is_ascii_whitespace) {
            break;
        }
    }
    if serde_json::from_slice::<serde::de::IgnoredAny>(&line).is_err() {
        // A document over several lines: read it whole.
        input.read_to_end(&mut line)?;
        parse_document(&line, number, b);
        return Ok(());
    }
    loop {
        if !line.iter().all(u8::is_ascii_whitespace) {
            parse_document(&line, number, b);
        }
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        number += 1;
    }
}

/// Parses one JSON value that starts on line `first_line`.
fn parse_document(json: &[u8], first_line: usize, b: &mut Builder) {
    b.set_line(first_line);
    match serde_json::from_slice::<otlp_json::Document>(json) {
        Ok(document) => document.emit(b),
        Err(e) => {
            b.set_line(first_line + e.line().saturating_sub(1));
            let text = e.to_string();
            let message = match text.rfind(" at line ") {
                Some(at) => format!("{} (column {})", &text[..at], e.column()),
                None => text,
            };
            b.problem(message);
        }
    }
}

/// What the readers hand spans and problems to: shares key and name strings
/// (a million spans name the same few hundred keys), shares resources, and
/// knows where in which file it is, for problems.
pub(crate) struct Builder<'s> {
    sink: &'s mut dyn FnMut(Span),
    strings: HashMap<Box<str>, Arc<str>>,
    resources: Vec<Arc<Resource>>,
    file: String,
    line: usize,
    report: ReadReport,
}

impl<'s> Builder<'s> {
    fn new(sink: &'s mut dyn FnMut(Span)) -> Self {
        Builder {
            sink,
            strings: HashMap::new(),
            resources: Vec::new(),
            file: String::new(),
            line: 0,
            report: ReadReport::default(),
        }
    }

    fn start_file(&mut self, name: &str) {
        self.file = name.to_owned();
        self.line = 0;
        self.report.files += 1;
    }

    fn finish(self) -> ReadReport {
        self.report
    }

    pub(crate) fn set_line(&mut self, line: usize) {
        self.line = line;
    }

    /// One shared copy of `s`.
    pub(crate) fn intern(&mut self, s: &str) -> Arc<str> {
        if let Some(shared) = self.strings.get(s) {
            return shared.clone();
        }
        let shared: Arc<str> = Arc::from(s);
        // Bounded: values used as names by mistake (ids in span names) must
        // not grow the table without end.
        if self.strings.len() < 100_000 {
            self.strings.insert(Box::from(s), shared.clone());
        }
        shared
    }

    /// A shared resource with these attributes.
    pub(crate) fn resource(&mut self, attributes: Vec<(Arc<str>, Value)>) -> Arc<Resource> {
        if let Some(same) = self.resources.iter().find(|r| r.attributes == attributes) {
            return same.clone();
        }
        let service_name = match crate::model::attribute(&attributes, "service.name") {
            Some(Value::Str(s)) => s.clone(),
            _ => self.intern(""),
        };
        let resource = Arc::new(Resource { service_name, attributes });
        if self.resources.len() >= 64 {
            self.resources.remove(0);
        }
        self.resources.push(resource.clone());
        resource
    }

    pub(crate) fn span(&mut self, span: Span) {
        self.report.spans += 1;
        (self.sink)(span);
    }

    pub(crate) fn problem(&mut self, message: String) {
        self.report.problem_count += 1;
        if self.report.problems.len() < ReadReport::KEPT_PROBLEMS {
            self.report.problems.push(Problem { file: self.file.clone(), line: self.line, message });
        }
    }
}
