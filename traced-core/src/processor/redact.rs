//! Redaction before export. It runs in the export thread (the exporter
//! box every exporter sits in applies it to each batch, or to each record
//! when OTLP encodes straight from records), never on the thread that ended
//! the span; configure it with `TracedBuilder::redaction`.
//!
//! Rules match attribute keys by glob (`user.email`, `*.password`,
//! `http.request.header.authorization`) and drop the attribute, replace its
//! value with `[REDACTED]`, or replace it with a keyed hash (equal values
//! still correlate; the key keeps the hash from being reversed by
//! guessing). Detectors find e-mail addresses, card numbers (Luhn-checked),
//! bearer tokens and IP addresses inside any string value and replace just
//! those. Both apply to span attributes, event attributes (exception
//! messages too) and resource attributes.

use crate::glob::glob_match;
use opentelemetry::{KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::SpanData;
use opentelemetry_sdk::Resource;
use sha2::Sha256;
use std::fmt;

/// What a text replacement says.
pub const REDACTED: &str = "[REDACTED]";

/// What a rule does to a matching attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Remove the attribute.
    Drop,
    /// Replace the value with `[REDACTED]`.
    Replace,
    /// Replace the value with a keyed hash: HMAC-SHA-256 of the value under
    /// [`Redaction::hash_key`], its first 16 bytes (128 bits) in lowercase
    /// hex, as `hmac-sha256:<32 hex digits>`. Equal values still correlate.
    /// Low-entropy values (e-mail addresses, user ids) are only as safe as
    /// the key: anyone who has it can hash guesses and compare.
    Hash,
}

/// Value detectors. All on in [`Redaction::recommended`] (and
/// `Redaction::default()`, the same); all off in [`Redaction::builtin`],
/// which is what applies when nothing is configured, and in
/// [`Redaction::none`]. `Detectors::default()` turns every one on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Detectors {
    /// `name@example.com`.
    pub email: bool,
    /// 13-19 digits (spaces or dashes between) passing the Luhn check.
    pub card_number: bool,
    /// `Bearer <token>`.
    pub bearer_token: bool,
    /// IPv4 and IPv6 addresses.
    pub ip_address: bool,
}

impl Default for Detectors {
    fn default() -> Self {
        Detectors { email: true, card_number: true, bearer_token: true, ip_address: true }
    }
}

/// Redaction settings.
#[derive(Clone)]
pub struct Redaction {
    rules: Vec<(String, Action)>,
    detectors: Detectors,
    hash_key: Vec<u8>,
    builtins: bool,
}

impl fmt::Debug for Redaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redaction")
            .field("rules", &self.rules)
            .field("detectors", &self.detectors)
            .field("builtins", &self.builtins)
            .finish_non_exhaustive()
    }
}

impl Default for Redaction {
    /// [`Redaction::recommended`]. Not what applies when nothing is
    /// configured: that is [`Redaction::builtin`].
    fn default() -> Self {
        Redaction::recommended()
    }
}

impl Redaction {
    /// Every detector on, `*.password`, `*.secret`, `*.token` and the
    /// authorization and cookie headers replaced, and the built-ins: the set
    /// to start from when spans may carry personal data. Opt in with
    /// `.redaction(Redaction::recommended())`.
    pub fn recommended() -> Self {
        Redaction {
            rules: [
                "*.password",
                "*.secret",
                "*.token",
                "http.request.header.authorization",
                "http.request.header.cookie",
                "http.response.header.set-cookie",
            ]
            .into_iter()
            .map(|p| (p.to_owned(), Action::Replace))
            .collect(),
            detectors: Detectors::default(),
            hash_key: Vec::new(),
            builtins: true,
        }
    }

    /// Nothing at all, not even the built-ins: values are exported as
    /// recorded.
    pub fn none() -> Self {
        Redaction {
            rules: Vec::new(),
            detectors: Detectors { email: false, card_number: false, bearer_token: false, ip_address: false },
            hash_key: Vec::new(),
            builtins: false,
        }
    }

    /// Only the built-ins, what applies when nothing else is configured:
    /// credentials and query-string values in `url.full`, and literals in
    /// `db.query.text` that has no bind parameters.
    pub fn builtin() -> Self {
        Redaction { builtins: true, ..Redaction::none() }
    }

    /// Whether it would change anything at all.
    pub fn is_active(&self) -> bool {
        self.builtins || !self.rules.is_empty() || self.detectors != Redaction::none().detectors
    }

    /// Turns the built-ins on or off.
    pub fn builtins(mut self, on: bool) -> Self {
        self.builtins = on;
        self
    }

    /// Adds a rule; the first matching rule wins.
    pub fn rule(mut self, key_glob: impl Into<String>, action: Action) -> Self {
        self.rules.push((key_glob.into(), action));
        self
    }

