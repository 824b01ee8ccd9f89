//! Lints over the expanded module: unused bindings, unreachable code and the workflow
//! state graph. Errors found while expanding come from the expander; these are warnings.

mod durations;
mod labels;
pub mod walk;
mod workflow;

pub use labels::RUNTIME_LABELS;

use crate::codes;
use crate::core::{Expr, ExprKind, LocalKind, Module};
use crate::diagnostic::Diagnostic;

/// Every warning for `module`.
pub fn lint(module: &Module) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    unused_locals(module, &mut out);
    let roots: Vec<&Expr> = all_exprs(module).collect();
    for expr in &roots {
        unreachable_code(expr, &mut out);
    }
    labels::unknown_labels(&roots, &mut out);
    durations::literal_durations(&roots, &mut out);
    for wf in &module.workflows {
        for state in &wf.states {
            unreachable_in(&state.body, &mut out);
        }
        workflow::state_graph(wf, &mut out);
    }
    out
}

/// The roots of every expression tree in the module.
fn all_exprs(module: &Module) -> impl Iterator<Item = &Expr> {
    module
        .body
        .iter()
        .chain(module.macros.iter().flat_map(|m| &m.lambda.body))
        .chain(module.workflows.iter().flat_map(|w| {
            w.roles
                .iter()
                .flat_map(|r| r.options.iter().map(|(_, e)| e))
                .chain(w.vars.iter().map(|v| &v.init))
                .chain(w.states.iter().flat_map(|s| &s.body))
        }))
}

fn unused_locals(module: &Module, out: &mut Vec<Diagnostic>) {
    for local in &module.locals {
        let silenced = local.name.starts_with('_') || local.name.starts_with(' ');
        if local.uses > 0 || silenced || local.kind == LocalKind::FnName {
            continue;
        }
        let (what, shown) = match local.kind {
            LocalKind::Pattern => ("pattern variable", format!("?{}", local.name)),
            LocalKind::Param => ("parameter", local.name.clone()),
            _ => ("binding", local.name.clone()),
        };
        let fix = match local.kind {
            LocalKind::Pattern => format!("`?_{}`", local.name),
            _ => format!("`_{}`", local.name),
        };
        out.push(
            Diagnostic::new(
                codes::UNUSED_BINDING,
                local.span,
                format!("unused {what} `{shown}`"),
            )
            .with_label("this is never used")
            .with_help(format!(
                "remove it, or name it {fix} to say it is unused on purpose"
            )),
        );
    }
}

/// Whether evaluating `expr` always leaves the state (`goto` or `terminal`).
pub(crate) fn exits(expr: &Expr) -> bool {
    match &expr.kind {
        ExprKind::Goto(_) | ExprKind::Terminal(..) => true,
        ExprKind::Do(body) | ExprKind::Let(_, body) => body.iter().any(exits),
        ExprKind::If(c, t, e) => exits(c) || (exits(t) && e.as_deref().is_some_and(exits)),
        ExprKind::And(items) | ExprKind::Or(items) => items.first().is_some_and(exits),
        _ => false,
    }
}

fn unreachable_code(root: &Expr, out: &mut Vec<Diagnostic>) {
    walk::each_body(root, &mut |body| unreachable_in(body, out));
}

/// Warns about the first form of `body` that follows a form that always leaves the state.
fn unreachable_in(body: &[Expr], out: &mut Vec<Diagnostic>) {
    if let Some(i) = body.iter().position(exits)
        && let Some(next) = body.get(i + 1)
    {
        let what = match body[i].kind {
            ExprKind::Terminal(..) => "`terminal` ends the workflow here",
            _ => "`goto` leaves the state here",
        };
        out.push(
            Diagnostic::new(codes::UNREACHABLE_CODE, next.span, "unreachable code")
                .with_label("this never runs")
                .with_secondary(body[i].span, what)
                .with_help("remove it, or move it before the state is left"),
        );
    }
}
