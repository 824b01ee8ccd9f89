//! Files and top-level forms: reading a file, registering its definitions, imports,
//! `def`, `defn`, `defmacro` and `workflow`.

use super::{Expander, GlobalInfo};
use crate::codes;
use crate::core::{Definition, DefinitionKind, Expr, ExprKind, Macro};
use crate::diagnostic::Diagnostic;
use crate::span::FileId;
use crate::syntax::datum::{self, Datum, DatumKind};
use crate::syntax::reader;

impl Expander<'_, '_> {
    /// Reads, pre-scans and expands one file, appending to the module.
    pub(crate) fn expand_file(&mut self, file: FileId) {
        let source = self.sources.get(file);
        let name = source.name.clone();
        let text = source.text.clone();
        let parse = reader::read(file, &text);
        self.diagnostics.extend(parse.errors);
        let (forms, errors) = datum::data(file, &text, &parse.root);
        self.diagnostics.extend(errors);

        self.import_stack.push(name.clone());
        for form in &forms {
            self.register(form);
        }
        for form in &forms {
            if let Some(expr) = self.toplevel(form) {
                self.module.body.push(expr);
            }
        }
        self.import_stack.pop();
        self.imported.push(name);
    }

    /// Pre-pass: loads imports and records the names a top-level form defines.
    fn register(&mut self, form: &Datum) {
        let Some(items) = form.as_list() else { return };
        let head = items.first().and_then(Datum::as_symbol);
        let name = items.get(1);
        match head {
            Some("import") => self.import(form, items),
            Some("def" | "defn" | "defmacro") => {
                let Some((name, span)) =
                    name.and_then(|n| n.as_symbol().map(|s| (s.to_string(), n.span)))
                else {
                    return;
                };
                let arity = match head {
                    Some("defn") => items.iter().skip(2).find_map(|d| match &d.kind {
                        DatumKind::Vector(params) => Some(param_arity(params)),
                        _ => None,
                    }),
                    _ => items.get(2).and_then(fn_literal_arity),
                };
                if let Some(previous) = self
                    .globals
                    .get(&name)
                    .map(|g| g.span)
                    .or_else(|| self.macros.get(&name).map(|&i| self.module.macros[i].span))
                {
                    self.error(
                        Diagnostic::new(
                            codes::DUPLICATE_DEFINITION,
                            span,
                            format!("`{name}` is defined twice"),
                        )
                        .with_label("defined again here")
                        .with_secondary(previous, "first defined here")
                        .with_help("rename one of them, or use `set!` to change the value"),
                    );
                    return;
                }
                if crate::builtins::lookup(&name).is_some() {
                    self.warn_shadow(&name, span);
                }
                let kind = match head {
                    Some("defmacro") => DefinitionKind::Macro,
                    _ if arity.is_some() => DefinitionKind::Function,
                    _ => DefinitionKind::Value,
                };
                self.module.definitions.push(Definition {
                    name: name.clone(),
                    span,
                    kind,
                    arity,
                });
                if head == Some("defmacro") {
                    // The lambda is filled in when the form is expanded.
                    self.macros.insert(name.clone(), self.module.macros.len());
                    self.module.macros.push(Macro {
                        name,
                        lambda: crate::core::Lambda {
                            name: None,
                            self_local: None,
                            params: Vec::new(),
                            rest: None,
                            doc: None,
                            body: Vec::new(),
                        },
                        span,
                    });
                } else {
                    self.globals.insert(name, GlobalInfo { span, arity });
                }
            }
            Some("workflow") => {
                let Some((name, span)) =
                    name.and_then(|n| n.as_symbol().map(|s| (s.to_string(), n.span)))
                else {
                    return;
                };
                if let Some(&previous) = self.workflow_names.get(&name) {
                    self.error(
                        Diagnostic::new(
                            codes::DUPLICATE_WORKFLOW,
                            span,
                            format!("workflow `{name}` is defined twice"),
                        )
                        .with_label("defined again here")
                        .with_secondary(previous, "first defined here")
                        .with_help(
                            "give each workflow its own name; `duet run --workflow NAME` picks one",
                        ),
                    );
                } else {
                    self.workflow_names.insert(name, span);
                }
            }
            _ => {}
        }
    }

