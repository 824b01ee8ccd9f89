//! `duet-vm`, the virtual machine: runs a [`Program`] with explicit frames on the heap, so Lisp calls
//! never use the Rust stack, and keeps its whole state as data ([`Machine`]) that a
//! snapshot can store and restore.
//!
//! The VM is pure: it performs no I/O, reads no clock and draws no randomness. Printing,
//! waiting, agents, files and timers leave it as a [`Request`]; the host performs them and
//! [`Vm::resume`]s the fiber with the result.

pub mod builtins;
mod ctx;
pub mod equal;
pub mod heap;
mod pattern;
pub mod persistent;
pub mod print;
mod run;
pub mod snapshot;
pub mod stack;
pub mod symbols;
pub mod value;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use duet_lang::ir::{self, Program, SourceSpan};

pub use ctx::{BuiltinResult, Ctx, Cx, Flow};
pub use pattern::{bind, matches};
pub use run::request_values;

pub use builtins::effects::EffectOp;

use crate::builtins::Linked;
use crate::stack::Stack;
use crate::value::Value;

/// Default step budget: a few seconds of a tight loop on a typical machine.
pub const DEFAULT_BUDGET: u64 = 500_000_000;
/// Default frame limit: far beyond the 100,000 nested calls programs may rely on.
pub const DEFAULT_MAX_FRAMES: usize = 1_000_000;

/// Something a fiber needs from outside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    /// Write text to standard output.
    Print(String),
    /// Write a line to the run's log.
    Log(String),
    /// An effect performed by the runtime: which builtin, and its arguments.
    Effect {
        /// The builtin, e.g. `prompt`, `shell`, `sleep`, `now`.
        op: EffectOp,
        /// Its arguments, keyword options included.
        args: Vec<Value>,
    },
    /// Wait for an assertion matching a pattern.
    Await {
        /// The pattern's index in the program.
        pattern: u32,
        /// Values the pattern compares against.
        args: Vec<Value>,
        /// How long to wait, as given.
        timeout: Option<Value>,
    },
    /// Run thunks concurrently.
    Concurrent {
        /// Spawn, parallel or race.
        kind: ir::Concurrent,
        /// The closures to run.
        thunks: Vec<Value>,
    },
    /// Install a dataspace handler.
    Handler {
        /// Which event.
        event: ir::Event,
        /// The pattern's index.
        pattern: u32,
        /// Values the pattern compares against.
        args: Vec<Value>,
        /// The closure to call with each matching value.
        handler: Value,
    },
    /// Leave the current state.
    Goto(u16),
    /// End the workflow.
    Terminal {
        /// How it ended.
        status: ir::Terminal,
        /// Its result.
        result: Value,
    },
}

/// A call in progress.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// The function running.
    pub func: u32,
    /// The next instruction.
    pub pc: u32,
    /// Where the frame's slots start on the fiber's stack.
    pub base: u32,
    /// The closure running (nil for a chunk's top level).
    pub closure: Value,
}

/// A protected region of a `try`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Handler {
    /// Frames when it was pushed.
    pub frames: u32,
    /// Stack height when it was pushed.
    pub stack: u32,
    /// Where to continue with the thrown value.
    pub pc: u32,
}

/// A thread of execution: its stack, frames and handlers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fiber {
    /// Slots and operands.
    pub stack: Stack,
    /// Calls in progress, innermost last.
    pub frames: Vec<Frame>,
    /// Active `try` regions, innermost last.
    pub handlers: Vec<Handler>,
    /// The frame count at which the current host call returns.
    pub stop_at: u32,
    /// The request the fiber is suspended on.
    pub pending: Option<Request>,
    /// An error to raise in the fiber when it next runs, in place of resuming it.
    pub raising: Option<Value>,
    /// An error that ends the fiber's host call when it next runs, past any `try`.
    pub aborting: Option<Value>,
}

/// The whole state of a VM, as data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    /// Shared state.
    pub ctx: Ctx,
    /// Fibers by id.
    pub fibers: Vec<Fiber>,
}

/// One line of a backtrace: a function and where in it the call was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceFrame {
    /// The function's name.
    pub function: String,
    /// The instruction's source span.
    pub span: SourceSpan,
}

/// An error that ended a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RuntimeError {
    /// The thrown value (an error record for errors the VM raises).
    pub value: Value,
    /// The error's kind (`user`, `type`, `arity`, …) when it is an error record.
    pub kind: String,
    /// The message, for people.
    pub message: String,
    /// Innermost first: where it was raised, then each caller.
    pub backtrace: Vec<TraceFrame>,
}

/// How [`Vm::run`] stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The host call or chunk returned this value.
    Done(Value),
    /// The fiber needs something from outside; resume it with the result.
    Request(Request),
    /// The instruction limit given to `run` was reached; run again to continue.
    Paused,
    /// An uncaught error.
    Error(RuntimeError),
}

/// A program and the machine running it. A clone is an independent machine running the
/// same program (the REPL hands one to each workflow run it starts).
#[derive(Clone)]
pub struct Vm {
    program: Arc<Program>,
    builtins: Arc<Vec<Linked>>,
    /// The machine state.
    pub machine: Machine,
    /// Whether the interpreter's fast loop runs (see [`Vm::set_fast_loop`]).
    fast_loop: bool,
}

/// Why a program cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkError(pub String);

impl std::fmt::Display for LinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LinkError {}

