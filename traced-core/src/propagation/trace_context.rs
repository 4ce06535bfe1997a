//! W3C Trace Context (`traceparent`, `tracestate`), parsed per Level 2.
//!
//! Unlike `opentelemetry_sdk`'s propagator this one keeps the Level 2
//! `random` flag (bit 1), so a trace started by a random-id SDK keeps saying
//! so across every hop. Anything malformed is ignored: the context is left as
//! it was and the caller starts a new trace.

use super::hex;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use std::sync::{Arc, OnceLock};

/// Header name of the parent.
pub const TRACEPARENT: &str = "traceparent";
/// Header name of the vendor state.
pub const TRACESTATE: &str = "tracestate";

/// Flags that may be sent: `sampled` and `random`; other bits MUST be zero.
const KNOWN_FLAGS: u8 = 0x03;
const MAX_TRACESTATE_MEMBERS: usize = 32;

/// The W3C Trace Context propagator.
#[derive(Debug, Default, Clone, Copy)]
pub struct TraceContextPropagator;

/// Parses a `traceparent` value. `None` for anything the spec says to ignore.
pub fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    let value = value.trim_matches([' ', '\t']);
    let b = value.as_bytes();
    if b.len() < 55 || !b.is_ascii() {
        return None;
    }
    let [version] = hex::decode_lower(&b[0..2])?;
    if version == 0xff || b[2] != b'-' {
        return None;
    }
    if version == 0 && b.len() != 55 {
        return None;
    }
    if b[35] != b'-' || b[52] != b'-' {
        return None;
    }
    // A future version may append fields, always after a `-`.
    if b.len() > 55 && b[55] != b'-' {
        return None;
    }
    let trace_id = TraceId::from_bytes(hex::decode_lower(&b[3..35])?);
    let span_id = SpanId::from_bytes(hex::decode_lower(&b[36..52])?);
    let [flags] = hex::decode_lower(&b[53..55])?;
    if trace_id == TraceId::INVALID || span_id == SpanId::INVALID {
        return None;
    }
    Some((trace_id, span_id, TraceFlags::new(flags & KNOWN_FLAGS)))
}

/// A trace id as 32 lower-case hex digits, as `traceparent` carries it
/// (and as its `Display` prints it, without the formatting machinery): for
/// a request id or a log line made on every request.
pub fn format_trace_id(id: TraceId) -> String {
    let mut out = [0u8; 32];
    hex::encode_into(&mut out, &id.to_bytes());
    // Hex digits: always UTF-8.
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

/// Formats the `traceparent` of a span context (version `00`).
pub fn format_traceparent(sc: &SpanContext) -> String {
    let mut out = *b"00-00000000000000000000000000000000-0000000000000000-00";
    hex::encode_into(&mut out[3..35], &sc.trace_id().to_bytes());
    hex::encode_into(&mut out[36..52], &sc.span_id().to_bytes());
    hex::encode_into(&mut out[53..55], &[sc.trace_flags().to_u8() & KNOWN_FLAGS]);
    // Hex digits and dashes: always UTF-8.
    String::from_utf8(out.to_vec()).unwrap_or_default()
}

/// A `tracestate` key per Level 2: `lcalpha` or `DIGIT`, then up to 255 of
/// `a-z 0-9 _ - * / @` (Level 1's `tenant@system` split is gone).
fn valid_key(key: &str) -> bool {
    let b = key.as_bytes();
    !b.is_empty()
        && b.len() <= 256
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter().all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/' | b'@'))
}

fn valid_value(value: &str) -> bool {
    let b = value.as_bytes();
    !b.is_empty()
        && b.len() <= 256
        && b.iter().all(|&c| (0x20..=0x7e).contains(&c) && c != b',' && c != b'=')
        && b[b.len() - 1] != b' '
}

/// The members of a `tracestate`, in order, as our parser accepted them.
type Members = Vec<(String, String)>;

/// [`Members`] borrowed from the header values they were read from.
type MemberRefs<'a> = Vec<(&'a str, &'a str)>;

fn owned(members: &[(&str, &str)]) -> Members {
    members.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

/// Parses the (joined) `tracestate` values into its members. A later
/// duplicate of a key is dropped (the first wins, as mainstream SDKs do);
/// an invalid member or more than 32 members drops the whole header, as the
/// spec allows.
fn parse_members<'a>(values: &[&'a str]) -> Option<MemberRefs<'a>> {
    let mut members: MemberRefs<'a> = Vec::new();
    for value in values {
        for member in value.split(',') {
            let member = member.trim_matches([' ', '\t']);
            if member.is_empty() {
                continue;
            }
            let (key, val) = member.split_once('=')?;
            if !valid_key(key) || !valid_value(val) {
                return None;
            }
            if members.iter().any(|(k, _)| *k == key) {
                continue;
            }
            members.push((key, val));
            if members.len() > MAX_TRACESTATE_MEMBERS {
                return None;
            }
        }
    }
    Some(members)
}

