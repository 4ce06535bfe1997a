//! `db.query.summary`: the operations and the tables they touch, in the
//! order they appear (`SELECT songs artists`, `INSERT shipping_details
//! SELECT orders`), as the database conventions describe. Low-cardinality:
//! no literals, aliases or columns, at most 255 characters.

use traced_core::sql::{Kind, Lexed, Token};

/// The summary, and the operation and collection when the statement has
/// exactly one of each (the conventions forbid guessing them from a query
/// that touches several).
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    pub(crate) text: String,
    pub(crate) operation: Option<String>,
    pub(crate) collection: Option<String>,
}

const MAX_LEN: usize = 255;

/// Operations recognised where a statement starts.
const STATEMENT_OPS: &[&str] = &[
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "MERGE",
    "REPLACE",
    "UPSERT",
    "CALL",
    "EXEC",
    "EXECUTE",
    "CREATE",
    "ALTER",
    "DROP",
    "TRUNCATE",
    "BEGIN",
    "START",
    "COMMIT",
    "ROLLBACK",
    "SAVEPOINT",
    "RELEASE",
    "SET",
    "SHOW",
    "EXPLAIN",
    "COPY",
    "GRANT",
    "REVOKE",
    "PRAGMA",
    "VACUUM",
    "ANALYZE",
    "LOCK",
    "PREPARE",
    "DEALLOCATE",
    "LISTEN",
    "NOTIFY",
    "DO",
    "VALUES",
    "USE",
    "DESCRIBE",
];

/// Operations that may open a subquery or follow a `WITH name AS (...)`.
const DML_OPS: &[&str] = &["SELECT", "INSERT", "UPDATE", "DELETE", "MERGE"];

/// Words after CREATE/ALTER/DROP that name the kind of object.
const OBJECT_WORDS: &[&str] = &[
    "OR",
    "REPLACE",
    "UNIQUE",
    "TEMP",
    "TEMPORARY",
    "UNLOGGED",
    "MATERIALIZED",
    "TABLE",
    "INDEX",
    "VIEW",
    "SCHEMA",
    "DATABASE",
    "SEQUENCE",
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "TYPE",
    "EXTENSION",
    "ROLE",
    "USER",
    "DOMAIN",
];

/// Words that skip between a target keyword and the table name.
const TARGET_MODIFIERS: &[&str] = &[
    "ONLY",
    "LATERAL",
    "IGNORE",
    "LOW_PRIORITY",
    "DELAYED",
    "HIGH_PRIORITY",
    "TABLE",
    "IF",
    "NOT",
    "EXISTS",
    "CONCURRENTLY",
];

/// Keywords that are never a table name or an alias.
const RESERVED: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "FULL",
    "OUTER",
    "CROSS",
    "NATURAL",
    "ON",
    "USING",
    "GROUP",
    "ORDER",
    "BY",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "UNION",
    "INTERSECT",
    "EXCEPT",
    "ALL",
    "DISTINCT",
    "SET",
    "VALUES",
    "RETURNING",
    "INTO",
    "WITH",
    "AND",
    "OR",
    "NOT",
    "NULL",
    "IS",
    "IN",
    "EXISTS",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "WINDOW",
    "FETCH",
    "FOR",
    "DEFAULT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "STRAIGHT_JOIN",
];

fn is(word: &str, set: &[&str]) -> bool {
    set.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// Summarizes the statement(s) in `sql`.
pub(crate) fn summarize(sql: &str, lexed: &Lexed) -> Summary {
    let tokens: Vec<_> = lexed.tokens.iter().filter(|t| !matches!(t.kind, Kind::Whitespace | Kind::Comment)).collect();
    let text = |i: usize| &sql[tokens[i].start..tokens[i].end];
    let word = |i: usize| tokens.get(i).filter(|t| t.kind == Kind::Word).map(|_| text(i));
    let punct = |i: usize, c: &str| tokens.get(i).is_some_and(|t| t.kind == Kind::Punct) && text(i) == c;

    let mut parts: Vec<String> = Vec::new();
    let (mut ops, mut targets) = (0usize, 0usize);
    let mut statement_start = true;
    // After `(` or `)`, only a subquery or a CTE's statement starts.
    let mut after_paren = false;
    // Depth of the FROM list whose commas introduce more tables.
    let mut from_list: Option<usize> = None;
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let (at_start, in_paren) = (statement_start, after_paren);
        statement_start = false;
        after_paren = false;
        if punct(i, ";") {
            statement_start = true;
            from_list = None;
            depth = 0;
            i += 1;
            continue;
        }
        if punct(i, "(") {
            depth += 1;
            after_paren = true;
            i += 1;
            continue;
        }
        if punct(i, ")") {
            depth = depth.saturating_sub(1);
            after_paren = true;
            if from_list.is_some_and(|d| d > depth) {
                from_list = None;
            }
            i += 1;
            continue;
        }
        if punct(i, ",") && from_list == Some(depth) {
            if let Some((name, next)) = target(&tokens, sql, i + 1) {
                parts.push(name);
                targets += 1;
                i = next;
                continue;
            }
        }
        let Some(w) = word(i) else {
            i += 1;
            continue;
        };
        let is_op = (at_start && is(w, STATEMENT_OPS)) || is(w, &["SELECT"]) || (in_paren && is(w, DML_OPS));
        if is_op {
            ops += 1;
            let mut op = w.to_owned();
            i += 1;
            if is(w, &["CREATE", "ALTER", "DROP"]) {
                while let Some(next) = word(i).filter(|n| is(n, OBJECT_WORDS)) {
                    op.push(' ');
                    op.push_str(next);
                    i += 1;
                }
            }
            parts.push(op);
            // These name their target right after themselves.
            if is(w, &["UPDATE", "CREATE", "ALTER", "DROP", "TRUNCATE", "CALL", "EXEC", "EXECUTE", "LOCK"]) {
                if let Some((name, next)) = target(&tokens, sql, i) {
                    parts.push(name);
                    targets += 1;
                    i = next;
                }
            }
            continue;
        }
        if is(w, &["FROM", "JOIN", "INTO", "USING", "STRAIGHT_JOIN"]) {
            if let Some((name, next)) = target(&tokens, sql, i + 1) {
                parts.push(name);
                targets += 1;
                if is(w, &["FROM"]) {
                    from_list = Some(depth);
                }
                i = next;
                continue;
            }
        } else if is(w, RESERVED) {
            from_list = None;
        }
        i += 1;
    }

    let mut text = String::new();
    for part in &parts {
        let extra = if text.is_empty() { part.len() } else { part.len() + 1 };
        if text.len() + extra > MAX_LEN {
            break;
        }
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(part);
    }
    let (operation, collection) = match (ops, targets, parts.as_slice()) {
        (1, 0, [op]) => (Some(op.clone()), None),
        (1, 1, [op, table]) => (Some(op.clone()), Some(table.clone())),
        _ => (None, None),
    };
    Summary { text, operation, collection }
}

