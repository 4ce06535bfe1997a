//! TraceQL's tokens, each with the column it starts at (1-based, in
//! characters) so errors can point at it.

use super::QueryError;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    LBrace,
    RBrace,
    LParen,
    RParen,
    Comma,
    Pipe,
    AndAnd,
    OrOr,
    Not,
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Re,
    NotRe,
    Descendant,
    Ancestor,
    Tilde,
    Str(String),
    Int(i64),
    Float(f64),
    /// Nanoseconds.
    Duration(u64),
    /// A bare word: an intrinsic, keyword or function name.
    Ident(String),
    /// `span.x`, `resource.x`, `event.x` or `.x`: the scope and the name.
    Attr(Scope, String),
    End,
}

/// Where an attribute is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `span.`
    Span,
    /// `resource.`
    Resource,
    /// `event.`: any of the span's events.
    Event,
    /// `.`: the span's, else the resource's.
    Any,
}

impl Tok {
    /// How an error message names it.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Int(i) => format!("number {i}"),
            Tok::Float(f) => format!("number {f}"),
            Tok::Duration(_) => "a duration".to_owned(),
            Tok::Ident(w) => format!("`{w}`"),
            Tok::Attr(_, name) => format!("attribute `{name}`"),
            Tok::End => "the end of the query".to_owned(),
            other => format!("`{}`", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Tok::LBrace => "{",
            Tok::RBrace => "}",
            Tok::LParen => "(",
            Tok::RParen => ")",
            Tok::Comma => ",",
            Tok::Pipe => "|",
            Tok::AndAnd => "&&",
            Tok::OrOr => "||",
            Tok::Not => "!",
            Tok::Eq => "=",
            Tok::Ne => "!=",
            Tok::Gt => ">",
            Tok::Ge => ">=",
            Tok::Lt => "<",
            Tok::Le => "<=",
            Tok::Re => "=~",
            Tok::NotRe => "!~",
            Tok::Descendant => ">>",
            Tok::Ancestor => "<<",
            Tok::Tilde => "~",
            _ => "?",
        }
    }
}

/// Splits `text` into tokens with their columns; the last is [`Tok::End`].
pub(crate) fn lex(text: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let col = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let next = chars.get(i + 1).copied();
        let (tok, len) = match (c, next) {
            ('{', _) => (Tok::LBrace, 1),
            ('}', _) => (Tok::RBrace, 1),
            ('(', _) => (Tok::LParen, 1),
            (')', _) => (Tok::RParen, 1),
            (',', _) => (Tok::Comma, 1),
            ('&', Some('&')) => (Tok::AndAnd, 2),
            ('|', Some('|')) => (Tok::OrOr, 2),
            ('|', _) => (Tok::Pipe, 1),
            ('!', Some('=')) => (Tok::Ne, 2),
            ('!', Some('~')) => (Tok::NotRe, 2),
            ('!', _) => (Tok::Not, 1),
            ('=', Some('~')) => (Tok::Re, 2),
            ('=', Some('=')) => (Tok::Eq, 2),
            ('=', _) => (Tok::Eq, 1),
            ('>', Some('>')) => (Tok::Descendant, 2),
            ('>', Some('=')) => (Tok::Ge, 2),
            ('>', _) => (Tok::Gt, 1),
            ('<', Some('<')) => (Tok::Ancestor, 2),
            ('<', Some('=')) => (Tok::Le, 2),
            ('<', _) => (Tok::Lt, 1),
            ('~', _) => (Tok::Tilde, 1),
            ('"', _) | ('`', _) => {
                let (s, len) = string(&chars[i..], col)?;
                (Tok::Str(s), len)
            }
            ('.', Some(n)) if is_name_char(n) => {
                let (name, len) = name(&chars[i + 1..]);
                (Tok::Attr(Scope::Any, name), len + 1)
            }
            ('-', Some(n)) if n.is_ascii_digit() => {
                let (tok, len) = number(&chars[i + 1..], col)?;
                let tok = match tok {
                    Tok::Int(v) => Tok::Int(-v),
                    Tok::Float(v) => Tok::Float(-v),
                    _ => return Err(QueryError::at(col, "a duration cannot be negative")),
                };
                (tok, len + 1)
            }
            (c, _) if c.is_ascii_digit() => number(&chars[i..], col)?,
            (c, _) if c.is_alphabetic() || c == '_' => word(&chars[i..]),
            (c, _) => return Err(QueryError::at(col, format!("unexpected character `{c}`"))),
        };
        out.push((tok, col));
        i += len;
    }
    out.push((Tok::End, chars.len() + 1));
    Ok(out)
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | '@')
}