/// Splits valid members into the [`TraceState`] `opentelemetry` can hold and
/// the members its own, stricter validator refuses (Level 2 keys such as
/// `foo@`, or a 14-character vendor part). Never fails: a member the
/// upstream type refuses is carried beside it instead of dropping the rest.
fn split_members<K: AsRef<str>, V: AsRef<str>>(members: &[(K, V)]) -> (TraceState, bool) {
    // Commonly it accepts them all: one state made, none made to test a
    // member alone.
    let all = members.iter().map(|(k, v)| (k.as_ref(), v.as_ref()));
    if let Ok(state) = TraceState::from_key_value(all) {
        return (state, false);
    }
    let mut held = Vec::with_capacity(members.len());
    let mut refused = false;
    for (key, value) in members {
        let (key, value) = (key.as_ref(), value.as_ref());
        if TraceState::from_key_value([(key, value)]).is_ok() {
            held.push((key, value));
        } else {
            refused = true;
        }
    }
    (TraceState::from_key_value(held).unwrap_or_default(), refused)
}

/// Parses the (joined) `tracestate` values. See [`extract_span_context`]
/// for members that `opentelemetry`'s [`TraceState`] cannot hold; this
/// returns only the ones it can.
pub fn parse_tracestate(values: &[&str]) -> Option<TraceState> {
    parse_members(values).map(|members| split_members(&members).0)
}

/// The incoming `tracestate` in full, kept in the [`Context`] when some of
/// its members could not be put into the span context's [`TraceState`].
/// Injection merges it back, so what we were given is passed on unchanged.
#[derive(Debug, Clone)]
struct IncomingTraceState {
    trace_id: TraceId,
    members: Arc<Members>,
    held: TraceState,
}

impl IncomingTraceState {
    /// The header for `current`: members we changed or added come first
    /// (as `TraceState::insert` moved them), then the incoming members in
    /// their order, with their current values, minus the ones deleted.
    fn header(&self, current: &TraceState) -> String {
        if *current == self.held {
            return join(self.members.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        let incoming = |key: &str| self.members.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        let changed = current.header_delimited("=", ",");
        let changed = parse_members(&[&changed]).unwrap_or_default();
        let mut out: Vec<(&str, &str)> = changed.into_iter().filter(|(k, v)| incoming(k) != Some(*v)).collect();
        for (key, value) in self.members.iter() {
            let still_held = self.held.get(key).is_none() || current.get(key) == Some(value.as_str());
            if still_held && !out.iter().any(|(k, _)| k == key) {
                out.push((key, value));
            }
        }
        out.truncate(MAX_TRACESTATE_MEMBERS);
        join(out.into_iter())
    }
}

fn join<'a>(members: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut header = String::new();
    for (key, value) in members {
        if !header.is_empty() {
            header.push(',');
        }
        header.push_str(key);
        header.push('=');
        header.push_str(value);
    }
    header
}

/// Every value of a field. `get_all` answers for `get` too: its default
/// asks `get`, so `None` means the field is absent (asking `get` again
/// would be a second lookup on every request that has no such field).
fn all_values<'a>(extractor: &'a dyn Extractor, key: &str) -> Vec<&'a str> {
    extractor.get_all(key).unwrap_or_default()
}

/// The remote span context in a carrier, if valid. Its [`TraceState`]
/// holds the `tracestate` members `opentelemetry` accepts; the propagator
/// ([`TraceContextPropagator`]) also carries the rest.
pub fn extract_span_context(extractor: &dyn Extractor) -> Option<SpanContext> {
    extract(extractor).map(|(sc, _)| sc)
}

