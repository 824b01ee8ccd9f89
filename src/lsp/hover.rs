//! Hover: what the name under the cursor is. Builtins show their signature and doc, special
//! forms their shape, user functions their parameters and docstring, states the states that
//! `goto` them, roles their declaration.

use duet_lang::builtins::{self, Builtin};
use duet_lang::core::{ExprKind, Lambda, LocalKind, Module};
use duet_lang::special_forms;
use lsp_types::{Hover, HoverContents, MarkupContent, MarkupKind};

use super::analysis::{Analysis, Symbol};
use super::syntax;

/// The hover at byte `offset` of the document.
pub fn hover(a: &Analysis, offset: usize) -> Option<Hover> {
    if let Some(o) = a.occurrence_at(offset) {
        let text = describe(a, &o.symbol)?;
        return Some(markdown(text, Some(a.range(o.span.range))));
    }
    let atom = syntax::atom_at(&a.tree, offset)?;
    let word = a.text().get(atom.range.as_range())?;
    let text = if let Some((shape, doc)) = special_forms::describe(word) {
        special_form(shape, doc)
    } else {
        builtin(builtins::lookup(word)?)
    };
    Some(markdown(text, Some(a.range(atom.range))))
}

fn markdown(value: String, range: Option<lsp_types::Range>) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value,
        }),
        range,
    }
}

fn code(text: &str) -> String {
    format!("```duet\n{text}\n```")
}

/// How a function is called, from its parameter vector: `(name a b & rest)`.
pub fn call_shape(name: &str, params: &str) -> String {
    let params = params.trim_matches(['[', ']']);
    if params.is_empty() {
        format!("({name})")
    } else {
        format!("({name} {params})")
    }
}

/// The signature of a builtin as it is called: `(name params…)`.
pub fn builtin_signature(b: &Builtin) -> String {
    call_shape(b.name, b.params)
}

/// Markdown for a builtin: signature, doc and keyword options.
pub fn builtin(b: &Builtin) -> String {
    let mut out = format!("{}\n\n{}", code(&builtin_signature(b)), b.doc);
    if !b.options.is_empty() {
        let options: Vec<String> = b.options.iter().map(|o| format!("`:{o}`")).collect();
        out.push_str(&format!("\n\nOptions: {}", options.join(", ")));
    }
    out.push_str("\n\n*builtin*");
    out
}

/// Markdown for a special form.
pub fn special_form(shape: &str, doc: &str) -> String {
    format!("{}\n\n{doc}\n\n*special form*", code(shape))
}

/// The function or macro defined as `name`, if it is one.
pub fn lambda_of<'m>(module: &'m Module, name: &str) -> Option<&'m Lambda> {
    module
        .body
        .iter()
        .find_map(|e| match &e.kind {
            ExprKind::Def(n, value) if n == name => match &value.kind {
                ExprKind::Fn(lambda) => Some(&**lambda),
                _ => None,
            },
            _ => None,
        })
        .or_else(|| {
            module
                .macros
                .iter()
                .find(|m| m.name == name)
                .map(|m| &m.lambda)
        })
}

/// `[a b & rest]` for a function's parameters.
pub fn params_text(module: &Module, lambda: &Lambda) -> String {
    let name = |id: &duet_lang::core::LocalId| {
        module
            .locals
            .get(id.0 as usize)
            .map_or("?", |l| l.name.as_str())
    };
    let mut parts: Vec<&str> = lambda.params.iter().map(name).collect();
    if let Some(rest) = &lambda.rest {
        parts.push("&");
        parts.push(name(rest));
    }
    format!("[{}]", parts.join(" "))
}

