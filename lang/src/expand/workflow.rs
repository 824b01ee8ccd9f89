//! Workflow forms: `workflow`, `roles`, workflow variables,
//! `capabilities`, `state` with `enter`/`action`/`await`, `goto` and `terminal`.

use std::collections::BTreeMap;

use super::scope;
use super::{Expander, WorkflowScope};
use crate::codes;
use crate::core::{Expr, ExprKind, Reference, Role, State, Status, Target, Workflow, WorkflowVar};
use crate::diagnostic::Diagnostic;
use crate::span::Span;
use crate::syntax::datum::Datum;

/// Options a role declaration accepts.
pub const ROLE_OPTIONS: &[&str] = &[
    "agent-kind",
    "api-key-env",
    "args",
    "command",
    "cwd",
    "endpoint",
    "max-tokens",
    "memory",
    "model",
    "retries",
    "system",
    "temperature",
    "timeout",
    "tools",
];

/// The agent kinds a role can be played by.
pub const AGENT_KINDS: &[&str] = &[
    "echo",
    "human",
    "openai",
    "anthropic",
    "ollama",
    "claude-code",
    "codex",
];

/// Capabilities a workflow can ask for.
pub const CAPABILITIES: &[&str] = &["network", "shell", "workspace/read", "workspace/write"];

