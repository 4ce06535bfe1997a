//! Errors of set-up and lifecycle calls. The span path itself never fails: it
//! counts what it drops and reports it once on stderr.

use std::time::Duration;

/// A configuration value that could not be used. Configuration problems read
/// from the environment are reported and ignored; those given in code fail
/// [`crate::TracedBuilder::install`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// An environment variable holds a value the specification does not allow.
    #[error("{variable}={value:?} is not valid: {reason}")]
    InvalidValue {
        /// The variable, e.g. `OTEL_TRACES_SAMPLER`.
        variable: &'static str,
        /// The value as read.
        value: String,
        /// What would have been accepted.
        reason: String,
    },
    /// A value names a component this build does not include.
    #[error("{variable}={value:?} needs the `{feature}` feature of traced")]
    MissingFeature {
        /// The variable or builder option.
        variable: &'static str,
        /// The value as read.
        value: String,
        /// The Cargo feature that provides it.
        feature: &'static str,
    },
}

/// Errors of [`crate::TracedBuilder::install`].
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// The configuration asked for something this build cannot provide.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An exporter could not be built (bad endpoint, TLS set-up...).
    #[error("could not build the {exporter} exporter: {reason}")]
    Exporter {
        /// Which exporter.
        exporter: &'static str,
        /// Why, as the exporter crate says it.
        reason: String,
    },
    /// The export thread could not be started.
    #[error("could not start the export thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// Errors of lifecycle calls: [`crate::Provider::force_flush`] and shutdown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// The provider was already shut down.
    #[error("the tracer provider is already shut down")]
    AlreadyShutdown,
    /// The call did not finish in time; spans still queued may be lost.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// The exporter reported a failure.
    #[error("export failed: {0}")]
    Export(String),
}
