//! The integration names used before the naming convention still build, as
//! deprecated aliases of the new ones, for one release.
#![allow(deprecated)]

use std::any::TypeId;
use traced::integrations::http_server::{Traced, TracedHttpServer, TracedHttpServerLayer, TracedLayer};
use traced::integrations::reqwest_middleware::{TracedMiddleware, TracingMiddleware};
use traced::integrations::tonic::{
    GrpcBody, GrpcClient, GrpcClientLayer, GrpcServer, GrpcServerLayer, TracedBody, TracedGrpcClient,
    TracedGrpcClientLayer, TracedGrpcServer, TracedGrpcServerLayer,
};

#[test]
fn old_type_names_are_the_new_types() {
    assert_eq!(TypeId::of::<TracedLayer>(), TypeId::of::<TracedHttpServerLayer>());
    assert_eq!(TypeId::of::<Traced<()>>(), TypeId::of::<TracedHttpServer<()>>());
    assert_eq!(TypeId::of::<GrpcServerLayer>(), TypeId::of::<TracedGrpcServerLayer>());
    assert_eq!(TypeId::of::<GrpcServer<()>>(), TypeId::of::<TracedGrpcServer<()>>());
    assert_eq!(TypeId::of::<GrpcClientLayer>(), TypeId::of::<TracedGrpcClientLayer>());
    assert_eq!(TypeId::of::<GrpcClient<()>>(), TypeId::of::<TracedGrpcClient<()>>());
    assert_eq!(TypeId::of::<GrpcBody<()>>(), TypeId::of::<TracedBody<()>>());
    assert_eq!(TypeId::of::<TracingMiddleware>(), TypeId::of::<TracedMiddleware>());
}

#[test]
fn old_unit_values_and_traits_still_build() {
    // Unit structs were used as values.
    let _layer: TracedGrpcServerLayer = GrpcServerLayer;
    let _middleware: TracedMiddleware = TracingMiddleware;
    // The old extension traits still give the old methods.
    fn sends<T: traced::integrations::reqwest::TracedSend>() {}
    sends::<reqwest::RequestBuilder>();
    fn publishes<T: traced::integrations::lapin::TracedPublish>() {}
    publishes::<lapin::Channel>();
}
