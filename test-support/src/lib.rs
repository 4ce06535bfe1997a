//! Code generated for the tests and examples (not published).
#![allow(missing_docs, unreachable_pub, clippy::all)]

/// The `traced.test.Echo` service.
pub mod echo {
    tonic::include_proto!("traced.test");
}

/// The `traced.demo.Orders` service of the `microservices` example.
pub mod orders {
    tonic::include_proto!("traced.demo");
}
