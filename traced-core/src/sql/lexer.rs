//! A small SQL tokenizer: just enough to tell literals, identifiers,
//! keywords and comments apart, so that the summary, the sanitizer and the
//! comment placement never mistake the inside of a string for SQL.
//!
//! It never fails: unknown bytes become punctuation, and an unterminated
//! string or comment is reported as such rather than guessed at.

/// Lexical rules that differ between the databases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    /// `\'` escapes a quote inside '...' (MySQL's default `sql_mode`).
    pub backslash_escapes: bool,
    /// `"..."` is a string, not an identifier (MySQL without `ANSI_QUOTES`).
    pub double_quoted_strings: bool,
    /// `#` starts a line comment (MySQL).
    pub hash_comments: bool,
    /// `$tag$...$tag$` strings (PostgreSQL).
    pub dollar_quotes: bool,
    /// `[name]` identifiers (SQLite).
    pub bracket_identifiers: bool,
}

impl Dialect {
    /// PostgreSQL: `$1`, `$$..$$`, `E'..'`.
    pub const POSTGRES: Dialect = Dialect {
        backslash_escapes: false,
        double_quoted_strings: false,
        hash_comments: false,
        dollar_quotes: true,
        bracket_identifiers: false,
    };
    /// MySQL and MariaDB: backslash escapes, `"strings"`, `#` comments.
    pub const MYSQL: Dialect = Dialect {
        backslash_escapes: true,
        double_quoted_strings: true,
        hash_comments: true,
        dollar_quotes: false,
        bracket_identifiers: false,
    };
    /// SQLite: `[identifiers]`.
    pub const SQLITE: Dialect = Dialect {
        backslash_escapes: false,
        double_quoted_strings: false,
        hash_comments: false,
        dollar_quotes: false,
        bracket_identifiers: true,
    };
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A keyword or an unquoted identifier.
    Word,
    /// `"name"`, `` `name` `` or `[name]`.
    QuotedIdent,
    /// A string literal of any form (also `E'..'`, `X'..'`, `$$..$$`).
    String,
    /// A numeric literal.
    Number,
    /// `$1`, `?`, `:name`, `@name`: a bind parameter.
    Placeholder,
    /// `--`, `#` or `/* */`.
    Comment,
    /// Any other single character.
    Punct,
    /// Spaces, tabs, newlines.
    Whitespace,
}

/// One token: its kind and its byte range in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub kind: Kind,
    /// Where it starts (byte offset, on a character boundary).
    pub start: usize,
    /// Where it ends (exclusive).
    pub end: usize,
}

/// The tokens of a text, and whether it ended inside a string, quoted
/// identifier or block comment.
pub struct Lexed {
    /// Every token, whitespace and comments included, in order.
    pub tokens: Vec<Token>,
    /// The text ended inside a string, quoted identifier or block comment.
    pub unterminated: bool,
}

impl Lexed {
    /// Whether any token is a comment.
    pub fn has_comment(&self) -> bool {
        self.tokens.iter().any(|t| t.kind == Kind::Comment)
    }
}