fn extract(extractor: &dyn Extractor) -> Option<(SpanContext, Option<IncomingTraceState>)> {
    let parents = all_values(extractor, TRACEPARENT);
    // Two traceparent fields combine into a value that fails the grammar.
    let [parent] = parents.as_slice() else { return None };
    let (trace_id, span_id, flags) = parse_traceparent(parent)?;
    let members = parse_members(&all_values(extractor, TRACESTATE)).unwrap_or_default();
    let (held, refused) = split_members(&members);
    let incoming =
        refused.then(|| IncomingTraceState { trace_id, members: Arc::new(owned(&members)), held: held.clone() });
    Some((SpanContext::new(trace_id, span_id, flags, true, held), incoming))
}

impl TextMapPropagator for TraceContextPropagator {
    fn inject_context(&self, cx: &Context, injector: &mut dyn Injector) {
        let span = cx.span();
        let sc = span.span_context();
        if !sc.is_valid() {
            return;
        }
        injector.set(TRACEPARENT, format_traceparent(sc));
        let state = match cx.get::<IncomingTraceState>() {
            Some(incoming) if incoming.trace_id == sc.trace_id() => incoming.header(sc.trace_state()),
            _ => sc.trace_state().header(),
        };
        if !state.is_empty() {
            injector.set(TRACESTATE, state);
        }
    }

    fn extract_with_context(&self, cx: &Context, extractor: &dyn Extractor) -> Context {
        match extract(extractor) {
            // An older incoming state below must not outlive this extraction.
            Some((sc, None)) if cx.get::<IncomingTraceState>().is_some() => {
                let members = sc.trace_state().header();
                let members = Arc::new(owned(&parse_members(&[&members]).unwrap_or_default()));
                let incoming = IncomingTraceState { trace_id: sc.trace_id(), members, held: sc.trace_state().clone() };
                cx.with_value(incoming).with_remote_span_context(sc)
            }
            Some((sc, None)) => cx.with_remote_span_context(sc),
            Some((sc, Some(incoming))) => cx.with_value(incoming).with_remote_span_context(sc),
            None => cx.clone(),
        }
    }

