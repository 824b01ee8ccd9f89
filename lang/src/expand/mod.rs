//! The expander: data read from source to resolved [`crate::core`] forms.
//!
//! One pass per file after a pre-pass that registers the file's top-level names, so
//! definitions may be used before they appear. Imports are loaded during the pre-pass, so an
//! imported file's definitions are known before the importing file is expanded. Macros are
//! run through a [`MacroHost`] (the VM); without one, as while checking before the VM exists,
//! macro calls are kept as [`ExprKind::Unexpanded`].

mod forms;
mod pattern;
mod quasi;
pub mod scope;
mod toplevel;
mod workflow;
pub use workflow::AGENT_KINDS;

pub use forms::SPECIAL_FORMS;
pub use workflow::{CAPABILITIES, ROLE_OPTIONS};

use std::collections::BTreeMap;

use crate::builtins;
use crate::codes;
use crate::core::{
    Expr, ExprKind, LocalId, LocalInfo, LocalKind, Macro, Module, Reference, Target,
};
use crate::diagnostic::Diagnostic;
use crate::source::SourceMap;
use crate::span::{FileId, Span};
use crate::syntax::datum::Datum;
use scope::{Binding, Scopes};

/// Whether `name` is internal to the standard library (`%to-list`, `%map`, …): programs
/// cannot refer to the builtins and prelude definitions so named, and editors do not offer
/// them.
pub fn is_internal(name: &str) -> bool {
    name.starts_with('%')
}

/// Where imported source comes from.
pub trait Loader {
    /// Reads the file that `path` names, as written in an `import` in the file `from`.
    /// Returns the display name of the file and its text, or a sentence saying why not.
    fn load(&mut self, from: &str, path: &str) -> Result<(String, String), String>;
}

/// Macro calls nested inside the expansions of macro calls, at most.
pub const MAX_MACRO_DEPTH: usize = 256;
/// Levels of nested code the expander walks at most, counting what macros expand to (the
/// reader allows [`crate::syntax::reader::MAX_DEPTH`] in source); deeper code is an error,
/// so no later pass can exhaust the stack.
pub const MAX_EXPR_DEPTH: usize = 1_000;
/// Forms (every atom and collection) the macros of one program may produce in all.
pub const MAX_EXPANSION_FORMS: usize = 1_000_000;
/// Local variables one function (or a file's top level) may bind; the VM addresses a
/// frame's slots with 16 bits, and the compiler needs some for temporaries.
pub const MAX_LOCALS: usize = 60_000;

/// How a [`MacroHost`]'s refusal of an expansion larger than it was allowed starts.
pub const TOO_LARGE: &str = "the expansion has more than";

/// Runs macros at expansion time.
pub trait MacroHost {
    /// Calls `mac` on the unevaluated argument forms of `call` (the whole `(name args…)`
    /// form) and returns the form it expands to, or a sentence saying what went wrong.
    /// `sources` holds every file read so far, which the spans in `module` refer to. An
    /// expansion of more than `max_forms` forms is refused (values that share structure can
    /// stand for far more forms than they hold).
    fn expand(
        &mut self,
        sources: &SourceMap,
        module: &Module,
        mac: &Macro,
        call: &Datum,
        max_forms: usize,
    ) -> Result<Datum, String>;
}

/// What a top-level name is, as far as the checker needs to know.
#[derive(Debug, Clone)]
pub(crate) struct GlobalInfo {
    /// Where it is defined.
    pub span: Span,
    /// Positional parameter range when it is a function with a known signature.
    pub arity: Option<(usize, Option<usize>)>,
}

/// Definitions made before the program being expanded, by earlier inputs of a REPL
/// session. They resolve like the program's own, and the program may define them again.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// Global names, with the positional arity of those that are functions.
    pub globals: BTreeMap<String, Option<(usize, Option<usize>)>>,
    /// Macros by name.
    pub macros: BTreeMap<String, Macro>,
}

