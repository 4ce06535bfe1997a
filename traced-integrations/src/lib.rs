//! Transport integrations for `traced`: one Cargo feature per transport.
//!
//! The integrations themselves land with their own issues; this crate is the
//! place they live, each behind its feature so a service pulls only what it uses.
