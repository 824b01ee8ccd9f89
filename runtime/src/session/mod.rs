//! A session: one compiler and one VM that programs are checked, compiled and run in, with
//! the prelude loaded. `duet run` runs one script in a session (and a workflow's top-level
//! forms before the workflow starts); the REPL runs each input in the same session, so
//! definitions persist; `duet check` expands macros in one.

mod convert;
mod macros;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::effects::{self, Capabilities, Effect, Workspace};
use duet_lang::compile::Compiler;
use duet_lang::expand::{Environment, Loader};
use duet_lang::frontend::{self, Checked, NoLoader};
use duet_lang::source::SourceFile as Source;
use duet_vm::print;
use duet_vm::value::Value;
use duet_vm::{self as vm, Request, RuntimeError, Step, Vm};

/// Instructions run between looks at the interrupt flag.
const INTERRUPT_SLICE: u64 = 100_000;

use duet_lang::stdlib::{PRELUDE, PRELUDE_NAME};

/// Limits for the programs a session runs.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Steps (calls and loop iterations) a run may take before it is stopped.
    pub max_steps: u64,
    /// Nested calls a run may have at once.
    pub max_frames: usize,
    /// Approximate bytes the program's data may take before it gets a `:memory` error.
    pub max_memory: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: vm::DEFAULT_BUDGET,
            max_frames: vm::DEFAULT_MAX_FRAMES,
            max_memory: vm::heap::DEFAULT_MAX_BYTES,
        }
    }
}

/// A compiler and a VM with the prelude loaded.
pub struct Session {
    compiler: Compiler,
    vm: Vm,
    files: BTreeMap<String, Source>,
    limits: Limits,
    /// What loaded programs defined, for checking later inputs.
    env: Environment,
    /// Macros compiled so far, by name.
    macros: BTreeMap<String, Value>,
    /// Signatures and docstrings of the functions loaded, for `:doc`.
    docs: BTreeMap<String, String>,
    /// Where file effects and commands run, and what they may do; `None` until
    /// [`Session::allow_effects`].
    effects: Option<(Capabilities, Workspace)>,
}

impl Session {
    /// A session with the prelude loaded.
    pub fn new(limits: Limits) -> Session {
        let mut compiler = Compiler::new();
        let checked = frontend::check_source(PRELUDE_NAME, PRELUDE, &mut NoLoader, None);
        assert!(
            !checked.has_errors(),
            "the embedded prelude does not check: {:?}",
            checked.diagnostics
        );
        let fid = compiler.compile_chunk(&checked.module, &checked.sources);
        let mut vm = Vm::new(
            compiler.program().clone(),
            limits.max_steps,
            limits.max_frames,
        )
        .expect("the prelude uses only builtins this build has");
        vm.set_max_memory(limits.max_memory);
        let mut session = Session {
            compiler,
            vm,
            files: BTreeMap::new(),
            limits,
            env: Environment::default(),
            macros: BTreeMap::new(),
            docs: BTreeMap::new(),
            effects: None,
        };
        session.remember(&checked);
        let mut sink = std::io::sink();
        session
            .run(fid, &mut sink, &mut std::io::sink())
            .expect("the prelude runs without errors");
        session
    }

    /// Lets programs perform effects (commands, files, clocks, timers) in `workspace`, with
    /// the capabilities granted. Without it a script can only print and log.
    pub fn allow_effects(&mut self, capabilities: Capabilities, workspace: Workspace) {
        self.effects = Some((capabilities, workspace));
    }

    /// Checks a program, running its macros in this session.
    pub fn check(&mut self, name: &str, bytes: &[u8], loader: &mut dyn Loader) -> Checked {
        let mut host = macros::MacroRunner {
            compiler: &mut self.compiler,
            vm: &mut self.vm,
            seen: 0,
            compiled: &mut self.macros,
        };
        let checked = frontend::check_in(self.env.clone(), name, bytes, loader, Some(&mut host));
        self.remember(&checked);
        checked
    }

    fn remember(&mut self, checked: &Checked) {
        for (_, file) in checked.sources.iter() {
            self.files.insert(file.name.clone(), file.clone());
        }
    }

