//! TraceQL's grammar, by recursive descent. Every error names the column
//! and what would have been right there.
//!
//! ```text
//! pipeline   := spansets ( '|' stage )*
//! spansets   := and ( '||' and )*
//! and        := relation ( '&&' relation )*
//! relation   := primary ( ('>' | '>>' | '<' | '<<' | '~') primary )*
//! primary    := '{' expr? '}' | '(' spansets ')'
//! expr       := conj ( '||' conj )*
//! conj       := unary ( '&&' unary )*
//! unary      := '!' unary | '(' expr ')' | operand ( op operand )?
//! stage      := '{' expr? '}' | 'by' '(' field, ... ')' | 'count' '(' ')' op literal
//!             | ('avg' | 'min' | 'max' | 'sum') '(' field ')' op literal
//! ```

use super::ast::{Aggregate, CmpOp, Expr, Field, Literal, Operand, Pipeline, Relation, SpansetExpr, Stage};
use super::lexer::{lex, Tok};
use super::QueryError;
use crate::model::{SpanKind, StatusCode};

pub(crate) fn parse(text: &str) -> Result<Pipeline, QueryError> {
    let mut p = Parser { toks: lex(text)?, pos: 0 };
    let spansets = p.spansets()?;
    let mut stages = Vec::new();
    while p.eat(&Tok::Pipe) {
        stages.push(p.stage()?);
    }
    p.expect_end()?;
    Ok(Pipeline { spansets, stages })
}

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn column(&self) -> usize {
        self.toks[self.pos].1
    }

    fn bump(&mut self) -> Tok {
        let tok = self.toks[self.pos].0.clone();
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        tok
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    fn error<T>(&self, expected: &str) -> Result<T, QueryError> {
        Err(QueryError::at(self.column(), format!("expected {expected}, found {}", self.peek().describe())))
    }

    fn expect(&mut self, tok: Tok, expected: &str) -> Result<(), QueryError> {
        if self.eat(&tok) {
            Ok(())
        } else {
            self.error(expected)
        }
    }

    fn expect_end(&self) -> Result<(), QueryError> {
        match self.peek() {
            Tok::End => Ok(()),
            _ => self.error("`|`, `&&`, `||`, a structural operator or the end of the query"),
        }
    }

    fn spansets(&mut self) -> Result<SpansetExpr, QueryError> {
        let mut left = self.spanset_and()?;
        while self.eat(&Tok::OrOr) {
            let right = self.spanset_and()?;
            left = SpansetExpr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn spanset_and(&mut self) -> Result<SpansetExpr, QueryError> {
        let mut left = self.spanset_relation()?;
        while self.eat(&Tok::AndAnd) {
            let right = self.spanset_relation()?;
            left = SpansetExpr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn spanset_relation(&mut self) -> Result<SpansetExpr, QueryError> {
        let mut left = self.spanset_primary()?;
        loop {
            let relation = match self.peek() {
                Tok::Gt => Relation::Child,
                Tok::Descendant => Relation::Descendant,
                Tok::Lt => Relation::Parent,
                Tok::Ancestor => Relation::Ancestor,
                Tok::Tilde => Relation::Sibling,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.spanset_primary()?;
            left = SpansetExpr::Relation(relation, Box::new(left), Box::new(right));
        }
    }

    fn spanset_primary(&mut self) -> Result<SpansetExpr, QueryError> {
        match self.peek() {
            Tok::LBrace => Ok(SpansetExpr::Select(self.selector()?)),
            Tok::LParen => {
                self.bump();
                let inner = self.spansets()?;
                self.expect(Tok::RParen, "`)`")?;
                Ok(inner)
            }
            _ => self.error("a span selector `{ ... }`"),
        }
    }

    /// `{ expr }`; `{}` matches every span.
    fn selector(&mut self) -> Result<Expr, QueryError> {
        self.expect(Tok::LBrace, "`{`")?;
        if self.eat(&Tok::RBrace) {
            return Ok(Expr::Truthy(Operand::Literal(Literal::Bool(true))));
        }
        let expr = self.expr()?;
        self.expect(Tok::RBrace, "`}`, `&&` or `||`")?;
        Ok(expr)
    }

    fn expr(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.conj()?;
        while self.eat(&Tok::OrOr) {
            let right = self.conj()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn conj(&mut self) -> Result<Expr, QueryError> {
        let mut left = self.unary()?;
        while self.eat(&Tok::AndAnd) {
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.eat(&Tok::Not) {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat(&Tok::LParen) {
            let inner = self.expr()?;
            self.expect(Tok::RParen, "`)`, `&&` or `||`")?;
            return Ok(inner);
        }
        let left = self.operand()?;
        if let Some(op) = comparison(self.peek()) {
            self.bump();
            let right = self.operand()?;
            return Ok(Expr::Compare(left, op, right));
        }
        match self.peek() {
            Tok::Re | Tok::NotRe => {
                let negated = self.bump() == Tok::NotRe;
                let column = self.column();
                let Tok::Str(pattern) = self.bump() else {
                    self.pos -= 1;
                    return self.error("a quoted regular expression");
                };
                // Anchored, as TraceQL's regular expressions are.
                let regex = regex::Regex::new(&format!("^(?:{pattern})$"))
                    .map_err(|e| QueryError::at(column, format!("invalid regular expression: {e}")))?;
                let compare = Expr::Compare(left, CmpOp::Eq, Operand::Regex(regex));
                Ok(if negated { Expr::Not(Box::new(compare)) } else { compare })
            }
            _ => Ok(Expr::Truthy(left)),
        }
    }

    fn operand(&mut self) -> Result<Operand, QueryError> {
        if let Some(literal) = self.literal()? {
            return Ok(Operand::Literal(literal));
        }
        Ok(Operand::Field(self.field()?))
    }

    fn literal(&mut self) -> Result<Option<Literal>, QueryError> {
        let literal = match self.peek() {
            Tok::Str(s) => Literal::Str(s.clone()),
            Tok::Int(i) => Literal::Int(*i),
            Tok::Float(f) => Literal::Float(*f),
            Tok::Duration(d) => Literal::Duration(*d),
            Tok::Ident(w) => match w.as_str() {
                "true" => Literal::Bool(true),
                "false" => Literal::Bool(false),
                "nil" => Literal::Nil,
                "error" => Literal::Status(StatusCode::Error),
                "ok" => Literal::Status(StatusCode::Ok),
                "unset" => Literal::Status(StatusCode::Unset),
                "server" => Literal::Kind(SpanKind::Server),
                "client" => Literal::Kind(SpanKind::Client),
                "producer" => Literal::Kind(SpanKind::Producer),
                "consumer" => Literal::Kind(SpanKind::Consumer),
                "internal" => Literal::Kind(SpanKind::Internal),
                "unspecified" => Literal::Kind(SpanKind::Unspecified),
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        self.bump();
        Ok(Some(literal))
    }

    fn field(&mut self) -> Result<Field, QueryError> {
        let field = match self.peek() {
            Tok::Attr(scope, name) => Field::Attribute(*scope, name.clone()),
            Tok::Ident(w) => match w.as_str() {
                "name" | "span:name" => Field::Name,
                "status" | "span:status" => Field::Status,
                "statusMessage" | "span:statusMessage" => Field::StatusMessage,
                "kind" | "span:kind" => Field::Kind,
                "duration" | "span:duration" => Field::Duration,
                "rootName" | "trace:rootName" => Field::RootName,
                "rootServiceName" | "trace:rootService" => Field::RootServiceName,
                "traceDuration" | "trace:duration" => Field::TraceDuration,
                "event:name" => Field::EventName,
                _ => {
                    return self.error(
                        "an attribute (`span.x`, `resource.x`, `.x`) or an intrinsic (name, status, \
                         statusMessage, kind, duration, rootName, rootServiceName, traceDuration)",
                    )
                }
            },
            _ => return self.error("an attribute, an intrinsic or a value"),
        };
        self.bump();
        Ok(field)
    }

    fn stage(&mut self) -> Result<Stage, QueryError> {
        if self.peek() == &Tok::LBrace {
            return Ok(Stage::Filter(self.selector()?));
        }
        let Tok::Ident(function) = self.peek().clone() else {
            return self.error("a pipeline stage (`{ ... }`, `count()`, `avg(...)`, `min`, `max`, `sum` or `by(...)`)");
        };
        let aggregate = match function.as_str() {
            "count" => None,
            "avg" => Some(Aggregate::Avg),
            "min" => Some(Aggregate::Min),
            "max" => Some(Aggregate::Max),
            "sum" => Some(Aggregate::Sum),
            "by" => {
                self.bump();
                self.expect(Tok::LParen, "`(`")?;
                let mut fields = vec![self.field()?];
                while self.eat(&Tok::Comma) {
                    fields.push(self.field()?);
                }
                self.expect(Tok::RParen, "`,` or `)`")?;
                return Ok(Stage::By(fields));
            }
            _ => {
                return self
                    .error("a pipeline stage (`{ ... }`, `count()`, `avg(...)`, `min`, `max`, `sum` or `by(...)`)")
            }
        };
        self.bump();
        self.expect(Tok::LParen, "`(`")?;
        let field = match aggregate {
            None => None,
            Some(_) => Some(self.field()?),
        };
        self.expect(Tok::RParen, "`)`")?;
        let Some(op) = comparison(self.peek()) else {
            return self.error("a comparison (`=`, `!=`, `>`, `>=`, `<`, `<=`) after the aggregate");
        };
        self.bump();
        let Some(threshold) = self.literal()? else {
            return self.error("a number or a duration");
        };
        Ok(match (aggregate, field) {
            (Some(aggregate), Some(field)) => Stage::Aggregate(aggregate, field, op, threshold),
            _ => Stage::Count(op, threshold),
        })
    }
}

/// The comparison `tok` is, if it is one.
fn comparison(tok: &Tok) -> Option<CmpOp> {
    Some(match tok {
        Tok::Eq => CmpOp::Eq,
        Tok::Ne => CmpOp::Ne,
        Tok::Gt => CmpOp::Gt,
        Tok::Ge => CmpOp::Ge,
        Tok::Lt => CmpOp::Lt,
        Tok::Le => CmpOp::Le,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structural_binds_tighter_than_and() {
        let p = parse(r#"{ name = "a" } && { name = "b" } >> { status = error } | count() > 1"#).unwrap();
        assert!(
            matches!(p.spansets, SpansetExpr::And(_, ref right) if matches!(**right, SpansetExpr::Relation(Relation::Descendant, _, _)))
        );
        assert!(matches!(p.stages[..], [Stage::Count(CmpOp::Gt, Literal::Int(1))]));
    }

    #[test]
    fn errors_say_what_was_expected_where() {
        let e = parse(r#"{ name = "a" "#).unwrap_err();
        assert_eq!((e.column, e.message.as_str()), (14, "expected `}`, `&&` or `||`, found the end of the query"));
        let e = parse("{ duration > }").unwrap_err();
        assert_eq!(e.column, 14);
        assert!(e.message.starts_with("expected an attribute, an intrinsic or a value"), "{e}");
        let e = parse("{ foo = 1 }").unwrap_err();
        assert_eq!(e.column, 3);
        let e = parse(r#"{ name =~ "(" }"#).unwrap_err();
        assert!(e.message.starts_with("invalid regular expression"), "{e}");
        let e = parse("{ } | avg(duration) 3").unwrap_err();
        assert_eq!(e.column, 21);
    }
}
