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

/// Each byte's value as a lower-case hex digit; `INVALID` for any other.
const VALUES: [u8; 256] = {
    let mut values = [INVALID; 256];
    let mut i = 0;
    while i < 16 {
        values[DIGITS[i] as usize] = i as u8;
        i += 1;
    }
    values
};
/// Has a bit no digit's value has.
const INVALID: u8 = 0x10;

/// Reads exactly `2 * N` lower-case hex digits; `None` for anything else
/// (upper case included, as W3C Trace Context requires).
pub(crate) fn decode_lower<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    if s.len() != 2 * N {
        return None;
    }
    let mut out = [0u8; N];
    // Checked once at the end: no branch per digit.
    let mut seen = 0u8;
    for (byte, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
        let (high, low) = (VALUES[usize::from(pair[0])], VALUES[usize::from(pair[1])]);
        seen |= high | low;
        *byte = high << 4 | low;
    }
    (seen & INVALID == 0).then_some(out)
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

    #[test]
    fn every_byte_is_judged_in_either_place() {
        for b in 0..=255u8 {
            let lower_hex = b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
            let expected = |high: u8, low: u8| lower_hex.then_some([high << 4 | low]);
            let value = (b as char).to_digit(16).unwrap_or(0) as u8;
            assert_eq!(decode_lower::<1>(&[b'7', b]), expected(7, value), "low digit {b:#04x}");
            assert_eq!(decode_lower::<1>(&[b, b'7']), expected(value, 7), "high digit {b:#04x}");
        }
    }
}
