//! The IR: what the compiler produces and the VM runs. A [`Program`] is plain data — serde
//! serialisable, versioned, content-hashed — so a run's code can be stored beside its
//! journal and a snapshot can name exactly the code it belongs to.

use serde::{Deserialize, Serialize};

use crate::envelope::{self, EnvelopeError};

/// Magic bytes of an encoded program.
pub const MAGIC: [u8; 4] = *b"DUIR";
/// The IR format version this build writes and the newest it reads.
pub const VERSION: u16 = 1;

/// A literal value in the constant pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Constant {
    /// `nil`
    Nil,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A symbol.
    Symbol(String),
    /// A keyword, without its colon.
    Keyword(String),
    /// A list.
    List(Vec<Constant>),
    /// A vector.
    Vector(Vec<Constant>),
    /// A map, pairs in order.
    Map(Vec<(Constant, Constant)>),
}

/// Where an instruction came from: a file of [`Program::files`] and a byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SourceSpan {
    /// Index into [`Program::files`].
    pub file: u16,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// How a closure's captured value is found in the function that creates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaptureFrom {
    /// A slot of the creating function's frame.
    Local(u16),
    /// One of the creating function's own captures.
    Capture(u16),
}

/// Status of a `terminal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Terminal {
    /// Completed.
    Completed,
    /// Failed.
    Failed,
    /// Cancelled.
    Cancelled,
}

/// Concurrency forms, which the runtime schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Concurrent {
    /// `(spawn …)`: one thunk.
    Spawn,
    /// `(parallel …)`: n thunks, results in order.
    Parallel,
    /// `(race …)`: n thunks, the first result.
    Race,
}

/// Which event an `on-…` handler waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// A matching assertion appears.
    Asserted,
    /// A matching assertion is withdrawn.
    Retracted,
    /// A matching message is sent.
    Message,
}

/// One instruction of the stack machine. Operands index the frame's slots, the closure's
/// captures, [`Program::constants`], [`Program::globals`], [`Program::builtins`],
/// [`Program::patterns`], [`Program::functions`] or the function's code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Instr {
    /// Push nil.
    Nil,
    /// Push true.
    True,
    /// Push false.
    False,
    /// Push a small integer.
    Int(i32),
    /// Push a constant.
    Const(u32),
    /// Push a slot.
    Local(u16),
    /// Pop into a slot.
    SetLocal(u16),
    /// Push the contents of the cell in a slot.
    CellLocal(u16),
    /// Pop into the cell in a slot.
    SetCellLocal(u16),
    /// Replace a slot's value with a new cell holding it.
    MakeCell(u16),
    /// Push a capture of the running closure.
    Capture(u16),
    /// Push the contents of the cell in a capture.
    CellCapture(u16),
    /// Pop into the cell in a capture.
    SetCellCapture(u16),
    /// Push the running closure itself.
    CurrentClosure,
    /// Push a global's value (an error if it is not defined yet).
    Global(u32),
    /// Pop into a global that must already be defined.
    SetGlobal(u32),
    /// Pop into a global, defining it.
    DefGlobal(u32),
    /// Push a builtin function as a value.
    Builtin(u16),
    /// Discard the top of the stack.
    Pop,
    /// Duplicate the top of the stack.
    Dup,
    /// Continue at an instruction of this function. Jumping backwards costs a step.
    Jump(u32),
    /// Pop; jump when falsy.
    JumpIfFalse(u32),
    /// If the top is falsy jump, keeping it; else pop it (for `and`).
    JumpIfFalseKeep(u32),
    /// If the top is truthy jump, keeping it; else pop it (for `or`).
    JumpIfTrueKeep(u32),
    /// Call the value below n arguments.
    Call(u8),
    /// Call in tail position: the callee replaces the running frame.
    TailCall(u8),
    /// Call a builtin with n arguments.
    CallBuiltin(u16, u8),
    /// Return the top of the stack.
    Return,
    /// Make a closure of a function, taking its captures as its `captures` say.
    Closure(u32),
    /// `(+ a b)` on the top two values.
    Add,
    /// `(- a b)`
    Sub,
    /// `(* a b)`
    Mul,
    /// `(< a b)`
    Lt,
    /// `(<= a b)`
    Le,
    /// `(> a b)`
    Gt,
    /// `(>= a b)`
    Ge,
    /// `(== a b)`
    NumEq,
    /// `(= a b)`
    Eq,
    /// `(+ local k)`: a slot and a small integer, fused by the compiler.
    AddLI(u16, i32),
    /// `(- local k)`
    SubLI(u16, i32),
    /// `(< local k)`
    LtLI(u16, i32),
    /// `(<= local k)`
    LeLI(u16, i32),
    /// `(> local k)`
    GtLI(u16, i32),
    /// `(>= local k)`
    GeLI(u16, i32),
    /// `(== local k)`
    NumEqLI(u16, i32),
    /// `(first coll)`
    First,
    /// `(rest coll)`
    Rest,
    /// `(cons x coll)`
    Cons,
    /// `(empty? coll)`
    IsEmpty,
    /// `(inc a)`
    Inc,
    /// `(dec a)`
    Dec,
    /// `(not a)`
    Not,
    /// Pop a label and n fields, push the record.
    Record(u16),
    /// Pop n pattern arguments and the subject; push whether the pattern matches, binding
    /// its variables into slots when it does.
    Match(u32, u16),
    /// Start protecting: an error unwinds to the given instruction with the thrown value.
    PushHandler(u32),
    /// Stop protecting.
    PopHandler,
    /// Pop a value and raise it.
    Throw,
    /// Pop a value and bind the variables of a pattern from it, as far as it fits (after an
    /// `await`, and at the start of an `on-…` handler).
    Bind(u32),
    /// Pop n pattern arguments (and a timeout when the flag says so); wait for a matching
    /// assertion and push it.
    Await(u32, u16, bool),
    /// Pop n thunks and hand them to the runtime.
    Concurrent(Concurrent, u16),
    /// Pop n pattern arguments and a handler taking the matched value; install it for the
    /// life of the current facet.
    Handler(Event, u32, u16),
    /// Leave the state for another one.
    Goto(u16),
    /// End the workflow, with the popped result when the flag says so.
    Terminal(Terminal, bool),
    // Added after the others so that programs stored before them decode unchanged.
    /// `(+ local local)`: two slots, fused by the compiler.
    AddLL(u16, u16),
    /// `(- local local)`
    SubLL(u16, u16),
    /// `(< local local)`
    LtLL(u16, u16),
    /// `(<= local local)`
    LeLL(u16, u16),
    /// `(> local local)`
    GtLL(u16, u16),
    /// `(>= local local)`
    GeLL(u16, u16),
    /// `(== local local)`
    NumEqLL(u16, u16),
    /// Return the value of a slot: `Local, Return`, fused by the compiler.
    ReturnLocal(u16),
    /// `(* local k)`
    MulLI(u16, i32),
    /// `(* local local)`
    MulLL(u16, u16),
}