    fn import(&mut self, form: &Datum, items: &[Datum]) {
        if items.len() != 2 {
            self.error(
                Diagnostic::new(
                    codes::BAD_SPECIAL_FORM,
                    form.span,
                    "`import` takes one file or module",
                )
                .with_label(format!("found {} arguments", items.len() - 1))
                .with_help("write `(import \"path.lisp\")` or `(import std/NAME)`"),
            );
            return;
        }
        let target = &items[1];
        let from = self.import_stack.last().cloned().unwrap_or_default();
        let loaded = match &target.kind {
            DatumKind::Str(path) => self.loader.load(&from, path),
            DatumKind::Symbol(s) if s.starts_with("std/") => {
                let module = &s["std/".len()..];
                crate::stdlib::module(module)
                    .map(|text| (s.clone(), text.to_string()))
                    .ok_or_else(|| {
                        format!(
                            "there is no standard library module `{s}`; the modules are {}",
                            crate::stdlib::MODULES
                                .iter()
                                .map(|(n, _)| format!("`std/{n}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    })
            }
            _ => {
                self.error(
                    Diagnostic::new(
                        codes::BAD_SPECIAL_FORM,
                        target.span,
                        format!(
                            "`import` takes a string path or `std/NAME`, not {}",
                            target.describe()
                        ),
                    )
                    .with_label("expected a path like \"lib.lisp\" or a module like std/retry"),
                );
                return;
            }
        };
        let (name, text) = match loaded {
            Ok(loaded) => loaded,
            Err(why) => {
                self.error(
                    Diagnostic::new(codes::IMPORT_FAILED, target.span, "cannot import this")
                        .with_label(why)
                        .with_help("paths are relative to the importing file"),
                );
                return;
            }
        };
        if let Some(pos) = self.import_stack.iter().position(|n| *n == name) {
            let cycle = self.import_stack[pos..]
                .iter()
                .chain(std::iter::once(&name))
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" → ");
            self.error(
                Diagnostic::new(
                    codes::IMPORT_CYCLE,
                    target.span,
                    "files import each other in a cycle",
                )
                .with_label(format!("this import closes the cycle {cycle}"))
                .with_help("move the shared definitions into a file that both import"),
            );
            return;
        }
        if self.imported.contains(&name) {
            return;
        }
        let file = self.add_file(&name, &text);
        self.expand_file(file);
    }

    /// Expands a top-level form; `None` for forms that only declare (imports, macros,
    /// workflows, which land in their own tables).
    fn toplevel(&mut self, form: &Datum) -> Option<Expr> {
        match form.head_symbol() {
            Some("import") => None,
            Some("defmacro") => {
                self.defmacro(form);
                None
            }
            Some("workflow") => {
                if let Some(wf) = self.workflow_form(form) {
                    self.module.workflows.push(wf);
                }
                None
            }
            Some("def") => self.def(form),
            Some("defn") => self.defn(form),
            _ => Some(self.expr(form, false)),
        }
    }

    /// `(def name value)`
    fn def(&mut self, form: &Datum) -> Option<Expr> {
        let items = form.as_list()?;
        let name = self.def_name(form, items, "def", "(def name value)")?;
        if items.len() != 3 {
            self.error(
                Diagnostic::new(
                    codes::BAD_SPECIAL_FORM,
                    form.span,
                    "`def` takes a name and one value",
                )
                .with_label(format!("found {} forms after the name", items.len() - 2))
                .with_help("write `(def name value)`; use `defn` for a function"),
            );
            return None;
        }
        let value = match items[2].head_symbol() {
            Some("fn") => self.lambda(&items[2], Some(name.clone())),
            _ => self.expr(&items[2], false),
        };
        Some(Expr {
            kind: ExprKind::Def(name, Box::new(value)),
            span: form.span,
        })
    }

    /// `(defn name "doc"? [params] body…)`
    fn defn(&mut self, form: &Datum) -> Option<Expr> {
        let items = form.as_list()?;
        let name = self.def_name(form, items, "defn", "(defn name [params] body…)")?;
        let mut rest = &items[2..];
        let doc = match rest.first().map(|d| &d.kind) {
            Some(DatumKind::Str(doc)) if rest.len() > 1 => {
                let doc = doc.clone();
                rest = &rest[1..];
                Some(doc)
            }
            _ => None,
        };
        let Some((params, body)) = rest.split_first() else {
            self.error(
                Diagnostic::new(
                    codes::BAD_SPECIAL_FORM,
                    form.span,
                    format!("`defn {name}` has no parameter vector"),
                )
                .with_label("expected `[params]` after the name")
                .with_help(format!("write `(defn {name} [x] body…)`")),
            );
            return None;
        };
        let mut lambda = self.lambda_parts(params, body, Some(name.clone()), None)?;
        lambda.doc = doc;
        Some(Expr {
            kind: ExprKind::Def(
                name,
                Box::new(Expr {
                    kind: ExprKind::Fn(Box::new(lambda)),
                    span: form.span,
                }),
            ),
            span: form.span,
        })
    }

    /// `(defmacro name [params] body…)`: the expander function is kept for the host.
    fn defmacro(&mut self, form: &Datum) {
        let Some(items) = form.as_list() else { return };
        let Some(name) = self.def_name(form, items, "defmacro", "(defmacro name [params] body…)")
        else {
            return;
        };
        let Some((params, body)) = items[2..].split_first() else {
            self.error(
                Diagnostic::new(
                    codes::BAD_SPECIAL_FORM,
                    form.span,
                    format!("`defmacro {name}` has no parameter vector"),
                )
                .with_label("expected `[params]` after the name"),
            );
            return;
        };
        if let Some(lambda) = self.lambda_parts(params, body, Some(name.clone()), None)
            && let Some(&i) = self.macros.get(&name)
        {
            self.module.macros[i].lambda = lambda;
        }
    }

    /// The symbol naming a definition, or an error.
    fn def_name(
        &mut self,
        form: &Datum,
        items: &[Datum],
        what: &str,
        shape: &str,
    ) -> Option<String> {
        match items.get(1) {
            Some(d) if d.as_symbol().is_some() => d.as_symbol().map(str::to_string),
            other => {
                let span = other.map_or(form.span, |d| d.span);
                self.error(
                    Diagnostic::new(
                        codes::BAD_SPECIAL_FORM,
                        span,
                        format!("`{what}` needs a name"),
                    )
                    .with_label(match other {
                        Some(d) => format!("expected a symbol, found {}", d.describe()),
                        None => "nothing to name here".into(),
                    })
                    .with_help(format!("write `{shape}`")),
                );
                None
            }
        }
    }

    /// A definition outside the top level.
    pub(crate) fn misplaced_definition(&mut self, form: &Datum, what: &str) -> Expr {
        self.error(
            Diagnostic::new(
                codes::MISPLACED_FORM,
                form.span,
                format!("`{what}` can only appear at the top level of a file"),
            )
            .with_label("inside another form")
            .with_help(match what {
                "def" | "defn" => "bind a local with `let`, or change a global with `set!`",
                _ => "move it to the top level",
            }),
        );
        Self::nil(form.span)
    }
}

/// The positional arity of a parameter vector: `[a b & rest]` is 2 or more.
pub(crate) fn param_arity(params: &[Datum]) -> (usize, Option<usize>) {
    match params.iter().position(|p| p.as_symbol() == Some("&")) {
        Some(i) => (i, None),
        None => (params.len(), Some(params.len())),
    }
}

fn fn_literal_arity(value: &Datum) -> Option<(usize, Option<usize>)> {
    let items = value.as_list()?;
    if items.first()?.as_symbol()? != "fn" {
        return None;
    }
    items.iter().skip(1).take(2).find_map(|d| match &d.kind {
        DatumKind::Vector(params) => Some(param_arity(params)),
        _ => None,
    })
}