impl Environment {
    /// Adds what `module` defines.
    pub fn extend(&mut self, module: &Module) {
        for d in &module.definitions {
            if d.kind != crate::core::DefinitionKind::Macro {
                self.globals.insert(d.name.clone(), d.arity);
                self.macros.remove(&d.name);
            }
        }
        for m in &module.macros {
            self.globals.remove(&m.name);
            self.macros.insert(m.name.clone(), m.clone());
        }
    }
}

/// The target of a `recur`: how many values it takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RecurTarget {
    pub arity: usize,
}

/// What the enclosing workflow declares, while one is being expanded.
#[derive(Debug, Default)]
pub(crate) struct WorkflowScope {
    pub roles: Vec<String>,
    pub vars: Vec<String>,
    pub states: Vec<String>,
    /// The index of each state by name, so that a `goto` costs no walk over the states.
    pub state_index: BTreeMap<String, usize>,
}

/// Expands a program: the main file and everything it imports.
pub struct Expander<'l, 'h> {
    pub(crate) sources: SourceMap,
    pub(crate) loader: &'l mut dyn Loader,
    pub(crate) host: Option<&'h mut dyn MacroHost>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) module: Module,
    pub(crate) globals: BTreeMap<String, GlobalInfo>,
    pub(crate) macros: BTreeMap<String, usize>,
    pub(crate) workflow_names: BTreeMap<String, Span>,
    pub(crate) scopes: Scopes,
    pub(crate) recur: Vec<RecurTarget>,
    pub(crate) workflow: Option<WorkflowScope>,
    /// True inside a state body and outside any nested function.
    pub(crate) in_state: bool,
    /// Calls to globals, checked for arity once every definition is known.
    pub(crate) global_calls: Vec<(String, usize, Span)>,
    /// Files being imported right now, for cycle detection, and files already done.
    pub(crate) import_stack: Vec<String>,
    pub(crate) imported: Vec<String>,
    /// What earlier inputs defined.
    pub(crate) env: Environment,
    /// How deeply [`Expander::expr`] is nested now.
    pub(crate) depth: usize,
    /// The macro calls being expanded now, outermost first.
    pub(crate) expanding: Vec<Span>,
    /// Forms the macros produced so far.
    pub(crate) expanded_forms: usize,
    /// Set once a limit on expansion was reported: later macro calls expand to nil quietly.
    pub(crate) expansion_stopped: bool,
    /// Locals bound so far by each function being expanded, innermost last; the first entry
    /// counts the top level's.
    pub(crate) fn_locals: Vec<usize>,
}

/// Whether a form is in tail position (its value is the value of the enclosing function).
pub(crate) type Tail = bool;

impl<'l, 'h> Expander<'l, 'h> {
    /// An expander reading imports through `loader` and running macros on `host` when
    /// there is one.
    pub fn new(
        loader: &'l mut dyn Loader,
        host: Option<&'h mut dyn MacroHost>,
        env: Environment,
    ) -> Self {
        Expander {
            sources: SourceMap::new(),
            loader,
            host,
            diagnostics: Vec::new(),
            module: Module::default(),
            globals: BTreeMap::new(),
            macros: BTreeMap::new(),
            workflow_names: BTreeMap::new(),
            scopes: Scopes::default(),
            recur: Vec::new(),
            workflow: None,
            in_state: false,
            global_calls: Vec::new(),
            import_stack: Vec::new(),
            imported: Vec::new(),
            env,
            depth: 0,
            expanding: Vec::new(),
            expanded_forms: 0,
            expansion_stopped: false,
            fn_locals: vec![0],
        }
    }

    /// Expands the file `name` with `text`, and its imports; returns the files read, the
    /// module and every diagnostic found on the way (read errors included).
    pub fn run(mut self, name: &str, text: &str) -> (SourceMap, Module, Vec<Diagnostic>) {
        let file = self.add_file(name, text);
        self.expand_file(file);
        self.check_global_arities();
        (self.sources, self.module, self.diagnostics)
    }