    /// Sets the detectors.
    pub fn detectors(mut self, detectors: Detectors) -> Self {
        self.detectors = detectors;
        self
    }

    /// The secret key for [`Action::Hash`] (keep it out of the code).
    pub fn hash_key(mut self, key: impl Into<Vec<u8>>) -> Self {
        self.hash_key = key.into();
        self
    }

    fn action_for(&self, key: &str) -> Option<Action> {
        self.rules.iter().find(|(glob, _)| glob_match(glob, key)).map(|(_, a)| *a)
    }

    fn hash(&self, value: &str) -> String {
        use hmac::Mac;
        // HMAC takes a key of any length (an empty one too), so this never fails.
        let Ok(mut mac) = hmac::Hmac::<Sha256>::new_from_slice(&self.hash_key) else { return REDACTED.to_owned() };
        mac.update(value.as_bytes());
        let digest = mac.finalize().into_bytes();
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("hmac-sha256:{hex}")
    }

    /// Applies the built-ins, rules and detectors to a list of attributes.
    pub fn apply(&self, attributes: &mut Vec<KeyValue>) {
        self.apply_list(attributes);
    }

    /// [`Self::apply`] for any list of attributes (a span record keeps its
    /// first few inline).
    fn apply_list(&self, attributes: &mut impl AttributeList) {
        if self.builtins {
            self.apply_builtins(attributes.as_mut_slice());
        }
        if self.rules.is_empty() && self.detectors == Redaction::none().detectors {
            return;
        }
        attributes.retain_mut(|kv| {
            match self.action_for(kv.key.as_str()) {
                Some(Action::Drop) => return false,
                Some(Action::Replace) => kv.value = Value::from(REDACTED),
                Some(Action::Hash) => kv.value = Value::from(self.hash(&kv.value.to_string())),
                None => {
                    if let Value::String(s) = &kv.value {
                        if let Some(clean) = self.scrub(s.as_str()) {
                            kv.value = Value::String(StringValue::from(clean));
                        }
                    }
                }
            }
            true
        });
    }

    fn apply_builtins(&self, attributes: &mut [KeyValue]) {
        let system = attributes
            .iter()
            .find(|kv| kv.key.as_str() == "db.system.name" || kv.key.as_str() == "db.system")
            .map(|kv| kv.value.as_str().into_owned());
        for kv in attributes.iter_mut() {
            let Value::String(text) = &kv.value else { continue };
            let clean = match kv.key.as_str() {
                "url.full" | "http.url" => Some(redact_url(text.as_str())).filter(|u| u != text.as_str()),
                "url.query" => Some(redact_query(text.as_str())).filter(|q| q != text.as_str()),
                "db.query.text" | "db.statement" => redact_query_text(text.as_str(), system.as_deref()),
                _ => None,
            };
            if let Some(clean) = clean {
                kv.value = Value::String(StringValue::from(clean));
            }
        }
    }

    /// The text with detected values replaced, or `None` when nothing was found.
    pub fn scrub(&self, text: &str) -> Option<String> {
        let d = self.detectors;
        if !(d.email || d.card_number || d.ip_address || d.bearer_token) {
            return None;
        }
        let mut out = text.to_owned();
        let mut changed = false;
        if self.detectors.bearer_token {
            changed |= replace_bearer(&mut out);
        }
        if d.email || d.card_number || d.ip_address {
            changed |= replace_tokens(&mut out, |token| {
                (d.email && is_email(token)) || (d.ip_address && is_ip(token)) || (d.card_number && is_card(token))
            });
        }
        changed.then_some(out)
    }
}

/// What [`Redaction::apply_list`] needs of a list of attributes.
trait AttributeList {
    fn as_mut_slice(&mut self) -> &mut [KeyValue];
    fn retain_mut(&mut self, keep: impl FnMut(&mut KeyValue) -> bool);
}

impl AttributeList for Vec<KeyValue> {
    fn as_mut_slice(&mut self) -> &mut [KeyValue] {
        self
    }
    fn retain_mut(&mut self, keep: impl FnMut(&mut KeyValue) -> bool) {
        Vec::retain_mut(self, keep);
    }
}

