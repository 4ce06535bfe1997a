//! The parsed query: a spanset expression, then pipeline stages.

use super::lexer::Scope;
use regex::Regex;

/// A whole query.
#[derive(Debug, Clone)]
pub(crate) struct Pipeline {
    pub(crate) spansets: SpansetExpr,
    pub(crate) stages: Vec<Stage>,
}

/// Combines spansets across a trace.
#[derive(Debug, Clone)]
pub(crate) enum SpansetExpr {
    /// `{ ... }`: the spans for which the condition holds.
    Select(Expr),
    /// `A && B`: both match somewhere in the trace; the spans of both.
    And(Box<SpansetExpr>, Box<SpansetExpr>),
    /// `A || B`: the spans of either.
    Or(Box<SpansetExpr>, Box<SpansetExpr>),
    /// A structural relation: the spans of the right side that stand in it
    /// to some span of the left side.
    Relation(Relation, Box<SpansetExpr>, Box<SpansetExpr>),
}

/// `>`, `>>`, `<`, `<<`, `~`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    Child,
    Descendant,
    Parent,
    Ancestor,
    Sibling,
}

/// A condition on one span.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Operand, CmpOp, Operand),
    /// A lone operand: true when it is `true` (a boolean attribute, say).
    Truthy(Operand),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// One side of a comparison.
#[derive(Debug, Clone)]
pub(crate) enum Operand {
    Field(Field),
    Literal(Literal),
    /// `=~` and `!~` compile their pattern at parse time.
    Regex(Regex),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Duration(u64),
    Status(crate::model::StatusCode),
    Kind(crate::model::SpanKind),
    Nil,
}

/// What a span is asked about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Field {
    Attribute(Scope, String),
    Name,
    Status,
    StatusMessage,
    Kind,
    Duration,
    RootName,
    RootServiceName,
    TraceDuration,
    EventName,
}

/// A pipeline stage, applied to each spanset in turn.
#[derive(Debug, Clone)]
pub(crate) enum Stage {
    /// `| { ... }`: keep the spans for which the condition holds.
    Filter(Expr),
    /// `| by(f, ...)`: split each spanset by the fields' values.
    By(Vec<Field>),
    /// `| count() > n`.
    Count(CmpOp, Literal),
    /// `| avg(duration) > 1s` and `min`, `max`, `sum`.
    Aggregate(Aggregate, Field, CmpOp, Literal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Aggregate {
    Avg,
    Min,
    Max,
    Sum,
}
