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

/// A URL fit to record: credentials replaced by `REDACTED:REDACTED` and the
/// value of every query parameter by `REDACTED` (keys kept), since query
/// strings carry tokens and personal data as often as not.
pub fn redact_url(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (before_fragment, None),
    };
    let mut out = redact_userinfo(base);
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

fn redact_userinfo(base: &str) -> String {
    let Some((scheme, rest)) = base.split_once("://") else { return base.to_owned() };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((_, host)) => format!("{scheme}://REDACTED:REDACTED@{host}{path}"),
        None => base.to_owned(),
    }
}

/// A query string fit to record: every value replaced by `REDACTED`.
pub fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) => format!("{k}=REDACTED"),
            None => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_follow_the_conventions() {
        assert_eq!(method(&Method::GET), ("GET", "GET", None));
        let custom = Method::from_bytes(b"PURGE").unwrap();
        assert_eq!(method(&custom), ("HTTP", "_OTHER", Some("PURGE".into())));
    }

    #[test]
    fn urls_lose_credentials_and_query_values() {
        assert_eq!(
            redact_url("https://user:pw@example.com:8443/a/b?token=abc&x=1&flag#frag"),
            "https://REDACTED:REDACTED@example.com:8443/a/b?token=REDACTED&x=REDACTED&flag#frag"
        );
        assert_eq!(redact_url("http://example.com/plain"), "http://example.com/plain");
        assert_eq!(redact_url("http://example.com/p@th"), "http://example.com/p@th");
    }
}
