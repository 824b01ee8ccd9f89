//! Waiting for a record nobody makes: an `await` or `on-…` handler whose pattern is a record
//! with a label that no `(record LABEL …)` in the program builds and that the runtime never
//! asserts. Such a wait never ends; usually the label is misspelt (`agent-respnse`).

use std::collections::BTreeSet;

use crate::codes;
use crate::core::{Expr, ExprKind, Pattern, PatternKind};
use crate::diagnostic::Diagnostic;
use crate::expand::scope;
use crate::syntax::datum::DatumKind;

/// Labels of the records the runtime asserts itself: an agent answers a request with
/// `<agent-response ID REPLY ROLE …>`, or `<agent-error KIND MESSAGE>` when it fails.
pub const RUNTIME_LABELS: &[&str] = &["agent-response", "agent-error"];

/// Warns about every wait for a label nothing makes. Says nothing when the program builds a
/// record whose label is computed, or calls a macro that was not expanded: the label could
/// then be any.
pub fn unknown_labels(roots: &[&Expr], out: &mut Vec<Diagnostic>) {
    let mut made: BTreeSet<&str> = RUNTIME_LABELS.iter().copied().collect();
    let mut waits: Vec<(&str, &Pattern)> = Vec::new();
    let mut unknowable = false;
    for root in roots {
        super::walk::each_expr(root, &mut |e| match &e.kind {
            ExprKind::Record(label, _) => match &label.kind {
                ExprKind::Const(d) => match &d.kind {
                    DatumKind::Symbol(s) => {
                        made.insert(s.as_str());
                    }
                    _ => unknowable = true,
                },
                _ => unknowable = true,
            },
            ExprKind::Unexpanded(..) => unknowable = true,
            ExprKind::Await { pattern, .. } | ExprKind::On(_, pattern, _) => {
                if let PatternKind::Record(label, _) | PatternKind::RecordField(label, _, _) =
                    &pattern.kind
                {
                    waits.push((label.as_str(), pattern));
                }
            }
            _ => {}
        });
    }
    if unknowable {
        return;
    }
    for (label, pattern) in waits {
        if made.contains(label) {
            continue;
        }
        let help = scope::did_you_mean(&scope::suggest(label, made.iter().copied()))
            .unwrap_or_else(|| {
                format!(
                    "assert it somewhere with `(assert (record {label} …))`; agents answer with `agent-response` (or `agent-error`)"
                )
            });
        out.push(
            Diagnostic::new(
                codes::UNKNOWN_LABEL,
                pattern.span,
                format!("nothing makes a record labelled `{label}`"),
            )
            .with_label("this waits for a record no part of the program asserts")
            .with_help(help),
        );
    }
}
