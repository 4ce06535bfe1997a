//! Runs a parsed query over one trace. Semantics follow Tempo's TraceQL:
//! a comparison with an attribute the span lacks is false (only `= nil`
//! holds); `&&` between spansets needs both somewhere in the trace; a
//! structural operator returns spans of its right side.

use super::ast::{Aggregate, CmpOp, Expr, Field, Literal, Operand, Pipeline, Relation, SpansetExpr, Stage};
use super::lexer::Scope;
use crate::model::{SpanKind, StatusCode, Trace, Value};
use std::collections::BTreeMap;

/// One value a field takes on a span, borrowed from it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum V<'a> {
    Str(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    Duration(u64),
    Status(StatusCode),
    Kind(SpanKind),
}

impl<'a> V<'a> {
    fn of(value: &'a Value) -> Option<V<'a>> {
        Some(match value {
            Value::Str(s) => V::Str(s),
            Value::Int(i) => V::Int(*i),
            Value::Double(d) => V::Float(*d),
            Value::Bool(b) => V::Bool(*b),
            _ => return None,
        })
    }

    fn of_literal(literal: &'a Literal) -> Option<V<'a>> {
        Some(match literal {
            Literal::Str(s) => V::Str(s),
            Literal::Int(i) => V::Int(*i),
            Literal::Float(f) => V::Float(*f),
            Literal::Bool(b) => V::Bool(*b),
            Literal::Duration(d) => V::Duration(*d),
            Literal::Status(s) => V::Status(*s),
            Literal::Kind(k) => V::Kind(*k),
            Literal::Nil => return None,
        })
    }

    fn number(self) -> Option<f64> {
        match self {
            V::Int(i) => Some(i as f64),
            V::Float(f) => Some(f),
            V::Duration(d) => Some(d as f64),
            _ => None,
        }
    }
}

/// What every span of a trace shares, computed once per trace.
struct TraceFacts<'a> {
    root_name: Option<&'a str>,
    root_service: Option<&'a str>,
    duration: u64,
}

/// Evaluates `pipeline` over `trace`: the spans that matched, in start
/// order, or `None` when the trace does not match.
pub(crate) fn run(pipeline: &Pipeline, trace: &Trace) -> Option<Vec<usize>> {
    let root = trace.root();
    let facts = TraceFacts {
        root_name: root.map(|r| &*r.name),
        root_service: root.map(|r| r.service()),
        duration: trace.duration_nanos(),
    };
    let cx = Cx { spans: &trace.spans, tree: Some(trace), facts };
    let first = cx.spanset(&pipeline.spansets);
    let mut spansets = if first.is_empty() { Vec::new() } else { vec![first] };
    for stage in &pipeline.stages {
        spansets = cx.stage(stage, spansets);
        if spansets.is_empty() {
            return None;
        }
    }
    let mut all: Vec<usize> = spansets.into_iter().flatten().collect();
    all.sort_unstable();
    all.dedup();
    (!all.is_empty()).then_some(all)
}

/// Whether `expr` holds for `span` alone: for conditions that need nothing
/// of the rest of the trace (see [`needs_trace`]).
pub(crate) fn test_span(expr: &Expr, span: &crate::model::Span) -> bool {
    let facts = TraceFacts { root_name: None, root_service: None, duration: 0 };
    Cx { spans: std::slice::from_ref(span), tree: None, facts }.test(expr, 0)
}

/// Whether `expr` reads the trace (root, trace duration) besides the span.
pub(crate) fn needs_trace(expr: &Expr) -> bool {
    let field = |o: &Operand| matches!(o, Operand::Field(f) if matches!(f, Field::RootName | Field::RootServiceName | Field::TraceDuration));
    match expr {
        Expr::And(a, b) | Expr::Or(a, b) => needs_trace(a) || needs_trace(b),
        Expr::Not(a) => needs_trace(a),
        Expr::Compare(l, _, r) => field(l) || field(r),
        Expr::Truthy(o) => field(o),
    }
}

struct Cx<'a> {
    spans: &'a [crate::model::Span],
    /// The tree, for structural operators; `None` when testing a lone span.
    tree: Option<&'a Trace>,
    facts: TraceFacts<'a>,
}

