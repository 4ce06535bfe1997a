//! The SQL lexer and sanitizer on any text, in every dialect: tokens cover
//! the text exactly, on character boundaries, and what a string literal
//! held shows in the sanitized text only where it was also outside one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use traced_core::sql::{lex, sanitize, Dialect, Kind};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for dialect in [Dialect::POSTGRES, Dialect::MYSQL, Dialect::SQLITE] {
        let lexed = lex(&text, dialect);
        let mut at = 0;
        for t in &lexed.tokens {
            assert_eq!(t.start, at, "contiguous");
            assert!(t.end > t.start && text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
            at = t.end;
        }
        assert_eq!(at, text.len(), "the whole text");
        let clean = sanitize(&text, &lexed);
        let kept: String = lexed
            .tokens
            .iter()
            .filter(|t| !matches!(t.kind, Kind::String | Kind::Number | Kind::Comment))
            .map(|t| &text[t.start..t.end])
            .collect();
        // Closed literals (open ones run to the end and are cut whole).
        let closed = lexed.tokens.len() - usize::from(lexed.unterminated);
        for t in lexed.tokens[..closed].iter().filter(|t| t.kind == Kind::String && t.end - t.start >= 8) {
            // Both ends are ASCII quote characters. Without `?` (which the
            // sanitizer writes) or spaces, a match can only come from kept text.
            let inside = &text[t.start + 1..t.end - 1];
            if inside.contains(|c: char| c == '?' || c.is_whitespace()) {
                continue;
            }
            assert!(!clean.contains(inside) || kept.contains(inside), "{inside:?} leaked into {clean:?}");
        }
    }
});
