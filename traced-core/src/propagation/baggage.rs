//! W3C Baggage (`baggage` header).
//!
//! Values are split at the first `=`, percent-decoded (invalid UTF-8 becomes
//! U+FFFD), and every header of the request counts, joined with `,`, as the
//! spec says. A malformed member is dropped alone; the rest are kept.

use opentelemetry::baggage::{Baggage, BaggageExt};
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::Context;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};
use std::sync::OnceLock;

/// Header name.
pub const BAGGAGE: &str = "baggage";

/// Most members propagated, and most bytes read, per the spec's limits.
const MAX_MEMBERS: usize = 64;
const MAX_BYTES: usize = 8192;

/// Octets outside `baggage-octet`, plus `%` itself, are percent-encoded.
const VALUE_ENCODE: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b',').add(b';').add(b'\\').add(b'%');

/// The W3C Baggage propagator.
#[derive(Debug, Default, Clone, Copy)]
pub struct BaggagePropagator;

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

fn is_value_octet(c: u8) -> bool {
    matches!(c, 0x21 | 0x23..=0x2b | 0x2d..=0x3a | 0x3c..=0x5b | 0x5d..=0x7e)
}

const OWS: [char; 2] = [' ', '\t'];

/// One member: `key=value;prop;prop=x`. `None` when malformed.
fn parse_member(member: &str) -> Option<(String, String, String)> {
    let mut parts = member.split(';');
    let (key, value) = parts.next()?.split_once('=')?;
    let key = key.trim_matches(OWS);
    let value = value.trim_matches(OWS);
    if !is_token(key) || !value.bytes().all(is_value_octet) {
        return None;
    }
    let value = percent_decode_str(value).decode_utf8_lossy().into_owned();
    // Properties that do not follow the grammar are dropped (the member is
    // kept): passed on as they are, they could make the header we send
    // invalid, and lose all of it downstream.
    let properties: Vec<String> = parts.filter_map(property).collect();
    Some((key.to_owned(), value, properties.join(";")))
}

/// A property (`key` or `key=value`: a token and baggage octets) without
/// its optional whitespace, or `None` when it is not one.
fn property(p: &str) -> Option<String> {
    let p = p.trim_matches(OWS);
    match p.split_once('=') {
        Some((key, value)) => {
            let (key, value) = (key.trim_matches(OWS), value.trim_matches(OWS));
            (is_token(key) && value.bytes().all(is_value_octet)).then(|| format!("{key}={value}"))
        }
        None => is_token(p).then(|| p.to_owned()),
    }
}

/// Parses every `baggage` header value of a carrier into `Baggage`.
pub fn parse_baggage(values: &[&str]) -> Baggage {
    let mut baggage = Baggage::new();
    let mut bytes = 0;
    let mut members = 0;
    for value in values {
        for member in value.split(',') {
            let member = member.trim_matches(OWS);
            if member.is_empty() {
                continue;
            }
            bytes += member.len() + 1;
            if bytes > MAX_BYTES || members >= MAX_MEMBERS {
                return baggage;
            }
            if let Some((k, v, props)) = parse_member(member) {
                baggage.insert_with_metadata(k, v, props);
                members += 1;
            }
        }
    }
    baggage
}

/// Formats baggage as a header value, or `None` when empty.
pub fn format_baggage(baggage: &Baggage) -> Option<String> {
    let mut out = String::new();
    for (key, (value, metadata)) in baggage.iter() {
        if !is_token(key.as_str()) {
            continue;
        }
        let mut member = format!("{}={}", key.as_str(), utf8_percent_encode(value.as_str(), VALUE_ENCODE));
        if !metadata.as_str().is_empty() {
            member.push(';');
            member.push_str(metadata.as_str());
        }
        if out.len() + member.len() + 1 > MAX_BYTES {
            break;
        }
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(&member);
    }
    (!out.is_empty()).then_some(out)
}

impl TextMapPropagator for BaggagePropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        if let Some(header) = format_baggage(cx.baggage()) {
            injector.set(BAGGAGE, header);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        // `None` means absent: `get_all`'s default asks `get`.
        let values = extractor.get_all(BAGGAGE).unwrap_or_default();
        if values.is_empty() {
            return cx.clone();
        }
        let baggage = parse_baggage(&values);
        if baggage.is_empty() {
            return cx.clone();
        }
        cx.with_baggage(baggage)
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        static FIELDS: OnceLock<[String; 1]> = OnceLock::new();
        opentelemetry::propagation::text_map_propagator::FieldIter::new(FIELDS.get_or_init(|| [BAGGAGE.to_owned()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(b: &Baggage, k: &str) -> Option<String> {
        b.get(k).map(|v| v.as_str().to_owned())
    }

    #[test]
    fn parses_members_properties_and_encoding() {
        let b = parse_baggage(&["userId=alice, serverNode = DF%2028 ;prop1;p2=x, isProduction=false"]);
        assert_eq!(get(&b, "userId").as_deref(), Some("alice"));
        assert_eq!(get(&b, "serverNode").as_deref(), Some("DF 28"));
        assert_eq!(b.get_with_metadata("serverNode").unwrap().1.as_str(), "prop1;p2=x");
        assert_eq!(get(&b, "isProduction").as_deref(), Some("false"));
    }

    #[test]
    fn splits_at_the_first_equals_and_joins_headers() {
        let b = parse_baggage(&["token=abc=def", "second=2"]);
        assert_eq!(get(&b, "token").as_deref(), Some("abc=def"));
        assert_eq!(get(&b, "second").as_deref(), Some("2"));
    }

    #[test]
    fn bad_members_are_dropped_alone() {
        let b = parse_baggage(&["good=1,bad key=2,noequals,quote=\"x\",also=%E2%9C%93,bytes=%FF"]);
        assert_eq!(get(&b, "good").as_deref(), Some("1"));
        assert_eq!(get(&b, "also").as_deref(), Some("✓"));
        assert_eq!(get(&b, "bytes").as_deref(), Some("\u{FFFD}"));
        assert_eq!(b.len(), 3);
    }

    #[test]
    fn malformed_properties_are_dropped_and_the_member_kept() {
        // Found by fuzzing: raw control and non-ASCII bytes in a property
        // went out again and made the whole header unsendable.
        let b = parse_baggage(&["k=v;ok;\u{596}\u{1};p=\u{e9};q = 1"]);
        assert_eq!(
            b.get_with_metadata("k").map(|(v, m)| (v.as_str().to_owned(), m.as_str().to_owned())),
            Some(("v".to_owned(), "ok;q=1".to_owned()))
        );
        let header = format_baggage(&b).unwrap_or_default();
        assert!(header.bytes().all(|c| (0x20..0x7f).contains(&c)), "{header:?}");
    }

    #[test]
    fn limits_hold() {
        let many: Vec<String> = (0..10_000).map(|i| format!("k{i}=v")).collect();
        let b = parse_baggage(&[&many.join(",")]);
        assert_eq!(b.len(), MAX_MEMBERS);
    }

    #[test]
    fn encodes_what_must_be_encoded() {
        let mut b = Baggage::new();
        b.insert("k", "a b,c;d%e\"✓");
        let header = format_baggage(&b).unwrap();
        assert_eq!(header, "k=a%20b%2Cc%3Bd%25e%22%E2%9C%93");
        assert_eq!(get(&parse_baggage(&[&header]), "k").as_deref(), Some("a b,c;d%e\"✓"));
    }
}
