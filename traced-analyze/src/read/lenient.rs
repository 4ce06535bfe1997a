//! Field types that accept every spelling real trace files use: ids in hex
//! (either case) or base64, 64-bit integers as strings or numbers, enums as
//! integers or names. Each says what it expected when it fails, which serde
//! turns into `file:line: expected hex trace id, found "xyz"`.

use crate::model::{decode_hex, SpanId, SpanKind, StatusCode, TraceId};
use base64::Engine as _;
use serde::de::{self, Deserializer, Visitor};
use std::borrow::Cow;
use std::fmt;

fn decode_id<const N: usize>(text: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    if text.len() == 2 * N {
        decode_hex(text, &mut out)?;
        return Some(out);
    }
    // Stock protobuf JSON writes bytes as base64.
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
    (bytes.len() == N).then(|| {
        out.copy_from_slice(&bytes);
        out
    })
}

/// A trace id as it appears in a file; `None` when empty.
pub(crate) fn trace_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TraceId>, D::Error> {
    let text: Cow<'de, str> = de::Deserialize::deserialize(d)?;
    if text.is_empty() {
        return Ok(None);
    }
    if text.len() == 16 {
        // A 64-bit id (Jaeger, Zipkin), left-padded as the specification says.
        if let Some(short) = decode_id::<8>(&text) {
            let mut out = [0u8; 16];
            out[8..].copy_from_slice(&short);
            return Ok(Some(TraceId(out)));
        }
    }
    decode_id::<16>(&text)
        .map(|id| Some(TraceId(id)))
        .ok_or_else(|| de::Error::custom(format_args!("expected hex trace id, found {text:?}")))
}

/// A span id as it appears in a file; `None` when empty.
pub(crate) fn span_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SpanId>, D::Error> {
    let text: Cow<'de, str> = de::Deserialize::deserialize(d)?;
    if text.is_empty() {
        return Ok(None);
    }
    decode_id::<8>(&text)
        .map(|id| Some(SpanId(id)))
        .ok_or_else(|| de::Error::custom(format_args!("expected hex span id, found {text:?}")))
}

/// A 64-bit unsigned integer, as a number or a decimal string.
pub(crate) fn u64_any<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = u64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an unsigned integer or a decimal string")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom(format_args!("expected an unsigned integer, found {v}")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            if v >= 0.0 && v.fract() == 0.0 && v < 1.8e19 {
                Ok(v as u64)
            } else {
                Err(E::custom(format_args!("expected an unsigned integer, found {v}")))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            v.parse().map_err(|_| E::custom(format_args!("expected an unsigned integer, found {v:?}")))
        }
    }
    d.deserialize_any(V)
}

/// A 64-bit signed integer, as a number or a decimal string.
pub(crate) fn i64_any<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = i64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer or a decimal string")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
            i64::try_from(v).map_err(|_| E::custom(format_args!("integer {v} out of range")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
            Ok(v)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<i64, E> {
            if v.fract() == 0.0 && v.abs() < 9.2e18 {
                Ok(v as i64)
            } else {
                Err(E::custom(format_args!("expected an integer, found {v}")))
            }
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<i64, E> {
            v.parse().map_err(|_| E::custom(format_args!("expected an integer, found {v:?}")))
        }
    }
    d.deserialize_any(V)
}

/// A double, as a number or a string (`"NaN"`, `"Infinity"` included).
pub(crate) fn f64_any<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    struct V;
    impl Visitor<'_> for V {
        type Value = f64;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a number")
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
            Ok(v as f64)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
            match v {
                "NaN" => Ok(f64::NAN),
                "Infinity" => Ok(f64::INFINITY),
                "-Infinity" => Ok(f64::NEG_INFINITY),
                _ => v.parse().map_err(|_| E::custom(format_args!("expected a number, found {v:?}"))),
            }
        }
    }
    d.deserialize_any(V)
}

/// An enum given as its number or its name (`SPAN_KIND_SERVER`, `SERVER`,
/// `server`).
fn enum_any<'de, D: Deserializer<'de>, T>(
    d: D,
    what: &'static str,
    from_number: fn(u64) -> Option<T>,
    from_name: fn(&str) -> Option<T>,
) -> Result<T, D::Error> {
    struct V<T> {
        what: &'static str,
        from_number: fn(u64) -> Option<T>,
        from_name: fn(&str) -> Option<T>,
    }
    impl<T> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a {} as a number or a name", self.what)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            (self.from_number)(v).ok_or_else(|| E::custom(format_args!("expected a {}, found {v}", self.what)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            u64::try_from(v)
                .ok()
                .and_then(self.from_number)
                .ok_or_else(|| E::custom(format_args!("expected a {}, found {v}", self.what)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            (self.from_name)(v).ok_or_else(|| E::custom(format_args!("expected a {}, found {v:?}", self.what)))
        }
    }
    d.deserialize_any(V { what, from_number, from_name })
}

pub(crate) fn span_kind<'de, D: Deserializer<'de>>(d: D) -> Result<SpanKind, D::Error> {
    enum_any(d, "span kind", kind_from_number, kind_from_name)
}

pub(crate) fn status_code<'de, D: Deserializer<'de>>(d: D) -> Result<StatusCode, D::Error> {
    enum_any(d, "status code", status_from_number, status_from_name)
}

pub(crate) fn kind_from_number(n: u64) -> Option<SpanKind> {
    Some(match n {
        0 => SpanKind::Unspecified,
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        _ => return None,
    })
}

pub(crate) fn kind_from_name(name: &str) -> Option<SpanKind> {
    let bare = name.strip_prefix("SPAN_KIND_").unwrap_or(name);
    Some(match bare.to_ascii_lowercase().as_str() {
        "unspecified" => SpanKind::Unspecified,
        "internal" => SpanKind::Internal,
        "server" => SpanKind::Server,
        "client" => SpanKind::Client,
        "producer" => SpanKind::Producer,
        "consumer" => SpanKind::Consumer,
        _ => return None,
    })
}

pub(crate) fn status_from_number(n: u64) -> Option<StatusCode> {
    Some(match n {
        0 => StatusCode::Unset,
        1 => StatusCode::Ok,
        2 => StatusCode::Error,
        _ => return None,
    })
}

pub(crate) fn status_from_name(name: &str) -> Option<StatusCode> {
    let bare = name.strip_prefix("STATUS_CODE_").unwrap_or(name);
    Some(match bare.to_ascii_lowercase().as_str() {
        "unset" => StatusCode::Unset,
        "ok" => StatusCode::Ok,
        "error" => StatusCode::Error,
        _ => return None,
    })
}
