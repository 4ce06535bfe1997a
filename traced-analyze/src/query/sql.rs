//! The seed form `SELECT * FROM traces WHERE <cond> [AND|OR <cond>] ...`,
//! translated to TraceQL (shown by `--explain`) and run by the same engine.
//!
//! | SQL field | TraceQL |
//! |---|---|
//! | `duration` | `traceDuration` (the whole trace's) |
//! | `service.name` | `resource.service.name` |
//! | `operation.name` | `name` |
//! | `tags.error = true` | `status = error \|\| span.error = true` |
//! | `tags.http.status_code` | `span.http.status_code` or `span.http.response.status_code` |
//! | `tags.db.operation` | `span.db.operation` or `span.db.operation.name`, value case-insensitive |
//! | `tags.error.message` | `span.error.message`, `statusMessage` or `event.exception.message` |
//! | `tags.X` | `span.X` |
//!
//! All conditions apply to one span (as Jaeger's tag search does); `AND`
//! binds tighter than `OR`. `!=` negates the whole mapping, so a span
//! without the attribute satisfies it (TraceQL's own `!=` needs the
//! attribute present).

use super::QueryError;

/// Whether `text` is the SQL form.
pub(crate) fn is_sql(text: &str) -> bool {
    text.trim_start().get(..6).is_some_and(|w| w.eq_ignore_ascii_case("select"))
}

/// The TraceQL for the SQL query `text`.
pub(crate) fn translate(text: &str) -> Result<String, QueryError> {
    let mut words = Words { text, pos: 0 };
    for keyword in ["SELECT", "*", "FROM", "traces", "WHERE"] {
        let (word, col) = words.next_word();
        if !word.eq_ignore_ascii_case(keyword) {
            return Err(QueryError::at(col, format!("expected `{keyword}`, found {}", found(word))));
        }
    }
    let mut disjuncts: Vec<Vec<String>> = vec![Vec::new()];
    loop {
        let condition = condition(&mut words)?;
        if let Some(current) = disjuncts.last_mut() {
            current.push(condition);
        }
        let (word, col) = words.next_word();
        if word.is_empty() {
            break;
        } else if word.eq_ignore_ascii_case("AND") {
            continue;
        } else if word.eq_ignore_ascii_case("OR") {
            disjuncts.push(Vec::new());
        } else {
            return Err(QueryError::at(
                col,
                format!("expected `AND`, `OR` or the end of the query, found {}", found(word)),
            ));
        }
    }
    let body: Vec<String> = disjuncts.into_iter().map(|conds| conds.join(" && ")).collect();
    Ok(format!("{{ {} }}", body.join(" || ")))
}

fn found(word: &str) -> String {
    if word.is_empty() {
        "the end of the query".to_owned()
    } else {
        format!("`{word}`")
    }
}

struct Words<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Words<'a> {
    fn skip_space(&mut self) {
        self.pos += self.text[self.pos..].len() - self.text[self.pos..].trim_start().len();
    }

    fn column(&self) -> usize {
        self.text[..self.pos].chars().count() + 1
    }

    /// The next run of non-space characters, stopping before an operator.
    fn next_word(&mut self) -> (&'a str, usize) {
        self.skip_space();
        let col = self.column();
        let rest = &self.text[self.pos..];
        let len = rest.find(|c: char| c.is_whitespace() || "=!<>".contains(c)).unwrap_or(rest.len());
        let len = if len == 0 && !rest.is_empty() { 1 } else { len };
        self.pos += len;
        (&rest[..len], col)
    }

    fn operator(&mut self) -> Result<&'static str, QueryError> {
        self.skip_space();
        let col = self.column();
        let rest = &self.text[self.pos..];
        for op in ["!=", "<>", ">=", "<=", "=", ">", "<"] {
            if rest.starts_with(op) {
                self.pos += op.len();
                return Ok(match op {
                    "<>" => "!=",
                    other => other,
                });
            }
        }
        Err(QueryError::at(
            col,
            format!(
                "expected a comparison (=, !=, >, >=, <, <=), found {}",
                found(rest.split_whitespace().next().unwrap_or(""))
            ),
        ))
    }

    /// A value: a quoted string (either quote), a number, a duration, or a
    /// boolean; returned as TraceQL source.
    fn value(&mut self) -> Result<(SqlValue, usize), QueryError> {
        self.skip_space();
        let col = self.column();
        let rest = &self.text[self.pos..];
        if let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let end = rest[1..]
                .find(quote)
                .ok_or_else(|| QueryError::at(col, "unterminated string: expected a closing quote"))?;
            let s = rest[1..1 + end].to_owned();
            self.pos += end + 2;
            return Ok((SqlValue::Str(s), col));
        }
        let (word, col) = self.next_word();
        let value = match word.to_ascii_lowercase().as_str() {
            "" => return Err(QueryError::at(col, "expected a value, found the end of the query")),
            "true" => SqlValue::Bool(true),
            "false" => SqlValue::Bool(false),
            w if w.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
                let digits = w.trim_end_matches(|c: char| c.is_alphabetic());
                if digits.parse::<f64>().is_err() {
                    return Err(QueryError::at(col, format!("expected a number, found `{word}`")));
                }
                if digits.len() == w.len() {
                    SqlValue::Number(word.to_owned())
                } else {
                    SqlValue::Duration(word.to_owned())
                }
            }
            _ => {
                return Err(QueryError::at(
                    col,
                    format!("expected a quoted string, a number or true/false, found `{word}`"),
                ))
            }
        };
        Ok((value, col))
    }
}

