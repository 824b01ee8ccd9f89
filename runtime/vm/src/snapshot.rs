//! Snapshots of a VM: its whole [`Machine`] in a versioned, checksummed envelope, tied to
//! the hash of the program it was running. Restoring checks the envelope, the program and
//! the machine's internal references, so a damaged or foreign snapshot is a clear error and
//! never a panic or silent garbage.

use duet_lang::envelope::{self, EnvelopeError};
use duet_lang::ir::Program;
use serde::{Deserialize, Serialize};

use crate::value::{Object, Value};
use crate::{Machine, Request, Vm};

/// Magic bytes of a VM snapshot.
pub const MAGIC: [u8; 4] = *b"DUSN";
/// The snapshot format version this build writes and the newest it reads.
pub const VERSION: u16 = 2;

#[derive(Deserialize)]
struct Snapshot {
    program: String,
    machine: Machine,
}

/// What [`Snapshot`] is written from: the machine borrowed, not cloned.
#[derive(Serialize)]
struct SnapshotOf<'a> {
    program: String,
    machine: &'a Machine,
}

/// Why a snapshot cannot be restored.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotError {
    /// The envelope is damaged, truncated, of another format or from a newer duet.
    Envelope(EnvelopeError),
    /// The snapshot belongs to another program.
    WrongProgram {
        /// Hash of the program given.
        expected: String,
        /// Hash recorded in the snapshot.
        found: String,
    },
    /// The machine's references do not fit together.
    Inconsistent(String),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::Envelope(e) => write!(f, "the snapshot is {e}"),
            SnapshotError::WrongProgram { expected, found } => write!(
                f,
                "the snapshot belongs to program {}…, not {}…",
                &found[..found.len().min(12)],
                &expected[..expected.len().min(12)]
            ),
            SnapshotError::Inconsistent(why) => write!(f, "the snapshot is damaged: {why}"),
        }
    }
}

impl std::error::Error for SnapshotError {}

impl Vm {
    /// The VM's whole state as bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        let snapshot = SnapshotOf {
            program: self.program().hash(),
            machine: &self.machine,
        };
        envelope::seal(MAGIC, VERSION, &snapshot)
    }

    /// A VM continuing exactly where the snapshot was taken, running `program`.
    pub fn restore(program: Program, bytes: &[u8]) -> Result<Vm, SnapshotError> {
        // Version 2: effects are typed (`EffectOp`), not names.
        let snapshot: Snapshot =
            envelope::open_current(MAGIC, VERSION, bytes).map_err(SnapshotError::Envelope)?;
        let expected = program.hash();
        if snapshot.program != expected {
            return Err(SnapshotError::WrongProgram {
                expected,
                found: snapshot.program,
            });
        }
        validate(&program, &snapshot.machine).map_err(SnapshotError::Inconsistent)?;
        Vm::with_machine(program, snapshot.machine)
            .map_err(|e| SnapshotError::Inconsistent(e.to_string()))
    }
}

/// Checks that every reference in `machine` points at something that exists.
fn validate(program: &Program, machine: &Machine) -> Result<(), String> {
    let ctx = &machine.ctx;
    let heap_len = ctx.heap.len();
    let check = |v: &Value| -> Result<(), String> {
        match *v {
            Value::Obj(r) if r as usize >= heap_len => {
                Err(format!("a value refers to heap slot {r} of {heap_len}"))
            }
            Value::Obj(r) if matches!(ctx.heap.get(r), Object::Free(_)) => {
                Err(format!("a value refers to freed heap slot {r}"))
            }
            Value::Sym(s) | Value::Kw(s) if s as usize >= ctx.symbols.len() => {
                Err(format!("a value names symbol {s} of {}", ctx.symbols.len()))
            }
            Value::Builtin(b) if b as usize >= program.builtins.len() => Err(format!(
                "a value names builtin {b} of {}",
                program.builtins.len()
            )),
            _ => Ok(()),
        }
    };
    if ctx.globals.len() != program.globals.len() || ctx.constants.len() != program.constants.len()
    {
        return Err("its globals or constants do not match the program".into());
    }
    ctx.globals
        .iter()
        .flatten()
        .chain(&ctx.constants)
        .chain(&ctx.pinned)
        .try_for_each(check)?;
    for r in 0..heap_len as u32 {
        match ctx.heap.get(r) {
            Object::Pair { head, tail, .. } => {
                check(head)?;
                let tail = tail.value();
                check(&tail)?;
                if let Value::Obj(t) = tail
                    && !matches!(ctx.heap.get(t), Object::Pair { .. })
                {
                    return Err(format!(
                        "the list cell in heap slot {r} goes on at slot {t}, which is not a list cell"
                    ));
                }
            }
            Object::Vector(xs) => xs.iter().try_for_each(|x| check(&x))?,
            Object::Map(pairs) => pairs.iter().flat_map(|(k, v)| [k, v]).try_for_each(check)?,
            Object::Record { label, fields } => {
                check(&Value::Sym(*label))?;
                fields.iter().try_for_each(check)?;
            }
            Object::Closure { func, captures } => {
                let function = program.functions.get(*func as usize).ok_or_else(|| {
                    format!(
                        "a closure names function {func} of {}",
                        program.functions.len()
                    )
                })?;
                if function.captures.len() != captures.len() {
                    return Err(format!(
                        "a closure of `{}` has the wrong number of captures",
                        function.name
                    ));
                }
                captures.iter().try_for_each(check)?;
            }
            Object::Cell(v) => check(v)?,
            Object::Free(Some(next)) if *next as usize >= heap_len => {
                return Err("the heap's free list is broken".into());
            }
            Object::Str(_) | Object::Handle(_) | Object::Free(_) => {}
        }
    }
    for fiber in &machine.fibers {
        fiber.stack.iter().try_for_each(check)?;
        for frame in &fiber.frames {
            let function = program.functions.get(frame.func as usize).ok_or_else(|| {
                format!(
                    "a frame runs function {} of {}",
                    frame.func,
                    program.functions.len()
                )
            })?;
            if frame.pc as usize > function.code.len()
                || frame.base == 0
                || frame.base as usize + function.slots as usize > fiber.stack.len()
            {
                return Err(format!("a frame of `{}` is out of bounds", function.name));
            }
            check(&frame.closure)?;
        }
        if fiber
            .handlers
            .iter()
            .any(|h| h.frames as usize > fiber.frames.len() || h.stack as usize > fiber.stack.len())
        {
            return Err("a `try` handler is out of bounds".into());
        }
        if let Some(request) = &fiber.pending {
            let mut values = Vec::new();
            crate::request_values(request, &mut values);
            values.iter().try_for_each(check)?;
            if let Request::Await { pattern, .. } | Request::Handler { pattern, .. } = request
                && *pattern as usize >= program.patterns.len()
            {
                return Err("a pending request names a pattern the program does not have".into());
            }
        }
        fiber
            .raising
            .iter()
            .chain(&fiber.aborting)
            .try_for_each(check)?;
    }
    Ok(())
}
