//! Durations written as literals are read when the program is checked: a `(sleep "10
//! mins")` or a `:timeout "5 minutes"` is an error before anything runs, not when the run
//! reaches it (perhaps hours in).

use crate::codes;
use crate::core::{Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::syntax::datum::DatumKind;

/// Errors for every literal duration in `roots` that does not read.
pub fn literal_durations(roots: &[&Expr], out: &mut Vec<Diagnostic>) {
    for root in roots {
        super::walk::each_expr(root, &mut |e| {
            for (what, duration) in durations(e) {
                check(what, duration, out);
            }
        });
    }
}

/// The durations `e` takes, each with what takes it.
fn durations(e: &Expr) -> Vec<(&'static str, &Expr)> {
    match &e.kind {
        ExprKind::Await {
            timeout: Some(timeout),
            ..
        } => vec![("`await :timeout`", timeout)],
        ExprKind::Poll { every, timeout, .. } => std::iter::once(("`poll :every`", &**every))
            .chain(timeout.as_deref().map(|t| ("`poll :timeout`", t)))
            .collect(),
        ExprKind::Call(callee, args) => match &callee.kind {
            ExprKind::Builtin("sleep") => {
                args.first().map(|d| ("`sleep`", d)).into_iter().collect()
            }
            ExprKind::Builtin("prompt") => option(args, 2, "timeout")
                .map(|d| ("`prompt :timeout`", d))
                .into_iter()
                .collect(),
            ExprKind::Builtin("shell") => option(args, 1, "timeout")
                .map(|d| ("`shell :timeout`", d))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// The value of option `:key` among `args` after `positional` arguments.
fn option<'a>(args: &'a [Expr], positional: usize, key: &str) -> Option<&'a Expr> {
    args.get(positional..)?.chunks(2).find_map(|pair| match (&pair[0].kind, pair.get(1)) {
        (ExprKind::Const(d), Some(value)) if matches!(&d.kind, DatumKind::Keyword(k) if k == key) => {
            Some(value)
        }
        _ => None,
    })
}

/// An error when `duration` is a literal that is not a duration.
fn check(what: &str, duration: &Expr, out: &mut Vec<Diagnostic>) {
    let ExprKind::Const(datum) = &duration.kind else {
        return;
    };
    let why = match &datum.kind {
        DatumKind::Str(text) => match crate::duration::parse(text) {
            Ok(_) => return,
            Err(why) => why,
        },
        DatumKind::Int(n) if *n >= 0 => return,
        DatumKind::Int(_) => "a duration cannot be negative".to_string(),
        other => format!("{} is not a duration", describe(other)),
    };
    out.push(
        Diagnostic::new(
            codes::BAD_DURATION,
            duration.span,
            format!("{what} takes a duration, and this is not one: {why}"),
        )
        .with_label("not a duration")
        .with_help("write text like \"500ms\", \"30s\", \"5m\", \"6h\" or \"14d\", or a whole number of milliseconds"),
    );
}

fn describe(kind: &DatumKind) -> &'static str {
    match kind {
        DatumKind::Float(_) => "a float",
        DatumKind::Keyword(_) => "a keyword",
        DatumKind::Bool(_) => "a boolean",
        DatumKind::Nil => "nil",
        _ => "this value",
    }
}
