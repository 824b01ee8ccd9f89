//! The interpreter's fast loop: the instructions programs spend most of their time in, on
//! the values they are usually given (integers, closures called with exactly their
//! parameters, list cells, cells and captures), in a function small enough that the
//! interpreter's registers (pc, stack top, frame base) stay in machine registers. The full
//! loop in `run.rs` is one large function whose every arm can call out, raise or suspend;
//! there they lived in memory and each instruction reloaded them (about 340 machine
//! instructions per call of `fib`).
//!
//! At anything else (another instruction, another kind of value, an overflow, a call that
//! needs a collection first or would spend the last step, a return that ends the host
//! call, a full stack) it stops *before* the instruction, having changed nothing for it,
//! and the full loop runs that one instruction in general and calls it again. What the
//! fast loop does is what the general path would do, step count included, so a run is
//! the same whichever of the two ran an instruction. Under an instruction limit it counts
//! instructions as the full loop does (a comparison and the `JumpIfFalse` it is fused with
//! are two, and only taken together when both fit) and stops where the limit falls.

use std::cmp::Ordering;

use duet_lang::ir::{Instr, Program};

use super::{capture, cell_get, cell_set, invoke, simple_callee};
use crate::builtins::Linked;
use crate::value::{Object, Value};
use crate::{Ctx, Flow, Frame, Request};

/// The interpreter's registers, handed between the full loop and the fast loop.
#[derive(Clone, Copy)]
pub(super) struct Registers<'p> {
    /// The running function's code.
    pub code: &'p [Instr],
    /// The next instruction.
    pub pc: usize,
    /// Where the running frame's slots start.
    pub base: usize,
    /// The stack's top.
    pub sp: usize,
}

/// Why the fast loop stopped.
pub(super) enum Stop {
    /// At an instruction it leaves to the full loop, not run.
    Leave,
    /// After a builtin call that raised this error (its arguments gone, as the full loop's
    /// builtin calls leave them).
    Raise(Value),
    /// After a builtin call that asks the host for this.
    Suspend(Request),
    /// After a builtin call whose result is pushed, but which spent the step budget or
    /// passed the memory limit: the full loop checks both, as after its own builtin calls.
    Check,
}

/// What the fast loop needs besides the registers.
pub(super) struct Machine<'m, 'p> {
    /// The stack, with the room above its top.
    pub room: &'m mut [Value],
    /// The calls in progress.
    pub frames: &'m mut Vec<Frame>,
    /// Shared state: globals, heap, steps.
    pub ctx: &'m mut Ctx,
    /// The program running.
    pub program: &'p Program,
    /// Its builtins.
    pub table: &'m [Linked],
    /// The frame count at which the host call returns: a return to it is the full loop's.
    pub stop_at: u32,
}

