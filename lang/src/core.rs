//! Core forms: what the expander lowers source to and the compiler consumes. Macros,
//! quasiquote, `defn`, `when`, `cond`, `case` and the workflow sugar are gone; every name
//! is resolved to a local, a global, a builtin, a role or a workflow variable.

use crate::span::Span;
use crate::syntax::datum::Datum;

/// Identifies a local variable in [`Module::locals`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalId(pub u32);

/// What introduced a local.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalKind {
    /// A function parameter.
    Param,
    /// A `let` binding.
    Let,
    /// A `loop` binding.
    Loop,
    /// The variable of a `catch`.
    Catch,
    /// A `?x` in a pattern.
    Pattern,
    /// The name of a named `fn`, bound inside its own body.
    FnName,
}

/// A local variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalInfo {
    /// Its name as written.
    pub name: String,
    /// Where it is bound.
    pub span: Span,
    /// What bound it.
    pub kind: LocalKind,
    /// How many references read it.
    pub uses: u32,
    /// Whether `set!` assigns it.
    pub assigned: bool,
}

/// An expression with its source span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it does.
    pub kind: ExprKind,
    /// The form it came from, for errors and backtraces.
    pub span: Span,
}

/// Status given to `terminal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The workflow did what it was for.
    Completed,
    /// The workflow failed; `duet run` exits 1.
    Failed,
    /// The workflow was called off.
    Cancelled,
}

/// Which event an `on-…` handler waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// A matching assertion appears.
    Asserted,
    /// A matching assertion is withdrawn.
    Retracted,
    /// A matching message is sent.
    Message,
}

/// A function literal.
#[derive(Debug, Clone, PartialEq)]
pub struct Lambda {
    /// Its name, for backtraces (from `defn`, `(fn name …)` or a `def`).
    pub name: Option<String>,
    /// A local bound to the function itself inside its body, for `(fn name …)`.
    pub self_local: Option<LocalId>,
    /// Positional parameters.
    pub params: Vec<LocalId>,
    /// The `& rest` parameter.
    pub rest: Option<LocalId>,
    /// The docstring.
    pub doc: Option<String>,
    /// The body; the value of the last form is returned.
    pub body: Vec<Expr>,
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal or quoted datum.
    Const(Datum),
    /// Read a local.
    Local(LocalId),
    /// Read a global definition.
    Global(String),
    /// A builtin function of the prelude, by name.
    Builtin(&'static str),
    /// A role of the enclosing workflow, by index.
    Role(usize),
    /// A variable of the enclosing workflow, by index.
    WorkflowVar(usize),
    /// `(set! local v)`
    SetLocal(LocalId, Box<Expr>),
    /// `(set! global v)`
    SetGlobal(String, Box<Expr>),
    /// `(set! workflow-var v)`
    SetWorkflowVar(usize, Box<Expr>),
    /// `(def name v)` at top level.
    Def(String, Box<Expr>),
    /// `(if c t e?)`
    If(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    /// `(and …)`: the first falsy value, or the last.
    And(Vec<Expr>),
    /// `(or …)`: the first truthy value, or the last.
    Or(Vec<Expr>),
    /// `(do …)`: the value of the last form; nil when empty.
    Do(Vec<Expr>),
    /// `(let [a 1 …] body…)`, bindings in order.
    Let(Vec<(LocalId, Expr)>, Vec<Expr>),
    /// A function.
    Fn(Box<Lambda>),
    /// `(loop [i 0 …] body…)`
    Loop(Vec<(LocalId, Expr)>, Vec<Expr>),
    /// `(recur …)` to the nearest `loop` or function; always in tail position.
    Recur(Vec<Expr>),
    /// A call.
    Call(Box<Expr>, Vec<Expr>),
    /// `(match v p body… …)`: the first arm whose pattern matches; nil if none.
    Match(Box<Expr>, Vec<(Pattern, Vec<Expr>)>),
    /// `(try body… (catch e h…)? (finally f…)?)`
    Try {
        /// The protected forms.
        body: Vec<Expr>,
        /// The handler and the local that receives the thrown value.
        catch: Option<(LocalId, Vec<Expr>)>,
        /// Forms run however the body ends.
        finally: Option<Vec<Expr>>,
    },
    /// `(record label field…)`; a bare symbol label is literal.
    Record(Box<Expr>, Vec<Expr>),
    /// `(await pattern :timeout d?)`: the matching assertion (nil on timeout); the pattern's
    /// variables are bound for the forms after it.
    Await {
        /// What to wait for.
        pattern: Pattern,
        /// How long to wait at most.
        timeout: Option<Box<Expr>>,
    },
    /// `(poll expr :every d :timeout d?)`: re-evaluates `expr` until truthy.
    Poll {
        /// What to evaluate.
        expr: Box<Expr>,
        /// How long to sleep between tries.
        every: Box<Expr>,
        /// How long to keep trying.
        timeout: Option<Box<Expr>>,
    },
    /// `(on-asserted p body…)` and friends: a handler for the enclosing facet's lifetime.
    On(Event, Pattern, Vec<Expr>),
    /// `(spawn body…)`: runs the body in a child facet; evaluates to the facet.
    Spawn(Vec<Expr>),
    /// `(parallel e…)`: runs each concurrently; a vector of results in argument order.
    Parallel(Vec<Expr>),
    /// `(race e…)`: the first result; the rest are stopped.
    Race(Vec<Expr>),
    /// `(goto state)`: leaves the current state at once, by index.
    Goto(usize),
    /// `(terminal status result?)`: ends the workflow.
    Terminal(Status, Option<Box<Expr>>),
    /// A macro call the expander had no evaluator for (only while checking, before a VM is
    /// wired in); its arguments are kept unexpanded.
    Unexpanded(String, Vec<Datum>),
}

/// A pattern with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    /// What it matches.
    pub kind: PatternKind,
    /// Where it was written.
    pub span: Span,
}

/// The pattern language shared by `await`, `match` and the `on-…` handlers.
#[derive(Debug, Clone, PartialEq)]
pub enum PatternKind {
    /// `_`
    Wildcard,
    /// `?x`
    Bind(LocalId),
    /// A literal: matches an equal value.
    Literal(Datum),
    /// A plain symbol: matches the variable's current value.
    Value(Box<Expr>),
    /// `(record label p…)`: the first fields match; more fields are allowed.
    Record(String, Vec<Pattern>),
    /// `(record label :field n :equals v)`
    RecordField(String, usize, Box<Expr>),
    /// `[p …]`: a vector or list of exactly that length.
    Sequence(Vec<Pattern>),
    /// `{:k p …}`: a map containing those keys.
    Map(Vec<(Datum, Pattern)>),
}

/// A declared role of a workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    /// Its name.
    pub name: String,
    /// Where it is declared (the whole `(NAME :agent-kind …)` form).
    pub span: Span,
    /// The span of its name.
    pub name_span: Span,
    /// Its options (`:agent-kind`, `:model`, `:system`, …) in order.
    pub options: Vec<(String, Expr)>,
}

