//! Analyses over traces, each computed from spans alone: the critical path
//! and the bottlenecks it shows over many traces, statistics per service,
//! operation or attribute, the service dependency graph, and the comparison
//! of two traces or sets.

pub mod critical_path;
pub mod deps;
pub mod diff;
pub mod stats;

pub use critical_path::{bottlenecks, critical_path, Bottleneck, CriticalPath, Section, SpanOnPath};
pub use deps::{dependencies, DependencyGraph, Edge};
pub use diff::{diff, Change, PathDiff};
pub use stats::{self_time, stats, GroupBy, GroupStats};
