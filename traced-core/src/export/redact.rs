//! Credentials kept out of what we print: header values (API keys, bearer
//! tokens) and a password in an endpoint URL. A collector may echo a key in
//! its error message ("invalid API key abc…"), so every failure reason an
//! exporter reports goes through [`Secrets::redact`].

/// What replaces a secret in a message.
const REDACTED: &str = "<redacted>";

/// Words shorter than this are not hidden on their own (they would
/// scramble ordinary words of a message); whole header values always are.
const MIN_WORD: usize = 8;

/// The secrets of one exporter.
#[derive(Clone, Default)]
pub(crate) struct Secrets(Vec<String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets(<{}>)", self.0.len())
    }
}

impl Secrets {
    /// Every header value, and each long word of it (the token of
    /// `Bearer <token>` is what a server would echo).
    #[cfg_attr(not(any(feature = "otlp-http", feature = "otlp-grpc")), allow(dead_code))]
    pub(crate) fn from_headers(headers: &[(String, String)]) -> Self {
        let mut secrets = Vec::new();
        for (_, value) in headers {
            if !value.is_empty() {
                secrets.push(value.clone());
            }
            secrets.extend(value.split_whitespace().filter(|w| w.len() >= MIN_WORD).map(str::to_owned));
        }
        // Longest first, so that a value is hidden whole before its words.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Secrets(secrets)
    }

    /// `message` with every secret replaced, and URL passwords hidden.
    #[cfg_attr(not(any(feature = "otlp-http", feature = "otlp-grpc")), allow(dead_code))]
    pub(crate) fn redact(&self, message: &str) -> String {
        let mut out = redact_url(message);
        for secret in &self.0 {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }
}

/// `text` with the password of any `scheme://user:password@host` in it hidden.
pub fn redact_url(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (before, after) = rest.split_at(at + 3);
        out.push_str(before);
        // The authority ends at the first `/`, `?`, `#` or space.
        let end = after.find(['/', '?', '#', ' ', '`', '"', '\'']).unwrap_or(after.len());
        let authority = &after[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => out.push_str(&format!("{user}:{REDACTED}")),
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_and_their_tokens_are_hidden() {
        let secrets = Secrets::from_headers(&[
            ("authorization".into(), "Bearer eyJhbGciOiJIUzI1NiJ9".into()),
            ("x-honeycomb-team".into(), "hcaik_01abcdef".into()),
        ]);
        let message =
            "HTTP 401: invalid token eyJhbGciOiJIUzI1NiJ9 for team hcaik_01abcdef (Bearer eyJhbGciOiJIUzI1NiJ9)";
        let redacted = secrets.redact(message);
        assert!(!redacted.contains("eyJhbGciOiJIUzI1NiJ9"), "{redacted}");
        assert!(!redacted.contains("hcaik_01abcdef"), "{redacted}");
        assert_eq!(redacted, "HTTP 401: invalid token <redacted> for team <redacted> (<redacted>)");
        assert!(!format!("{secrets:?}").contains("hcaik"));
    }

    #[test]
    fn url_passwords_are_hidden_and_the_rest_kept() {
        assert_eq!(
            redact_url("endpoint `https://user:pa55@collector:4318/v1/traces`: refused"),
            "endpoint `https://user:<redacted>@collector:4318/v1/traces`: refused"
        );
        assert_eq!(redact_url("http://collector:4318/x"), "http://collector:4318/x");
        assert_eq!(redact_url("https://user@c/ and http://a:b@d"), "https://user@c/ and http://a:<redacted>@d");
        assert_eq!(redact_url("no url here"), "no url here");
    }
}
