//! The request headers a server span reads, found in one pass over the
//! header map. A lookup by name hashes the name and probes the map (about
//! 130 instructions, and a server asked nine names per request: the
//! propagation headers, `Host`, the forwarding headers, `User-Agent`, the
//! request id); one pass costs a comparison or two per header present, and
//! requests carry few.

use crate::carrier::{propagation_index, HeaderExtractor, PROPAGATION_NAMES};
use http::header::HeaderValue;
use http::HeaderMap;
use opentelemetry::propagation::Extractor;

/// Server headers found by [`ScannedHeaders::scan`], after the propagation
/// headers in the same table.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ServerHeader {
    Host = PROPAGATION_NAMES as isize,
    UserAgent,
    Forwarded,
    XForwardedHost,
    XForwardedFor,
    XRequestId,
}

const NAMES: usize = ServerHeader::XRequestId as usize + 1;
// The repeated-name bits fit.
const _: () = assert!(NAMES <= 32);

fn index(name: &str) -> Option<usize> {
    let server = match name {
        "host" => ServerHeader::Host,
        "user-agent" => ServerHeader::UserAgent,
        "forwarded" => ServerHeader::Forwarded,
        "x-forwarded-host" => ServerHeader::XForwardedHost,
        "x-forwarded-for" => ServerHeader::XForwardedFor,
        "x-request-id" => ServerHeader::XRequestId,
        _ => return propagation_index(name),
    };
    Some(server as usize)
}

/// A request's headers with the first value of each name a server reads
/// at hand. As a propagation carrier it answers what [`HeaderExtractor`]
/// would, from the pass where it can and from the map otherwise (a name
/// sent more than once, a propagator's own header).
#[derive(Debug)]
pub(crate) struct ScannedHeaders<'a> {
    map: HeaderExtractor<'a>,
    first: [Option<&'a HeaderValue>; NAMES],
    /// Bit `i`: name `i` came more than once.
    repeated: u32,
}

impl<'a> ScannedHeaders<'a> {
    pub(crate) fn scan(map: &'a HeaderMap) -> Self {
        let mut scanned = ScannedHeaders { map: HeaderExtractor(map), first: [None; NAMES], repeated: 0 };
        for (name, value) in map {
            if let Some(i) = index(name.as_str()) {
                match scanned.first[i] {
                    None => scanned.first[i] = Some(value),
                    Some(_) => scanned.repeated |= 1 << i,
                }
            }
        }
        scanned
    }

    /// The header's first value, if it is text.
    pub(crate) fn get(&self, header: ServerHeader) -> Option<&'a str> {
        self.first[header as usize].and_then(|v| v.to_str().ok())
    }

    /// The header's first value as it came.
    #[cfg(feature = "http-server-core")]
    pub(crate) fn value(&self, header: ServerHeader) -> Option<&'a HeaderValue> {
        self.first[header as usize]
    }
}

impl Extractor for ScannedHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match index(key) {
            Some(i) => self.first[i].and_then(|v| v.to_str().ok()),
            None => self.map.get(key),
        }
    }

    fn keys(&self) -> Vec<&str> {
        self.map.keys()
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        match index(key) {
            Some(i) if self.repeated & (1 << i) == 0 => {
                self.first[i].and_then(|v| v.to_str().ok()).map(|value| vec![value])
            }
            _ => self.map.get_all(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(headers: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn answers_as_the_map_does() {
        let map = map(&[
            ("Host", "example.com"),
            ("traceparent", "00-a"),
            ("tracestate", "a=1"),
            ("tracestate", "b=2"),
            ("x-request-id", "r1"),
            ("x-request-id", "r2"),
            ("x-other", "o"),
            ("baggage", "k=v"),
        ]);
        let scanned = ScannedHeaders::scan(&map);
        let plain = HeaderExtractor(&map);
        for key in ["traceparent", "tracestate", "baggage", "b3", "x-request-id", "host", "x-other", "x-missing"] {
            assert_eq!(Extractor::get(&scanned, key), plain.get(key), "get {key}");
            assert_eq!(scanned.get_all(key), plain.get_all(key), "get_all {key}");
        }
        assert_eq!(scanned.get_all("tracestate"), Some(vec!["a=1", "b=2"]), "every value of a repeated name");
        assert_eq!(scanned.get(ServerHeader::Host), Some("example.com"));
        assert_eq!(scanned.get(ServerHeader::XRequestId), Some("r1"), "the first value, as HeaderMap::get");
        assert_eq!(scanned.get(ServerHeader::UserAgent), None);
    }

    #[test]
    fn every_server_header_has_its_own_place() {
        let names = ["host", "user-agent", "forwarded", "x-forwarded-host", "x-forwarded-for", "x-request-id"];
        let places: Vec<usize> = names.iter().filter_map(|n| index(n)).collect();
        assert_eq!(places, (PROPAGATION_NAMES..NAMES).collect::<Vec<_>>());
    }
}
