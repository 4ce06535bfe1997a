//! gRPC status codes: names, and where a call's status is found.

use http::header::HeaderName;
use http::HeaderMap;

/// The status code names, by number (0-16).
const NAMES: [&str; 17] = [
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
];

/// The name of a status code (`UNKNOWN` for codes outside the table).
pub fn code_name(code: u16) -> &'static str {
    NAMES.get(usize::from(code)).copied().unwrap_or("UNKNOWN")
}

/// `grpc-status` from a header map (headers of a trailers-only response, or
/// trailers).
pub fn grpc_status(headers: &HeaderMap) -> Option<u16> {
    headers.get(&GRPC_STATUS)?.to_str().ok()?.trim().parse().ok()
}

// Made once: a `&str` name is parsed and checked on every lookup, and every
// call looks these up.
pub(crate) static GRPC_STATUS: HeaderName = HeaderName::from_static("grpc-status");
pub(crate) static GRPC_MESSAGE: HeaderName = HeaderName::from_static("grpc-message");

/// The status a response without `grpc-status` stands for, from its HTTP
/// status (gRPC's HTTP-to-gRPC mapping).
pub fn from_http_status(status: http::StatusCode) -> u16 {
    match status.as_u16() {
        400 | 431 => 13,
        401 => 16,
        403 => 7,
        404 => 12,
        429 | 502 | 503 | 504 => 14,
        _ => 2,
    }
}

/// Whether a server should mark its span as an error for `code`: only
/// UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE,
/// DATA_LOSS (the others are the caller's doing).
pub fn is_server_error(code: u16) -> bool {
    matches!(code, 2 | 4 | 12 | 13 | 14 | 15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_mappings() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(16), "UNAUTHENTICATED");
        assert_eq!(code_name(99), "UNKNOWN");
        assert_eq!(from_http_status(http::StatusCode::OK), 2);
        assert_eq!(from_http_status(http::StatusCode::SERVICE_UNAVAILABLE), 14);
        assert!(is_server_error(13) && !is_server_error(5));
    }
}