impl Expander<'_, '_> {
    /// `(workflow NAME forms…)`
    pub(crate) fn workflow_form(&mut self, form: &Datum) -> Option<Workflow> {
        let items = form.as_list()?;
        let Some(name) = items.get(1).and_then(Datum::as_symbol) else {
            let span = items.get(1).map_or(form.span, |d| d.span);
            self.error(
                Diagnostic::new(codes::BAD_SPECIAL_FORM, span, "`workflow` needs a name")
                    .with_label("expected a symbol naming the workflow")
                    .with_help("write `(workflow NAME (state start …) …)`"),
            );
            return None;
        };
        let parts = &items[2..];
        let mut scope = WorkflowScope::default();
        let mut role_forms: Vec<&Datum> = Vec::new();
        let mut state_forms: Vec<(&Datum, String, Span)> = Vec::new();
        let mut var_forms: Vec<&Datum> = Vec::new();
        let mut capabilities = Vec::new();
        let mut seen_states: BTreeMap<String, Span> = BTreeMap::new();

        for part in parts {
            match part.head_symbol() {
                Some("roles") => {
                    for role in &part.as_list().unwrap_or_default()[1..] {
                        let Some(rname) = role.head_symbol() else {
                            self.error(
                                Diagnostic::new(
                                    codes::BAD_SPECIAL_FORM,
                                    role.span,
                                    "a role is declared as `(NAME :agent-kind KIND …)`",
                                )
                                .with_label(format!("found {}", role.describe()))
                                .with_help("write `(roles (planner :agent-kind \"claude-code\"))`"),
                            );
                            continue;
                        };
                        if let Some(previous) =
                            role_forms.iter().find(|r| r.head_symbol() == Some(rname))
                        {
                            self.error(
                                Diagnostic::new(
                                    codes::DUPLICATE_ROLE,
                                    role.span,
                                    format!("role `{rname}` is declared twice"),
                                )
                                .with_label("declared again here")
                                .with_secondary(previous.span, "first declared here")
                                .with_help("give each role its own name"),
                            );
                            continue;
                        }
                        scope.roles.push(rname.to_string());
                        role_forms.push(role);
                    }
                }
                Some("state") => {
                    let list = part.as_list().unwrap_or_default();
                    let Some(sname) = list.get(1).and_then(Datum::as_symbol) else {
                        self.error(
                            Diagnostic::new(
                                codes::BAD_SPECIAL_FORM,
                                part.span,
                                "`state` needs a name",
                            )
                            .with_label("expected a symbol after `state`")
                            .with_help("write `(state NAME body…)`"),
                        );
                        continue;
                    };
                    let name_span = list[1].span;
                    if let Some(previous) = seen_states.get(sname) {
                        self.error(
                            Diagnostic::new(
                                codes::DUPLICATE_STATE,
                                name_span,
                                format!("state `{sname}` is declared twice"),
                            )
                            .with_label("declared again here")
                            .with_secondary(*previous, "first declared here")
                            .with_help("rename one of the states"),
                        );
                        continue;
                    }
                    seen_states.insert(sname.to_string(), name_span);
                    scope
                        .state_index
                        .insert(sname.to_string(), scope.states.len());
                    scope.states.push(sname.to_string());
                    state_forms.push((part, sname.to_string(), name_span));
                }
                Some("def") => {
                    let list = part.as_list().unwrap_or_default();
                    match (list.get(1).and_then(Datum::as_symbol), list.len()) {
                        (Some(v), 3) => {
                            scope.vars.push(v.to_string());
                            var_forms.push(part);
                        }
                        _ => {
                            self.error(
                                Diagnostic::new(
                                    codes::BAD_SPECIAL_FORM,
                                    part.span,
                                    "a workflow variable is `(def name value)`",
                                )
                                .with_label("expected a name and one value")
                                .with_help("write `(def attempts 0)`"),
                            );
                        }
                    }
                }
                Some("capabilities") => {
                    for cap in &part.as_list().unwrap_or_default()[1..] {
                        match cap.as_symbol() {
                            Some(c) if CAPABILITIES.contains(&c) => {
                                capabilities.push((c.to_string(), cap.span))
                            }
                            other => {
                                let help = other
                                    .and_then(|c| {
                                        scope::did_you_mean(&scope::suggest(
                                            c,
                                            CAPABILITIES.iter().copied(),
                                        ))
                                    })
                                    .unwrap_or_else(|| {
                                        format!("the capabilities are {}", CAPABILITIES.join(", "))
                                    });
                                self.error(
                                    Diagnostic::new(
                                        codes::UNKNOWN_OPTION,
                                        cap.span,
                                        "unknown capability",
                                    )
                                    .with_label(format!(
                                        "`{}` is not a capability",
                                        other.unwrap_or("this")
                                    ))
                                    .with_help(help),
                                );
                            }
                        }
                    }
                }
                _ => {
                    self.error(
                        Diagnostic::new(
                            codes::MISPLACED_FORM,
                            part.span,
                            "this cannot appear directly inside a workflow",
                        )
                        .with_label("expected `roles`, `def`, `capabilities` or `state`")
                        .with_help("put expressions inside a state: `(state NAME (action …))`"),
                    );
                }
            }
        }

        if state_forms.is_empty() {
            self.error(
                Diagnostic::new(codes::EMPTY_WORKFLOW, items[1].span, format!("workflow `{name}` has no states"))
                    .with_label("a workflow needs at least one state")
                    .with_help("add `(state start … (terminal))`; the first state declared is where a run starts"),
            );
        }

        let mut first_var: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, var) in scope.vars.iter().enumerate() {
            let first = *first_var.entry(var.as_str()).or_insert(i);
            if first != i {
                let span = var_forms[i].span;
                self.error(
                    Diagnostic::new(
                        codes::DUPLICATE_DEFINITION,
                        span,
                        format!("workflow variable `{var}` is defined twice"),
                    )
                    .with_label("defined again here")
                    .with_secondary(var_forms[first].span, "first defined here")
                    .with_help("use `set!` to change its value"),
                );
            }
        }

