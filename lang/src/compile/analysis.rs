//! Which locals must live in cells: those both captured by an inner function and assigned
//! with `set!`. Every other captured local is copied into the closure, which is cheaper and
//! gives the same result because neither side can change it.

use std::collections::BTreeSet;

use crate::core::{Expr, ExprKind, Lambda, LocalId, Module, Pattern, PatternKind};
use crate::lint::walk;

/// Locals that need a cell.
pub fn boxed_locals(module: &Module) -> BTreeSet<LocalId> {
    let mut cx = Analysis::default();
    for expr in &module.body {
        cx.expr(expr);
    }
    for m in &module.macros {
        cx.lambda(&m.lambda);
    }
    for wf in &module.workflows {
        for role in &wf.roles {
            role.options.iter().for_each(|(_, e)| cx.expr(e));
        }
        wf.vars.iter().for_each(|v| cx.expr(&v.init));
        // Each state is a function of its own.
        for state in &wf.states {
            cx.function([], |cx| state.body.iter().for_each(|e| cx.expr(e)));
        }
    }
    cx.captured
        .into_iter()
        .filter(|id| module.locals[id.0 as usize].assigned)
        .collect()
}

#[derive(Default)]
struct Analysis {
    /// For each function being walked, innermost last: the locals it binds.
    functions: Vec<BTreeSet<LocalId>>,
    /// Locals bound outside the top-level chunk's functions.
    toplevel: BTreeSet<LocalId>,
    captured: BTreeSet<LocalId>,
}

impl Analysis {
    fn bind(&mut self, id: LocalId) {
        match self.functions.last_mut() {
            Some(f) => f.insert(id),
            None => self.toplevel.insert(id),
        };
    }

    fn use_local(&mut self, id: LocalId) {
        let owned_here = match self.functions.last() {
            Some(f) => f.contains(&id),
            None => self.toplevel.contains(&id),
        };
        if !owned_here {
            self.captured.insert(id);
        }
    }

    /// Walks `body` as the body of a new function with `params` bound.
    fn function(
        &mut self,
        params: impl IntoIterator<Item = LocalId>,
        body: impl FnOnce(&mut Self),
    ) {
        self.functions.push(params.into_iter().collect());
        body(self);
        self.functions.pop();
    }

    fn lambda(&mut self, lambda: &Lambda) {
        let params = lambda
            .params
            .iter()
            .chain(&lambda.rest)
            .chain(&lambda.self_local)
            .copied();
        self.function(params, |cx| {
            for e in &lambda.body {
                cx.expr(e);
            }
        });
    }

    fn pattern_binds(&mut self, pattern: &Pattern) {
        walk_pattern(pattern, &mut |p| {
            if let PatternKind::Bind(id) = p.kind {
                self.bind(id);
            }
        });
    }

    fn expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Local(id) => self.use_local(*id),
            ExprKind::SetLocal(id, value) => {
                self.use_local(*id);
                self.expr(value);
            }
            ExprKind::Let(bindings, body) | ExprKind::Loop(bindings, body) => {
                for (id, value) in bindings {
                    self.expr(value);
                    self.bind(*id);
                }
                body.iter().for_each(|e| self.expr(e));
            }
            ExprKind::Fn(lambda) => self.lambda(lambda),
            ExprKind::Try {
                body,
                catch,
                finally,
            } => {
                body.iter().for_each(|e| self.expr(e));
                if let Some((id, handler)) = catch {
                    self.bind(*id);
                    handler.iter().for_each(|e| self.expr(e));
                }
                if let Some(finally) = finally {
                    finally.iter().for_each(|e| self.expr(e));
                }
            }
            ExprKind::Match(subject, arms) => {
                self.expr(subject);
                for (pattern, body) in arms {
                    self.pattern_binds(pattern);
                    pattern_values(pattern)
                        .into_iter()
                        .for_each(|e| self.expr(e));
                    body.iter().for_each(|e| self.expr(e));
                }
            }
            ExprKind::Await { pattern, timeout } => {
                pattern_values(pattern)
                    .into_iter()
                    .for_each(|e| self.expr(e));
                timeout.iter().for_each(|e| self.expr(e));
                self.pattern_binds(pattern);
            }
            ExprKind::On(_, pattern, body) => {
                pattern_values(pattern)
                    .into_iter()
                    .for_each(|e| self.expr(e));
                self.function([], |cx| {
                    cx.pattern_binds(pattern);
                    body.iter().for_each(|e| cx.expr(e));
                });
            }
            ExprKind::Spawn(body) => self.function([], |cx| body.iter().for_each(|e| cx.expr(e))),
            ExprKind::Parallel(items) | ExprKind::Race(items) => {
                for item in items {
                    self.function([], |cx| cx.expr(item));
                }
            }
            ExprKind::Poll {
                expr,
                every,
                timeout,
            } => {
                self.expr(expr);
                self.expr(every);
                timeout.iter().for_each(|e| self.expr(e));
            }
            _ => {
                for child in walk::children(expr) {
                    self.expr(child);
                }
            }
        }
    }
}

/// Calls `f` on every sub-pattern, parents first.
pub fn walk_pattern<'a>(pattern: &'a Pattern, f: &mut impl FnMut(&'a Pattern)) {
    f(pattern);
    match &pattern.kind {
        PatternKind::Record(_, items) | PatternKind::Sequence(items) => {
            items.iter().for_each(|p| walk_pattern(p, f));
        }
        PatternKind::Map(pairs) => pairs.iter().for_each(|(_, p)| walk_pattern(p, f)),
        _ => {}
    }
}

/// The expressions a pattern compares against, in the order the compiler passes them.
pub fn pattern_values(pattern: &Pattern) -> Vec<&Expr> {
    let mut out = Vec::new();
    walk_pattern(pattern, &mut |p| match &p.kind {
        PatternKind::Value(e) | PatternKind::RecordField(_, _, e) => out.push(e.as_ref()),
        _ => {}
    });
    out
}
