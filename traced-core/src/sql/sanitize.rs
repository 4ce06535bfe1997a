//! `db.query.text` for statements sent without bind parameters: every
//! literal replaced by `?`, and comments dropped (they may hold anything),
//! so that values typed into the SQL never reach the trace.

use super::lexer::{Kind, Lexed};

/// `sql` with its string and numeric literals replaced by `?`.
pub fn sanitize(sql: &str, lexed: &Lexed) -> String {
    let mut out = String::with_capacity(sql.len());
    let last = lexed.tokens.len().saturating_sub(1);
    for (i, t) in lexed.tokens.iter().enumerate() {
        match t.kind {
            // An unterminated last token may be a string gone wrong, or
            // hide one: it goes whole.
            _ if lexed.unterminated && i == last => out.push('?'),
            Kind::String | Kind::Number => out.push('?'),
            // A space where a comment was, so its neighbours stay apart.
            Kind::Comment if !out.ends_with(char::is_whitespace) => out.push(' '),
            Kind::Comment => {}
            _ => out.push_str(&sql[t.start..t.end]),
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::super::lexer::{lex, Dialect};
    use super::*;

    fn clean(sql: &str, dialect: Dialect) -> String {
        sanitize(sql, &lex(sql, dialect))
    }

    #[test]
    fn literals_become_placeholders() {
        assert_eq!(
            clean("SELECT * FROM users WHERE email = 'a@b.c' AND age > 42", Dialect::POSTGRES),
            "SELECT * FROM users WHERE email = ? AND age > ?"
        );
        assert_eq!(clean("SELECT $$secret$$, E'x\\'y', -1.5e3", Dialect::POSTGRES), "SELECT ?, ?, -?");
        assert_eq!(
            clean("SELECT \"quoted\" FROM t2 WHERE c = \"value\"", Dialect::MYSQL),
            "SELECT ? FROM t2 WHERE c = ?"
        );
        assert_eq!(clean("SELECT \"col\" FROM t2", Dialect::POSTGRES), "SELECT \"col\" FROM t2");
    }

    #[test]
    fn comments_and_placeholders() {
        assert_eq!(clean("SELECT 1 /* card 4111 */ -- note\n, $1", Dialect::POSTGRES), "SELECT ?  \n, $1");
        assert_eq!(clean("SELECT ?, :id", Dialect::SQLITE), "SELECT ?, :id");
    }

    #[test]
    fn an_unterminated_string_is_still_hidden() {
        assert_eq!(clean("SELECT 'open secret", Dialect::POSTGRES), "SELECT ?");
        // Found by fuzzing: an open quoted identifier swallowing quotes.
        assert_eq!(clean("SELECT '''''@'''''@_\"''''''''@''''''**", Dialect::POSTGRES), "SELECT ?@_?");
    }

    #[test]
    fn comments_leave_a_space_so_tokens_stay_apart() {
        assert_eq!(clean("SELECT 1/*c*/FROM t", Dialect::POSTGRES), "SELECT ? FROM t");
        assert_eq!(clean("SELECT -/**/-1", Dialect::POSTGRES), "SELECT - -?");
    }
}
