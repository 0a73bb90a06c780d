//! Display logic, required-if and constraint expressions in a definition: parsed with
//! the error at the column of the bad token, then every `${…}` reference checked
//! (unknown, later in the questionnaire, a note, cyclic).

use std::collections::HashMap;
use std::ops::Range;

use toml::Spanned;

use super::Sink;
use crate::domain::{Expression, QuestionKind, Survey};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Relevant,
    Required,
    Constraint,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Relevant => "relevant",
            Role::Required => "required_if",
            Role::Constraint => "constraint",
        }
    }
}

/// One expression to check: who owns it (None = a section) and where it sits.
pub(super) struct LogicRef {
    pub owner: Option<String>,
    /// Index of the owner (or the section's first question) in questionnaire order.
    pub position: usize,
    pub role: Role,
    pub span: Range<usize>,
    pub expr: Expression,
}

/// Parses an expression field, reporting a syntax error at the bad token's column.
pub(super) fn expression(
    sink: &mut Sink<'_>,
    field: &Spanned<String>,
    name: &str,
) -> Option<Expression> {
    let src = field.get_ref();
    if src.trim().is_empty() {
        sink.at(
            field.span(),
            format!("{name} is empty; write a condition or remove it"),
        );
        return None;
    }
    match Expression::parse(src) {
        Ok(e) => Some(e),
        Err(e) => {
            let at = sink.inside(&field.span(), src, e.offset);
            sink.at(at..at, format!("{name}: {}", e.message));
            None
        }
    }
}

pub(super) fn references(
    sink: &mut Sink<'_>,
    survey: &Survey,
    order: &[String],
    logic: &[LogicRef],
) {
    let index: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    // Dependency graph for cycle detection: owner -> referenced questions.
    let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in logic {
        if let Some(owner) = &l.owner {
            for (name, _) in l.expr.references() {
                edges.entry(owner.as_str()).or_default().push(name);
            }
        }
    }
    for l in logic {
        let src = l.expr.source();
        let role = l.role.name();
        if l.expr.uses_current() && l.role != Role::Constraint {
            let at = sink.inside(&l.span, src, src.find('.').unwrap_or(0));
            sink.at(
                at..at,
                format!("{role}: '.' stands for the answer being checked and is allowed only in constraint; refer to a question as ${{id}}"),
            );
        }
        for (name, offset) in l.expr.references() {
            let at = sink.inside(&l.span, src, offset);
            let Some(&target) = index.get(name) else {
                sink.at(
                    at..at,
                    format!("{role} refers to ${{{name}}}, which is not a question in this file"),
                );
                continue;
            };
            if l.owner.as_deref() == Some(name) {
                let msg = if l.role == Role::Constraint {
                    format!("constraint refers to its own question ${{{name}}}; write . for the answer being checked")
                } else {
                    format!("{role} of {name:?} refers to itself: a cyclic reference; a question cannot depend on its own answer")
                };
                sink.at(at..at, msg);
                continue;
            }
            if let Some(cycle) = l.owner.as_deref().and_then(|o| cycle_from(&edges, o, name)) {
                sink.at(
                    at..at,
                    format!(
                        "{role} makes a cyclic reference: {}; break the loop",
                        cycle.join(" → ")
                    ),
                );
                continue;
            }
            if target >= l.position {
                let whose = l
                    .owner
                    .as_deref()
                    .map_or("this section".to_string(), |o| format!("{o:?}"));
                sink.at(
                    at..at,
                    format!("{role} of {whose} refers to ${{{name}}}, which comes later in the questionnaire; logic can only use earlier answers, so move {name:?} before it"),
                );
                continue;
            }
            if survey
                .question(name)
                .is_some_and(|q| matches!(q.kind, QuestionKind::Note))
            {
                sink.at(
                    at..at,
                    format!("{role} refers to ${{{name}}}, which is a note and has no answer"),
                );
            }
        }
    }
}

/// A path from `to` back to `from` through the reference graph, if one exists.
fn cycle_from<'a>(
    edges: &HashMap<&'a str, Vec<&'a str>>,
    from: &'a str,
    to: &'a str,
) -> Option<Vec<&'a str>> {
    let mut stack = vec![(to, vec![from, to])];
    let mut seen = std::collections::HashSet::new();
    while let Some((node, path)) = stack.pop() {
        if !seen.insert(node) {
            continue;
        }
        for &next in edges.get(node).into_iter().flatten() {
            if next == from {
                let mut p = path.clone();
                p.push(from);
                return Some(p);
            }
            let mut p = path.clone();
            p.push(next);
            stack.push((next, p));
        }
    }
    None
}