    fn fields(&self) -> opentelemetry::propagation::text_map_propagator::FieldIter<'_> {
        static FIELDS: OnceLock<[String; 2]> = OnceLock::new();
        let fields = FIELDS.get_or_init(|| [TRACEPARENT.to_owned(), TRACESTATE.to_owned()]);
        opentelemetry::propagation::text_map_propagator::FieldIter::new(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TP: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn trace_ids_print_as_their_display_does() {
        for id in
            [TraceId::from(0x4bf92f3577b34da6a3ce929d0e0e4736_u128), TraceId::from(1_u128), TraceId::from(u128::MAX)]
        {
            assert_eq!(format_trace_id(id), id.to_string());
        }
    }

    fn extract(headers: &[(&str, &str)]) -> Option<SpanContext> {
        let map: HashMap<String, String> = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        extract_span_context(&map)
    }

    #[test]
    fn parses_a_valid_traceparent() {
        let (t, s, f) = parse_traceparent(TP).unwrap();
        assert_eq!(t, TraceId::from(0x4bf92f3577b34da6a3ce929d0e0e4736u128));
        assert_eq!(s, SpanId::from(0x00f067aa0ba902b7u64));
        assert_eq!(f, TraceFlags::SAMPLED);
    }

    #[test]
    fn keeps_the_random_flag_and_clears_unknown_bits() {
        let (_, _, f) = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03").unwrap();
        assert_eq!(f.to_u8(), 0x03);
        let (_, _, f) = parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-ff").unwrap();
        assert_eq!(f.to_u8(), 0x03);
    }

    #[test]
    fn rejects_what_the_spec_says_to_ignore() {
        for bad in [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0", // short
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", // uppercase
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01", // zero trace id
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", // zero parent id
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // forbidden version
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // non-hex version
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra", // v00 with more data
            "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", // non-hex
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", // bad delimiter
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g", // bad flags
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", // future version, bad tail
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn accepts_future_versions_and_whitespace() {
        assert!(parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds")
            .is_some());
        assert!(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_some());
        assert!(parse_traceparent(&format!(" \t{TP} ")).is_some());
    }

    #[test]
    fn duplicate_traceparent_headers_restart() {
        struct Dup;
        impl Extractor for Dup {
            fn get(&self, _: &str) -> Option<&str> {
                Some(TP)
            }
            fn keys(&self) -> Vec<&str> {
                vec![TRACEPARENT]
            }
            fn get_all(&self, key: &str) -> Option<Vec<&str>> {
                (key == TRACEPARENT).then(|| vec![TP, TP])
            }
        }
        assert!(extract_span_context(&Dup).is_none());
    }

    #[test]
    fn tracestate_rules() {
        let s = parse_tracestate(&["rojo=00f067aa0ba902b7, congo=t61rcWkgMzE"]).unwrap();
        assert_eq!(s.header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
        assert!(parse_tracestate(&["a=1", "b=2"]).is_some());
        assert_eq!(parse_tracestate(&["a=1,,b=2"]).unwrap().header(), "a=1,b=2");
        assert!(parse_tracestate(&["tenant@vendor=x"]).is_some());
        // Trailing spaces are list whitespace, not part of the value.
        assert_eq!(parse_tracestate(&["a=x  "]).unwrap().header(), "a=x");
        for bad in ["A=1", "a=", "=1", "a=x,y", "a=b=c", "a=\u{7f}", "a=caf\u{e9}", "@foo=1", "foo.bar=1", "foo =1"] {
            assert!(parse_tracestate(&[bad]).is_none(), "{bad:?} was accepted");
        }
        let max: Vec<String> = (0..32).map(|i| format!("k{i}=v")).collect();
        assert!(parse_tracestate(&[&max.join(",")]).is_some());
        let over: Vec<String> = (0..33).map(|i| format!("k{i}=v")).collect();
        assert!(parse_tracestate(&[&over.join(",")]).is_none());
    }

    /// Extracts with the propagator and injects the result again: what a
    /// service passes on for the incoming `tracestate` fields.
    fn passed_on(tracestate: &[&str]) -> Option<String> {
        struct Carrier<'a>(Vec<(&'a str, &'a str)>);
        impl Extractor for Carrier<'_> {
            fn get(&self, key: &str) -> Option<&str> {
                self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| *v)
            }
            fn keys(&self) -> Vec<&str> {
                self.0.iter().map(|(k, _)| *k).collect()
            }
            fn get_all(&self, key: &str) -> Option<Vec<&str>> {
                let all: Vec<&str> =
                    self.0.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| *v).collect();
                (!all.is_empty()).then_some(all)
            }
        }
        let mut headers = vec![(TRACEPARENT, TP)];
        headers.extend(tracestate.iter().map(|v| (TRACESTATE, *v)));
        let cx = TraceContextPropagator.extract(&Carrier(headers));
        let mut out = HashMap::new();
        TraceContextPropagator.inject_context(&cx, &mut out);
        out.remove(TRACESTATE)
    }

    #[test]
    fn duplicate_keys_keep_the_first() {
        assert_eq!(passed_on(&["foo=1,foo=1"]).as_deref(), Some("foo=1"));
        assert_eq!(passed_on(&["foo=1,foo=2"]).as_deref(), Some("foo=1"));
        assert_eq!(passed_on(&["foo=1", "foo=2", "bar=3"]).as_deref(), Some("foo=1,bar=3"));
    }

    #[test]
    fn level_2_keys_are_passed_on_whole() {
        // Keys `opentelemetry`'s TraceState refuses but Level 2 allows.
        assert_eq!(passed_on(&["foo@=1,bar=2"]).as_deref(), Some("foo@=1,bar=2"));
        assert_eq!(passed_on(&["foo@@bar=1,bar=2"]).as_deref(), Some("foo@@bar=1,bar=2"));
        assert_eq!(passed_on(&["foo@bar@baz=1,bar=2"]).as_deref(), Some("foo@bar@baz=1,bar=2"));
        let long_vendor = format!("{}@{}=1", "t".repeat(241), "v".repeat(14));
        assert_eq!(long_vendor.len(), 258);
        assert_eq!(passed_on(&["foo=1", &long_vendor]), Some(format!("foo=1,{long_vendor}")));
        let longest = format!("{}=1", "z".repeat(256));
        assert_eq!(passed_on(&["foo=1", &longest]), Some(format!("foo=1,{longest}")));
        let all_chars = "abcdefghijklmnopqrstuvwxyz0123456789_-*/@a-z0-9_-*/";
        let value: String = (0x20u8..=0x7e).filter(|c| *c != b',' && *c != b'=').map(char::from).collect();
        assert_eq!(passed_on(&[&format!("{all_chars}={value}")]), Some(format!("{all_chars}={value}")));
    }

    #[test]
    fn what_level_2_still_refuses_drops_the_header() {
        for bad in ["@foo=1,bar=2", "foo=1,FOO=2", "foo.bar=1,bar=2", "foo =1,bar=2"] {
            assert_eq!(passed_on(&[bad]), None, "{bad:?} was passed on");
        }
        let too_long = format!("{}=1", "z".repeat(257));
        assert_eq!(passed_on(&["foo=1", &too_long]), None);
    }

    #[test]
    fn member_count_limit_and_empty_members() {
        let members: Vec<String> = (1..=33).map(|i| format!("bar{i:02}={i:02}")).collect();
        let thirty_two = members[..32].join(",");
        assert_eq!(passed_on(&[&members[..10].join(","), &members[10..32].join(",")]), Some(thirty_two));
        assert_eq!(passed_on(&[&members.join(",")]), None);
        assert_eq!(passed_on(&["", "foo=1"]).as_deref(), Some("foo=1"));
        assert_eq!(passed_on(&["foo=1", ""]).as_deref(), Some("foo=1"));
        assert_eq!(passed_on(&[""]), None);
        assert_eq!(passed_on(&[",,foo=1,, ,"]).as_deref(), Some("foo=1"));
    }

    #[test]
    fn optional_whitespace_is_not_part_of_members() {
        for ows in ["foo=1 \t , \t bar=2, \t baz=3", "foo=1\t \t,\t \tbar=2,\t \tbaz=3"] {
            assert_eq!(passed_on(&[ows]).as_deref(), Some("foo=1,bar=2,baz=3"));
        }
        for ows in [" foo=1", "\tfoo=1", "foo=1 ", "foo=1\t", "\t foo=1 \t"] {
            assert_eq!(passed_on(&[ows]).as_deref(), Some("foo=1"));
        }
    }

    #[test]
    fn our_changes_merge_with_members_opentelemetry_refused() {
        let members = vec![("a@@b".to_owned(), "1".to_owned()), ("bar".to_owned(), "2".to_owned())];
        let (held, refused) = split_members(&members);
        assert!(refused);
        assert_eq!(held.header(), "bar=2");
        let incoming =
            IncomingTraceState { trace_id: TraceId::from(1u128), members: Arc::new(members), held: held.clone() };
        // A sampler updating `ot` moves it left; the rest keep their order.
        let updated = held.insert("ot", "th:8").unwrap();
        assert_eq!(incoming.header(&updated), "ot=th:8,a@@b=1,bar=2");
        let changed = held.insert("bar", "3").unwrap();
        assert_eq!(incoming.header(&changed), "bar=3,a@@b=1");
        let deleted = held.delete("bar").unwrap();
        assert_eq!(incoming.header(&deleted), "a@@b=1");
    }

    #[test]
    fn a_bad_tracestate_keeps_the_parent() {
        let sc = extract(&[("traceparent", TP), ("tracestate", "BAD")]).unwrap();
        assert!(sc.is_remote());
        assert_eq!(sc.trace_state().header(), "");
    }

    #[test]
    fn round_trip_through_headers() {
        let sc = extract(&[
            ("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03"),
            ("tracestate", "congo=t61rcWkgMzE"),
        ])
        .unwrap();
        let cx = Context::new().with_remote_span_context(sc);
        let mut out = HashMap::new();
        TraceContextPropagator.inject_context(&cx, &mut out);
        assert_eq!(out["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03");
        assert_eq!(out["tracestate"], "congo=t61rcWkgMzE");
    }

    #[test]
    fn nothing_is_injected_without_a_valid_span() {
        let mut out = HashMap::new();
        TraceContextPropagator.inject_context(&Context::new(), &mut out);
        assert!(out.is_empty());
    }
}