impl Vm {
    /// A VM for `program` with one fiber and the given limits.
    pub fn new(program: Program, budget: u64, max_frames: usize) -> Result<Vm, LinkError> {
        let machine = Machine {
            ctx: Ctx::new(budget, max_frames),
            fibers: vec![Fiber::default()],
        };
        let mut vm = Vm {
            program: Arc::new(Program::default()),
            builtins: Arc::new(Vec::new()),
            machine,
            fast_loop: true,
        };
        vm.update_program(program)?;
        Ok(vm)
    }

    /// A VM continuing from `machine`, which must have been running `program`.
    pub fn with_machine(program: Program, mut machine: Machine) -> Result<Vm, LinkError> {
        let builtins = link(&program)?;
        machine.ctx.heap.recount();
        Ok(Vm {
            program: Arc::new(program),
            builtins: Arc::new(builtins),
            machine,
            fast_loop: true,
        })
    }

    /// Turns the interpreter's fast loop on (the default) or off. Off, every instruction
    /// takes the general path: a run is the same either way, step for step, which is what
    /// turning it off is for (the tests compare the two; `runtime/vm/src/run/fast.rs`).
    pub fn set_fast_loop(&mut self, on: bool) {
        self.fast_loop = on;
    }

    /// Sets the memory limit: when the program's live data needs more than about `bytes`,
    /// it gets a catchable `:memory` error (default [`heap::DEFAULT_MAX_BYTES`]).
    pub fn set_max_memory(&mut self, bytes: usize) {
        self.machine.ctx.heap.set_max_bytes(bytes);
    }

    /// The program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Replaces the program with a grown version of it (more functions, constants, globals),
    /// as the REPL does after compiling each input.
    pub fn update_program(&mut self, program: Program) -> Result<(), LinkError> {
        let builtins = link(&program)?;
        let ctx = &mut self.machine.ctx;
        for c in &program.constants[ctx.constants.len().min(program.constants.len())..] {
            let v = ctx.constant(c);
            ctx.constants.push(v);
        }
        ctx.globals.resize(program.globals.len(), None);
        self.program = Arc::new(program);
        self.builtins = Arc::new(builtins);
        Ok(())
    }

    /// Starts running function `func` (a chunk: no parameters) on `fiber`.
    pub fn start(&mut self, fiber: usize, func: u32) {
        let slots = self.program.functions[func as usize].slots;
        let f = &mut self.machine.fibers[fiber];
        f.stop_at = f.frames.len() as u32;
        f.stack.push(Value::Nil);
        let base = f.stack.len() as u32;
        f.stack
            .extend(std::iter::repeat_n(Value::Nil, slots as usize));
        f.frames.push(Frame {
            func,
            pc: 0,
            base,
            closure: Value::Nil,
        });
    }

    /// Sets up a call of `callee` with `args` on `fiber`; [`Vm::run`] then runs it to its
    /// result. A builtin callee is called at once: the step it gives is returned.
    pub fn call(&mut self, fiber: usize, callee: Value, args: &[Value]) -> Option<Step> {
        let f = &mut self.machine.fibers[fiber];
        f.stop_at = f.frames.len() as u32;
        f.stack.push(callee);
        f.stack.extend_from_slice(args);
        run::enter_call(self, fiber, args.len())
    }

    /// Continues a suspended fiber with the result of its request.
    pub fn resume(&mut self, fiber: usize, value: Value) {
        let f = &mut self.machine.fibers[fiber];
        f.pending = None;
        f.stack.push(value);
    }

    /// Continues a suspended fiber by raising `error` where it waits, as if its request had
    /// failed; a `try` around the request can catch it.
    pub fn resume_with_error(&mut self, fiber: usize, error: Value) {
        let f = &mut self.machine.fibers[fiber];
        f.pending = None;
        f.raising = Some(error);
    }

    /// Ends the fiber's host call with `error` when it next runs; no `try` can catch it
    /// (for Ctrl-C in the REPL).
    pub fn abort(&mut self, fiber: usize, error: Value) {
        let f = &mut self.machine.fibers[fiber];
        f.pending = None;
        f.aborting = Some(error);
    }

    /// Runs `fiber` until it finishes its host call, needs something, fails, or has run
    /// `limit` instructions.
    pub fn run(&mut self, fiber: usize, limit: u64) -> Step {
        run::run(self, fiber, limit)
    }

    /// Collects garbage now, with every fiber's values and the shared state as roots. The
    /// same state always collects to the same state, so a host may collect at points of its
    /// own choosing (a workflow run does before each snapshot of its state) as long as it
    /// chooses them deterministically.
    pub fn collect_garbage(&mut self) {
        let roots = run::roots(&self.machine.ctx, self.machine.fibers.iter());
        self.machine.ctx.heap.collect(roots);
    }

    /// Builtin calls need the program and the shared state.
    pub fn cx(&mut self) -> Cx<'_> {
        Cx {
            ctx: &mut self.machine.ctx,
            program: &self.program,
        }
    }
}

/// Resolves the program's builtin names to their implementations.
fn link(program: &Program) -> Result<Vec<Linked>, LinkError> {
    program
        .builtins
        .iter()
        .map(|name| {
            Linked::new(name).ok_or_else(|| {
                LinkError(format!(
                    "the program uses the builtin `{name}`, which this version of duet does not have; it was compiled by another version"
                ))
            })
        })
        .collect()
}