enum SqlValue {
    Str(String),
    Number(String),
    Duration(String),
    Bool(bool),
}

impl SqlValue {
    fn traceql(&self) -> String {
        match self {
            SqlValue::Str(s) => quote(s),
            SqlValue::Number(n) | SqlValue::Duration(n) => n.clone(),
            SqlValue::Bool(b) => b.to_string(),
        }
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One `field op value`, as a parenthesised TraceQL condition.
fn condition(words: &mut Words<'_>) -> Result<String, QueryError> {
    let (field, field_col) = words.next_word();
    if field.is_empty() {
        return Err(QueryError::at(field_col, "expected a condition (`field = value`), found the end of the query"));
    }
    let op = words.operator()?;
    let (value, value_col) = words.value()?;
    let v = value.traceql();
    // Each alternative is a TraceQL comparison with `=`-like meaning; `!=`
    // negates the whole set.
    let (alternatives, negatable): (Vec<String>, bool) = match field {
        "duration" => {
            let SqlValue::Duration(_) = value else {
                return Err(QueryError::at(value_col, "expected a duration with a unit (e.g. 1000ms, 1.5s)"));
            };
            return Ok(format!("traceDuration {op} {v}"));
        }
        "service.name" => (vec![format!("resource.service.name {{op}} {v}")], true),
        "operation.name" => (vec![format!("name {{op}} {v}")], true),
        "tags.error" => match value {
            SqlValue::Bool(b) => {
                let failed = "(status = error || span.error = true)".to_owned();
                let want_failed = b == (op == "=");
                if !matches!(op, "=" | "!=") {
                    return Err(QueryError::at(field_col, "`tags.error` takes `=` or `!=`"));
                }
                return Ok(if want_failed { failed } else { format!("!{failed}") });
            }
            _ => (vec![format!("span.error {{op}} {v}")], true),
        },
        "tags.http.status_code" => (
            vec![format!("span.http.status_code {{op}} {v}"), format!("span.http.response.status_code {{op}} {v}")],
            true,
        ),
        "tags.db.operation" => match (&value, op) {
            (SqlValue::Str(s), "=" | "!=") => {
                let pattern = quote(&format!("(?i){}", regex::escape(s)));
                let alternatives =
                    [format!("span.db.operation =~ {pattern}"), format!("span.db.operation.name =~ {pattern}")];
                let any = format!("({})", alternatives.join(" || "));
                return Ok(if op == "=" { any } else { format!("!{any}") });
            }
            _ => (vec![format!("span.db.operation {{op}} {v}"), format!("span.db.operation.name {{op}} {v}")], true),
        },
        "tags.error.message" => (
            vec![
                format!("span.error.message {{op}} {v}"),
                format!("statusMessage {{op}} {v}"),
                format!("event.exception.message {{op}} {v}"),
            ],
            true,
        ),
        f if f.starts_with("tags.") && f.len() > 5 => (vec![format!("span.{} {{op}} {v}", &f[5..])], true),
        other => {
            return Err(QueryError::at(
                field_col,
                format!("unknown field `{other}`: expected duration, service.name, operation.name or tags.<attribute>"),
            ))
        }
    };
    let with = |op: &str| alternatives.iter().map(|a| a.replace("{op}", op)).collect::<Vec<_>>().join(" || ");
    Ok(if op == "!=" && negatable { format!("!({})", with("=")) } else { format!("({})", with(op)) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_queries_translate() {
        let cases = [
            ("SELECT * FROM traces WHERE duration > 1000ms", "{ traceDuration > 1000ms }"),
            ("SELECT * FROM traces WHERE tags.error = true", "{ (status = error || span.error = true) }"),
            ("SELECT * FROM traces WHERE service.name = \"my-app\"", "{ (resource.service.name = \"my-app\") }"),
            (
                "select * from traces where operation.name = 'UserService.GetUser'",
                "{ (name = \"UserService.GetUser\") }",
            ),
            ("SELECT * FROM traces WHERE tags.user.id = \"12345\"", "{ (span.user.id = \"12345\") }"),
            (
                "SELECT * FROM traces WHERE tags.http.status_code = 500",
                "{ (span.http.status_code = 500 || span.http.response.status_code = 500) }",
            ),
            (
                "SELECT * FROM traces WHERE tags.db.operation = \"select\"",
                "{ (span.db.operation =~ \"(?i)select\" || span.db.operation.name =~ \"(?i)select\") }",
            ),
            (
                "SELECT * FROM traces WHERE service.name != \"a\" AND duration >= 1s OR tags.error = false",
                "{ !(resource.service.name = \"a\") && traceDuration >= 1s || !(status = error || span.error = true) }",
            ),
        ];
        for (sql, traceql) in cases {
            assert!(is_sql(sql));
            assert_eq!(translate(sql).unwrap(), traceql, "{sql}");
        }
    }

    #[test]
    fn errors_point_at_the_column() {
        let e = translate("SELECT * FROM traces WHERE nope = 1").unwrap_err();
        assert_eq!(e.column, 28);
        assert!(e.message.starts_with("unknown field `nope`"), "{e}");
        let e = translate("SELECT * FROM traces WHERE duration > 1000").unwrap_err();
        assert_eq!(e.column, 39);
        let e = translate("SELECT * FROM spans WHERE duration > 1s").unwrap_err();
        assert_eq!((e.column, e.message.as_str()), (15, "expected `traces`, found `spans`"));
        let e = translate("SELECT * FROM traces WHERE tags.a = 1 XOR tags.b = 2").unwrap_err();
        assert_eq!(e.column, 39);
    }
}