/// Splits `sql` into tokens.
pub fn lex(sql: &str, dialect: Dialect) -> Lexed {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::with_capacity(bytes.len() / 4 + 1);
    let mut unterminated = false;
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        let (kind, end) = match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c => {
                (Kind::Whitespace, scan_while(bytes, i, |c| c.is_ascii_whitespace()))
            }
            b'-' if next == Some(b'-') => (Kind::Comment, line_end(bytes, i)),
            b'#' if dialect.hash_comments => (Kind::Comment, line_end(bytes, i)),
            b'/' if next == Some(b'*') => {
                let (end, closed) = block_comment_end(bytes, i);
                unterminated |= !closed;
                (Kind::Comment, end)
            }
            b'\'' => quoted(bytes, i, b'\'', dialect.backslash_escapes, Kind::String, &mut unterminated),
            b'"' if dialect.double_quoted_strings => {
                quoted(bytes, i, b'"', dialect.backslash_escapes, Kind::String, &mut unterminated)
            }
            b'"' => quoted(bytes, i, b'"', false, Kind::QuotedIdent, &mut unterminated),
            b'`' => quoted(bytes, i, b'`', false, Kind::QuotedIdent, &mut unterminated),
            b'[' if dialect.bracket_identifiers => quoted(bytes, i, b']', false, Kind::QuotedIdent, &mut unterminated),
            // E'..', X'..', B'..', N'..': a prefixed string literal.
            b'e' | b'E' | b'x' | b'X' | b'b' | b'B' | b'n' | b'N' if next == Some(b'\'') => {
                let escapes = dialect.backslash_escapes || matches!(b, b'e' | b'E');
                let (_, end) = quoted(bytes, i + 1, b'\'', escapes, Kind::String, &mut unterminated);
                (Kind::String, end)
            }
            b'$' if next.is_some_and(|c| c.is_ascii_digit()) => {
                (Kind::Placeholder, scan_while(bytes, i + 1, |c| c.is_ascii_digit()))
            }
            b'$' if dialect.dollar_quotes => match dollar_tag(bytes, i) {
                Some(tag_end) => {
                    let (end, closed) = dollar_string_end(bytes, i, tag_end);
                    unterminated |= !closed;
                    (Kind::String, end)
                }
                None => (Kind::Punct, i + 1),
            },
            b'?' => (Kind::Placeholder, i + 1),
            b':' | b'@' if next.is_some_and(is_ident_start) && !prev_is(bytes, i, b':') => {
                (Kind::Placeholder, scan_while(bytes, i + 1, is_ident_continue))
            }
            b'0'..=b'9' => (Kind::Number, number_end(bytes, i)),
            b'.' if next.is_some_and(|c| c.is_ascii_digit()) && !prev_is_ident(bytes, i) => {
                (Kind::Number, number_end(bytes, i))
            }
            c if is_ident_start(c) => (Kind::Word, scan_while(bytes, i, is_ident_continue)),
            // Non-ASCII bytes all start words above, so this is one ASCII byte.
            _ => (Kind::Punct, i + 1),
        };
        let end = end.min(bytes.len()).max(start + 1);
        tokens.push(Token { kind, start, end });
        i = end;
    }
    Lexed { tokens, unterminated }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_continue(c: u8) -> bool {
    is_ident_start(c) || c.is_ascii_digit() || c == b'$'
}

fn prev_is(bytes: &[u8], i: usize, c: u8) -> bool {
    i > 0 && bytes[i - 1] == c
}

fn prev_is_ident(bytes: &[u8], i: usize) -> bool {
    i > 0 && is_ident_continue(bytes[i - 1])
}

fn scan_while(bytes: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < bytes.len() && keep(bytes[i]) {
        i += 1;
    }
    i
}

fn line_end(bytes: &[u8], i: usize) -> usize {
    scan_while(bytes, i, |c| c != b'\n')
}

/// PostgreSQL nests block comments; the others do not, but nesting never
/// ends a comment *earlier*, so treating all as nesting is the safe reading.
fn block_comment_end(bytes: &[u8], mut i: usize) -> (usize, bool) {
    let mut depth = 0usize;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return (i, true);
                }
            }
            _ => i += 1,
        }
    }
    (bytes.len(), false)
}

/// A run quoted by `close`, where a doubled `close` stands for itself.
fn quoted(bytes: &[u8], i: usize, close: u8, backslash: bool, kind: Kind, unterminated: &mut bool) -> (Kind, usize) {
    let mut j = i + 1;
    while j < bytes.len() {
        let c = bytes[j];
        if backslash && c == b'\\' {
            j += 2;
        } else if c == close {
            if bytes.get(j + 1) == Some(&close) {
                j += 2;
            } else {
                return (kind, j + 1);
            }
        } else {
            j += 1;
        }
    }
    *unterminated = true;
    (kind, bytes.len())
}

/// The end of `$tag$` starting at `i`, if it is one.
fn dollar_tag(bytes: &[u8], i: usize) -> Option<usize> {
    let end = scan_while(bytes, i + 1, |c| is_ident_start(c) || c.is_ascii_digit());
    (bytes.get(end) == Some(&b'$') && !prev_is_ident(bytes, i)).then_some(end + 1)
}