    /// Compiles a checked program's top-level forms into a chunk; returns its function.
    pub fn load(&mut self, checked: &Checked) -> u32 {
        self.env.extend(&checked.module);
        self.remember_docs(&checked.module);
        let fid = self
            .compiler
            .compile_chunk(&checked.module, &checked.sources);
        self.vm
            .update_program(self.compiler.program().clone())
            .expect("programs compiled in this build link");
        fid
    }

    fn remember_docs(&mut self, module: &duet_lang::core::Module) {
        for expr in &module.body {
            if let duet_lang::core::ExprKind::Def(name, value) = &expr.kind
                && let duet_lang::core::ExprKind::Fn(lambda) = &value.kind
            {
                let local =
                    |id: &duet_lang::core::LocalId| module.locals[id.0 as usize].name.clone();
                let mut params: Vec<String> = lambda.params.iter().map(local).collect();
                if let Some(rest) = &lambda.rest {
                    params.push(format!("& {}", local(rest)));
                }
                let mut text = format!("({name} {})", params.join(" ")).replace(" )", ")");
                if let Some(doc) = &lambda.doc {
                    text.push_str("\n  ");
                    text.push_str(doc);
                }
                self.docs.insert(name.clone(), text);
            }
        }
    }

    /// Compiles workflow `index` of a checked program whose top-level forms were loaded.
    pub fn compile_workflow(
        &mut self,
        checked: &Checked,
        index: usize,
    ) -> duet_lang::compile::CompiledWorkflow {
        let compiled = self
            .compiler
            .compile_workflow(&checked.module, &checked.sources, index);
        self.vm
            .update_program(self.compiler.program().clone())
            .expect("programs compiled in this build link");
        compiled
    }

    /// Runs chunk `fid` to its value, writing what it prints to `out` and its log to `log`.
    pub fn run(
        &mut self,
        fid: u32,
        out: &mut dyn Write,
        log: &mut dyn Write,
    ) -> Result<Value, RuntimeError> {
        self.vm.machine.ctx.steps = 0;
        self.vm.start(0, fid);
        self.drive(None, out, log, None)
    }

    /// Like [`Session::run`], but stops with an `interrupted` error soon after `interrupt`
    /// is set (the REPL sets it on Ctrl-C).
    pub fn run_interruptible(
        &mut self,
        fid: u32,
        out: &mut dyn Write,
        log: &mut dyn Write,
        interrupt: &AtomicBool,
    ) -> Result<Value, RuntimeError> {
        // A Ctrl-C pressed while nothing ran is not meant for this run.
        interrupt.store(false, Ordering::SeqCst);
        self.vm.machine.ctx.steps = 0;
        self.vm.start(0, fid);
        self.drive(None, out, log, Some(interrupt))
    }

    /// Calls `callee` with `args`, driving it to its value.
    pub fn call(
        &mut self,
        callee: Value,
        args: &[Value],
        out: &mut dyn Write,
        log: &mut dyn Write,
    ) -> Result<Value, RuntimeError> {
        self.vm.machine.ctx.steps = 0;
        let first = self.vm.call(0, callee, args);
        self.drive(first, out, log, None)
    }

