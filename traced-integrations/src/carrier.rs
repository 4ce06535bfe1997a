//! `http::HeaderMap` as a propagation carrier.

use http::header::{HeaderName, HeaderValue};
use http::HeaderMap;
use opentelemetry::propagation::{Extractor, Injector};
use traced_core::propagation::{
    B3, BAGGAGE, TRACEPARENT, TRACESTATE, UBER_TRACE_ID, X_AMZN_TRACE_ID, X_B3_FLAGS, X_B3_PARENT_SPAN_ID,
    X_B3_SAMPLED, X_B3_SPAN_ID, X_B3_TRACE_ID,
};

/// The header names the propagators read and write, made once: a `&str`
/// name is parsed and checked by `HeaderMap` on every lookup, and a server
/// looks up several per request.
static PROPAGATION_HEADERS: [HeaderName; 11] = [
    HeaderName::from_static(TRACEPARENT),
    HeaderName::from_static(TRACESTATE),
    HeaderName::from_static(BAGGAGE),
    HeaderName::from_static(B3),
    HeaderName::from_static(X_B3_TRACE_ID),
    HeaderName::from_static(X_B3_SPAN_ID),
    HeaderName::from_static(X_B3_PARENT_SPAN_ID),
    HeaderName::from_static(X_B3_SAMPLED),
    HeaderName::from_static(X_B3_FLAGS),
    HeaderName::from_static(X_AMZN_TRACE_ID),
    HeaderName::from_static(UBER_TRACE_ID),
];

/// `key` as a known header name, if it is one (propagators use lower case).
/// A `match`, so the key's length picks the candidates before any bytes
/// are compared.
fn known(key: &str) -> Option<&'static HeaderName> {
    PROPAGATION_HEADERS.get(propagation_index(key)?)
}

/// `key`'s place in [`PROPAGATION_HEADERS`].
#[inline]
pub(crate) fn propagation_index(key: &str) -> Option<usize> {
    Some(match key {
        TRACEPARENT => 0,
        TRACESTATE => 1,
        BAGGAGE => 2,
        B3 => 3,
        X_B3_TRACE_ID => 4,
        X_B3_SPAN_ID => 5,
        X_B3_PARENT_SPAN_ID => 6,
        X_B3_SAMPLED => 7,
        X_B3_FLAGS => 8,
        X_AMZN_TRACE_ID => 9,
        UBER_TRACE_ID => 10,
        _ => return None,
    })
}

/// How many names [`propagation_index`] knows.
#[cfg(any(feature = "http-server-core", feature = "tonic"))]
pub(crate) const PROPAGATION_NAMES: usize = 11;

/// Writes trace headers into a header map, replacing earlier values of the
/// same name (a stale `traceparent` must not survive next to the new one).
#[derive(Debug)]
pub struct HeaderInjector<'a>(pub &'a mut HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        let name = match known(key) {
            Some(name) => Ok(name.clone()),
            None => HeaderName::from_bytes(key.as_bytes()),
        };
        // The string's own buffer becomes the value's bytes: no copy.
        if let (Ok(name), Ok(value)) = (name, HeaderValue::try_from(value)) {
            self.0.insert(name, value);
        }
    }
}

/// Reads trace headers from a header map. Values that are not visible ASCII
/// are skipped (they cannot be valid trace headers); repeated headers are all
/// seen, as the W3C specifications require.
#[derive(Debug)]
pub struct HeaderExtractor<'a>(pub &'a HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        let value = match known(key) {
            Some(name) => self.0.get(name),
            None => self.0.get(key),
        };
        value.and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        let values = match known(key) {
            Some(name) => self.0.get_all(name),
            None => self.0.get_all(key),
        };
        let all: Vec<&str> = values.iter().filter_map(|v| v.to_str().ok()).collect();
        (!all.is_empty()).then_some(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_propagation_header_is_known_by_its_own_name() {
        for name in &PROPAGATION_HEADERS {
            assert_eq!(known(name.as_str()), Some(name));
        }
        assert_eq!(known("content-type"), None);
    }

    #[test]
    fn other_names_are_still_read_and_written() {
        let mut headers = HeaderMap::new();
        HeaderInjector(&mut headers).set("x-custom", "1".to_owned());
        HeaderInjector(&mut headers).set(TRACEPARENT, "00-x".to_owned());
        assert_eq!(HeaderExtractor(&headers).get("x-custom"), Some("1"));
        assert_eq!(HeaderExtractor(&headers).get(TRACEPARENT), Some("00-x"));
        assert_eq!(HeaderExtractor(&headers).get_all("x-custom"), Some(vec!["1"]));
    }
}
