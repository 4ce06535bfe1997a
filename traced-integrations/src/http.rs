//! HTTP semantic conventions shared by the client and the server layer.

use http::{Method, Version};

/// Span name part and `http.request.method` for a method; `_OTHER` (and the
/// span name `HTTP`) for a method outside RFC 9110 + PATCH, whose original
/// spelling goes to `http.request.method_original`.
pub fn method(method: &Method) -> (&'static str, &'static str, Option<String>) {
    let known = match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => return ("HTTP", "_OTHER", Some(method.as_str().to_owned())),
    };
    (known, known, None)
}

/// `network.protocol.version`: `1.0`, `1.1`, `2`, `3`.
pub fn protocol_version(version: Version) -> Option<&'static str> {
    Some(match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => return None,
    })
}

pub use traced_core::processor::redact::{redact_query, redact_url};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_follow_the_conventions() {
        assert_eq!(method(&Method::GET), ("GET", "GET", None));
        let custom = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(method(&custom), ("HTTP", "_OTHER", Some("PURGE".into())));
    }
}
