//! The state shared by every fiber of a machine: heap, interned names, globals, the
//! materialised constant pool, the step budget. Builtins receive it through [`Cx`].

use serde::{Deserialize, Serialize};

use duet_lang::ir::{Constant, Program};

use crate::heap::Heap;
use crate::symbols::Symbols;
use crate::value::{Object, Value};

/// Why control leaves a builtin other than by returning a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Flow {
    /// Raise this value as an error.
    Error(Value),
    /// Suspend the fiber with a request to the host; the value it resumes with is the
    /// builtin's result.
    Request(super::Request),
}

/// What a builtin returns.
pub type BuiltinResult = Result<Value, Flow>;

/// Shared machine state.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ctx {
    /// Objects.
    pub heap: Heap,
    /// Symbol and keyword names.
    pub symbols: Symbols,
    /// Global values by the program's global index; `None` until defined.
    pub globals: Vec<Option<Value>>,
    /// The program's constants as values.
    pub constants: Vec<Value>,
    /// Steps taken (calls and backward jumps).
    pub steps: u64,
    /// Steps allowed before the run is stopped.
    pub budget: u64,
    /// Frames a fiber may have at once.
    pub max_frames: usize,
    /// Counter for `gensym`.
    pub gensyms: u64,
    /// Values the host holds on to between runs (compiled macros), kept by collections.
    pub pinned: Vec<Value>,
    /// A buffer `str` builds its result in and keeps, so a short result (held inline by
    /// its string object) costs no allocation. Not part of the state.
    #[serde(skip)]
    scratch: String,
}

fn mib(bytes: usize) -> String {
    format!("{} MiB", bytes.div_ceil(1 << 20))
}

fn memory_message(what: &str, max: usize) -> String {
    format!(
        "out of memory: {what}, past the limit of {}; keep less data alive, or raise the limit with --max-memory",
        mib(max)
    )
}

/// What a builtin sees: the shared state and the program.
pub struct Cx<'a> {
    /// Shared state.
    pub ctx: &'a mut Ctx,
    /// The running program.
    pub program: &'a Program,
}

impl Ctx {
    /// A fresh state with the given limits.
    pub fn new(budget: u64, max_frames: usize) -> Self {
        Ctx {
            heap: Heap::new(),
            symbols: Symbols::default(),
            globals: Vec::new(),
            constants: Vec::new(),
            steps: 0,
            budget,
            max_frames,
            gensyms: 0,
            pinned: Vec::new(),
            scratch: String::new(),
        }
    }

    /// Counts `work` steps done inside a builtin (elements visited, bytes scanned) against
    /// the step budget; the VM stops the run after the builtin if the budget is spent.
    #[inline]
    pub fn charge(&mut self, work: u64) {
        self.steps = self.steps.saturating_add(work);
    }

    /// Refuses, with a `:memory` error, to allocate about `bytes` more when that could not
    /// fit under the memory limit even after collecting every unreachable object. Builtins
    /// whose result can be far larger than their arguments call it first.
    pub fn reserve(&mut self, who: &str, bytes: usize) -> Result<(), Flow> {
        if self.heap.could_fit(bytes) {
            return Ok(());
        }
        let message = memory_message(
            &format!(
                "`{who}` would need about {} more, with {} in use",
                mib(bytes),
                mib(self.heap.live_bytes())
            ),
            self.heap.max_bytes(),
        );
        Err(self.error("memory", message))
    }

    /// The `:memory` error raised when the live data passes the limit.
    #[cold]
    pub fn out_of_memory(&mut self) -> Value {
        let message = memory_message(
            &format!(
                "the program's data takes about {}",
                mib(self.heap.live_bytes())
            ),
            self.heap.max_bytes(),
        );
        self.error_value("memory", message, Value::Nil)
    }

    /// A string value.
    pub fn string(&mut self, s: impl Into<compact_str::CompactString>) -> Value {
        self.heap.alloc(Object::Str(s.into()))
    }

    /// The string `build` writes into an empty buffer, as a value. The buffer is kept for
    /// the next call when the string is short enough to be held inline, so building short
    /// strings allocates nothing but their object.
    pub fn string_with<E>(
        &mut self,
        build: impl FnOnce(&mut Ctx, &mut String) -> Result<(), E>,
    ) -> Result<Value, E> {
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let built = build(self, &mut out);
        // A `CompactString` holds as many bytes inline as it is large.
        let inline = out.len() <= std::mem::size_of::<compact_str::CompactString>();
        if built.is_err() || inline {
            let value = built.map(|()| self.string(out.as_str()));
            self.scratch = out;
            return value;
        }
        Ok(self.string(out))
    }

