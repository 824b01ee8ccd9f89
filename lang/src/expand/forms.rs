//! Expressions and the special forms: the core forms, and those of the dataspace and of
//! waiting (`assert`, `await`, `on-…`, `record`, …).

use super::scope::{self, Binding};
use super::toplevel::param_arity;
use super::{Expander, RecurTarget, Tail};
use crate::builtins::{self, Builtin};
use crate::codes;
use crate::core::{Event, Expr, ExprKind, Lambda, LocalKind, Macro};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::syntax::datum::{Datum, DatumKind};

/// Every special form, sorted. A local cannot shadow these.
pub const SPECIAL_FORMS: &[&str] = &[
    "action",
    "and",
    "await",
    "capabilities",
    "case",
    "catch",
    "cond",
    "def",
    "defmacro",
    "defn",
    "do",
    "enter",
    "finally",
    "fn",
    "goto",
    "if",
    "import",
    "isolated",
    "let",
    "loop",
    "match",
    "on-asserted",
    "on-message",
    "on-retracted",
    "or",
    "parallel",
    "poll",
    "quasiquote",
    "quote",
    "race",
    "record",
    "recur",
    "roles",
    "set!",
    "spawn",
    "state",
    "terminal",
    "try",
    "unless",
    "unquote",
    "unquote-splicing",
    "when",
    "workflow",
];

impl Expander<'_, '_> {
    fn malformed(
        &mut self,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
        help: impl Into<String>,
    ) -> Expr {
        self.error(
            Diagnostic::new(codes::BAD_SPECIAL_FORM, span, message)
                .with_label(label)
                .with_help(help),
        );
        Self::nil(span)
    }

    /// Checks the number of forms after a special form's head.
    fn count(
        &mut self,
        form: &Datum,
        args: &[Datum],
        min: usize,
        max: Option<usize>,
        shape: &str,
    ) -> bool {
        let n = args.len();
        if n >= min && max.is_none_or(|m| n <= m) {
            return true;
        }
        let head = form.head_symbol().unwrap_or("form");
        let expected = builtins::arity_text(min, max).replace("argument", "form");
        self.malformed(
            form.span,
            format!("`{head}` takes {expected}, found {n}"),
            format!("expected {expected}"),
            format!("write `{shape}`"),
        );
        false
    }

    /// Expands an expression.
    pub(crate) fn expr(&mut self, form: &Datum, tail: Tail) -> Expr {
        if self.depth >= super::MAX_EXPR_DEPTH {
            if !self.expansion_stopped {
                self.expansion_stopped = true;
                let at = self.expanding.first().copied().unwrap_or(form.span);
                self.error(
                    Diagnostic::new(
                        codes::MACRO_LIMIT,
                        at,
                        format!(
                            "this code is nested more than {} levels deep once its macros are expanded",
                            super::MAX_EXPR_DEPTH
                        ),
                    )
                    .with_label("the macros called here expand into code nested too deeply")
                    .with_help("give a recursive macro a base case, or build deep data at run time"),
                );
            }
            return Self::nil(form.span);
        }
        self.depth += 1;
        let expr = self.expr_at_depth(form, tail);
        self.depth -= 1;
        expr
    }

    fn expr_at_depth(&mut self, form: &Datum, tail: Tail) -> Expr {
        let span = form.span;
        match &form.kind {
            DatumKind::Symbol(name) => self.variable(name, span),
            DatumKind::List(items) if items.is_empty() => Expr {
                kind: ExprKind::Const(form.clone()),
                span,
            },
            DatumKind::List(items) => self.list(form, items, tail),
            DatumKind::Vector(items) => {
                if is_constant(form) {
                    return Expr {
                        kind: ExprKind::Const(form.clone()),
                        span,
                    };
                }
                let args = items.iter().map(|d| self.expr(d, false)).collect();
                call_builtin("vector", args, span)
            }
            DatumKind::Map(pairs) => {
                if is_constant(form) {
                    return Expr {
                        kind: ExprKind::Const(form.clone()),
                        span,
                    };
                }
                let mut args = Vec::with_capacity(pairs.len() * 2);
                for (k, v) in pairs {
                    args.push(self.expr(k, false));
                    args.push(self.expr(v, false));
                }
                call_builtin("hash-map", args, span)
            }
            DatumKind::Error => Self::nil(span),
            _ => Expr {
                kind: ExprKind::Const(form.clone()),
                span,
            },
        }
    }

    fn list(&mut self, form: &Datum, items: &[Datum], tail: Tail) -> Expr {
        let head = &items[0];
        let args = &items[1..];
        if let Some(name) = head.as_symbol() {
            if let Some(expr) = self.special(form, name, args, tail) {
                return expr;
            }
            let local = matches!(self.resolve(name), Some(Binding::Local(_)));
            if !local && let Some(mac) = self.macro_named(name) {
                self.reference(head.span, name, Binding::Global);
                return self.macro_call(form, mac, args, tail);
            }
        }
        let callee = self.expr(head, false);
        if let ExprKind::Builtin(name) = callee.kind
            && let Some(builtin) = builtins::lookup(name)
        {
            self.check_builtin_call(form, builtin, args);
        }
        if let ExprKind::Global(name) = &callee.kind {
            self.global_calls
                .push((name.clone(), args.len(), form.span));
        }
        let args = args.iter().map(|d| self.expr(d, false)).collect();
        Expr {
            kind: ExprKind::Call(Box::new(callee), args),
            span: form.span,
        }
    }