fn dollar_string_end(bytes: &[u8], start: usize, tag_end: usize) -> (usize, bool) {
    let tag = &bytes[start..tag_end];
    let body = &bytes[tag_end..];
    match body.windows(tag.len()).position(|w| w == tag) {
        Some(at) => (tag_end + at + tag.len(), true),
        None => (bytes.len(), false),
    }
}

fn number_end(bytes: &[u8], i: usize) -> usize {
    if bytes[i] == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X')) {
        return scan_while(bytes, i + 2, |c| c.is_ascii_hexdigit());
    }
    let mut j = scan_while(bytes, i, |c| c.is_ascii_digit() || c == b'.');
    if matches!(bytes.get(j), Some(b'e' | b'E')) {
        let k = if matches!(bytes.get(j + 1), Some(b'+' | b'-')) { j + 2 } else { j + 1 };
        if bytes.get(k).is_some_and(u8::is_ascii_digit) {
            j = scan_while(bytes, k, |c| c.is_ascii_digit());
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(sql: &str, dialect: Dialect) -> Vec<(Kind, &str)> {
        lex(sql, dialect)
            .tokens
            .into_iter()
            .filter(|t| t.kind != Kind::Whitespace)
            .map(|t| (t.kind, &sql[t.start..t.end]))
            .collect()
    }

    #[test]
    fn strings_hide_comment_markers_and_quotes() {
        let t = kinds("SELECT 'a -- b /* c */ ''d''' FROM t", Dialect::POSTGRES);
        assert_eq!(t[1], (Kind::String, "'a -- b /* c */ ''d'''"));
        assert!(!lex("SELECT 'a -- b /* c */'", Dialect::POSTGRES).has_comment());
    }

    #[test]
    fn backslash_escapes_only_where_the_dialect_has_them() {
        let sql = r"SELECT 'it\'s' -- x";
        assert!(lex(sql, Dialect::MYSQL).has_comment());
        // In PostgreSQL `'it\'` is a whole string, then `s' -- x` opens another.
        assert!(lex(sql, Dialect::POSTGRES).unterminated);
        assert_eq!(kinds(r"SELECT E'a\'b'", Dialect::POSTGRES)[1], (Kind::String, r"E'a\'b'"));
    }

    #[test]
    fn dollar_quotes_and_placeholders() {
        let t = kinds("SELECT $1, $tag$ it's */ $tag$, $$x$$", Dialect::POSTGRES);
        assert_eq!(t[1], (Kind::Placeholder, "$1"));
        assert_eq!(t[3], (Kind::String, "$tag$ it's */ $tag$"));
        assert_eq!(t[5], (Kind::String, "$$x$$"));
    }

    #[test]
    fn comments_of_each_dialect() {
        assert!(lex("SELECT 1 # x", Dialect::MYSQL).has_comment());
        assert!(!lex("SELECT 1 # 2", Dialect::POSTGRES).has_comment());
        assert!(lex("SELECT /* a /* nested */ b */ 1", Dialect::POSTGRES).has_comment());
        assert!(lex("SELECT /* open", Dialect::POSTGRES).unterminated);
    }

    #[test]
    fn numbers_are_not_parts_of_identifiers() {
        let t = kinds("SELECT t1.c2, 3.5e-2, 0xFF, .5 FROM t1", Dialect::POSTGRES);
        assert_eq!(t[1], (Kind::Word, "t1"));
        assert_eq!(t[3], (Kind::Word, "c2"));
        assert_eq!(t[5], (Kind::Number, "3.5e-2"));
        assert_eq!(t[7], (Kind::Number, "0xFF"));
        assert_eq!(t[9], (Kind::Number, ".5"));
    }

    #[test]
    fn casts_are_not_placeholders() {
        let t = kinds("SELECT x::text, :name", Dialect::POSTGRES);
        assert!(t.contains(&(Kind::Word, "text")));
        assert!(t.contains(&(Kind::Placeholder, ":name")));
    }

    #[test]
    fn non_ascii_text_does_not_split_characters() {
        let sql = "SELECT 'é' FROM \"tablé\" WHERE x = ü";
        for t in lex(sql, Dialect::POSTGRES).tokens {
            assert!(sql.is_char_boundary(t.start) && sql.is_char_boundary(t.end));
        }
    }
}