/// The table name starting at token `i` (after modifiers), with its
/// schema parts joined by `.`, and the index after it.
fn target(tokens: &[&Token], sql: &str, mut i: usize) -> Option<(String, usize)> {
    let text = |i: usize| &sql[tokens[i].start..tokens[i].end];
    while tokens.get(i).is_some_and(|t| t.kind == Kind::Word) && is(text(i), TARGET_MODIFIERS) {
        i += 1;
    }
    let mut name = String::new();
    loop {
        let t = tokens.get(i)?;
        match t.kind {
            Kind::Word if !is(text(i), RESERVED) => name.push_str(text(i)),
            // Quotes are syntax, not part of the name.
            Kind::QuotedIdent => name.push_str(&text(i)[1..text(i).len() - 1]),
            _ if name.is_empty() => return None,
            _ => return Some((name, i)),
        }
        i += 1;
        if tokens.get(i).is_some_and(|t| t.kind == Kind::Punct) && text(i) == "." {
            name.push('.');
            i += 1;
        } else {
            return Some((name, i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use traced_core::sql::{lex, Dialect};

    fn summary(sql: &str) -> String {
        summarize(sql, &lex(sql, Dialect::POSTGRES)).text
    }

    #[test]
    fn the_conventions_examples() {
        assert_eq!(summary("SELECT wuser_table.id, wuser_table.name FROM wuser_table"), "SELECT wuser_table");
        assert_eq!(
            summary("INSERT INTO shipping_details (order_id, address) SELECT order_id, address FROM orders WHERE order_id = ?"),
            "INSERT shipping_details SELECT orders"
        );
        assert_eq!(summary("SELECT * FROM songs s JOIN artists a ON s.artist_id = a.id"), "SELECT songs artists");
        assert_eq!(
            summary(
                "SELECT order_date FROM (SELECT * FROM orders o JOIN customers c ON o.customer_id = c.customer_id)"
            ),
            "SELECT SELECT orders customers"
        );
    }

    #[test]
    fn each_statement_kind() {
        assert_eq!(summary("select id from users where id = $1"), "select users");
        assert_eq!(summary("UPDATE users SET name = $1 WHERE id = $2"), "UPDATE users");
        assert_eq!(summary("DELETE FROM public.users WHERE id = 1"), "DELETE public.users");
        assert_eq!(summary("INSERT INTO \"Users\" (a) VALUES (1) RETURNING id"), "INSERT Users");
        assert_eq!(summary("CREATE TABLE IF NOT EXISTS users (id int)"), "CREATE TABLE users");
        assert_eq!(summary("SELECT a FROM t1, t2 x, t3 WHERE t1.a = x.b"), "SELECT t1 t2 t3");
        assert_eq!(summary("SELECT 1"), "SELECT");
        assert_eq!(summary("INSERT INTO events (start, set) VALUES (1, 2)"), "INSERT events");
        assert_eq!(summary("BEGIN; SELECT 1 FROM t; COMMIT"), "BEGIN SELECT t COMMIT");
        assert_eq!(
            summary("WITH c AS (DELETE FROM a RETURNING *) INSERT INTO b SELECT * FROM c"),
            "DELETE a INSERT b SELECT c"
        );
        assert_eq!(summary("SELECT 'FROM x' FROM y"), "SELECT y");
        assert_eq!(summary("UPDATE t SET x = (SELECT max(v) FROM u)"), "UPDATE t SELECT u");
    }

    #[test]
    fn operation_and_collection_only_when_unambiguous() {
        let one = summarize("SELECT * FROM users", &lex("SELECT * FROM users", Dialect::POSTGRES));
        assert_eq!((one.operation.as_deref(), one.collection.as_deref()), (Some("SELECT"), Some("users")));
        let join = "SELECT * FROM a JOIN b ON a.id = b.id";
        let join = summarize(join, &lex(join, Dialect::POSTGRES));
        assert_eq!((join.operation, join.collection), (None, None));
    }

    #[test]
    fn summary_is_cut_between_parts_at_255_characters() {
        let tables: Vec<String> = (0..100).map(|i| format!("table_{i}")).collect();
        let sql = format!("SELECT * FROM {}", tables.join(", "));
        let s = summary(&sql);
        assert!(s.len() <= 255, "{}", s.len());
        assert!(s.ends_with(|c: char| c.is_ascii_digit()));
    }
}
