//! Configuration: the environment model and the resource.

mod env;
mod otlp;
mod reader;
mod resource;
mod sampling;

pub use env::{BatchEnv, EnvConfig, ExporterKind, LimitsEnv};
pub use otlp::{Compression, OtlpEnv, OtlpProtocol};
pub use resource::{build_resource, unknown_service_name, ResourceSettings};
