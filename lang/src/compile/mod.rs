//! The compiler: resolved core forms to the stack-machine [`Program`] of [`crate::ir`].
//!
//! Each function literal becomes a [`crate::ir::Function`] with its locals in frame slots.
//! Closures copy the values they capture, except locals that are both captured and assigned,
//! which live in cells (see [`analysis`]). Calls in tail position become tail calls;
//! `recur` becomes stores and a backward jump. A compiler accumulates: each chunk (the
//! prelude, a file, a REPL input) appends functions, constants and globals to one program,
//! so later chunks see earlier definitions.

mod analysis;
mod builder;
mod expr;
mod pattern;
mod workflow;

pub use workflow::{CompiledWorkflow, role_global, var_global};

use std::collections::{BTreeMap, BTreeSet};

use crate::core::{Expr, LocalId, LocalInfo, Module};
use crate::ir::{Constant, Instr, Program, SourceSpan};
use crate::source::SourceMap;
use crate::span::Span;
use builder::FnBuilder;

/// Builtins written in Duet (`stdlib/prelude.lisp`) rather than Rust, and the global each is
/// defined as there.
pub const LISP_BUILTINS: &[(&str, &str)] = &[
    ("filter", "%filter"),
    ("map", "%map"),
    ("reduce", "%reduce"),
    ("sort-by", "%sort-by"),
];

/// Where `recur` jumps: the slots it rebinds and the instruction it jumps to.
#[derive(Debug, Clone)]
struct RecurTarget {
    slots: Vec<LocalId>,
    start: u32,
}

/// Compiles chunks of resolved code into one growing program.
#[derive(Default)]
pub struct Compiler {
    program: Program,
    globals: BTreeMap<String, u32>,
    builtins: BTreeMap<String, u16>,
    constants: Vec<(Constant, u32)>,
    // Per chunk:
    files: BTreeMap<u32, u16>,
    file_names: Vec<String>,
    boxed: BTreeSet<LocalId>,
    locals: Vec<LocalInfo>,
    stack: Vec<FnBuilder>,
    recur: Vec<RecurTarget>,
}

impl Compiler {
    /// An empty compiler.
    pub fn new() -> Self {
        Self::default()
    }

    /// The program so far.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Compiles the top-level forms of `module` into a new function of no arguments that
    /// evaluates them in order and returns the value of the last (nil when there are none).
    /// Returns the function's index.
    pub fn compile_chunk(&mut self, module: &Module, sources: &SourceMap) -> u32 {
        self.begin_chunk(module, sources);
        self.stack.push(FnBuilder::new("<top level>".into()));
        if module.body.is_empty() {
            self.emit(Instr::Nil);
        }
        let n = module.body.len();
        for (i, form) in module.body.iter().enumerate() {
            self.expr(form, false);
            if i + 1 < n {
                self.emit(Instr::Pop);
            }
        }
        self.emit(Instr::Return);
        let builder = self.stack.pop().expect("the chunk's builder");
        self.add_function(builder)
    }

    /// Resets the per-chunk state for compiling code of `module`.
    fn begin_chunk(&mut self, module: &Module, sources: &SourceMap) {
        self.boxed = analysis::boxed_locals(module);
        self.locals = module.locals.clone();
        self.files.clear();
        self.file_names = sources.iter().map(|(_, f)| f.name.clone()).collect();
    }

    fn add_function(&mut self, builder: FnBuilder) -> u32 {
        let mut function = builder.function;
        if let Some(why) = builder.too_large {
            // Code the instruction set cannot express: raise an error when it runs instead.
            let message = format!(
                "`{}` is too large to run: it has {why}; split it into smaller functions",
                function.name
            );
            let c = self.constant(Constant::Str(message));
            let span = function.spans.first().copied().unwrap_or_default();
            function.code = vec![Instr::Const(c), Instr::Throw];
            function.spans = vec![span, span];
            function.slots = 0;
            function.params = 0;
            function.rest = true;
            function.captures = Vec::new();
        }
        self.program.functions.push(function);
        (self.program.functions.len() - 1) as u32
    }

    fn top(&mut self) -> &mut FnBuilder {
        self.stack.last_mut().expect("a function is being compiled")
    }

    fn emit(&mut self, instr: Instr) {
        self.top().emit(instr);
    }

    /// Sets the span of the instructions emitted next; returns the previous one.
    fn at(&mut self, span: Span) -> SourceSpan {
        let file = match self.files.get(&span.file.0) {
            Some(&f) => f,
            None => {
                let name = self
                    .file_names
                    .get(span.file.0 as usize)
                    .cloned()
                    .unwrap_or_default();
                let index = match self.program.files.iter().position(|f| *f == name) {
                    Some(i) => i as u16,
                    None => {
                        self.program.files.push(name);
                        (self.program.files.len() - 1) as u16
                    }
                };
                self.files.insert(span.file.0, index);
                index
            }
        };
        let new = SourceSpan {
            file,
            start: span.range.start,
            end: span.range.end,
        };
        std::mem::replace(&mut self.top().span, new)
    }

    fn constant(&mut self, c: Constant) -> u32 {
        if let Some((_, i)) = self.constants.iter().find(|(k, _)| same_constant(k, &c)) {
            return *i;
        }
        self.program.constants.push(c.clone());
        let i = (self.program.constants.len() - 1) as u32;
        self.constants.push((c, i));
        i
    }

    fn global(&mut self, name: &str) -> u32 {
        if let Some(&g) = self.globals.get(name) {
            return g;
        }
        self.program.globals.push(name.to_string());
        let g = (self.program.globals.len() - 1) as u32;
        self.globals.insert(name.to_string(), g);
        g
    }

    fn builtin(&mut self, name: &str) -> u16 {
        if let Some(&b) = self.builtins.get(name) {
            return b;
        }
        self.program.builtins.push(name.to_string());
        let b = (self.program.builtins.len() - 1) as u16;
        self.builtins.insert(name.to_string(), b);
        b
    }

    /// Compiles a function body with the current builder set up; the body's last form is in
    /// tail position.
    fn body(&mut self, body: &[Expr], tail: bool) {
        if body.is_empty() {
            self.emit(Instr::Nil);
        }
        let n = body.len();
        for (i, e) in body.iter().enumerate() {
            let last = i + 1 == n;
            self.expr(e, tail && last);
            if !last {
                self.emit(Instr::Pop);
            }
        }
    }
}

/// Constants compare by structure, and floats by bits so `0.0` and `-0.0` stay apart.
fn same_constant(a: &Constant, b: &Constant) -> bool {
    match (a, b) {
        (Constant::Float(x), Constant::Float(y)) => x.to_bits() == y.to_bits(),
        (Constant::List(x), Constant::List(y)) | (Constant::Vector(x), Constant::Vector(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_constant(a, b))
        }
        (Constant::Map(x), Constant::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| same_constant(ka, kb) && same_constant(va, vb))
        }
        _ => a == b,
    }
}
