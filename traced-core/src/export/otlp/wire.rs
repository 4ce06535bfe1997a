//! Protobuf wire format, both ways, for the few OTLP messages we write and
//! read. Writing goes straight from span data into one reusable buffer: no
//! intermediate message structs, no per-attribute allocations (what makes
//! the generated-code path cost several hundred ns per span).

/// Wire types used by OTLP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireType {
    Varint = 0,
    Fixed64 = 1,
    Len = 2,
    Fixed32 = 5,
}

/// Appends protobuf fields to a byte buffer.
///
/// Nested messages are written in one pass: a length prefix of the size we
/// expect is reserved, the body written after it, and the body moved only
/// when its length needs a prefix of another size.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub(crate) buf: Vec<u8>,
}

impl Writer {
    #[inline]
    pub(crate) fn varint(&mut self, mut v: u64) {
        if v < 0x80 {
            // Keys, lengths of small fields, enums: nearly every varint.
            self.buf.push(v as u8);
            return;
        }
        while v >= 0x80 {
            self.buf.push(v as u8 | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    fn key(&mut self, field: u32, wire: WireType) {
        self.varint(u64::from(field) << 3 | wire as u64);
    }

    /// A string field; proto3 leaves empty ones out.
    pub(crate) fn string(&mut self, field: u32, s: &str) {
        if !s.is_empty() {
            self.bytes_always(field, s.as_bytes());
        }
    }

    /// A length-delimited field written even when empty (oneof members).
    pub(crate) fn bytes_always(&mut self, field: u32, b: &[u8]) {
        self.key(field, WireType::Len);
        self.varint(b.len() as u64);
        self.buf.extend_from_slice(b);
    }

    /// An unsigned varint field; zero is the default and left out.
    pub(crate) fn uint(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.key(field, WireType::Varint);
            self.varint(v);
        }
    }

    /// A varint field written even when zero (oneof members, `int64`).
    pub(crate) fn varint_always(&mut self, field: u32, v: u64) {
        self.key(field, WireType::Varint);
        self.varint(v);
    }

    pub(crate) fn fixed64_always(&mut self, field: u32, v: u64) {
        self.key(field, WireType::Fixed64);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub(crate) fn fixed64(&mut self, field: u32, v: u64) {
        if v != 0 {
            self.fixed64_always(field, v);
        }
    }

    pub(crate) fn fixed32(&mut self, field: u32, v: u32) {
        if v != 0 {
            self.key(field, WireType::Fixed32);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }

    /// A nested message; `expected` is the guessed size of its length
    /// prefix in bytes (1 for < 128 bytes, 2 for < 16 KiB, 3 for < 2 MiB).
    pub(crate) fn message(&mut self, field: u32, expected: usize, body: impl FnOnce(&mut Self)) {
        self.key(field, WireType::Len);
        let at = self.buf.len();
        self.buf.resize(at + expected, 0);
        body(self);
        let len = self.buf.len() - at - expected;
        let needed = varint_len(len as u64);
        if needed != expected {
            let end = self.buf.len();
            if needed > expected {
                self.buf.resize(end + needed - expected, 0);
            }
            self.buf.copy_within(at + expected..end, at + needed);
            self.buf.truncate(at + needed + len);
        }
        let mut v = len as u64;
        for slot in &mut self.buf[at..at + needed] {
            *slot = (v as u8 & 0x7f) | 0x80;
            v >>= 7;
        }
        self.buf[at + needed - 1] &= 0x7f;
    }
}

/// Bytes a varint of `v` takes.
pub(crate) fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// One field read from a message: its number and value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field<'a> {
    Varint(u32, u64),
    Bytes(u32, &'a [u8]),
    /// A fixed-width field, whose value none of our readers needs.
    Fixed(u32),
}

/// Reads the fields of one message, in order. Stops (returns `None`) at the
/// end or at the first malformed byte: answers are advisory, never trusted.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for (i, &b) in self.rest.iter().enumerate().take(10) {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.rest = &self.rest[i + 1..];
                return Some(v);
            }
        }
        None
    }

    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Field<'a>;

    fn next(&mut self) -> Option<Field<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let key = self.varint()?;
        let field = u32::try_from(key >> 3).ok()?;
        match key & 7 {
            0 => self.varint().map(|v| Field::Varint(field, v)),
            1 => self.take(8).map(|_| Field::Fixed(field)),
            2 => {
                let len = usize::try_from(self.varint()?).ok()?;
                self.take(len).map(|b| Field::Bytes(field, b))
            }
            5 => self.take(4).map(|_| Field::Fixed(field)),
            _ => {
                self.rest = &[];
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_match_the_specification_examples() {
        let mut w = Writer::default();
        w.varint(1);
        w.varint(150);
        w.varint(u64::MAX);
        assert_eq!(w.buf[..3], [0x01, 0x96, 0x01]);
        assert_eq!(w.buf.len(), 3 + 10);
        for v in [0, 1, 127, 128, 16_383, 16_384, u64::from(u32::MAX), u64::MAX] {
            let mut w = Writer::default();
            w.varint(v);
            assert_eq!(w.buf.len(), varint_len(v), "{v}");
        }
    }

    #[test]
    fn nested_messages_get_the_right_prefix_whatever_was_guessed() {
        for len in [0usize, 1, 127, 128, 300, 16_383, 16_384, 70_000] {
            for expected in 1..=3 {
                let mut w = Writer::default();
                w.message(2, expected, |w| w.buf.extend(std::iter::repeat_n(7u8, len)));
                let mut r = Reader::new(&w.buf);
                assert_eq!(r.next(), Some(Field::Bytes(2, &vec![7u8; len][..])), "{len} bytes, guessed {expected}");
                assert_eq!(r.next(), None);
            }
        }
    }

    #[test]
    fn the_reader_stops_at_malformed_input() {
        assert_eq!(Reader::new(&[0x0a, 0x05, 1, 2]).next(), None, "length past the end");
        assert_eq!(Reader::new(&[0x08]).next(), None, "varint cut short");
        assert_eq!(Reader::new(&[0x0b]).count(), 0, "group wire types are not OTLP");
        let fields: Vec<_> = Reader::new(&[0x08, 0x96, 0x01, 0x12, 0x01, b'x']).collect();
        assert_eq!(fields, [Field::Varint(1, 150), Field::Bytes(2, b"x")]);
    }
}