    /// A keyword value.
    pub fn keyword(&mut self, name: &str) -> Value {
        Value::Kw(self.symbols.intern(name))
    }

    /// A list of `items`.
    pub fn list(&mut self, items: impl DoubleEndedIterator<Item = Value>) -> Value {
        self.heap.list(items).value()
    }

    /// A vector of `items`.
    pub fn vector(&mut self, items: Vec<Value>) -> Value {
        self.heap.alloc(Object::Vector(items.into()))
    }

    /// A persistent collection made from another by `appended` additions at its end and
    /// `replaced` replacements (or removals) inside it. An append fills a slot of a tail that
    /// versions share (a path is copied once per [`crate::persistent::TAIL`] appends), a
    /// replacement copies a path of the trie; the version counts as that much new memory plus
    /// its own header (at most its whole size) towards collections and the budget. (Counting
    /// every append as a path made a loop of `conj` collect, and mark the whole vector, every
    /// few thousand steps.)
    pub fn updated(&mut self, object: Object, appended: usize, replaced: usize) -> Value {
        const VALUE: usize = std::mem::size_of::<Value>();
        // A map entry is a key and a value; a vector's element one value, plus its share of
        // the path copied when the tail moves into the body.
        const APPEND_BYTES: usize = 3 * VALUE;
        const PATH_BYTES: usize = 32 * VALUE;
        let changes = appended
            .saturating_mul(APPEND_BYTES)
            .saturating_add(replaced.saturating_mul(PATH_BYTES))
            .saturating_add(crate::persistent::VERSION_BYTES);
        let bytes =
            crate::heap::size_of(&object).min(crate::heap::OBJECT_BYTES.saturating_add(changes));
        self.heap.alloc_sized(object, bytes)
    }

    /// The error record `<error KIND "message" nil>` raised as a [`Flow`].
    pub fn error(&mut self, kind: &str, message: impl Into<String>) -> Flow {
        Flow::Error(self.error_value(kind, message, Value::Nil))
    }

    /// The error record `<error KIND "message" data>`.
    #[cold]
    pub fn error_value(&mut self, kind: &str, message: impl Into<String>, data: Value) -> Value {
        let label = self.symbols.intern("error");
        let kind = self.keyword(kind);
        let message = self.string(message.into());
        self.heap.alloc(Object::Record {
            label,
            fields: vec![kind, message, data],
        })
    }

    /// The string inside a value, if it is a string.
    pub fn as_str(&self, v: Value) -> Option<&str> {
        match v {
            Value::Obj(r) => match self.heap.get(r) {
                Object::Str(s) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    /// Turns a constant into a value.
    pub fn constant(&mut self, c: &Constant) -> Value {
        match c {
            Constant::Nil => Value::Nil,
            Constant::Bool(b) => Value::Bool(*b),
            Constant::Int(i) => Value::Int(*i),
            Constant::Float(f) => Value::Float(*f),
            Constant::Str(s) => self.string(s.clone()),
            Constant::Symbol(s) => Value::Sym(self.symbols.intern(s)),
            Constant::Keyword(k) => self.keyword(k),
            Constant::List(items) => {
                let values: Vec<Value> = items.iter().map(|i| self.constant(i)).collect();
                self.list(values.into_iter())
            }
            Constant::Vector(items) => {
                let values = items.iter().map(|i| self.constant(i)).collect();
                self.vector(values)
            }
            Constant::Map(pairs) => {
                let values: Vec<(Value, Value)> = pairs
                    .iter()
                    .map(|(k, v)| (self.constant(k), self.constant(v)))
                    .collect();
                self.heap.alloc(Object::Map(values.into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(ctx: &Ctx, v: Value) -> &str {
        ctx.as_str(v).expect("a string")
    }

    #[test]
    fn strings_built_in_the_kept_buffer_are_whole_and_start_empty() {
        let mut ctx = Ctx::new(u64::MAX, 100);
        let short = ctx.string_with(|_, out| {
            out.push_str("12,");
            Ok::<(), ()>(())
        });
        let long = ctx.string_with(|_, out| {
            out.push_str(&"x".repeat(100));
            Ok::<(), ()>(())
        });
        // A build that fails leaves nothing behind for the next one.
        let failed = ctx.string_with(|_, out| {
            out.push_str("half");
            Err("stopped")
        });
        let after = ctx.string_with(|_, out| {
            out.push('y');
            Ok::<(), ()>(())
        });
        assert_eq!(text(&ctx, short.unwrap()), "12,");
        assert_eq!(text(&ctx, long.unwrap()), "x".repeat(100));
        assert_eq!(failed, Err("stopped"));
        assert_eq!(text(&ctx, after.unwrap()), "y");
    }
}