    /// Arity and keyword options of a call to a builtin.
    fn check_builtin_call(&mut self, form: &Datum, builtin: &Builtin, args: &[Datum]) {
        let positional = if builtin.options.is_empty() {
            args.len()
        } else {
            (builtin.min..args.len())
                .find(|&i| args[i].as_keyword().is_some())
                .unwrap_or(args.len())
        };
        if !builtin.accepts(positional) {
            let expected = builtin.expected();
            self.error(
                Diagnostic::new(
                    codes::ARITY,
                    form.span,
                    format!(
                        "`{}` takes {expected}, but this call passes {positional}",
                        builtin.name
                    ),
                )
                .with_label(format!("expected {expected}, found {positional}"))
                .with_help(format!(
                    "the signature is `({} {})`",
                    builtin.name,
                    builtin.params.trim_matches(['[', ']'])
                )),
            );
            return;
        }
        self.check_options(
            &args[positional..],
            builtin.name,
            builtin.options,
            form.span,
        );
    }

    /// Checks `:key value` pairs against the options a form accepts.
    pub(crate) fn check_options(
        &mut self,
        rest: &[Datum],
        what: &str,
        allowed: &[&str],
        form_span: Span,
    ) {
        let mut i = 0;
        while i < rest.len() {
            let Some(key) = rest[i].as_keyword() else {
                self.malformed(
                    rest[i].span,
                    format!("unexpected {} in `{what}`", rest[i].describe()),
                    "expected a keyword option here",
                    format!("`{what}` takes the options {}", options_text(allowed)),
                );
                return;
            };
            if !allowed.contains(&key) {
                let suggestions = scope::suggest(key, allowed.iter().copied());
                let help = scope::did_you_mean(
                    &suggestions
                        .iter()
                        .map(|s| format!(":{s}"))
                        .collect::<Vec<_>>(),
                )
                .unwrap_or_else(|| format!("`{what}` takes {}", options_text(allowed)));
                self.error(
                    Diagnostic::new(
                        codes::UNKNOWN_OPTION,
                        rest[i].span,
                        format!("`{what}` has no option `:{key}`"),
                    )
                    .with_label("unknown option")
                    .with_help(help),
                );
            }
            if i + 1 >= rest.len() {
                self.malformed(
                    rest[i].span.cover(form_span),
                    format!("option `:{key}` has no value"),
                    format!("`:{key}` needs a value after it"),
                    format!("write `:{key} VALUE`"),
                );
            }
            i += 2;
        }
    }

