//! Quasiquote templates lowered to calls of `list`, `concat`, `vector` and `hash-map`.

use super::Expander;
use super::forms::call_builtin;
use crate::codes;
use crate::core::{Expr, ExprKind};
use crate::diagnostic::Diagnostic;
use crate::syntax::datum::{Datum, DatumKind};

/// `(NAME x)` when `d` is that form.
fn prefixed<'d>(d: &'d Datum, name: &str) -> Option<&'d Datum> {
    match d.as_list() {
        Some([head, x]) if head.as_symbol() == Some(name) => Some(x),
        _ => None,
    }
}

/// Whether `d` holds an unquote at any level; templates without one are constants.
fn has_unquote(d: &Datum) -> bool {
    if prefixed(d, "unquote").is_some() || prefixed(d, "unquote-splicing").is_some() {
        return true;
    }
    if let Some(inner) = prefixed(d, "quasiquote") {
        return has_unquote(inner);
    }
    match &d.kind {
        DatumKind::List(items) | DatumKind::Vector(items) => items.iter().any(has_unquote),
        DatumKind::Map(pairs) => pairs.iter().any(|(k, v)| has_unquote(k) || has_unquote(v)),
        _ => false,
    }
}

impl Expander<'_, '_> {
    /// Lowers the template `d` at quasiquote nesting `depth` (1 for the outermost).
    pub(crate) fn quasiquote(&mut self, d: &Datum, depth: usize) -> Expr {
        let span = d.span;
        if !has_unquote(d) {
            return Expr {
                kind: ExprKind::Const(d.clone()),
                span,
            };
        }
        if let Some(x) = prefixed(d, "unquote") {
            if depth == 1 {
                return self.expr(x, false);
            }
            return {
                let inner = self.quasiquote(x, depth - 1);
                self.wrap("unquote", inner, d)
            };
        }
        if let Some(x) = prefixed(d, "quasiquote") {
            let inner = self.quasiquote(x, depth + 1);
            return self.wrap("quasiquote", inner, d);
        }
        if prefixed(d, "unquote-splicing").is_some() && depth == 1 {
            self.error(
                Diagnostic::new(
                    codes::MISPLACED_FORM,
                    span,
                    "`,@` must be inside a list or vector",
                )
                .with_label("there is nothing here to splice into")
                .with_help("use `,` to insert a single value"),
            );
            return Self::nil(span);
        }
        match &d.kind {
            DatumKind::List(items) => self.sequence(items, depth, span),
            DatumKind::Vector(items) => {
                let list = self.sequence(items, depth, span);
                let vector = Expr {
                    kind: ExprKind::Builtin("vector"),
                    span,
                };
                call_builtin("apply", vec![vector, list], span)
            }
            DatumKind::Map(pairs) => {
                let mut args = Vec::with_capacity(pairs.len() * 2);
                for (k, v) in pairs {
                    args.push(self.quasiquote(k, depth));
                    args.push(self.quasiquote(v, depth));
                }
                call_builtin("hash-map", args, span)
            }
            _ => Expr {
                kind: ExprKind::Const(d.clone()),
                span,
            },
        }
    }

    /// `(list 'NAME inner)`, keeping a nested template's prefix.
    fn wrap(&self, name: &str, inner: Expr, d: &Datum) -> Expr {
        let symbol = Datum::new(DatumKind::Symbol(name.into()), d.span);
        let head = Expr {
            kind: ExprKind::Const(symbol),
            span: d.span,
        };
        call_builtin("list", vec![head, inner], d.span)
    }

    /// The elements of a list template as one list, splicing `,@` parts.
    fn sequence(&mut self, items: &[Datum], depth: usize, span: crate::span::Span) -> Expr {
        let splices = depth == 1
            && items
                .iter()
                .any(|i| prefixed(i, "unquote-splicing").is_some());
        if !splices {
            let args = items.iter().map(|i| self.quasiquote(i, depth)).collect();
            return call_builtin("list", args, span);
        }
        let segments = items
            .iter()
            .map(|i| match prefixed(i, "unquote-splicing") {
                Some(x) => self.expr(x, false),
                None => {
                    let one = self.quasiquote(i, depth);
                    call_builtin("list", vec![one], i.span)
                }
            })
            .collect();
        call_builtin("concat", segments, span)
    }
}