fn name(chars: &[char]) -> (String, usize) {
    let len = chars.iter().take_while(|&&c| is_name_char(c)).count();
    // A trailing dot belongs to nothing.
    let len = chars[..len].iter().rposition(|&c| c != '.').map_or(0, |p| p + 1);
    (chars[..len].iter().collect(), len)
}

/// A word; `span.x`, `resource.x` and `event.x` are attributes, and so are
/// the intrinsic forms `span:name`, `trace:duration` (kept as one word).
fn word(chars: &[char]) -> (Tok, usize) {
    let len = chars.iter().take_while(|&&c| c.is_alphanumeric() || c == '_' || c == ':').count();
    let w: String = chars[..len].iter().collect();
    let scope = match w.as_str() {
        "span" => Some(Scope::Span),
        "resource" => Some(Scope::Resource),
        "event" => Some(Scope::Event),
        _ => None,
    };
    if let (Some(scope), Some('.')) = (scope, chars.get(len)) {
        let (attr, attr_len) = name(&chars[len + 1..]);
        if attr_len > 0 {
            return (Tok::Attr(scope, attr), len + 1 + attr_len);
        }
    }
    (Tok::Ident(w), len)
}

fn string(chars: &[char], col: usize) -> Result<(String, usize), QueryError> {
    let quote = chars[0];
    let mut out = String::new();
    let mut i = 1;
    while i < chars.len() {
        match chars[i] {
            c if c == quote => return Ok((out, i + 1)),
            // Backquoted strings are raw, as in TraceQL.
            '\\' if quote == '"' => {
                let escaped = chars.get(i + 1).copied().ok_or_else(|| QueryError::at(col, "unterminated string"))?;
                out.push(match escaped {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                i += 2;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Err(QueryError::at(col, "unterminated string: expected a closing quote"))
}

fn number(chars: &[char], col: usize) -> Result<(Tok, usize), QueryError> {
    let digits = chars.iter().take_while(|c| c.is_ascii_digit() || **c == '.').count();
    let text: String = chars[..digits].iter().collect();
    let unit_len = chars[digits..].iter().take_while(|c| c.is_alphabetic()).count();
    let unit: String = chars[digits..digits + unit_len].iter().collect();
    let value: f64 = text.parse().map_err(|_| QueryError::at(col, format!("malformed number `{text}`")))?;
    if unit.is_empty() {
        return Ok(if text.contains('.') {
            (Tok::Float(value), digits)
        } else {
            let int = text.parse().map_err(|_| QueryError::at(col, format!("number `{text}` is too large")))?;
            (Tok::Int(int), digits)
        });
    }
    let scale = match unit.as_str() {
        "ns" => 1.0,
        "us" | "µs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => {
            return Err(QueryError::at(
                col + digits,
                format!("unknown duration unit `{unit}`: expected ns, us, ms, s, m or h"),
            ))
        }
    };
    Ok((Tok::Duration((value * scale).round() as u64), digits + unit_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        lex(text).unwrap().into_iter().map(|(t, _)| t).collect()
    }

    #[test]
    fn attributes_durations_and_operators() {
        assert_eq!(
            toks(r#"{ span.http.status_code >= 500 && .db.system =~ "post.*" } >> { duration > 1.5s }"#),
            vec![
                Tok::LBrace,
                Tok::Attr(Scope::Span, "http.status_code".into()),
                Tok::Ge,
                Tok::Int(500),
                Tok::AndAnd,
                Tok::Attr(Scope::Any, "db.system".into()),
                Tok::Re,
                Tok::Str("post.*".into()),
                Tok::RBrace,
                Tok::Descendant,
                Tok::LBrace,
                Tok::Ident("duration".into()),
                Tok::Gt,
                Tok::Duration(1_500_000_000),
                Tok::RBrace,
                Tok::End
            ]
        );
    }

    #[test]
    fn errors_point_at_the_column() {
        let e = lex(r#"{ name = "abc }"#).unwrap_err();
        assert_eq!(e.column, 10);
        let e = lex("{ duration > 10parsecs }").unwrap_err();
        assert_eq!(e.column, 16);
        assert!(e.message.contains("expected ns, us, ms, s, m or h"), "{e}");
    }
}