/// A pattern (of `match`, `await` or an `on-…` handler) in compiled form. Values that
/// depend on variables (`x`, `:equals v`) are computed before the match and passed as
/// arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Pattern {
    /// `_`
    Any,
    /// `?x`: binds a slot.
    Bind(u16),
    /// A literal constant.
    Literal(u32),
    /// Equal to pattern argument n.
    Arg(u16),
    /// `(record label p…)`: label constant, patterns for the first fields.
    Record(u32, Vec<Pattern>),
    /// `(record label :field n :equals v)`: label constant, field, argument.
    RecordField(u32, u32, u16),
    /// `[p …]`: a vector or list of exactly this length.
    Sequence(Vec<Pattern>),
    /// `{k p …}`: a map containing these constant keys.
    Map(Vec<(u32, Pattern)>),
}

/// A compiled function.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Function {
    /// Its name for backtraces: the defined name, or `fn` for an anonymous one.
    pub name: String,
    /// Positional parameters.
    pub params: u16,
    /// Whether extra arguments are collected into a list in the slot after the params.
    pub rest: bool,
    /// Slots in a frame, parameters first.
    pub slots: u16,
    /// Where the creator finds each captured value.
    pub captures: Vec<CaptureFrom>,
    /// The instructions.
    pub code: Vec<Instr>,
    /// The source span of each instruction.
    pub spans: Vec<SourceSpan>,
}

/// A compiled program: everything a VM needs to run it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// Source file names, for spans.
    pub files: Vec<String>,
    /// The constant pool.
    pub constants: Vec<Constant>,
    /// Global names; instructions refer to them by index.
    pub globals: Vec<String>,
    /// Builtin names; instructions refer to them by index, the VM links them by name.
    pub builtins: Vec<String>,
    /// Compiled patterns.
    pub patterns: Vec<Pattern>,
    /// Functions; closures refer to them by index.
    pub functions: Vec<Function>,
}

impl Program {
    /// The encoded program in its envelope.
    pub fn encode(&self) -> Vec<u8> {
        envelope::seal(MAGIC, VERSION, self)
    }

    /// Decodes a program written by [`Program::encode`].
    pub fn decode(bytes: &[u8]) -> Result<Program, EnvelopeError> {
        envelope::open(MAGIC, VERSION, bytes).map(|(_, p)| p)
    }

    /// The content hash of the encoded program: equal programs have equal hashes.
    pub fn hash(&self) -> String {
        envelope::content_hash(&self.encode())
    }
}