/// Runs instructions from `at` until one it leaves to the full loop (or, when `LIMITED`,
/// until `limit` instructions ran), or until a builtin it called needs the full loop, and
/// leaves `at` where the full loop goes on.
#[inline(never)]
pub(super) fn run<'p, const LIMITED: bool>(
    at: &mut Registers<'p>,
    m: Machine<'_, 'p>,
    limit: &mut u64,
) -> Stop {
    let Registers {
        mut code,
        mut pc,
        mut base,
        mut sp,
    } = *at;
    let Machine {
        room,
        frames,
        ctx,
        program,
        table,
        stop_at,
    } = m;
    // Leaves the instruction just fetched to the full loop (nothing of it done yet, and
    // not counted).
    macro_rules! leave {
        () => {{
            if LIMITED {
                *limit += 1;
            }
            *at = Registers {
                code,
                pc: pc - 1,
                base,
                sp,
            };
            return Stop::Leave;
        }};
    }
    // Stops after the instruction just run.
    macro_rules! stop {
        ($why:expr) => {{
            *at = Registers { code, pc, base, sp };
            return $why;
        }};
    }
    // Makes sure one more value fits, before the instruction changes anything.
    macro_rules! room_for_one {
        () => {
            if sp == room.len() {
                leave!()
            }
        };
    }
    macro_rules! push {
        ($value:expr) => {{
            room[sp] = $value;
            sp += 1;
        }};
    }
    macro_rules! local {
        ($slot:expr) => {
            room[base + $slot as usize]
        };
    }
    macro_rules! int {
        ($k:expr) => {
            Value::Int(i64::from($k))
        };
    }
    // A safepoint the fast loop can pass: no collection wanted and a step left.
    macro_rules! safepoint {
        () => {
            if ctx.steps >= ctx.budget || ctx.heap.wants_collection() {
                leave!()
            }
            ctx.steps += 1;
        };
    }
    // `+`, `-` or `*` of two integers that does not overflow, pushed.
    macro_rules! arith {
        ($a:expr, $b:expr, $checked:ident) => {{
            room_for_one!();
            match ($a, $b) {
                (Value::Int(x), Value::Int(y)) if let Some(z) = x.$checked(y) => {
                    push!(Value::Int(z))
                }
                _ => leave!(),
            }
        }};
    }
    // The same of the two values on top, which it replaces.
    macro_rules! arith_top {
        ($checked:ident) => {{
            match (room[sp - 2], room[sp - 1]) {
                (Value::Int(x), Value::Int(y)) if let Some(z) = x.$checked(y) => {
                    sp -= 1;
                    room[sp - 1] = Value::Int(z);
                }
                _ => leave!(),
            }
        }};
    }
    // A comparison of two integers: taken at once when a `JumpIfFalse` follows (as the
    // full loop does), pushed otherwise.
    macro_rules! compare {
        ($a:expr, $b:expr, $test:expr, $popped:expr) => {{
            let (Value::Int(x), Value::Int(y)) = ($a, $b) else {
                leave!()
            };
            let result: bool = $test(x.cmp(&y));
            match code.get(pc) {
                Some(&Instr::JumpIfFalse(t)) if !LIMITED || *limit > 0 => {
                    if LIMITED {
                        *limit -= 1;
                    }
                    sp -= $popped;
                    pc = if result { pc + 1 } else { t as usize };
                }
                _ => {
                    if $popped == 0 {
                        room_for_one!();
                    }
                    sp -= $popped;
                    push!(Value::Bool(result));
                }
            }
        }};
    }
    macro_rules! compare_top {
        ($test:expr) => {
            compare!(room[sp - 2], room[sp - 1], $test, 2)
        };
    }
    // Continues in the frame on top.
    macro_rules! resume {
        () => {{
            let f = *frames.last().expect("a frame to continue in");
            code = &program.functions[f.func as usize].code;
            pc = f.pc as usize;
            base = f.base as usize;
        }};
    }
    // Returns `$result` from the running frame, unless that ends the host call.
    macro_rules! ret {
        ($result:expr) => {{
            if frames.len() as u32 <= stop_at + 1 {
                leave!()
            }
            let result: Value = $result;
            let frame = frames.pop().expect("a frame to return from");
            sp = frame.base as usize - 1;
            room[sp] = result;
            sp += 1;
            resume!();
        }};
    }

    loop {
        if LIMITED {
            if *limit == 0 {
                stop!(Stop::Leave)
            }
            *limit -= 1;
        }
        let instr = &code[pc];
        pc += 1;
        match *instr {
            Instr::Local(s) => {
                room_for_one!();
                push!(local!(s));
            }
            Instr::SetLocal(s) => {
                sp -= 1;
                local!(s) = room[sp];
            }
            Instr::Int(i) => {
                room_for_one!();
                push!(int!(i));
            }
            Instr::Const(c) => {
                room_for_one!();
                push!(ctx.constants[c as usize]);
            }
            Instr::Nil => {
                room_for_one!();
                push!(Value::Nil);
            }
            Instr::True | Instr::False => {
                room_for_one!();
                push!(Value::Bool(*instr == Instr::True));
            }
            Instr::Global(g) => {
                room_for_one!();
                let Some(v) = ctx.globals[g as usize] else {
                    leave!()
                };
                push!(v);
            }
            Instr::Builtin(b) => {
                room_for_one!();
                push!(Value::Builtin(b));
            }
            Instr::Pop => sp -= 1,
            Instr::Dup => {
                room_for_one!();
                push!(room[sp - 1]);
            }
            Instr::CellLocal(s) => {
                room_for_one!();
                push!(cell_get(ctx, local!(s)));
            }
            Instr::SetCellLocal(s) => {
                sp -= 1;
                cell_set(ctx, local!(s), room[sp]);
            }
            Instr::Capture(i) => {
                room_for_one!();
                push!(capture(ctx, frames, i));
            }
            Instr::CellCapture(i) => {
                room_for_one!();
                push!(cell_get(ctx, capture(ctx, frames, i)));
            }
            Instr::SetCellCapture(i) => {
                sp -= 1;
                cell_set(ctx, capture(ctx, frames, i), room[sp]);
            }
            Instr::Jump(t) => {
                if (t as usize) < pc {
                    safepoint!();
                }
                pc = t as usize;
            }
            Instr::JumpIfFalse(t) => {
                sp -= 1;
                if !room[sp].truthy() {
                    pc = t as usize;
                }
            }
            Instr::JumpIfFalseKeep(t) => {
                if !room[sp - 1].truthy() {
                    pc = t as usize;
                } else {
                    sp -= 1;
                }
            }
            Instr::JumpIfTrueKeep(t) => {
                if room[sp - 1].truthy() {
                    pc = t as usize;
                } else {
                    sp -= 1;
                }
            }
            Instr::AddLI(s, k) => arith!(local!(s), int!(k), checked_add),
            Instr::SubLI(s, k) => arith!(local!(s), int!(k), checked_sub),
            Instr::MulLI(s, k) => arith!(local!(s), int!(k), checked_mul),
            Instr::AddLL(a, b) => arith!(local!(a), local!(b), checked_add),
            Instr::SubLL(a, b) => arith!(local!(a), local!(b), checked_sub),
            Instr::MulLL(a, b) => arith!(local!(a), local!(b), checked_mul),
            Instr::Add => arith_top!(checked_add),
            Instr::Sub => arith_top!(checked_sub),
            Instr::Mul => arith_top!(checked_mul),
            Instr::Inc => match room[sp - 1] {
                Value::Int(x) if let Some(z) = x.checked_add(1) => room[sp - 1] = Value::Int(z),
                _ => leave!(),
            },
            Instr::Dec => match room[sp - 1] {
                Value::Int(x) if let Some(z) = x.checked_sub(1) => room[sp - 1] = Value::Int(z),
                _ => leave!(),
            },
            Instr::Not => room[sp - 1] = Value::Bool(!room[sp - 1].truthy()),
            Instr::LtLI(s, k) => compare!(local!(s), int!(k), Ordering::is_lt, 0),
            Instr::LeLI(s, k) => compare!(local!(s), int!(k), Ordering::is_le, 0),
            Instr::GtLI(s, k) => compare!(local!(s), int!(k), Ordering::is_gt, 0),
            Instr::GeLI(s, k) => compare!(local!(s), int!(k), Ordering::is_ge, 0),
            Instr::NumEqLI(s, k) => compare!(local!(s), int!(k), Ordering::is_eq, 0),
            Instr::LtLL(a, b) => compare!(local!(a), local!(b), Ordering::is_lt, 0),
            Instr::LeLL(a, b) => compare!(local!(a), local!(b), Ordering::is_le, 0),
            Instr::GtLL(a, b) => compare!(local!(a), local!(b), Ordering::is_gt, 0),
            Instr::GeLL(a, b) => compare!(local!(a), local!(b), Ordering::is_ge, 0),
            Instr::NumEqLL(a, b) => compare!(local!(a), local!(b), Ordering::is_eq, 0),
            Instr::Lt => compare_top!(Ordering::is_lt),
            Instr::Le => compare_top!(Ordering::is_le),
            Instr::Gt => compare_top!(Ordering::is_gt),
            Instr::Ge => compare_top!(Ordering::is_ge),
            Instr::NumEq => compare_top!(Ordering::is_eq),
            Instr::First | Instr::Rest | Instr::IsEmpty => {
                let v = match room[sp - 1] {
                    Value::Obj(r) => match ctx.heap.get(r) {
                        Object::Pair { head, tail, .. } => match *instr {
                            Instr::First => *head,
                            Instr::Rest => tail.value(),
                            _ => Value::Bool(false),
                        },
                        _ => leave!(),
                    },
                    Value::EmptyList if *instr == Instr::IsEmpty => Value::Bool(true),
                    _ => leave!(),
                };
                room[sp - 1] = v;
            }
            Instr::Call(argc) => {
                let argc = argc as usize;
                let callee_at = sp - argc - 1;
                let callee = room[callee_at];
                let Some((func, function)) =
                    simple_callee(program, ctx, frames.len(), callee, argc)
                else {
                    leave!()
                };
                let new_base = callee_at + 1;
                let top = new_base + usize::from(function.slots).max(argc);
                if top > room.len() {
                    leave!()
                }
                safepoint!();
                if let Some(caller) = frames.last_mut() {
                    caller.pc = pc as u32;
                }
                // The callee's slots past its arguments start as nil.
                room[sp..top].fill(Value::Nil);
                sp = top;
                frames.push(Frame {
                    func,
                    pc: 0,
                    base: new_base as u32,
                    closure: callee,
                });
                code = &function.code;
                pc = 0;
                base = new_base;
            }
            Instr::TailCall(argc) => {
                let argc = argc as usize;
                let callee_at = sp - argc - 1;
                let callee = room[callee_at];
                // A tail call adds no frame: no depth to check.
                let Some((func, function)) = simple_callee(program, ctx, 0, callee, argc) else {
                    leave!()
                };
                let end = base + usize::from(function.slots).max(argc);
                if end > room.len() || frames.is_empty() {
                    leave!()
                }
                safepoint!();
                let top = frames.last_mut().expect("a frame to take over");
                // The callee and its arguments move down over the running frame's.
                room.copy_within(callee_at..sp, base - 1);
                room[base + argc..end].fill(Value::Nil);
                sp = end;
                *top = Frame {
                    func,
                    pc: 0,
                    base: base as u32,
                    closure: callee,
                };
                code = &function.code;
                pc = 0;
            }
            Instr::CallBuiltin(b, argc) => {
                let linked = table[b as usize];
                let start = sp - argc as usize;
                let args = &room[start..sp];
                // `apply` and `%iterate` are the full loop's, as are arity errors, and a call
                // of no arguments on a full stack (its result needs a place).
                if linked.is_apply
                    || linked.is_iterate
                    || !linked.accepts(args)
                    || start == room.len()
                {
                    leave!()
                }
                let result = invoke(linked, ctx, program, args);
                sp = start;
                match result {
                    Ok(v) => {
                        push!(v);
                        if ctx.heap.over_limit() || ctx.steps > ctx.budget {
                            stop!(Stop::Check)
                        }
                    }
                    Err(Flow::Error(e)) => stop!(Stop::Raise(e)),
                    Err(Flow::Request(r)) => stop!(Stop::Suspend(r)),
                }
            }
            Instr::Cons => {
                let Some(list) = ctx.heap.cons_onto(room[sp - 2], room[sp - 1]) else {
                    leave!()
                };
                sp -= 1;
                room[sp - 1] = list.value();
            }
            Instr::Return => ret!(room[sp - 1]),
            Instr::ReturnLocal(s) => ret!(local!(s)),
            _ => leave!(),
        }
    }
}
