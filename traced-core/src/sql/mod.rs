//! SQL text, read just enough to tell literals, identifiers, comments and
//! bind parameters apart: for the default redaction of `db.query.text` and
//! for the SQL integrations (summaries, trace comments).

mod lexer;
mod sanitize;

pub use lexer::{lex, Dialect, Kind, Lexed, Token};
pub use sanitize::sanitize;

impl Dialect {
    /// The dialect of a `db.system.name` value; the standard one (as
    /// PostgreSQL reads it) for others.
    pub fn for_system(system: &str) -> Dialect {
        match system {
            "mysql" | "mariadb" => Dialect::MYSQL,
            "sqlite" => Dialect::SQLITE,
            _ => Dialect::POSTGRES,
        }
    }
}

impl Lexed {
    /// Whether the text has bind parameters (`$1`, `?`, `:name`, `@name`):
    /// such text carries no values and is recorded as written.
    pub fn has_placeholders(&self) -> bool {
        self.tokens.iter().any(|t| t.kind == Kind::Placeholder)
    }
}
