//! Configuration: the environment model and the resource.

pub mod detect;
mod env;
mod otlp;
mod reader;
mod resource;
mod sampling;

pub use detect::Detector;
pub use env::{BatchEnv, EnvConfig, ExporterKind, LimitsEnv};
pub use otlp::{Compression, OtlpEnv, OtlpProtocol, Pem};
pub use resource::{build_resource, unknown_service_name, ResourceSettings};