impl<'a> Cx<'a> {
    fn spanset(&self, e: &SpansetExpr) -> Vec<usize> {
        match e {
            SpansetExpr::Select(expr) => (0..self.spans.len()).filter(|&i| self.test(expr, i)).collect(),
            SpansetExpr::And(a, b) => {
                let (a, b) = (self.spanset(a), self.spanset(b));
                if a.is_empty() || b.is_empty() {
                    Vec::new()
                } else {
                    union(a, b)
                }
            }
            SpansetExpr::Or(a, b) => union(self.spanset(a), self.spanset(b)),
            SpansetExpr::Relation(relation, a, b) => {
                let (a, b) = (self.spanset(a), self.spanset(b));
                if a.is_empty() {
                    return Vec::new();
                }
                let mut in_a = vec![false; self.spans.len()];
                for &i in &a {
                    in_a[i] = true;
                }
                b.into_iter().filter(|&s| self.related(*relation, s, &in_a)).collect()
            }
        }
    }

    /// Whether `s` stands in `relation` to some span marked in `in_a`.
    fn related(&self, relation: Relation, s: usize, in_a: &[bool]) -> bool {
        let Some(t) = self.tree else { return false };
        match relation {
            Relation::Child => t.parent(s).is_some_and(|p| in_a[p]),
            Relation::Descendant => self.ancestors(s).any(|p| in_a[p]),
            Relation::Parent => t.children(s).iter().any(|&c| in_a[c]),
            Relation::Ancestor => (0..t.spans.len()).any(|d| in_a[d] && self.ancestors(d).any(|p| p == s)),
            Relation::Sibling => {
                t.parent(s).is_some_and(|p| t.children(p).iter().any(|&sibling| sibling != s && in_a[sibling]))
            }
        }
    }

    /// `s`'s ancestors, nearest first; bounded, so a cycle in a broken file
    /// cannot loop.
    fn ancestors(&self, s: usize) -> impl Iterator<Item = usize> + '_ {
        let limit = self.spans.len();
        let parent = move |i: usize| self.tree.and_then(|t| t.parent(i));
        std::iter::successors(parent(s), move |&p| parent(p)).take(limit)
    }

    fn test(&self, e: &Expr, i: usize) -> bool {
        match e {
            Expr::And(a, b) => self.test(a, i) && self.test(b, i),
            Expr::Or(a, b) => self.test(a, i) || self.test(b, i),
            Expr::Not(a) => !self.test(a, i),
            Expr::Truthy(operand) => {
                let mut truthy = false;
                self.values(operand, i, &mut |v| {
                    truthy |= v == V::Bool(true);
                });
                truthy
            }
            Expr::Compare(left, op, right) => self.compare(left, *op, right, i),
        }
    }

    fn compare(&self, left: &Operand, op: CmpOp, right: &Operand, i: usize) -> bool {
        let nil_left = matches!(left, Operand::Literal(Literal::Nil));
        let nil_right = matches!(right, Operand::Literal(Literal::Nil));
        if nil_left || nil_right {
            let other = if nil_right { left } else { right };
            let mut present = false;
            self.values(other, i, &mut |_| present = true);
            return match op {
                CmpOp::Eq => !present,
                CmpOp::Ne => present,
                _ => false,
            };
        }
        if let Operand::Regex(regex) = right {
            let mut matched = false;
            self.values(left, i, &mut |v| {
                if let V::Str(s) = v {
                    matched |= regex.is_match(s);
                }
            });
            return matched;
        }
        let mut holds = false;
        self.values(left, i, &mut |l| {
            if holds {
                return;
            }
            self.values(right, i, &mut |r| holds |= compare(l, op, r));
        });
        holds
    }

    /// Calls `f` with each value `operand` has on span `i` (none when absent;
    /// several for `event.` attributes).
    fn values(&self, operand: &'a Operand, i: usize, f: &mut dyn FnMut(V<'a>)) {
        match operand {
            Operand::Literal(literal) => {
                if let Some(v) = V::of_literal(literal) {
                    f(v)
                }
            }
            Operand::Regex(_) => {}
            Operand::Field(field) => self.field(field, i, f),
        }
    }

    fn field(&self, field: &Field, i: usize, f: &mut dyn FnMut(V<'a>)) {
        let span = &self.spans[i];
        match field {
            Field::Name => f(V::Str(&span.name)),
            Field::Status => f(V::Status(span.status)),
            Field::StatusMessage => f(V::Str(&span.status_message)),
            Field::Kind => f(V::Kind(span.kind)),
            Field::Duration => f(V::Duration(span.duration_nanos())),
            Field::RootName => {
                if let Some(name) = self.facts.root_name {
                    f(V::Str(name))
                }
            }
            Field::RootServiceName => {
                if let Some(service) = self.facts.root_service {
                    f(V::Str(service))
                }
            }
            Field::TraceDuration => f(V::Duration(self.facts.duration)),
            Field::EventName => span.events.iter().for_each(|e| f(V::Str(&e.name))),
            Field::Attribute(scope, key) => {
                let from_span = || span.attribute(key).and_then(V::of);
                let from_resource = || crate::model::attribute(&span.resource.attributes, key).and_then(V::of);
                match scope {
                    Scope::Span => from_span().into_iter().for_each(f),
                    Scope::Resource => from_resource().into_iter().for_each(f),
                    Scope::Any => from_span().or_else(from_resource).into_iter().for_each(f),
                    Scope::Event => {
                        for event in &span.events {
                            if let Some(v) = crate::model::attribute(&event.attributes, key).and_then(V::of) {
                                f(v)
                            }
                        }
                    }
                }
            }
        }
    }

    fn stage(&self, stage: &Stage, spansets: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
        match stage {
            Stage::Filter(expr) => spansets
                .into_iter()
                .map(|set| set.into_iter().filter(|&i| self.test(expr, i)).collect::<Vec<_>>())
                .filter(|set| !set.is_empty())
                .collect(),
            Stage::By(fields) => {
                let mut out = Vec::new();
                for set in spansets {
                    let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
                    for i in set {
                        let key: Vec<String> = fields
                            .iter()
                            .map(|field| {
                                let mut first = None;
                                self.field(field, i, &mut |v| {
                                    first.get_or_insert_with(|| format!("{v:?}"));
                                });
                                first.unwrap_or_else(|| "nil".to_owned())
                            })
                            .collect();
                        groups.entry(key.join("\u{1f}")).or_default().push(i);
                    }
                    out.extend(groups.into_values());
                }
                out
            }
            Stage::Count(op, threshold) => spansets
                .into_iter()
                .filter(|set| V::of_literal(threshold).is_some_and(|t| compare(V::Int(set.len() as i64), *op, t)))
                .collect(),
            Stage::Aggregate(aggregate, field, op, threshold) => spansets
                .into_iter()
                .filter(|set| {
                    let mut numbers = Vec::with_capacity(set.len());
                    let mut durations = false;
                    for &i in set {
                        let mut first = None;
                        self.field(field, i, &mut |v| {
                            first.get_or_insert(v);
                        });
                        if let Some(v) = first {
                            durations |= matches!(v, V::Duration(_));
                            numbers.extend(v.number());
                        }
                    }
                    if numbers.is_empty() {
                        return false;
                    }
                    let value = match aggregate {
                        Aggregate::Sum => numbers.iter().sum(),
                        Aggregate::Avg => numbers.iter().sum::<f64>() / numbers.len() as f64,
                        Aggregate::Min => numbers.iter().copied().fold(f64::INFINITY, f64::min),
                        Aggregate::Max => numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    };
                    let value = if durations { V::Duration(value.max(0.0) as u64) } else { V::Float(value) };
                    V::of_literal(threshold).is_some_and(|t| compare(value, *op, t))
                })
                .collect(),
        }
    }
}

