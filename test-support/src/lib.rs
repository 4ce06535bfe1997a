//! Code generated for the tests (not published).
#![allow(missing_docs, unreachable_pub, clippy::all)]

/// The `traced.test.Echo` service.
pub mod echo {
    tonic::include_proto!("traced.test");
}
