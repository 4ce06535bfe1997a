//! `traced`: OpenTelemetry tracing for Rust services.
//!
//! Annotate functions with [`traced`], call [`init`] once at start-up, and
//! enable the integration features your service needs.

pub use traced_core::*;
pub use traced_macros::traced;

/// Transport integrations, one Cargo feature each.
pub use traced_integrations as integrations;

/// Compiles the code blocks of README.md as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
