//! Walking core expressions.

use crate::core::{Expr, ExprKind, Pattern, PatternKind};

/// Calls `f` on `expr` and every expression inside it, parents first (with an explicit
/// stack: code may nest far deeper than the Rust stack would allow recursion).
pub fn each_expr<'a>(expr: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    let mut stack = vec![expr];
    while let Some(e) = stack.pop() {
        f(e);
        stack.extend(children(e).into_iter().rev());
    }
}

/// How deeply `expr` nests (1 for a leaf), and the innermost expression at that depth.
pub fn depth(expr: &Expr) -> (usize, &Expr) {
    let mut deepest = (1, expr);
    let mut stack = vec![(expr, 1)];
    while let Some((e, d)) = stack.pop() {
        if d > deepest.0 {
            deepest = (d, e);
        }
        stack.extend(children(e).into_iter().map(|c| (c, d + 1)));
    }
    deepest
}

/// Calls `f` on every sequence of forms evaluated in order (bodies of `do`, `let`, `fn`, …)
/// inside `expr`, including `expr`'s own.
pub fn each_body<'a>(expr: &'a Expr, f: &mut impl FnMut(&'a [Expr])) {
    each_expr(expr, &mut |e| match &e.kind {
        ExprKind::Do(body)
        | ExprKind::Let(_, body)
        | ExprKind::Loop(_, body)
        | ExprKind::Spawn(body) => f(body),
        ExprKind::On(_, _, body) => f(body),
        ExprKind::Fn(lambda) => f(&lambda.body),
        ExprKind::Try {
            body,
            catch,
            finally,
        } => {
            f(body);
            if let Some((_, handler)) = catch {
                f(handler);
            }
            if let Some(finally) = finally {
                f(finally);
            }
        }
        _ => {}
    });
}

/// The direct sub-expressions of `expr`, in evaluation order.
pub fn children(expr: &Expr) -> Vec<&Expr> {
    let mut out: Vec<&Expr> = Vec::new();
    match &expr.kind {
        ExprKind::Const(_)
        | ExprKind::Local(_)
        | ExprKind::Global(_)
        | ExprKind::Builtin(_)
        | ExprKind::Role(_)
        | ExprKind::WorkflowVar(_)
        | ExprKind::Goto(_)
        | ExprKind::Unexpanded(..) => {}
        ExprKind::SetLocal(_, v)
        | ExprKind::SetGlobal(_, v)
        | ExprKind::SetWorkflowVar(_, v)
        | ExprKind::Def(_, v) => out.push(v),
        ExprKind::If(c, t, e) => {
            out.extend([c.as_ref(), t.as_ref()]);
            out.extend(e.as_deref());
        }
        ExprKind::And(items)
        | ExprKind::Or(items)
        | ExprKind::Do(items)
        | ExprKind::Recur(items)
        | ExprKind::Spawn(items)
        | ExprKind::Parallel(items)
        | ExprKind::Race(items) => out.extend(items),
        ExprKind::Let(bindings, body) | ExprKind::Loop(bindings, body) => {
            out.extend(bindings.iter().map(|(_, e)| e));
            out.extend(body);
        }
        ExprKind::Fn(lambda) => out.extend(&lambda.body),
        ExprKind::Call(f, args) => {
            out.push(f);
            out.extend(args);
        }
        ExprKind::Match(subject, arms) => {
            out.push(subject);
            for (pattern, body) in arms {
                pattern_exprs(pattern, &mut out);
                out.extend(body);
            }
        }
        ExprKind::Try {
            body,
            catch,
            finally,
        } => {
            out.extend(body);
            if let Some((_, handler)) = catch {
                out.extend(handler);
            }
            if let Some(finally) = finally {
                out.extend(finally);
            }
        }
        ExprKind::Record(label, fields) => {
            out.push(label);
            out.extend(fields);
        }
        ExprKind::Await { pattern, timeout } => {
            pattern_exprs(pattern, &mut out);
            out.extend(timeout.as_deref());
        }
        ExprKind::Poll {
            expr,
            every,
            timeout,
        } => {
            out.extend([expr.as_ref(), every.as_ref()]);
            out.extend(timeout.as_deref());
        }
        ExprKind::On(_, pattern, body) => {
            pattern_exprs(pattern, &mut out);
            out.extend(body);
        }
        ExprKind::Terminal(_, result) => out.extend(result.as_deref()),
    }
    out
}

/// Expressions inside a pattern (variables matched by value, `:equals` values).
fn pattern_exprs<'a>(pattern: &'a Pattern, out: &mut Vec<&'a Expr>) {
    match &pattern.kind {
        PatternKind::Value(e) | PatternKind::RecordField(_, _, e) => out.push(e),
        PatternKind::Record(_, items) | PatternKind::Sequence(items) => {
            for p in items {
                pattern_exprs(p, out);
            }
        }
        PatternKind::Map(pairs) => {
            for (_, p) in pairs {
                pattern_exprs(p, out);
            }
        }
        PatternKind::Wildcard | PatternKind::Bind(_) | PatternKind::Literal(_) => {}
    }
}