    /// Expands the special form `name`, or returns `None` when `name` is not one.
    fn special(&mut self, form: &Datum, name: &str, args: &[Datum], tail: Tail) -> Option<Expr> {
        let span = form.span;
        let expr = match name {
            "quote" => {
                if !self.count(form, args, 1, Some(1), "(quote form)") {
                    return Some(Self::nil(span));
                }
                Expr {
                    kind: ExprKind::Const(args[0].clone()),
                    span,
                }
            }
            "quasiquote" => {
                if !self.count(form, args, 1, Some(1), "`form") {
                    return Some(Self::nil(span));
                }
                self.quasiquote(&args[0], 1)
            }
            "unquote" | "unquote-splicing" => {
                self.error(
                    Diagnostic::new(
                        codes::MISPLACED_FORM,
                        span,
                        format!("`{name}` outside a quasiquote"),
                    )
                    .with_label("`,` and `,@` only work inside a `` ` `` template")
                    .with_help("quasiquote the enclosing form with `` ` ``, or remove the comma"),
                );
                Self::nil(span)
            }
            "if" => {
                if !self.count(form, args, 2, Some(3), "(if test then else?)") {
                    return Some(Self::nil(span));
                }
                let c = self.expr(&args[0], false);
                let t = self.expr(&args[1], tail);
                let e = args.get(2).map(|e| Box::new(self.expr(e, tail)));
                Expr {
                    kind: ExprKind::If(Box::new(c), Box::new(t), e),
                    span,
                }
            }
            "when" | "unless" => {
                if !self.count(form, args, 1, None, &format!("({name} test body…)")) {
                    return Some(Self::nil(span));
                }
                let c = self.expr(&args[0], false);
                let body = self.body(&args[1..], tail);
                let body = Box::new(Expr {
                    kind: ExprKind::Do(body),
                    span,
                });
                let kind = if name == "when" {
                    ExprKind::If(Box::new(c), body, None)
                } else {
                    ExprKind::If(Box::new(c), Box::new(Self::nil(span)), Some(body))
                };
                Expr { kind, span }
            }
            "cond" => self.cond(form, args, tail),
            "case" => self.case(form, args, tail),
            "and" | "or" => {
                let n = args.len();
                let items = args
                    .iter()
                    .enumerate()
                    .map(|(i, a)| self.expr(a, tail && i + 1 == n))
                    .collect();
                let kind = if name == "and" {
                    ExprKind::And(items)
                } else {
                    ExprKind::Or(items)
                };
                Expr { kind, span }
            }
            "do" => {
                let body = self.body(args, tail);
                Expr {
                    kind: ExprKind::Do(body),
                    span,
                }
            }
            "def" | "defn" | "defmacro" | "import" => self.misplaced_definition(form, name),
            "fn" => self.lambda(form, None),
            "let" | "loop" => self.let_or_loop(form, name, args, tail),
            "set!" => self.set(form, args),
            "recur" => self.recur(form, args, tail),
            "match" => self.match_form(form, args, tail),
            "try" => self.try_form(form, args),
            "catch" | "finally" => {
                self.error(
                    Diagnostic::new(
                        codes::MISPLACED_FORM,
                        span,
                        format!("`{name}` outside a `try`"),
                    )
                    .with_label(format!(
                        "`{name}` only has a meaning as the last part of a `try`"
                    ))
                    .with_help(format!("write `(try body… ({name} …))`")),
                );
                Self::nil(span)
            }
            "record" => self.record(form, args),
            "await" => self.await_form(form, args, None),
            "poll" => self.poll(form, args),
            "isolated" => self.isolated(form, args),
            "on-asserted" | "on-retracted" | "on-message" => {
                let event = match name {
                    "on-asserted" => Event::Asserted,
                    "on-retracted" => Event::Retracted,
                    _ => Event::Message,
                };
                if !self.count(form, args, 1, None, &format!("({name} pattern body…)")) {
                    return Some(Self::nil(span));
                }
                self.scopes.push();
                let pattern = self.pattern(&args[0]);
                let body = self.detached_body(&args[1..]);
                self.scopes.pop();
                Expr {
                    kind: ExprKind::On(event, pattern, body),
                    span,
                }
            }
            "spawn" => {
                let body = self.detached_body(args);
                Expr {
                    kind: ExprKind::Spawn(body),
                    span,
                }
            }
            "parallel" | "race" => {
                let items = args.iter().map(|a| self.detached(a)).collect();
                let kind = if name == "parallel" {
                    ExprKind::Parallel(items)
                } else {
                    ExprKind::Race(items)
                };
                Expr { kind, span }
            }
            "goto" | "terminal" => self.state_exit(form, name, args),
            "workflow" | "roles" | "state" | "enter" | "action" | "capabilities" => {
                let place = match name {
                    "workflow" => "at the top level of a file",
                    "state" | "roles" | "capabilities" => "directly inside a `workflow`",
                    _ => "directly inside a `state`",
                };
                self.error(
                    Diagnostic::new(
                        codes::MISPLACED_FORM,
                        span,
                        format!("`{name}` is not allowed here"),
                    )
                    .with_label(format!("`{name}` can only appear {place}"))
                    .with_help(format!("move it {place}")),
                );
                Self::nil(span)
            }
            "prompt" => return self.prompt(form, args),
            _ => return None,
        };
        Some(expr)
    }