/// Markdown describing any symbol.
pub fn describe(a: &Analysis, symbol: &Symbol) -> Option<String> {
    let module = a.module();
    let text = match symbol {
        Symbol::Builtin(name) => builtin(builtins::lookup(name)?),
        Symbol::Local(id) => {
            let local = module.locals.get(id.0 as usize)?;
            let what = match local.kind {
                LocalKind::Param => "parameter",
                LocalKind::Let => "local (`let`)",
                LocalKind::Loop => "loop variable",
                LocalKind::Catch => "caught error (`catch`)",
                LocalKind::Pattern => "pattern variable",
                LocalKind::FnName => "the function itself (named `fn`)",
            };
            let uses = match local.uses {
                0 => "never used".to_string(),
                1 => "used once".to_string(),
                n => format!("used {n} times"),
            };
            let assigned = if local.assigned {
                ", assigned with `set!`"
            } else {
                ""
            };
            format!("{}\n\n*{what}* — {uses}{assigned}", code(&local.name))
        }
        Symbol::Global(name) => {
            let def = module.definitions.iter().find(|d| &d.name == name);
            let is_macro = matches!(
                def.map(|d| d.kind),
                Some(duet_lang::core::DefinitionKind::Macro)
            );
            let mut out = match lambda_of(module, name) {
                Some(lambda) => {
                    let head = if is_macro { "defmacro" } else { "defn" };
                    let mut out = code(&format!("({head} {name} {})", params_text(module, lambda)));
                    if let Some(doc) = &lambda.doc {
                        out.push_str("\n\n");
                        out.push_str(doc);
                    }
                    out
                }
                None => {
                    let value = module.body.iter().find_map(|e| match &e.kind {
                        ExprKind::Def(n, value) if n == name => Some(a.slice(value.span)),
                        _ => None,
                    });
                    match value {
                        Some(v) if !v.is_empty() && v.len() <= 80 && !v.contains('\n') => {
                            code(&format!("(def {name} {v})"))
                        }
                        _ => code(&format!("(def {name} …)")),
                    }
                }
            };
            if let Some(def) = def
                && def.span.file != super::analysis::MAIN
            {
                let file = &a.checked.sources.get(def.span.file).name;
                out.push_str(&format!("\n\n*defined in `{file}`*"));
            }
            out
        }
        Symbol::Role { workflow, index } => {
            let wf = module.workflows.get(*workflow)?;
            let role = wf.roles.get(*index)?;
            format!(
                "{}\n\n*role of workflow `{}`*",
                code(a.slice(role.span)),
                wf.name
            )
        }
        Symbol::WorkflowVar { workflow, index } => {
            let wf = module.workflows.get(*workflow)?;
            let var = wf.vars.get(*index)?;
            let init = a.slice(var.init.span);
            let init = if init.len() <= 80 && !init.contains('\n') {
                init
            } else {
                "…"
            };
            format!(
                "{}\n\n*workflow variable of `{}`*",
                code(&format!("(def {} {init})", var.name)),
                wf.name
            )
        }
        Symbol::State { workflow, index } => {
            let wf = module.workflows.get(*workflow)?;
            let state = wf.states.get(*index)?;
            let mut from: Vec<&str> = a
                .occurrences_of(symbol)
                .filter(|o| !o.declaration)
                .filter_map(|o| {
                    wf.states.iter().find(|s| {
                        s.span.file == o.span.file
                            && s.span.range.start <= o.span.range.start
                            && o.span.range.end <= s.span.range.end
                    })
                })
                .map(|s| s.name.as_str())
                .collect();
            from.sort_unstable();
            from.dedup();
            let mut out = format!(
                "{}\n\n*state of workflow `{}`*",
                code(&format!("(state {})", state.name)),
                wf.name
            );
            if *index == 0 {
                out.push_str("\n\nRuns start here.");
            }
            if from.is_empty() {
                out.push_str("\n\nNo `goto` leads here.");
            } else {
                let names: Vec<String> = from.iter().map(|s| format!("`{s}`")).collect();
                out.push_str(&format!("\n\nReached by `goto` from {}.", names.join(", ")));
            }
            out
        }
        Symbol::Workflow(index) => {
            let wf = module.workflows.get(*index)?;
            let names = |items: Vec<&str>| {
                if items.is_empty() {
                    "none".to_string()
                } else {
                    items
                        .iter()
                        .map(|s| format!("`{s}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            format!(
                "{}\n\nStates: {}\n\nRoles: {}",
                code(&format!("(workflow {})", wf.name)),
                names(wf.states.iter().map(|s| s.name.as_str()).collect()),
                names(wf.roles.iter().map(|r| r.name.as_str()).collect()),
            )
        }
    };
    Some(text)
}