    fn drive(
        &mut self,
        first: Option<Step>,
        out: &mut dyn Write,
        log: &mut dyn Write,
        interrupt: Option<&AtomicBool>,
    ) -> Result<Value, RuntimeError> {
        // With an interrupt to watch, run in slices and look at it between them.
        let slice = if interrupt.is_some() {
            INTERRUPT_SLICE
        } else {
            u64::MAX
        };
        let mut step = first.unwrap_or_else(|| self.vm.run(0, slice));
        loop {
            match step {
                Step::Done(v) => return Ok(v),
                Step::Error(e) => return Err(e),
                Step::Paused => {
                    if interrupt.is_some_and(|flag| flag.swap(false, Ordering::SeqCst)) {
                        let error = self.vm.machine.ctx.error_value(
                            "interrupted",
                            "interrupted by Ctrl-C",
                            Value::Nil,
                        );
                        self.vm.abort(0, error);
                    }
                }
                Step::Request(Request::Print(text)) => {
                    let result = out.write_all(text.as_bytes());
                    match result {
                        Ok(()) => self.vm.resume(0, Value::Nil),
                        Err(e) => {
                            let error = self.vm.machine.ctx.error_value(
                                "io",
                                format!("cannot write to standard output: {e}"),
                                Value::Nil,
                            );
                            self.vm.resume_with_error(0, error);
                        }
                    }
                }
                Step::Request(Request::Log(text)) => {
                    let _ = writeln!(log, "log: {text}");
                    self.vm.resume(0, Value::Nil);
                }
                Step::Request(Request::Effect { op, args }) if self.effects.is_some() => {
                    match self.perform(op, &args, interrupt) {
                        Some(Ok(v)) => self.vm.resume(0, v),
                        Some(Err(e)) => self.vm.resume_with_error(0, e),
                        None => {
                            let error = self.vm.machine.ctx.error_value(
                                "effect",
                                format!("`{}` needs a workflow run; a plain script can print, log, run commands, use files, clocks and timers", op.name()),
                                Value::Nil,
                            );
                            self.vm.resume_with_error(0, error);
                        }
                    }
                }
                Step::Request(other) => {
                    let what = describe(&other);
                    let error = self.vm.machine.ctx.error_value(
                        "effect",
                        format!(
                            "{what} needs a workflow run; a plain script can only print and log"
                        ),
                        Value::Nil,
                    );
                    self.vm.resume_with_error(0, error);
                }
            }
            step = self.vm.run(0, slice);
        }
    }

    /// Performs an effect for a script; `None` when it is not one scripts can perform.
    /// Errors come back as error values to raise in the program.
    /// With `interrupt`, the effect is given up soon after it is set.
    fn perform(
        &mut self,
        op: duet_vm::EffectOp,
        args: &[Value],
        interrupt: Option<&AtomicBool>,
    ) -> Option<Result<Value, Value>> {
        let (capabilities, workspace) = self.effects.as_ref()?;
        let ctx = &mut self.vm.machine.ctx;
        let result = Effect::parse(ctx, op, args)?
            .and_then(|effect| effects::authorise(&effect, capabilities).map(|()| effect))
            .and_then(|effect| match interrupt {
                Some(flag) => effects::perform_interruptible(&effect, workspace, flag),
                None => effects::perform_blocking(&effect, workspace),
            });
        Some(match result {
            Ok(value) => Ok(value.to_value(ctx)),
            Err(failure) => Err(ctx.error_value(&failure.kind, failure.message, Value::Nil)),
        })
    }

    /// The readable form of a value, as the REPL prints results.
    pub fn repr(&self, v: Value) -> String {
        print::repr(&self.vm.machine.ctx, self.vm.program(), v)
    }

    /// The source files checked so far, by name, for rendering errors.
    pub fn files(&self) -> &BTreeMap<String, Source> {
        &self.files
    }

    /// The program compiled so far.
    pub fn program(&self) -> &duet_lang::ir::Program {
        self.vm.program()
    }

    /// The VM, for snapshots and tests.
    pub fn vm(&mut self) -> &mut Vm {
        &mut self.vm
    }

    /// The VM, taking the session apart.
    pub fn into_vm(self) -> Vm {
        self.vm
    }

    /// The global names defined so far, for completion.
    pub fn globals(&self) -> Vec<String> {
        let program = self.vm.program();
        program
            .globals
            .iter()
            .enumerate()
            .filter(|(i, name)| {
                !name.starts_with('%')
                    && self
                        .vm
                        .machine
                        .ctx
                        .globals
                        .get(*i)
                        .is_some_and(Option::is_some)
            })
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// `(name params)` and the docstring of a global function defined in this session.
    pub fn describe_global(&self, name: &str) -> Option<String> {
        self.docs.get(name).cloned()
    }

    /// The limits runs use.
    pub fn limits(&self) -> Limits {
        self.limits
    }
}

/// What an effect request is, for the message that it is not available.
fn describe(request: &Request) -> String {
    match request {
        Request::Effect { op, .. } => format!("`{}`", op.name()),
        Request::Await { .. } => "`await`".into(),
        Request::Concurrent { kind, .. } => format!("`{}`", format!("{kind:?}").to_lowercase()),
        Request::Handler { .. } => "an `on-…` handler".into(),
        Request::Goto(_) => "`goto`".into(),
        Request::Terminal { .. } => "`terminal`".into(),
        Request::Print(_) | Request::Log(_) => "printing".into(),
    }
}