fn union(a: Vec<usize>, b: Vec<usize>) -> Vec<usize> {
    let mut all = a;
    all.extend(b);
    all.sort_unstable();
    all.dedup();
    all
}

/// `l op r` for two values; values of kinds that do not compare are unequal
/// and unordered.
fn compare(l: V<'_>, op: CmpOp, r: V<'_>) -> bool {
    use std::cmp::Ordering;
    let equality_only = |equal: bool| {
        matches!(op, CmpOp::Eq | CmpOp::Ne).then_some(if equal { Ordering::Equal } else { Ordering::Less })
    };
    let ordering: Option<Ordering> = match (l, r) {
        (V::Str(a), V::Str(b)) => Some(a.cmp(b)),
        (V::Bool(a), V::Bool(b)) => equality_only(a == b),
        (V::Status(a), V::Status(b)) => equality_only(a == b),
        (V::Kind(a), V::Kind(b)) => equality_only(a == b),
        (V::Duration(a), V::Duration(b)) => Some(a.cmp(&b)),
        // A duration against a plain number: the number is nanoseconds.
        (V::Int(_) | V::Float(_) | V::Duration(_), V::Int(_) | V::Float(_) | V::Duration(_)) => {
            l.number().zip(r.number()).and_then(|(a, b)| a.partial_cmp(&b))
        }
        _ => None,
    };
    match (ordering, op) {
        (Some(o), CmpOp::Eq) => o == Ordering::Equal,
        (Some(o), CmpOp::Ne) => o != Ordering::Equal,
        (Some(o), CmpOp::Gt) => o == Ordering::Greater,
        (Some(o), CmpOp::Ge) => o != Ordering::Less,
        (Some(o), CmpOp::Lt) => o == Ordering::Less,
        (Some(o), CmpOp::Le) => o != Ordering::Greater,
        (None, _) => false,
    }
}
