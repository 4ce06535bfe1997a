//! Shared test helpers: real OTLP receivers on 127.0.0.1.
#![allow(dead_code, unreachable_pub)]

pub mod faulty_receiver;
pub mod heap;
pub mod otlp_receiver;
pub mod tls;
