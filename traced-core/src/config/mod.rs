//! Configuration: the environment model and the resource.

mod env;
mod resource;
mod sampling;

pub use env::{BatchEnv, Compression, EnvConfig, ExporterKind, LimitsEnv, OtlpEnv, OtlpProtocol};
pub use resource::{build_resource, unknown_service_name, ResourceSettings};