    /// A body of forms in order; the last is in tail position. An `await` among them binds
    /// its pattern variables for the forms after it.
    pub(crate) fn body(&mut self, forms: &[Datum], tail: Tail) -> Vec<Expr> {
        self.scopes.push();
        let n = forms.len();
        let out = forms
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let tail = tail && i + 1 == n;
                match f.head_symbol() {
                    Some("await") if !matches!(self.resolve("await"), Some(Binding::Local(_))) => {
                        let args = &f.as_list().unwrap_or_default()[1..];
                        self.await_form(f, args, Some(()))
                    }
                    _ => self.expr(f, tail),
                }
            })
            .collect();
        self.scopes.pop();
        out
    }

    /// A body that runs on its own (in a handler, a spawned facet or a parallel branch): no
    /// `recur` reaches out of it.
    fn detached_body(&mut self, forms: &[Datum]) -> Vec<Expr> {
        let saved = std::mem::take(&mut self.recur);
        let body = self.body(forms, false);
        self.recur = saved;
        body
    }

    fn detached(&mut self, form: &Datum) -> Expr {
        let saved = std::mem::take(&mut self.recur);
        let expr = self.expr(form, false);
        self.recur = saved;
        expr
    }

    fn cond(&mut self, form: &Datum, args: &[Datum], tail: Tail) -> Expr {
        if args.len() % 2 == 1 {
            let last = &args[args.len() - 1];
            return self.malformed(
                last.span,
                "`cond` needs test/expression pairs",
                "this test has no expression",
                "add the expression for this test; use `:else` as the last test for a default",
            );
        }
        let mut result: Option<Expr> = None;
        for pair in args.chunks(2).rev() {
            let then = self.expr(&pair[1], tail);
            let is_else = matches!(pair[0].kind, DatumKind::Keyword(ref k) if k == "else");
            result = Some(if is_else {
                then
            } else {
                let test = self.expr(&pair[0], false);
                Expr {
                    kind: ExprKind::If(Box::new(test), Box::new(then), result.map(Box::new)),
                    span: pair[0].span.cover(pair[1].span),
                }
            });
        }
        result.unwrap_or_else(|| Self::nil(form.span))
    }

    fn case(&mut self, form: &Datum, args: &[Datum], tail: Tail) -> Expr {
        if !self.count(
            form,
            args,
            1,
            None,
            "(case value v1 e1 (v2 v3) e2 :else default)",
        ) {
            return Self::nil(form.span);
        }
        let clauses = &args[1..];
        if clauses.len() % 2 == 1 {
            let last = &clauses[clauses.len() - 1];
            return self.malformed(
                last.span,
                "`case` needs value/expression pairs",
                "this value has no expression",
                "add the expression; use `:else` for a default",
            );
        }
        let subject = self.expr(&args[0], false);
        self.scopes.push();
        let tmp = self.new_local(" case", args[0].span, LocalKind::Let);
        let mut result: Option<Expr> = None;
        for pair in clauses.chunks(2).rev() {
            let then = self.expr(&pair[1], tail);
            let is_else = matches!(pair[0].kind, DatumKind::Keyword(ref k) if k == "else");
            if is_else {
                result = Some(then);
                continue;
            }
            let values: Vec<&Datum> = match &pair[0].kind {
                DatumKind::List(vs) => vs.iter().collect(),
                _ => vec![&pair[0]],
            };
            let tests = values
                .into_iter()
                .map(|v| {
                    self.module.locals[tmp.0 as usize].uses += 1;
                    let local = Expr {
                        kind: ExprKind::Local(tmp),
                        span: v.span,
                    };
                    let constant = Expr {
                        kind: ExprKind::Const(v.clone()),
                        span: v.span,
                    };
                    call_builtin("=", vec![local, constant], v.span)
                })
                .collect();
            let test = Expr {
                kind: ExprKind::Or(tests),
                span: pair[0].span,
            };
            result = Some(Expr {
                kind: ExprKind::If(Box::new(test), Box::new(then), result.map(Box::new)),
                span: pair[0].span.cover(pair[1].span),
            });
        }
        self.scopes.pop();
        Expr {
            kind: ExprKind::Let(
                vec![(tmp, subject)],
                vec![result.unwrap_or_else(|| Self::nil(form.span))],
            ),
            span: form.span,
        }
    }

    /// `(let [a 1 b 2] body…)` and `(loop [i 0] body…)`.
    fn let_or_loop(&mut self, form: &Datum, name: &str, args: &[Datum], tail: Tail) -> Expr {
        let shape = format!("({name} [name value …] body…)");
        let Some(DatumKind::Vector(bindings)) = args.first().map(|d| &d.kind) else {
            let span = args.first().map_or(form.span, |d| d.span);
            return self.malformed(
                span,
                format!("`{name}` needs a binding vector"),
                "expected `[name value …]` here",
                format!("write `{shape}`"),
            );
        };
        if bindings.len() % 2 == 1 {
            let last = &bindings[bindings.len() - 1];
            return self.malformed(
                last.span,
                format!("`{name}` bindings come in name/value pairs"),
                format!("`{}` has no value", last.as_symbol().unwrap_or("this")),
                format!("write `{shape}`"),
            );
        }
        self.scopes.push();
        let kind = if name == "let" {
            LocalKind::Let
        } else {
            LocalKind::Loop
        };
        let mut pairs = Vec::with_capacity(bindings.len() / 2);
        for pair in bindings.chunks(2) {
            let value = self.expr(&pair[1], false);
            let Some(var) = pair[0].as_symbol() else {
                self.malformed(
                    pair[0].span,
                    format!("`{name}` can only bind names"),
                    format!("expected a symbol, found {}", pair[0].describe()),
                    format!("write `{shape}`"),
                );
                continue;
            };
            let id = self.bind_local(var, pair[0].span, kind);
            pairs.push((id, value));
        }
        let body = if name == "loop" {
            self.recur.push(RecurTarget { arity: pairs.len() });
            let body = self.body(&args[1..], true);
            self.recur.pop();
            body
        } else {
            self.body(&args[1..], tail)
        };
        self.scopes.pop();
        let kind = if name == "let" {
            ExprKind::Let(pairs, body)
        } else {
            ExprKind::Loop(pairs, body)
        };
        Expr {
            kind,
            span: form.span,
        }
    }

    /// `(fn name? [params] body…)`; `name` names an anonymous `fn` for backtraces.
    pub(crate) fn lambda(&mut self, form: &Datum, name: Option<String>) -> Expr {
        let items = form.as_list().unwrap_or_default();
        let mut rest = &items[1..];
        let own_name = rest
            .first()
            .and_then(|d| d.as_symbol().map(|s| (s.to_string(), d.span)));
        if own_name.is_some() {
            rest = &rest[1..];
        }
        let Some((params, body)) = rest.split_first() else {
            return self.malformed(
                form.span,
                "`fn` has no parameter vector",
                "expected `[params]`",
                "write `(fn [x] body…)`",
            );
        };
        self.scopes.push();
        let self_local = own_name
            .as_ref()
            .map(|(n, span)| self.bind_local(n, *span, LocalKind::FnName));
        let name = own_name.map(|(n, _)| n).or(name);
        let lambda = self.lambda_parts(params, body, name, self_local);
        self.scopes.pop();
        match lambda {
            Some(lambda) => Expr {
                kind: ExprKind::Fn(Box::new(lambda)),
                span: form.span,
            },
            None => Self::nil(form.span),
        }
    }

    /// Parameters and body of a function.
    pub(crate) fn lambda_parts(
        &mut self,
        params: &Datum,
        body: &[Datum],
        name: Option<String>,
        self_local: Option<crate::core::LocalId>,
    ) -> Option<Lambda> {
        let DatumKind::Vector(list) = &params.kind else {
            self.malformed(
                params.span,
                "expected a parameter vector",
                format!("found {}", params.describe()),
                "write the parameters in square brackets: `[a b & rest]`",
            );
            return None;
        };
        let saved_recur = std::mem::take(&mut self.recur);
        let saved_state = std::mem::replace(&mut self.in_state, false);
        self.scopes.push();
        self.fn_locals.push(0);
        let (fixed, _) = param_arity(list);
        let mut ids = Vec::new();
        let mut rest = None;
        let mut i = 0;
        while i < list.len() {
            let p = &list[i];
            match p.as_symbol() {
                Some("&") => {
                    match list
                        .get(i + 1)
                        .and_then(|d| d.as_symbol().map(|s| (s, d.span)))
                    {
                        Some((r, rspan)) if list.len() == i + 2 => {
                            rest = Some(self.bind_local(r, rspan, LocalKind::Param));
                        }
                        _ => {
                            self.malformed(
                                p.span,
                                "`&` must be followed by exactly one name",
                                "the rest parameter goes here",
                                "write `[a b & rest]`",
                            );
                        }
                    }
                    break;
                }
                Some(n) => ids.push(self.bind_local(n, p.span, LocalKind::Param)),
                None => {
                    self.malformed(
                        p.span,
                        "parameters must be names",
                        format!("expected a symbol, found {}", p.describe()),
                        "write `[a b & rest]`",
                    );
                }
            }
            i += 1;
        }
        self.recur.push(RecurTarget {
            arity: fixed + usize::from(rest.is_some()),
        });
        let body = self.body(body, true);
        self.scopes.pop();
        self.fn_locals.pop();
        self.recur = saved_recur;
        self.in_state = saved_state;
        Some(Lambda {
            name,
            self_local,
            params: ids,
            rest,
            doc: None,
            body,
        })
    }

    fn set(&mut self, form: &Datum, args: &[Datum]) -> Expr {
        if !self.count(form, args, 2, Some(2), "(set! name value)") {
            return Self::nil(form.span);
        }
        let value = Box::new(self.expr(&args[1], false));
        let Some(name) = args[0].as_symbol() else {
            return self.malformed(
                args[0].span,
                "`set!` assigns a name",
                format!("expected a symbol, found {}", args[0].describe()),
                "write `(set! name value)`",
            );
        };
        let binding = self.resolve(name);
        if let Some(binding @ (Binding::Local(_) | Binding::WorkflowVar(_) | Binding::Global)) =
            binding
        {
            self.reference(args[0].span, name, binding);
        }
        let kind = match binding {
            Some(Binding::Local(id)) => {
                self.module.locals[id.0 as usize].assigned = true;
                ExprKind::SetLocal(id, value)
            }
            Some(Binding::WorkflowVar(i)) => ExprKind::SetWorkflowVar(i, value),
            Some(Binding::Global) => ExprKind::SetGlobal(name.to_string(), value),
            other => {
                let (label, help) = match other {
                    Some(Binding::Builtin(_)) => (
                        format!("`{name}` is a builtin function"),
                        format!("define your own with `(def my-{name} …)`"),
                    ),
                    Some(Binding::Role(_)) => (
                        format!("`{name}` is a role of the workflow"),
                        "roles are fixed by `roles`; use `duet run --agent ROLE=KIND` to rebind one".to_string(),
                    ),
                    _ => (
                        format!("`{name}` is not defined"),
                        scope::did_you_mean(&scope::suggest(name, self.visible_names()))
                            .unwrap_or_else(|| format!("define it first with `(def {name} …)` or `let`")),
                    ),
                };
                self.error(
                    Diagnostic::new(
                        codes::BAD_ASSIGNMENT,
                        args[0].span,
                        format!("cannot assign `{name}`"),
                    )
                    .with_label(label)
                    .with_help(help),
                );
                return Self::nil(form.span);
            }
        };
        Expr {
            kind,
            span: form.span,
        }
    }

    fn recur(&mut self, form: &Datum, args: &[Datum], tail: Tail) -> Expr {
        let items = args.iter().map(|a| self.expr(a, false)).collect();
        match self.recur.last().copied() {
            None => {
                self.error(
                    Diagnostic::new(
                        codes::RECUR_NOT_TAIL,
                        form.span,
                        "`recur` outside a `loop` or function",
                    )
                    .with_label("there is nothing here to jump back to")
                    .with_help("use `recur` as the last form of a `loop` or a function body"),
                );
            }
            Some(_) if !tail => {
                self.error(
                    Diagnostic::new(codes::RECUR_NOT_TAIL, form.span, "`recur` is not in tail position")
                        .with_label("something still uses the value of this `recur`")
                        .with_help("make `recur` the last thing its `loop` or function evaluates, or call the function by name"),
                );
            }
            Some(target) if target.arity != args.len() => {
                self.error(
                    Diagnostic::new(
                        codes::RECUR_ARITY,
                        form.span,
                        format!(
                            "`recur` passes {} values, but its target takes {}",
                            args.len(),
                            target.arity
                        ),
                    )
                    .with_label(format!("expected {} values", target.arity))
                    .with_help("pass one value for each `loop` binding or function parameter"),
                );
            }
            Some(_) => {}
        }
        Expr {
            kind: ExprKind::Recur(items),
            span: form.span,
        }
    }

    fn match_form(&mut self, form: &Datum, args: &[Datum], tail: Tail) -> Expr {
        if !self.count(form, args, 1, None, "(match value pattern expr …)") {
            return Self::nil(form.span);
        }
        let arms = &args[1..];
        if arms.len() % 2 == 1 {
            let last = &arms[arms.len() - 1];
            return self.malformed(
                last.span,
                "`match` needs pattern/expression pairs",
                "this pattern has no expression",
                "add the expression for this pattern; use `do` for several forms",
            );
        }
        let subject = self.expr(&args[0], false);
        let mut out = Vec::with_capacity(arms.len() / 2);
        for arm in arms.chunks(2) {
            self.scopes.push();
            let pattern = self.pattern(&arm[0]);
            let body = vec![self.expr(&arm[1], tail)];
            self.scopes.pop();
            out.push((pattern, body));
        }
        Expr {
            kind: ExprKind::Match(Box::new(subject), out),
            span: form.span,
        }
    }

    fn try_form(&mut self, form: &Datum, args: &[Datum]) -> Expr {
        let mut body_end = args.len();
        let mut catch = None;
        let mut finally = None;
        let clause = |d: &Datum, name: &str| d.head_symbol() == Some(name);
        if let Some(last) = args.last()
            && clause(last, "finally")
        {
            body_end -= 1;
            let forms = &last.as_list().unwrap_or_default()[1..];
            finally = Some(self.body(forms, false));
        }
        if body_end > 0 && clause(&args[body_end - 1], "catch") {
            body_end -= 1;
            let c = &args[body_end];
            let items = c.as_list().unwrap_or_default();
            match items
                .get(1)
                .and_then(|d| d.as_symbol().map(|s| (s, d.span)))
            {
                Some((name, span)) => {
                    self.scopes.push();
                    let id = self.bind_local(name, span, LocalKind::Catch);
                    let handler = self.body(&items[2..], false);
                    self.scopes.pop();
                    catch = Some((id, handler));
                }
                None => {
                    self.malformed(
                        c.span,
                        "`catch` needs a name for the error",
                        "expected `(catch e handler…)`",
                        "write `(catch e (println \"failed:\" e))`",
                    );
                }
            }
        }
        let mut body_forms = Vec::with_capacity(body_end);
        for d in &args[..body_end] {
            if clause(d, "catch") || clause(d, "finally") {
                self.malformed(
                    d.span,
                    "`catch` and `finally` must come last in a `try`",
                    "this clause is followed by other forms",
                    "write `(try body… (catch e …) (finally …))`",
                );
            } else {
                body_forms.push(d.clone());
            }
        }
        let body = self.body(&body_forms, false);
        Expr {
            kind: ExprKind::Try {
                body,
                catch,
                finally,
            },
            span: form.span,
        }
    }

    /// `(record label field…)`: a record value.
    fn record(&mut self, form: &Datum, args: &[Datum]) -> Expr {
        if !self.count(form, args, 1, None, "(record label field…)") {
            return Self::nil(form.span);
        }
        if matches!(args.get(1).and_then(Datum::as_keyword), Some("field")) && args.len() == 5 {
            return self.malformed(
                form.span,
                "`(record LABEL :field N :equals V)` is a pattern, not a value",
                "this only has a meaning in `await`, `match` or `on-asserted`",
                "to build a record, write `(record label field…)`",
            );
        }
        let label = match &args[0].kind {
            DatumKind::Symbol(s) => Expr {
                kind: ExprKind::Const(Datum::new(DatumKind::Symbol(s.clone()), args[0].span)),
                span: args[0].span,
            },
            _ => self.expr(&args[0], false),
        };
        let fields = args[1..].iter().map(|a| self.expr(a, false)).collect();
        Expr {
            kind: ExprKind::Record(Box::new(label), fields),
            span: form.span,
        }
    }

    /// `(await pattern :timeout d?)`. With `bind_here`, the pattern's variables stay bound in
    /// the enclosing body; otherwise they are scoped to the await itself.
    pub(crate) fn await_form(
        &mut self,
        form: &Datum,
        args: &[Datum],
        bind_here: Option<()>,
    ) -> Expr {
        if !self.count(form, args, 1, Some(3), "(await pattern :timeout duration?)") {
            return Self::nil(form.span);
        }
        self.check_options(&args[1..], "await", &["timeout"], form.span);
        let timeout = args.get(2).map(|d| Box::new(self.expr(d, false)));
        if bind_here.is_none() {
            self.scopes.push();
        }
        let pattern = self.pattern(&args[0]);
        if bind_here.is_none() {
            self.scopes.pop();
        }
        Expr {
            kind: ExprKind::Await { pattern, timeout },
            span: form.span,
        }
    }

    fn poll(&mut self, form: &Datum, args: &[Datum]) -> Expr {
        if !self.count(
            form,
            args,
            3,
            Some(5),
            "(poll expr :every duration :timeout duration?)",
        ) {
            return Self::nil(form.span);
        }
        self.check_options(&args[1..], "poll", &["every", "timeout"], form.span);
        let option = |key: &str| {
            args[1..]
                .chunks(2)
                .find(|p| p[0].as_keyword() == Some(key))
                .and_then(|p| p.get(1))
        };
        let Some(every) = option("every") else {
            return self.malformed(
                form.span,
                "`poll` needs `:every`",
                "how long to sleep between tries is missing",
                "write `(poll expr :every \"30s\")`",
            );
        };
        let timeout = option("timeout").cloned();
        let every = Box::new(self.expr(every, false));
        let timeout = timeout.map(|t| Box::new(self.expr(&t, false)));
        let expr = Box::new(self.detached(&args[0]));
        Expr {
            kind: ExprKind::Poll {
                expr,
                every,
                timeout,
            },
            span: form.span,
        }
    }

    /// `(isolated body…)`: the builtin `%isolated` called with `(fn [] body…)`, which the
    /// workflow runs in a private copy of the workspace.
    fn isolated(&mut self, form: &Datum, args: &[Datum]) -> Expr {
        let span = form.span;
        // Like a `parallel` branch's, the body may leave the state (`goto`, `terminal`).
        let lambda = Lambda {
            name: None,
            self_local: None,
            params: Vec::new(),
            rest: None,
            doc: None,
            body: self.detached_body(args),
        };
        let builtin = builtins::lookup("%isolated").expect("`%isolated` is a builtin");
        Expr {
            kind: ExprKind::Call(
                Box::new(Expr {
                    kind: ExprKind::Builtin(builtin.name),
                    span,
                }),
                vec![Expr {
                    kind: ExprKind::Fn(Box::new(lambda)),
                    span,
                }],
            ),
            span,
        }
    }

    /// `(prompt role text …)`: a builtin call whose role must be declared.
    fn prompt(&mut self, form: &Datum, args: &[Datum]) -> Option<Expr> {
        let role = args.first()?;
        let name = role.as_symbol()?;
        if self.resolve(name).is_some() {
            return None;
        }
        let roles: Vec<String> = self
            .workflow
            .as_ref()
            .map(|w| w.roles.clone())
            .unwrap_or_default();
        let help = if roles.is_empty() {
            format!(
                "declare it in the workflow's `roles`, e.g. `(roles ({name} :agent-kind \"claude-code\"))`"
            )
        } else {
            scope::did_you_mean(&scope::suggest(name, roles.iter().map(String::as_str)))
                .unwrap_or_else(|| {
                    format!(
                        "the declared roles are {}; add `({name} :agent-kind …)` to `roles`",
                        roles
                            .iter()
                            .map(|r| format!("`{r}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })
        };
        self.error(
            Diagnostic::new(
                codes::UNKNOWN_ROLE,
                role.span,
                format!("role `{name}` is not declared"),
            )
            .with_label("no such role")
            .with_help(help),
        );
        let args: Vec<Expr> = args[1..].iter().map(|d| self.expr(d, false)).collect();
        Some(Expr {
            kind: ExprKind::Call(
                Box::new(Expr {
                    kind: ExprKind::Builtin("prompt"),
                    span: form.span,
                }),
                args,
            ),
            span: form.span,
        })
    }

    /// A call to a user macro: expanded on the host, or kept whole when there is none.
    fn macro_call(&mut self, form: &Datum, mac: Macro, args: &[Datum], tail: Tail) -> Expr {
        if self.expansion_stopped {
            return Self::nil(form.span);
        }
        let Some(host) = self.host.as_deref_mut() else {
            self.mark_used_in(args);
            return Expr {
                kind: ExprKind::Unexpanded(mac.name, args.to_vec()),
                span: form.span,
            };
        };
        if self.expanding.len() >= super::MAX_MACRO_DEPTH {
            self.expansion_stopped = true;
            let outermost = self.expanding[0];
            let mut diagnostic = Diagnostic::new(
                codes::MACRO_LIMIT,
                outermost,
                format!(
                    "macro `{}` expanded more than {} levels deep",
                    mac.name,
                    super::MAX_MACRO_DEPTH
                ),
            )
            .with_label(format!(
                "expanding this call led to {} nested macro calls",
                super::MAX_MACRO_DEPTH
            ))
            .with_help(format!(
                "`{}` keeps expanding into another macro call; give it a base case that expands to code without one",
                mac.name
            ));
            if outermost != form.span {
                diagnostic = diagnostic.with_secondary(form.span, "the innermost call");
            }
            self.error(diagnostic.with_secondary(mac.span, "the macro is defined here"));
            return Self::nil(form.span);
        }
        let room = super::MAX_EXPANSION_FORMS.saturating_sub(self.expanded_forms);
        match host.expand(&self.sources, &self.module, &mac, form, room) {
            Ok(expansion) => {
                self.expanded_forms += count_forms(&expansion);
                self.expanding.push(form.span);
                let expr = self.expr(&expansion, tail);
                self.expanding.pop();
                expr
            }
            Err(why) if room == 0 || why.starts_with(super::TOO_LARGE) => {
                self.expansion_stopped = true;
                let at = self.expanding.first().copied().unwrap_or(form.span);
                self.error(
                    Diagnostic::new(
                        codes::MACRO_LIMIT,
                        at,
                        format!(
                            "the macros of this program produce more than {} forms",
                            super::MAX_EXPANSION_FORMS
                        ),
                    )
                    .with_label(format!("expanding `{}` here went past the limit", mac.name))
                    .with_secondary(mac.span, "the macro is defined here")
                    .with_help("a macro that expands into several calls of itself grows exponentially; build the repetition at run time with `loop` or `map`"),
                );
                Self::nil(form.span)
            }
            Err(why) => {
                self.error(
                    Diagnostic::new(
                        codes::MACRO_FAILED,
                        form.span,
                        format!("macro `{}` failed", mac.name),
                    )
                    .with_label(why)
                    .with_secondary(mac.span, "the macro is defined here"),
                );
                Self::nil(form.span)
            }
        }
    }

    /// Counts every local named inside unexpanded forms as used, so an opaque macro call
    /// does not produce false "unused" warnings.
    fn mark_used_in(&mut self, forms: &[Datum]) {
        let mut stack: Vec<&Datum> = forms.iter().collect();
        while let Some(d) = stack.pop() {
            match &d.kind {
                DatumKind::Symbol(s) => {
                    let name = s.strip_prefix('?').unwrap_or(s);
                    if let Some(id) = self.scopes.lookup(name) {
                        self.module.locals[id.0 as usize].uses += 1;
                    }
                }
                DatumKind::List(items) | DatumKind::Vector(items) => stack.extend(items),
                DatumKind::Map(pairs) => stack.extend(pairs.iter().flat_map(|(k, v)| [k, v])),
                _ => {}
            }
        }
    }
}

/// How many forms (atoms and collections) `d` holds, itself included.
fn count_forms(d: &Datum) -> usize {
    let mut count = 0;
    let mut stack = vec![d];
    while let Some(d) = stack.pop() {
        count += 1;
        match &d.kind {
            DatumKind::List(items) | DatumKind::Vector(items) => stack.extend(items),
            DatumKind::Map(pairs) => stack.extend(pairs.iter().flat_map(|(k, v)| [k, v])),
            _ => {}
        }
    }
    count
}

/// A call to the builtin `name`.
pub(crate) fn call_builtin(name: &'static str, args: Vec<Expr>, span: Span) -> Expr {
    Expr {
        kind: ExprKind::Call(
            Box::new(Expr {
                kind: ExprKind::Builtin(name),
                span,
            }),
            args,
        ),
        span,
    }
}

/// Literal data: numbers, strings, keywords, booleans, nil and collections of them.
pub(crate) fn is_constant(d: &Datum) -> bool {
    match &d.kind {
        DatumKind::Symbol(_) | DatumKind::List(_) | DatumKind::Error => false,
        DatumKind::Vector(items) => items.iter().all(is_constant),
        DatumKind::Map(pairs) => pairs.iter().all(|(k, v)| is_constant(k) && is_constant(v)),
        _ => true,
    }
}

fn options_text(allowed: &[&str]) -> String {
    if allowed.is_empty() {
        return "no options".into();
    }
    allowed
        .iter()
        .map(|o| format!("`:{o}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