    pub(crate) fn error(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// A constant nil, standing in for a form that had an error.
    pub(crate) fn nil(span: Span) -> Expr {
        Expr {
            kind: ExprKind::Const(Datum::new(crate::syntax::datum::DatumKind::Nil, span)),
            span,
        }
    }

    pub(crate) fn new_local(&mut self, name: &str, span: Span, kind: LocalKind) -> LocalId {
        if let Some(count) = self.fn_locals.last_mut() {
            *count += 1;
            if *count == MAX_LOCALS + 1 {
                self.error(
                    Diagnostic::new(
                        codes::TOO_MANY_LOCALS,
                        span,
                        format!("this function binds more than {MAX_LOCALS} local variables"),
                    )
                    .with_label("one too many")
                    .with_help(
                        "split it into smaller functions, or keep the values in a vector or map",
                    ),
                );
            }
        }
        let id = LocalId(self.module.locals.len() as u32);
        self.module.locals.push(LocalInfo {
            name: name.to_string(),
            span,
            kind,
            uses: 0,
            assigned: false,
        });
        if builtins::lookup(name).is_some() {
            self.warn_shadow(name, span);
        }
        id
    }

    pub(crate) fn warn_shadow(&mut self, name: &str, span: Span) {
        self.error(
            Diagnostic::new(
                codes::SHADOWS_BUILTIN,
                span,
                format!("`{name}` shadows the builtin function of the same name"),
            )
            .with_label("the builtin cannot be called where this name is in scope")
            .with_help(format!("rename it, e.g. `my-{name}`")),
        );
    }

    /// Binds a new local in the innermost scope.
    pub(crate) fn bind_local(&mut self, name: &str, span: Span, kind: LocalKind) -> LocalId {
        let id = self.new_local(name, span, kind);
        self.scopes.bind(name, id);
        id
    }

    /// What `name` refers to here.
    pub(crate) fn resolve(&self, name: &str) -> Option<Binding> {
        if let Some(id) = self.scopes.lookup(name) {
            return Some(Binding::Local(id));
        }
        if let Some(wf) = &self.workflow {
            if let Some(i) = wf.vars.iter().position(|v| v == name) {
                return Some(Binding::WorkflowVar(i));
            }
            if let Some(i) = wf.roles.iter().position(|r| r == name) {
                return Some(Binding::Role(i));
            }
        }
        if self.globals.contains_key(name) {
            return Some(Binding::Global);
        }
        if is_internal(name) && !self.in_prelude() {
            return None;
        }
        if self.env.globals.contains_key(name) {
            return Some(Binding::Global);
        }
        builtins::lookup(name).map(|b| Binding::Builtin(b.name))
    }

    /// True while the prelude itself is expanded: only it may use internal names.
    fn in_prelude(&self) -> bool {
        self.import_stack.last().map(String::as_str) == Some(crate::stdlib::PRELUDE_NAME)
    }

    /// Every name that could be meant here, for suggestions.
    pub(crate) fn visible_names(&self) -> Vec<&'_ str> {
        let mut names: Vec<&str> = self.scopes.names().collect();
        if let Some(wf) = &self.workflow {
            names.extend(wf.vars.iter().map(String::as_str));
            names.extend(wf.roles.iter().map(String::as_str));
        }
        names.extend(self.globals.keys().map(String::as_str));
        names.extend(self.macros.keys().map(String::as_str));
        names.extend(
            self.env
                .globals
                .keys()
                .map(String::as_str)
                .filter(|n| !is_internal(n)),
        );
        names.extend(self.env.macros.keys().map(String::as_str));
        names.extend(
            builtins::BUILTINS
                .iter()
                .map(|b| b.name)
                .filter(|n| !is_internal(n)),
        );
        names.extend(forms::SPECIAL_FORMS.iter().copied());
        names
    }