        self.warn_workflow_shadows(&scope, &role_forms, &var_forms);
        self.workflow = Some(scope);
        let roles = role_forms.iter().map(|r| self.role(r)).collect();
        let vars = var_forms
            .iter()
            .map(|v| {
                let list = v.as_list().unwrap_or_default();
                let name = list[1].as_symbol().unwrap_or_default().to_string();
                if crate::builtins::lookup(&name).is_some() {
                    self.warn_shadow(&name, list[1].span);
                }
                WorkflowVar {
                    name,
                    span: list[1].span,
                    init: self.expr(&list[2], false),
                }
            })
            .collect();
        let states = state_forms
            .into_iter()
            .map(|(form, name, name_span)| {
                let body = &form.as_list().unwrap_or_default()[2..];
                State {
                    name,
                    span: form.span,
                    name_span,
                    body: self.state_body(body),
                }
            })
            .collect();
        self.workflow = None;
        Some(Workflow {
            name: name.to_string(),
            span: form.span,
            roles,
            vars,
            capabilities,
            states,
        })
    }

    /// Warns about a workflow variable named like a role of the workflow or a global, and a
    /// role named like a global: inside the workflow the variable (or role) wins, so the
    /// other cannot be reached there.
    fn warn_workflow_shadows(
        &mut self,
        scope: &WorkflowScope,
        role_forms: &[&Datum],
        var_forms: &[&Datum],
    ) {
        let name_span = |form: &Datum| {
            form.as_list()
                .and_then(|l| l.get(1).map(|d| d.span))
                .unwrap_or(form.span)
        };
        let role_name_span = |form: &Datum| {
            form.as_list()
                .and_then(|l| l.first().map(|d| d.span))
                .unwrap_or(form.span)
        };
        let mut found = Vec::new();
        for (var, form) in scope.vars.iter().zip(var_forms) {
            if let Some(i) = scope.roles.iter().position(|r| r == var) {
                found.push((
                    name_span(form),
                    format!("workflow variable `{var}` has the name of a role"),
                    Some((role_name_span(role_forms[i]), format!("the role `{var}`"))),
                ));
            } else if let Some(global) = self.global_declared(var) {
                found.push((
                    name_span(form),
                    format!("workflow variable `{var}` has the name of a global"),
                    global.map(|span| (span, format!("the global `{var}`"))),
                ));
            }
        }
        for (role, form) in scope.roles.iter().zip(role_forms) {
            if let Some(global) = self.global_declared(role) {
                found.push((
                    role_name_span(form),
                    format!("role `{role}` has the name of a global"),
                    global.map(|span| (span, format!("the global `{role}`"))),
                ));
            }
        }
        for (span, message, other) in found {
            let mut diagnostic = Diagnostic::new(codes::SHADOWS_NAME, span, message)
                .with_label("inside this workflow the name means this one")
                .with_help("rename one of them: the other cannot be reached inside this workflow, and a use meant for it would silently read this one");
            if let Some((other_span, what)) = other {
                diagnostic = diagnostic
                    .with_secondary(other_span, format!("{what}, hidden inside the workflow"));
            }
            self.error(diagnostic);
        }
    }

    /// Whether `name` is a global: `Some(Some(span))` for one of this program's, with
    /// where it is defined, `Some(None)` for one an earlier input defined.
    fn global_declared(&self, name: &str) -> Option<Option<Span>> {
        match self.globals.get(name) {
            Some(info) => Some(Some(info.span)),
            None if self.env.globals.contains_key(name) => Some(None),
            None => None,
        }
    }

    fn role(&mut self, form: &Datum) -> Role {
        let items = form.as_list().unwrap_or_default();
        let name = items[0].as_symbol().unwrap_or_default().to_string();
        let rest = &items[1..];
        self.check_options(rest, "role", ROLE_OPTIONS, form.span);
        let mut options = Vec::new();
        for pair in rest.chunks(2) {
            if let (Some(key), Some(value)) = (pair[0].as_keyword(), pair.get(1)) {
                self.role_option(&name, key, value);
                options.push((key.to_string(), self.expr(value, false)));
            }
        }
        if !options.iter().any(|(k, _)| k == "agent-kind") {
            self.error(
                Diagnostic::new(codes::BAD_SPECIAL_FORM, items[0].span, format!("role `{name}` has no `:agent-kind`"))
                    .with_label("which agent plays this role?")
                    .with_help(format!(
                        "write `({name} :agent-kind \"claude-code\")`; the kinds are echo, human, openai, anthropic, ollama, claude-code, codex"
                    )),
            );
        }
        Role {
            name,
            span: form.span,
            name_span: items[0].span,
            options,
        }
    }

    /// Checks the value of role option `key`: options are literals, read when a run starts.
    fn role_option(&mut self, role: &str, key: &str, value: &Datum) {
        use crate::syntax::datum::DatumKind;
        let strings = |items: &[Datum]| items.iter().all(|d| matches!(d.kind, DatumKind::Str(_)));
        let wanted = match (key, &value.kind) {
            ("agent-kind", DatumKind::Str(kind)) => {
                if AGENT_KINDS.contains(&kind.as_str()) {
                    return;
                }
                let mut diagnostic = Diagnostic::new(
                    codes::BAD_ROLE_OPTION,
                    value.span,
                    format!("role `{role}` names the agent kind \"{kind}\", which does not exist"),
                )
                .with_label("not an agent kind");
                let kinds = AGENT_KINDS.join(", ");
                diagnostic =
                    match scope::did_you_mean(&scope::suggest(kind, AGENT_KINDS.iter().copied())) {
                        Some(guess) => {
                            diagnostic.with_help(format!("{guess} The kinds are {kinds}"))
                        }
                        None => diagnostic.with_help(format!("the kinds are {kinds}")),
                    };
                self.error(diagnostic);
                return;
            }
            (
                "model" | "system" | "endpoint" | "api-key-env" | "command" | "cwd",
                DatumKind::Str(_),
            ) => return,
            ("args" | "tools", DatumKind::Vector(items)) if strings(items) => return,
            ("max-tokens", DatumKind::Int(n)) if *n > 0 => return,
            ("retries", DatumKind::Int(n)) if *n >= 0 => return,
            ("memory", DatumKind::Keyword(k)) if k == "none" || k == "conversation" => return,
            ("temperature", DatumKind::Int(_) | DatumKind::Float(_)) => return,
            ("timeout", DatumKind::Int(n)) if *n >= 0 => return,
            ("timeout", DatumKind::Str(text)) if crate::duration::parse(text).is_ok() => return,
            (
                "agent-kind" | "model" | "system" | "endpoint" | "api-key-env" | "command" | "cwd",
                _,
            ) => "a literal string",
            ("args" | "tools", _) => "a vector of literal strings",
            ("max-tokens", _) => "a positive integer",
            ("retries", _) => "a whole number of retries, 0 or more",
            ("memory", _) => "`:conversation` (the default) or `:none`",
            ("temperature", _) => "a number",
            ("timeout", _) => "a duration like \"10m\" or milliseconds",
            _ => return,
        };
        let given = match &value.kind {
            DatumKind::Int(n) => n.to_string(),
            DatumKind::Float(f) => f.to_string(),
            _ => value.describe().to_string(),
        };
        self.error(
            Diagnostic::new(
                codes::BAD_ROLE_OPTION,
                value.span,
                format!("role `{role}`: `:{key}` must be {wanted}, not {given}"),
            )
            .with_label(format!("expected {wanted}"))
            .with_help(
                "role options are read when the run starts, so they are written as literals",
            ),
        );
    }

    /// A state body: `enter` and `action` blocks, `await`s whose variables stay bound for the
    /// rest of the body, and any other expression.
    fn state_body(&mut self, forms: &[Datum]) -> Vec<Expr> {
        self.in_state = true;
        self.scopes.push();
        let body = forms
            .iter()
            .map(|f| match f.head_symbol() {
                Some("enter" | "action") => {
                    let inner = &f.as_list().unwrap_or_default()[1..];
                    Expr {
                        kind: ExprKind::Do(self.body(inner, false)),
                        span: f.span,
                    }
                }
                Some("await") => {
                    let args = &f.as_list().unwrap_or_default()[1..];
                    self.await_form(f, args, Some(()))
                }
                _ => self.expr(f, false),
            })
            .collect();
        self.scopes.pop();
        self.in_state = false;
        body
    }

    /// `(goto NAME)` and `(terminal status? result?)`.
    pub(crate) fn state_exit(&mut self, form: &Datum, name: &str, args: &[Datum]) -> Expr {
        if !self.in_state {
            let help = if self.workflow.is_some() {
                "a function cannot leave a state; return a value and `goto` from the state body"
            } else {
                "use it inside `(state NAME …)` in a `workflow`"
            };
            self.error(
                Diagnostic::new(
                    codes::MISPLACED_FORM,
                    form.span,
                    format!("`{name}` outside a state body"),
                )
                .with_label(format!("`{name}` only works in a workflow state"))
                .with_help(help),
            );
            return Self::nil(form.span);
        }
        if name == "goto" {
            return self.goto(form, args);
        }
        let (status, result) = match args.first() {
            None => (Status::Completed, None),
            Some(d) => {
                let status = match d.as_keyword() {
                    Some("completed") => Some(Status::Completed),
                    Some("failed") => Some(Status::Failed),
                    Some("cancelled") => Some(Status::Cancelled),
                    _ => None,
                };
                let Some(status) = status else {
                    self.error(
                        Diagnostic::new(codes::BAD_SPECIAL_FORM, d.span, "unknown terminal status")
                            .with_label("expected `:completed`, `:failed` or `:cancelled`")
                            .with_help(
                                "write `(terminal :failed \"why\")`, or `(terminal)` to complete",
                            ),
                    );
                    return Self::nil(form.span);
                };
                if args.len() > 2 {
                    self.error(
                        Diagnostic::new(
                            codes::BAD_SPECIAL_FORM,
                            form.span,
                            "`terminal` takes a status and at most one result",
                        )
                        .with_label(format!("found {} forms", args.len()))
                        .with_help("wrap several values in a map or vector"),
                    );
                }
                (status, args.get(1).map(|r| Box::new(self.expr(r, false))))
            }
        };
        Expr {
            kind: ExprKind::Terminal(status, result),
            span: form.span,
        }
    }

    fn goto(&mut self, form: &Datum, args: &[Datum]) -> Expr {
        let target = match args {
            [d] => d,
            _ => {
                self.error(
                    Diagnostic::new(
                        codes::BAD_SPECIAL_FORM,
                        form.span,
                        "`goto` takes one state name",
                    )
                    .with_label(format!("found {} forms", args.len()))
                    .with_help("write `(goto NAME)`"),
                );
                return Self::nil(form.span);
            }
        };
        let Some(name) = target.as_symbol() else {
            self.error(
                Diagnostic::new(
                    codes::BAD_SPECIAL_FORM,
                    target.span,
                    "`goto` takes a state name",
                )
                .with_label(format!("expected a symbol, found {}", target.describe()))
                .with_help("state names are written bare: `(goto review)`"),
            );
            return Self::nil(form.span);
        };
        let index = self
            .workflow
            .as_ref()
            .and_then(|w| w.state_index.get(name).copied());
        match index {
            Some(i) => {
                let workflow = self.module.workflows.len();
                self.module.references.push(Reference {
                    span: target.span,
                    target: Target::State { workflow, index: i },
                });
                Expr {
                    kind: ExprKind::Goto(i),
                    span: form.span,
                }
            }
            None => {
                let states = self
                    .workflow
                    .as_ref()
                    .map(|w| w.states.clone())
                    .unwrap_or_default();
                let help =
                    scope::did_you_mean(&scope::suggest(name, states.iter().map(String::as_str)))
                        .unwrap_or_else(|| {
                            format!(
                                "the states are {}",
                                states
                                    .iter()
                                    .map(|s| format!("`{s}`"))
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        });
                self.error(
                    Diagnostic::new(
                        codes::UNKNOWN_STATE,
                        target.span,
                        format!("there is no state `{name}`"),
                    )
                    .with_label("no such state in this workflow")
                    .with_help(help),
                );
                Self::nil(form.span)
            }
        }
    }
}
