//! Lower-case hex, both ways, for ids in headers: written into and read
//! from fixed buffers rather than through `format!` and `from_str_radix`,
//! which cost several times more, on every propagated call.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Writes `bytes` as hex into `out`, which holds exactly twice as many.
pub(crate) fn encode_into(out: &mut [u8], bytes: &[u8]) {
    debug_assert_eq!(out.len(), 2 * bytes.len());
    for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0x0f)];
    }
}

/// The value of one lower-case hex digit.
fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

/// Reads exactly `2 * N` lower-case hex digits; `None` for anything else
/// (upper case included, as W3C Trace Context requires).
pub(crate) fn decode_lower<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_what_is_not_lower_hex() {
        let bytes = [0x00, 0x4b, 0xf9, 0x2f, 0xff, 0x0a];
        let mut text = [0u8; 12];
        encode_into(&mut text, &bytes);
        assert_eq!(&text, b"004bf92fff0a");
        assert_eq!(decode_lower::<6>(&text), Some(bytes));
        assert_eq!(decode_lower::<6>(b"004BF92FFF0A"), None, "upper case");
        assert_eq!(decode_lower::<6>(b"004bf92fff0g"), None);
        assert_eq!(decode_lower::<6>(b"004bf92fff0"), None, "short");
        assert_eq!(decode_lower::<1>(b"-1"), None);
    }
}