    /// An expression reading `name`, or an error naming what might have been meant.
    pub(crate) fn variable(&mut self, name: &str, span: Span) -> Expr {
        let Some(binding) = self.resolve(name) else {
            self.unknown_identifier(name, span);
            return Self::nil(span);
        };
        self.reference(span, name, binding);
        let kind = match binding {
            Binding::Local(id) => {
                self.module.locals[id.0 as usize].uses += 1;
                ExprKind::Local(id)
            }
            Binding::Role(i) => ExprKind::Role(i),
            Binding::WorkflowVar(i) => ExprKind::WorkflowVar(i),
            Binding::Global => ExprKind::Global(name.to_string()),
            Binding::Builtin(b) => ExprKind::Builtin(b),
        };
        Expr { kind, span }
    }

    /// Records that the name at `span` resolved to `binding`.
    pub(crate) fn reference(&mut self, span: Span, name: &str, binding: Binding) {
        let workflow = self.module.workflows.len();
        let target = match binding {
            Binding::Local(id) => Target::Local(id),
            Binding::Role(index) => Target::Role { workflow, index },
            Binding::WorkflowVar(index) => Target::WorkflowVar { workflow, index },
            Binding::Global => Target::Global(name.to_string()),
            Binding::Builtin(b) => Target::Builtin(b),
        };
        self.module.references.push(Reference { span, target });
    }

    pub(crate) fn unknown_identifier(&mut self, name: &str, span: Span) {
        let internal = is_internal(name)
            && (builtins::lookup(name).is_some() || self.env.globals.contains_key(name));
        let help = if internal {
            Some(format!(
                "`{name}` is internal to the standard library: names starting with `%` cannot be used by programs"
            ))
        } else if forms::SPECIAL_FORMS.contains(&name) || self.macro_named(name).is_some() {
            Some(format!(
                "`{name}` is a special form or macro: call it as `({name} …)`"
            ))
        } else if let Some(bare) = name.strip_prefix('?') {
            Some(format!(
                "`?{bare}` binds a variable only inside a pattern (`await`, `match`, `on-asserted`, …); elsewhere write `{bare}`"
            ))
        } else {
            scope::did_you_mean(&scope::suggest(name, self.visible_names()))
        };
        self.error(
            Diagnostic::new(
                codes::UNKNOWN_IDENTIFIER,
                span,
                format!("unknown identifier `{name}`"),
            )
            .with_label("not defined here")
            .with_help_opt(help.or_else(|| {
                Some(
                    "define it with `def` or `defn`, bind it with `let`, or check the spelling"
                        .into(),
                )
            })),
        );
    }

    /// The file id for `name`, added to the source map.
    pub(crate) fn add_file(&mut self, name: &str, text: &str) -> FileId {
        self.sources.add(crate::source::SourceFile::new(name, text))
    }

    fn check_global_arities(&mut self) {
        let calls = std::mem::take(&mut self.global_calls);
        for (name, count, span) in calls {
            let (arity, def_span) = match self.globals.get(&name) {
                Some(g) => (g.arity, Some(g.span)),
                None => (self.env.globals.get(&name).copied().flatten(), None),
            };
            let Some((min, max)) = arity else { continue };
            if count < min || max.is_some_and(|max| count > max) {
                let expected = builtins::arity_text(min, max);
                let mut diagnostic = Diagnostic::new(
                    codes::ARITY,
                    span,
                    format!("`{name}` takes {expected}, but this call passes {count}"),
                )
                .with_label(format!("expected {expected}, found {count}"));
                if let Some(def_span) = def_span {
                    diagnostic =
                        diagnostic.with_secondary(def_span, format!("`{name}` is defined here"));
                }
                self.error(diagnostic);
            }
        }
    }

    /// The macro named `name`: this program's, or one an earlier input defined.
    pub(crate) fn macro_named(&self, name: &str) -> Option<Macro> {
        match self.macros.get(name) {
            Some(&i) => Some(self.module.macros[i].clone()),
            None if !self.globals.contains_key(name) => self.env.macros.get(name).cloned(),
            None => None,
        }
    }
}