/// A workflow variable, declared by `(def name value)` inside `workflow`.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowVar {
    /// Its name.
    pub name: String,
    /// Where it is declared.
    pub span: Span,
    /// Its initial value.
    pub init: Expr,
}

/// A state of a workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    /// Its name.
    pub name: String,
    /// Where it is declared (the whole form).
    pub span: Span,
    /// The span of its name.
    pub name_span: Span,
    /// The body, in order; `enter` and `action` blocks are `Do` forms.
    pub body: Vec<Expr>,
}

/// A workflow: roles, variables, capabilities and states.
#[derive(Debug, Clone, PartialEq)]
pub struct Workflow {
    /// Its name.
    pub name: String,
    /// The whole form.
    pub span: Span,
    /// Declared agents.
    pub roles: Vec<Role>,
    /// Workflow variables.
    pub vars: Vec<WorkflowVar>,
    /// Capabilities it asks for, e.g. `shell`, `workspace/read`.
    pub capabilities: Vec<(String, Span)>,
    /// States; the first is where a run starts.
    pub states: Vec<State>,
}

/// A macro defined with `defmacro`.
#[derive(Debug, Clone, PartialEq)]
pub struct Macro {
    /// Its name.
    pub name: String,
    /// The expander function: it receives the call's argument forms as data.
    pub lambda: Lambda,
    /// Where it is defined.
    pub span: Span,
}

/// What a name written in the source refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A local variable.
    Local(LocalId),
    /// A top-level definition (function, value or macro), by name.
    Global(String),
    /// A builtin function.
    Builtin(&'static str),
    /// A role of workflow `workflow` (an index into [`Module::workflows`]).
    Role {
        /// The workflow.
        workflow: usize,
        /// The role.
        index: usize,
    },
    /// A variable of a workflow.
    WorkflowVar {
        /// The workflow.
        workflow: usize,
        /// The variable.
        index: usize,
    },
    /// A state of a workflow, named by a `goto`.
    State {
        /// The workflow.
        workflow: usize,
        /// The state.
        index: usize,
    },
}

/// One occurrence of a name and what it resolved to, for go-to-definition, references,
/// rename and hover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Where the name is written.
    pub span: Span,
    /// What it means there.
    pub target: Target,
}

/// What a top-level definition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionKind {
    /// `defn`, or `def` of a `fn`.
    Function,
    /// Any other `def`.
    Value,
    /// `defmacro`.
    Macro,
}

/// A top-level definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// Its name.
    pub name: String,
    /// The span of the name where it is defined.
    pub span: Span,
    /// What it is.
    pub kind: DefinitionKind,
    /// The positional arity of a function with a parameter vector in its definition.
    pub arity: Option<(usize, Option<usize>)>,
}

/// A whole program: every file it imports, lowered and resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Module {
    /// Top-level forms to evaluate in order (definitions and expressions).
    pub body: Vec<Expr>,
    /// Workflows, in declaration order.
    pub workflows: Vec<Workflow>,
    /// Macros, for tools; calls to them are already expanded in `body`.
    pub macros: Vec<Macro>,
    /// Every local, indexed by [`LocalId`].
    pub locals: Vec<LocalInfo>,
    /// Top-level definitions, in the order they were read (imports first).
    pub definitions: Vec<Definition>,
    /// Every resolved name occurrence, in the order it was expanded.
    pub references: Vec<Reference>,
}