impl AttributeList for crate::span::Attributes {
    fn as_mut_slice(&mut self) -> &mut [KeyValue] {
        self
    }
    fn retain_mut(&mut self, keep: impl FnMut(&mut KeyValue) -> bool) {
        smallvec::SmallVec::retain_mut(self, keep);
    }
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

/// `db.query.text` fit to record: as written when it has bind parameters
/// (it then holds no values), else with every literal replaced by `?`.
/// `None` when it needs no change.
pub fn redact_query_text(text: &str, system: Option<&str>) -> Option<String> {
    let dialect = crate::sql::Dialect::for_system(system.unwrap_or_default());
    let lexed = crate::sql::lex(text, dialect);
    if lexed.has_placeholders() {
        return None;
    }
    let clean = crate::sql::sanitize(text, &lexed);
    (clean != text).then_some(clean)
}

fn replace_bearer(text: &mut String) -> bool {
    let lower = text.to_ascii_lowercase();
    let Some(pos) = lower.find("bearer ") else { return false };
    let start = pos + "bearer ".len();
    let end = text[start..].find(|c: char| c.is_whitespace() || c == ',' || c == '"').map_or(text.len(), |e| start + e);
    if end == start {
        return false;
    }
    text.replace_range(start..end, REDACTED);
    true
}

/// Replaces every token (split on whitespace and quotes, brackets, commas,
/// semicolons) that `sensitive` flags. Card numbers may contain single
/// spaces or dashes, so runs of digits joined by them are tried whole first.
fn replace_tokens(text: &mut String, sensitive: impl Fn(&str) -> bool) -> bool {
    let is_sep =
        |c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '(' | ')' | '[' | ']' | '<' | '>' | ',' | ';' | '=');
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text.as_str();
    while !rest.is_empty() {
        // A card number written in groups: digits, spaces and dashes.
        let at_digit = rest.starts_with(|c: char| c.is_ascii_digit());
        let card_len = rest.find(|c: char| !(c.is_ascii_digit() || c == ' ' || c == '-')).unwrap_or(rest.len());
        let candidate = rest[..card_len].trim_end_matches([' ', '-']);
        if at_digit && candidate.chars().filter(char::is_ascii_digit).count() >= 13 && is_card(candidate) {
            out.push_str(REDACTED);
            rest = &rest[candidate.len()..];
            changed = true;
            continue;
        }
        let end = rest.find(is_sep).unwrap_or(rest.len());
        if end == 0 {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let token = &rest[..end];
        let trimmed = token.trim_end_matches(['.', ':', '!', '?']);
        if sensitive(trimmed) {
            out.push_str(REDACTED);
            out.push_str(&token[trimmed.len()..]);
            changed = true;
        } else {
            out.push_str(token);
        }
        rest = &rest[end..];
    }
    if changed {
        *text = out;
    }
    changed
}

fn is_email(token: &str) -> bool {
    let Some((local, domain)) = token.split_once('@') else { return false };
    !local.is_empty()
        && local.chars().all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c))
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
}

fn is_ip(token: &str) -> bool {
    if token.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    token.contains(':') && token.trim_matches(['[', ']']).parse::<std::net::Ipv6Addr>().is_ok()
}

/// 13-19 digits (separated by single spaces or dashes) with a valid Luhn sum.
fn is_card(token: &str) -> bool {
    let digits: Vec<u32> = token.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) || token.chars().any(|c| !(c.is_ascii_digit() || c == ' ' || c == '-')) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

impl Redaction {
    /// Redacts a span: its attributes, its events' attributes, its status
    /// description.
    pub fn apply_span(&self, span: &mut SpanData) {
        self.apply(&mut span.attributes);
        for event in span.events.events.iter_mut() {
            self.apply(&mut event.attributes);
        }
        if let opentelemetry::trace::Status::Error { description } = &mut span.status {
            if let Some(clean) = self.scrub(description) {
                *description = clean.into();
            }
        }
    }

    /// The same for a span as `traced` records it, before it is encoded
    /// straight from the record.
    pub(crate) fn apply_record(&self, record: &mut crate::span::SpanRecord) {
        self.apply_list(&mut record.attributes);
        if let Some((events, status)) = record.events_and_status_mut() {
            for event in events.events.iter_mut() {
                self.apply(&mut event.attributes);
            }
            if let opentelemetry::trace::Status::Error { description } = status {
                if let Some(clean) = self.scrub(description) {
                    *description = clean.into();
                }
            }
        }
    }

    /// A copy of `resource` with its attributes redacted.
    pub fn apply_resource(&self, resource: &Resource) -> Resource {
        let mut attributes: Vec<KeyValue> = resource.iter().map(|(k, v)| KeyValue::new(k.clone(), v.clone())).collect();
        self.apply(&mut attributes);
        Resource::builder_empty().with_attributes(attributes).build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_credentials_and_query_values() {
        assert_eq!(
            redact_url("https://user:pw@example.com:8443/a/b?token=abc&x=1&flag#frag"),
            "https://REDACTED:REDACTED@example.com:8443/a/b?token=REDACTED&x=REDACTED&flag#frag"
        );
        assert_eq!(redact_url("http://example.com/plain"), "http://example.com/plain");
        assert_eq!(redact_url("http://example.com/p@th"), "http://example.com/p@th");
    }

    #[test]
    fn builtins_clean_urls_and_unbound_sql_by_default() {
        let mut attrs = vec![
            KeyValue::new("db.system.name", "mysql"),
            KeyValue::new("url.full", "https://u:p@h/x?card=4111&q=1"),
            KeyValue::new("db.query.text", "SELECT * FROM t WHERE email = \"a@b.c\" AND n = 5"),
            KeyValue::new("db.statement", "SELECT * FROM t WHERE id = ? AND kind = 'x'"),
            KeyValue::new("server.address", "10.0.0.1"),
        ];
        Redaction::builtin().apply(&mut attrs);
        assert_eq!(attrs[1].value.as_str(), "https://REDACTED:REDACTED@h/x?card=REDACTED&q=REDACTED");
        assert_eq!(attrs[2].value.as_str(), "SELECT * FROM t WHERE email = ? AND n = ?");
        // Bind parameters: recorded as written, per the conventions.
        assert_eq!(attrs[3].value.as_str(), "SELECT * FROM t WHERE id = ? AND kind = 'x'");
        assert_eq!(attrs[4].value.as_str(), "10.0.0.1", "no detectors in the built-ins");
        let mut raw = vec![KeyValue::new("url.full", "https://h/x?q=1")];
        Redaction::none().apply(&mut raw);
        assert_eq!(raw[0].value.as_str(), "https://h/x?q=1");
    }

    #[test]
    fn the_keyed_hash_is_hmac_sha256() {
        // RFC 4231, test case 2: key "Jefe", "what do ya want for nothing?".
        let r = Redaction::none().rule("v", Action::Hash).hash_key("Jefe");
        let mut attrs = vec![KeyValue::new("v", "what do ya want for nothing?")];
        r.apply(&mut attrs);
        assert_eq!(attrs[0].value.as_str(), "hmac-sha256:5bdcc146bf60754e6a042426089575c7");
    }

    fn scrub(text: &str) -> String {
        Redaction::default().scrub(text).unwrap_or_else(|| text.to_owned())
    }

    #[test]
    fn rules_by_key_glob() {
        let r = Redaction::none()
            .rule("user.email", Action::Replace)
            .rule("*.password", Action::Drop)
            .rule("user.id", Action::Hash)
            .hash_key("k1");
        let mut attrs = vec![
            KeyValue::new("user.email", "a@b.co"),
            KeyValue::new("db.password", "hunter2"),
            KeyValue::new("user.id", 42i64),
            KeyValue::new("http.route", "/users/{id}"),
        ];
        r.apply(&mut attrs);
        assert_eq!(attrs[0], KeyValue::new("user.email", REDACTED));
        assert_eq!(attrs.len(), 3, "the password is dropped");
        let hashed = attrs[1].value.to_string();
        assert!(hashed.starts_with("hmac-sha256:") && hashed.len() == 44, "{hashed}");
        assert_eq!(attrs[2], KeyValue::new("http.route", "/users/{id}"));
        // Stable for a key, different across keys.
        let mut again = vec![KeyValue::new("user.id", 42i64)];
        r.apply(&mut again);
        assert_eq!(again[0].value.to_string(), hashed);
        let mut other_key = vec![KeyValue::new("user.id", 42i64)];
        r.clone().hash_key("k2").apply(&mut other_key);
        assert_ne!(other_key[0].value.to_string(), hashed);
    }

    #[test]
    fn detectors_find_values_inside_text() {
        assert_eq!(scrub("contact alice.smith+x@example.com now"), "contact [REDACTED] now");
        assert_eq!(scrub("card 4111 1111 1111 1111 declined"), "card [REDACTED] declined");
        assert_eq!(scrub("card 4111-1111-1111-1111."), "card [REDACTED].");
        assert_eq!(scrub("Authorization: Bearer eyJhbGciOi.abc.def"), "Authorization: Bearer [REDACTED]");
        assert_eq!(scrub("from 10.1.2.3:"), "from [REDACTED]:");
        assert_eq!(scrub("peer [2001:db8::1]"), "peer [[REDACTED]]");
    }

    #[test]
    fn no_false_positives_on_ids_and_timestamps() {
        for plain in [
            "order 4111111111111112 (fails Luhn)",
            "2026-11-21T05:12:00Z",
            "12:30:45",
            "trace 4bf92f3577b34da6a3ce929d0e0e4736",
            "span 00f067aa0ba902b7",
            "user 1234567890",
            "version 1.2.3.4.5",
            "a@b",
            "uuid 550e8400-e29b-41d4-a716-446655440000",
        ] {
            assert_eq!(scrub(plain), plain, "{plain}");
        }
    }
}
