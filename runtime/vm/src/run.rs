//! The interpreter loop. Registers (function, pc, frame base) live in locals and are written
//! back to the frame whenever control may leave the loop or the frame.

mod fast;

use std::cmp::Ordering;

use duet_lang::ir::{Function, Instr, Program};

use super::{Ctx, Cx, Fiber, Flow, Frame, Handler, Request, RuntimeError, Step, TraceFrame, Vm};
use crate::builtins::numbers::{self, add2, mul2, sub2};
use crate::builtins::{self, Linked};
use crate::equal;
use crate::print;
use crate::value::{ListTail, Object, Value};

/// Bytes a builtin allocates (or scans) for each step it is charged.
pub(crate) const BYTES_PER_STEP: usize = 16;

/// Runs `fid` for at most `limit` instructions.
pub(super) fn run(vm: &mut Vm, fid: usize, limit: u64) -> Step {
    let program = vm.program.clone();
    let table = vm.builtins.clone();
    let mut fiber = std::mem::take(&mut vm.machine.fibers[fid]);
    let step = Interp {
        program: &program,
        table: &table,
        ctx: &mut vm.machine.ctx,
        others: &vm.machine.fibers,
        fiber: &mut fiber,
        again: false,
        fast_loop: vm.fast_loop,
    }
    .run_with(limit);
    vm.machine.fibers[fid] = fiber;
    step
}

/// Performs the call set up on top of `fid`'s stack by [`Vm::call`].
pub(super) fn enter_call(vm: &mut Vm, fid: usize, argc: usize) -> Option<Step> {
    let program = vm.program.clone();
    let table = vm.builtins.clone();
    let mut fiber = std::mem::take(&mut vm.machine.fibers[fid]);
    let mut interp = Interp {
        program: &program,
        table: &table,
        ctx: &mut vm.machine.ctx,
        others: &vm.machine.fibers,
        fiber: &mut fiber,
        again: false,
        fast_loop: vm.fast_loop,
    };
    let step = match interp.call(argc, false) {
        Ok(Entered::Frame) => None,
        Ok(Entered::Value) => {
            let v = interp.fiber.stack.pop().unwrap_or(Value::Nil);
            Some(Step::Done(v))
        }
        Err(Flow::Request(r)) => {
            interp.fiber.pending = Some(r.clone());
            Some(Step::Request(r))
        }
        Err(Flow::Error(e)) => Some(Step::Error(interp.uncaught(e, None))),
    };
    vm.machine.fibers[fid] = fiber;
    step
}

/// How a call went.
enum Entered {
    /// A new frame was pushed: continue in it.
    Frame,
    /// The callee was a builtin; its result replaced the callee and arguments.
    Value,
}

struct Interp<'a> {
    program: &'a Program,
    table: &'a [Linked],
    ctx: &'a mut Ctx,
    others: &'a [Fiber],
    fiber: &'a mut Fiber,
    /// Set by `%iterate` when the `CallBuiltin` that ran it must run again, with the value
    /// the fiber is resumed with (or the call returns) as its last argument.
    again: bool,
    /// Whether the fast loop runs (`Vm::set_fast_loop`).
    fast_loop: bool,
}

macro_rules! pop {
    ($stack:expr) => {
        $stack
            .pop()
            .expect("operand stack underflow: a compiler bug")
    };
}

impl<'a> Interp<'a> {
    fn cx(&mut self) -> Cx<'_> {
        Cx {
            ctx: self.ctx,
            program: self.program,
        }
    }

    /// Runs without counting instructions when there is no limit, the common case.
    fn run_with(&mut self, limit: u64) -> Step {
        if limit == u64::MAX {
            self.run::<false>(limit)
        } else {
            self.run::<true>(limit)
        }
    }

    fn run<const LIMITED: bool>(&mut self, mut limit: u64) -> Step {
        if self.fiber.frames.is_empty() {
            return Step::Done(self.fiber.stack.pop().unwrap_or(Value::Nil));
        }
        if let Some(error) = self.fiber.aborting.take() {
            return Step::Error(self.uncaught(error, None));
        }
        if let Some(error) = self.fiber.raising.take()
            && let Some(step) = self.unwind(error)
        {
            return step;
        }
        let program: &'a Program = self.program;
        let frame = *self.fiber.frames.last().expect("a frame to continue in");
        let mut code: &[Instr] = &program.functions[frame.func as usize].code;
        let mut pc = frame.pc as usize;
        let mut base = frame.base as usize;
        // The operand stack's top, and the room above it that pushes write to
        // (`runtime/vm/src/stack.rs`). The stack learns the top (`sync!`) before anything
        // else looks at it, and the loop takes both again (`resync!`) after anything else
        // could have changed it; the borrow checker sees to it that `room` is taken again
        // after every call that could move it.
        let mut sp = self.fiber.stack.len();
        let mut room: &mut [Value] = self.fiber.stack.room();

        macro_rules! sync {
            () => {
                self.fiber.stack.set_top(sp)
            };
        }
        macro_rules! resync {
            () => {{
                sp = self.fiber.stack.len();
                room = self.fiber.stack.room();
            }};
        }
        macro_rules! push {
            ($value:expr) => {{
                let value: Value = $value;
                if sp == room.len() {
                    sync!();
                    self.fiber.stack.grow(sp + 1);
                    room = self.fiber.stack.room();
                }
                room[sp] = value;
                sp += 1;
            }};
        }
        macro_rules! pop {
            () => {{
                sp -= 1;
                room[sp]
            }};
        }
        // The top `$n` values, taken off the stack.
        macro_rules! take {
            ($n:expr) => {{
                let from = sp - $n as usize;
                let values = room[from..sp].to_vec();
                sp = from;
                values
            }};
        }
        // The value in a slot of the running frame.
        macro_rules! local {
            ($slot:expr) => {
                room[base + $slot as usize]
            };
        }
        macro_rules! cx {
            () => {
                Cx {
                    ctx: self.ctx,
                    program,
                }
            };
        }
        macro_rules! save {
            () => {
                if let Some(f) = self.fiber.frames.last_mut() {
                    f.pc = pc as u32;
                }
            };
        }
        // Continues in the frame on top, with the stack as it is now.
        macro_rules! reload {
            () => {{
                let f = *self.fiber.frames.last().expect("a frame to continue in");
                code = &program.functions[f.func as usize].code;
                pc = f.pc as usize;
                base = f.base as usize;
                resync!();
            }};
        }
        macro_rules! raise {
            ($value:expr) => {{
                let value = $value;
                save!();
                sync!();
                match self.unwind(value) {
                    Some(step) => return step,
                    None => {
                        reload!();
                        continue;
                    }
                }
            }};
        }
        macro_rules! check {
            ($result:expr) => {
                match $result {
                    Ok(v) => v,
                    Err(Flow::Error(e)) => raise!(e),
                    Err(Flow::Request(_)) => unreachable!("only effect builtins request"),
                }
            };
        }
        // Collects garbage, with the loop's view of the stack among the roots.
        macro_rules! collect_here {
            () => {
                collect(
                    self.ctx,
                    self.others,
                    &room[..sp],
                    &self.fiber.frames,
                    self.fiber.pending.as_ref(),
                )
            };
        }
        macro_rules! safepoint {
            () => {{
                self.ctx.steps += 1;
                if self.ctx.steps > self.ctx.budget {
                    save!();
                    sync!();
                    return self.out_of_budget();
                }
                if self.ctx.heap.wants_collection() {
                    collect_here!();
                    if self.ctx.heap.live_over_limit() {
                        raise!(self.ctx.out_of_memory())
                    }
                }
            }};
        }
        macro_rules! suspend {
            ($request:expr) => {{
                let request = $request;
                save!();
                sync!();
                self.fiber.pending = Some(request.clone());
                return Step::Request(request);
            }};
        }
        // What a call made outside the loop (with the stack told its top) came to.
        macro_rules! entered {
            ($result:expr) => {
                match $result {
                    Ok(Entered::Frame) => reload!(),
                    Ok(Entered::Value) => {
                        resync!();
                        // Stop if the work the builtin charged spent the budget.
                        if self.ctx.steps > self.ctx.budget {
                            save!();
                            return self.out_of_budget();
                        }
                    }
                    Err(Flow::Error(e)) => {
                        sp = self.fiber.stack.len();
                        raise!(e)
                    }
                    Err(Flow::Request(r)) => {
                        sp = self.fiber.stack.len();
                        suspend!(r)
                    }
                }
            };
        }
        // Returns from the running frame with `$result`.
        macro_rules! return_with {
            ($result:expr) => {{
                let result: Value = $result;
                let frame = self.fiber.frames.pop().expect("a frame to return from");
                sp = frame.base as usize - 1;
                if self.fiber.frames.len() as u32 <= self.fiber.stop_at {
                    sync!();
                    return Step::Done(result);
                }
                // The callee's slot, below where the result was: no room to make.
                room[sp] = result;
                sp += 1;
                let f = *self.fiber.frames.last().expect("a frame to continue in");
                code = &program.functions[f.func as usize].code;
                pc = f.pc as usize;
                base = f.base as usize;
            }};
        }
        macro_rules! binary {
            ($f:expr) => {{
                let b = pop!();
                let a = pop!();
                let v = check!($f(&mut cx!(), a, b));
                push!(v);
            }};
        }
        macro_rules! compare {
            ($op:literal, $test:expr) => {{
                let b = pop!();
                let a = pop!();
                compare_fused!(a, b, $op, $test)
            }};
        }
        // `+`, `-` or `*` of two values (two locals or a local and a constant, fused by the
        // compiler; `inc`/`dec` of a popped value), in general: the fast loop (`fast.rs`)
        // takes integers.
        macro_rules! arith_fused {
            ($a:expr, $b:expr, $general:path) => {{
                let (a, b): (Value, Value) = ($a, $b);
                push!(check!($general(&mut cx!(), a, b)));
            }};
        }
        // A comparison of two values (popped, or two locals or a local and a constant, fused
        // by the compiler).
        macro_rules! compare_fused {
            ($a:expr, $b:expr, $op:literal, $test:expr) => {{
                let (a, b): (Value, Value) = ($a, $b);
                let result = check!(numbers::compare2(&mut cx!(), $op, a, b)).is_some_and($test);
                branch_on!(result);
            }};
        }
        // A constant operand of a fused instruction.
        macro_rules! int {
            ($k:expr) => {
                Value::Int(i64::from($k))
            };
        }

        // Pushes a test's result, or, when a `JumpIfFalse` follows, takes that branch at once
        // (one dispatch and no push or pop). Under an instruction limit it counts as the two
        // instructions it is, and only when both fit, so a run still pauses between them.
        macro_rules! branch_on {
            ($result:expr) => {{
                let result: bool = $result;
                match code.get(pc) {
                    Some(&Instr::JumpIfFalse(t)) if !LIMITED || limit > 0 => {
                        if LIMITED {
                            limit -= 1;
                        }
                        pc = if result { pc + 1 } else { t as usize };
                    }
                    _ => push!(Value::Bool(result)),
                }
            }};
        }

        loop {
            // The common instructions on the common values, in the fast loop; it stops at
            // the first it leaves to this one.
            if self.fast_loop {
                let mut at = fast::Registers { code, pc, base, sp };
                let stop = fast::run::<LIMITED>(
                    &mut at,
                    fast::Machine {
                        room: &mut *room,
                        frames: &mut self.fiber.frames,
                        ctx: &mut *self.ctx,
                        program,
                        table: self.table,
                        stop_at: self.fiber.stop_at,
                    },
                    &mut limit,
                );
                fast::Registers { code, pc, base, sp } = at;
                match stop {
                    fast::Stop::Leave => {}
                    fast::Stop::Raise(error) => raise!(error),
                    fast::Stop::Suspend(request) => suspend!(request),
                    fast::Stop::Check => {
                        // What the full loop checks after its own builtin calls.
                        if self.ctx.heap.over_limit() {
                            collect_here!();
                            if self.ctx.heap.live_over_limit() {
                                sp -= 1;
                                raise!(self.ctx.out_of_memory());
                            }
                        }
                        if self.ctx.steps > self.ctx.budget {
                            save!();
                            sync!();
                            return self.out_of_budget();
                        }
                        continue;
                    }
                }
            }
            if LIMITED {
                if limit == 0 {
                    save!();
                    sync!();
                    return Step::Paused;
                }
                limit -= 1;
            }
            let instr = &code[pc];
            pc += 1;
            match *instr {
                Instr::Nil => push!(Value::Nil),
                Instr::True => push!(Value::Bool(true)),
                Instr::False => push!(Value::Bool(false)),
                Instr::Int(i) => push!(Value::Int(i as i64)),
                Instr::Const(c) => push!(self.ctx.constants[c as usize]),
                Instr::Local(s) => push!(local!(s)),
                Instr::SetLocal(s) => local!(s) = pop!(),
                Instr::CellLocal(s) => push!(cell_get(self.ctx, local!(s))),
                Instr::SetCellLocal(s) => {
                    let v = pop!();
                    cell_set(self.ctx, local!(s), v);
                }
                Instr::MakeCell(s) => {
                    let v = local!(s);
                    local!(s) = self.ctx.heap.alloc(Object::Cell(v));
                }
                Instr::Capture(i) => push!(capture(self.ctx, &self.fiber.frames, i)),
                Instr::CellCapture(i) => {
                    let cell = capture(self.ctx, &self.fiber.frames, i);
                    push!(cell_get(self.ctx, cell));
                }
                Instr::SetCellCapture(i) => {
                    let v = pop!();
                    let cell = capture(self.ctx, &self.fiber.frames, i);
                    cell_set(self.ctx, cell, v);
                }
                Instr::CurrentClosure => {
                    push!(self.fiber.frames.last().map_or(Value::Nil, |f| f.closure))
                }
                Instr::Global(g) => match self.ctx.globals[g as usize] {
                    Some(v) => push!(v),
                    None => {
                        let name = program.globals[g as usize].clone();
                        raise!(self.ctx.error_value(
                            "unbound",
                            format!("`{name}` is not defined yet"),
                            Value::Nil
                        ))
                    }
                },
                Instr::SetGlobal(g) => {
                    let v = pop!();
                    if self.ctx.globals[g as usize].is_none() {
                        let name = program.globals[g as usize].clone();
                        raise!(self.ctx.error_value(
                            "unbound",
                            format!("cannot `set!` `{name}` before it is defined"),
                            Value::Nil
                        ))
                    }
                    self.ctx.globals[g as usize] = Some(v);
                }
                Instr::DefGlobal(g) => {
                    let v = pop!();
                    self.ctx.globals[g as usize] = Some(v);
                }
                Instr::Builtin(b) => push!(Value::Builtin(b)),
                Instr::Pop => sp -= 1,
                Instr::Dup => push!(room[sp - 1]),
                Instr::Jump(t) => {
                    if (t as usize) < pc {
                        safepoint!();
                    }
                    pc = t as usize;
                }
                Instr::JumpIfFalse(t) => {
                    if !pop!().truthy() {
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
                Instr::Call(argc) => {
                    save!();
                    safepoint!();
                    sync!();
                    entered!(self.call(argc as usize, false))
                }
                Instr::TailCall(argc) => {
                    save!();
                    safepoint!();
                    let argc = argc as usize;
                    sync!();
                    match self.call(argc, true) {
                        Ok(Entered::Value) => {
                            // A builtin in tail position: return its value now.
                            resync!();
                            if self.ctx.steps > self.ctx.budget {
                                save!();
                                return self.out_of_budget();
                            }
                            return_with!(room[sp - 1]);
                        }
                        result => entered!(result),
                    }
                }
                Instr::CallBuiltin(b, argc) => {
                    let start = sp - argc as usize;
                    save!();
                    let iterate = self.table[b as usize].is_iterate;
                    if iterate {
                        // Each element of a `map`, `filter` or `reduce` comes back here: a
                        // safepoint, as the loop it replaces had one per element.
                        safepoint!();
                    }
                    sync!();
                    let result = if iterate {
                        self.iterate(start)
                    } else {
                        self.call_builtin(b, start)
                    };
                    if std::mem::take(&mut self.again) {
                        // Run this instruction again when the call returns or the fiber resumes.
                        pc -= 1;
                        let n = self.fiber.frames.len();
                        let caller = match result {
                            Ok(Entered::Frame) => n.checked_sub(2),
                            _ => n.checked_sub(1),
                        };
                        if let Some(f) = caller.and_then(|i| self.fiber.frames.get_mut(i)) {
                            f.pc = pc as u32;
                        }
                    }
                    entered!(result)
                }
                Instr::Return => return_with!(room[sp - 1]),
                Instr::ReturnLocal(s) => return_with!(local!(s)),
                Instr::Closure(f) => {
                    let function = &program.functions[f as usize];
                    let mut captures = Vec::with_capacity(function.captures.len());
                    for from in &function.captures {
                        captures.push(match *from {
                            duet_lang::ir::CaptureFrom::Local(s) => local!(s),
                            duet_lang::ir::CaptureFrom::Capture(i) => {
                                capture(self.ctx, &self.fiber.frames, i)
                            }
                        });
                    }
                    push!(self.ctx.heap.alloc(Object::Closure { func: f, captures }));
                }
                Instr::Add => binary!(add2),
                Instr::Sub => binary!(sub2),
                Instr::AddLI(s, k) => arith_fused!(local!(s), int!(k), add2),
                Instr::SubLI(s, k) => arith_fused!(local!(s), int!(k), sub2),
                Instr::MulLI(s, k) => arith_fused!(local!(s), int!(k), mul2),
                Instr::AddLL(a, b) => arith_fused!(local!(a), local!(b), add2),
                Instr::SubLL(a, b) => arith_fused!(local!(a), local!(b), sub2),
                Instr::MulLL(a, b) => arith_fused!(local!(a), local!(b), mul2),
                Instr::LtLI(s, k) => compare_fused!(local!(s), int!(k), "<", Ordering::is_lt),
                Instr::LeLI(s, k) => compare_fused!(local!(s), int!(k), "<=", Ordering::is_le),
                Instr::GtLI(s, k) => compare_fused!(local!(s), int!(k), ">", Ordering::is_gt),
                Instr::GeLI(s, k) => compare_fused!(local!(s), int!(k), ">=", Ordering::is_ge),
                Instr::NumEqLI(s, k) => compare_fused!(local!(s), int!(k), "==", Ordering::is_eq),
                Instr::LtLL(a, b) => compare_fused!(local!(a), local!(b), "<", Ordering::is_lt),
                Instr::LeLL(a, b) => compare_fused!(local!(a), local!(b), "<=", Ordering::is_le),
                Instr::GtLL(a, b) => compare_fused!(local!(a), local!(b), ">", Ordering::is_gt),
                Instr::GeLL(a, b) => compare_fused!(local!(a), local!(b), ">=", Ordering::is_ge),
                Instr::NumEqLL(a, b) => compare_fused!(local!(a), local!(b), "==", Ordering::is_eq),
                Instr::Mul => binary!(mul2),
                Instr::Lt => compare!("<", Ordering::is_lt),
                Instr::Le => compare!("<=", Ordering::is_le),
                Instr::Gt => compare!(">", Ordering::is_gt),
                Instr::Ge => compare!(">=", Ordering::is_ge),
                Instr::NumEq => compare!("==", Ordering::is_eq),
                Instr::Eq => {
                    let b = pop!();
                    let a = pop!();
                    let same = if a == b && !matches!(a, Value::Float(_)) {
                        true
                    } else {
                        let (same, work) = equal::equal_counted(self.ctx, a, b);
                        self.ctx.charge(work);
                        same
                    };
                    branch_on!(same);
                }
                Instr::First | Instr::Rest | Instr::IsEmpty => {
                    // In general: the fast loop takes list cells and `()`.
                    let f = match *instr {
                        Instr::First => builtins::collections::first,
                        Instr::Rest => builtins::collections::rest,
                        _ => builtins::collections::is_empty,
                    };
                    room[sp - 1] = check!(f(&mut cx!(), &[room[sp - 1]]));
                }
                Instr::Cons => {
                    let tail = pop!();
                    let head = pop!();
                    push!(check!(builtins::collections::cons(
                        &mut cx!(),
                        &[head, tail]
                    )));
                }
                Instr::Inc => {
                    let a = pop!();
                    arith_fused!(a, Value::Int(1), add2)
                }
                Instr::Dec => {
                    let a = pop!();
                    arith_fused!(a, Value::Int(1), sub2)
                }
                Instr::Not => {
                    let a = pop!();
                    push!(Value::Bool(!a.truthy()));
                }
                Instr::Record(n) => {
                    let fields = take!(n);
                    let label = pop!();
                    let Value::Sym(label) = label else {
                        raise!(check!(Err::<Value, Flow>(builtins::type_error(
                            &mut cx!(),
                            "record",
                            "a symbol as the label",
                            label
                        ))))
                    };
                    push!(self.ctx.heap.alloc(Object::Record { label, fields }));
                }
                Instr::Match(p, nargs) => {
                    let from = sp - nargs as usize;
                    let subject = room[from - 1];
                    let mut binds = Vec::new();
                    let ok = super::matches(
                        self.ctx,
                        &program.patterns[p as usize],
                        &room[from..sp],
                        subject,
                        &mut binds,
                    );
                    sp = from - 1;
                    if ok {
                        for (slot, v) in binds {
                            local!(slot) = v;
                        }
                    }
                    push!(Value::Bool(ok));
                }
                Instr::Bind(p) => {
                    let v = pop!();
                    let mut binds = Vec::new();
                    super::bind(self.ctx, &program.patterns[p as usize], v, &mut binds);
                    for (slot, v) in binds {
                        local!(slot) = v;
                    }
                }
                Instr::PushHandler(t) => {
                    let handler = Handler {
                        frames: self.fiber.frames.len() as u32,
                        stack: sp as u32,
                        pc: t,
                    };
                    self.fiber.handlers.push(handler);
                }
                Instr::PopHandler => {
                    self.fiber.handlers.pop();
                }
                Instr::Throw => raise!(pop!()),
                Instr::Await(p, nargs, has_timeout) => {
                    let timeout = if has_timeout { Some(pop!()) } else { None };
                    let args = take!(nargs);
                    suspend!(Request::Await {
                        pattern: p,
                        args,
                        timeout
                    })
                }
                Instr::Concurrent(kind, n) => {
                    let thunks = take!(n);
                    suspend!(Request::Concurrent { kind, thunks })
                }
                Instr::Handler(event, p, nargs) => {
                    let args = take!(nargs);
                    let handler = pop!();
                    suspend!(Request::Handler {
                        event,
                        pattern: p,
                        args,
                        handler
                    })
                }
                Instr::Goto(state) => suspend!(Request::Goto(state)),
                Instr::Terminal(status, has_result) => {
                    let result = if has_result { pop!() } else { Value::Nil };
                    suspend!(Request::Terminal { status, result })
                }
            }
        }
    }

    /// The common call, for `%iterate`: pushes a frame for the callee at `callee_at` when
    /// [`simple_callee`] takes it, and gives its function.
    fn enter_simple(&mut self, callee_at: usize, argc: usize) -> Option<&'a Function> {
        let callee = self.fiber.stack[callee_at];
        let program: &'a Program = self.program;
        let (func, function) =
            simple_callee(program, self.ctx, self.fiber.frames.len(), callee, argc)?;
        let base = callee_at + 1;
        if usize::from(function.slots) > argc {
            self.fiber
                .stack
                .resize(base + function.slots as usize, Value::Nil);
        }
        self.fiber.frames.push(Frame {
            func,
            pc: 0,
            base: base as u32,
            closure: callee,
        });
        Some(function)
    }

    /// Calls the value below the top `argc` values.
    #[inline(never)]
    fn call(&mut self, argc: usize, tail: bool) -> Result<Entered, Flow> {
        let callee_at = self.fiber.stack.len() - argc - 1;
        let callee = self.fiber.stack[callee_at];
        match callee {
            Value::Obj(r) => {
                if let Object::Closure { func, .. } = self.ctx.heap.get(r) {
                    let func = *func;
                    return self.enter(func, callee, callee_at, argc, tail);
                }
            }
            Value::Builtin(b) => {
                // Drop the builtin value: a builtin call leaves only its result.
                self.fiber.stack.remove(callee_at);
                return self.call_builtin(b, callee_at);
            }
            Value::Kw(_) if argc == 1 || argc == 2 => {
                // `(:key map default?)` looks the keyword up.
                let mut args = vec![self.fiber.stack[callee_at + 1], callee];
                args.extend(self.fiber.stack.get(callee_at + 2).copied());
                let v = builtins::collections::get(&mut self.cx(), &args)?;
                self.fiber.stack.truncate(callee_at);
                self.fiber.stack.push(v);
                return Ok(Entered::Value);
            }
            _ => {}
        }
        let shown = builtins::short(&self.cx(), callee);
        let kind = builtins::type_name(&self.cx(), callee);
        Err(self
            .ctx
            .error("type", format!("{kind} {shown} is not a function")))
    }

    /// Pushes a frame for closure `func` whose callee and arguments start at `callee_at`.
    #[inline]
    fn enter(
        &mut self,
        func: u32,
        closure: Value,
        callee_at: usize,
        argc: usize,
        tail: bool,
    ) -> Result<Entered, Flow> {
        let function = &self.program.functions[func as usize];
        let params = function.params as usize;
        if argc < params || (argc > params && !function.rest) {
            let expected =
                duet_lang::builtins::arity_text(params, (!function.rest).then_some(params));
            let name = function.name.clone();
            return Err(self
                .ctx
                .error("arity", format!("`{name}` takes {expected}, got {argc}")));
        }
        if function.rest {
            let extra = self.fiber.stack.split_off(callee_at + 1 + params);
            let rest = self.ctx.list(extra.into_iter());
            self.fiber.stack.push(rest);
        }
        let slots = function.slots as usize;
        let mut base = callee_at + 1;
        if tail && let Some(top) = self.fiber.frames.last() {
            // Move the callee and its arguments down over the running frame.
            let old = top.base as usize - 1;
            let filled = self.fiber.stack.len() - callee_at;
            self.fiber.stack.copy_within(callee_at.., old);
            self.fiber.stack.truncate(old + filled);
            base = old + 1;
            self.fiber.frames.pop();
        }
        let filled = self.fiber.stack.len() - base;
        self.fiber
            .stack
            .resize(base + slots.max(filled), Value::Nil);
        if self.fiber.frames.len() >= self.ctx.max_frames {
            let max = self.ctx.max_frames;
            return Err(self.ctx.error(
                "stack",
                format!(
                    "too many nested calls (more than {max}); is a recursion missing its base case?"
                ),
            ));
        }
        self.fiber.frames.push(Frame {
            func,
            pc: 0,
            base: base as u32,
            closure,
        });
        Ok(Entered::Frame)
    }

    /// Calls builtin `b` with the arguments from `start` to the top of the stack, which it
    /// replaces with its result (or, for `apply` of a closure, with a new frame).
    fn call_builtin(&mut self, b: u16, start: usize) -> Result<Entered, Flow> {
        let linked = self.table[b as usize];
        if linked.is_apply {
            return self.apply(start);
        }
        if !linked.accepts(&self.fiber.stack[start..]) {
            let (name, expected, argc) = (
                linked.spec.name,
                linked.spec.expected(),
                self.fiber.stack.len() - start,
            );
            self.fiber.stack.truncate(start);
            return Err(self
                .ctx
                .error("arity", format!("`{name}` takes {expected}, got {argc}")));
        }
        let result = invoke(linked, self.ctx, self.program, &self.fiber.stack[start..]);
        self.fiber.stack.truncate(start);
        let v = result?;
        self.fiber.stack.push(v);
        if self.ctx.heap.over_limit() {
            self.collect();
            if self.ctx.heap.live_over_limit() {
                self.fiber.stack.pop();
                return Err(Flow::Error(self.ctx.out_of_memory()));
            }
        }
        Ok(Entered::Value)
    }

    /// `(%iterate kind f list acc waiting result)` with its arguments starting at `start`:
    /// `map` (kind `:map`), `filter` (`:filter`) or `reduce` (`:fold`) of `f` over `list`.
    /// Elements go by without a VM loop around them; calling `f` is an ordinary call: a
    /// builtin's result is used at once, while a closure gets a frame (or a builtin suspends
    /// the fiber), and the loop's state goes back on the stack as the arguments of this same
    /// instruction, which runs again with `f`'s value as `result` and `waiting` true. So the
    /// state is data at every instruction boundary, and the step budget, the depth limit, the
    /// collector and requests all see each call of `f`.
    fn iterate(&mut self, start: usize) -> Result<Entered, Flow> {
        let args = &self.fiber.stack[start..];
        let [kind_value, f, mut list, mut acc, waiting, result] = args[..] else {
            return Err(self.ctx.error(
                "arity",
                "`%iterate` takes 6 arguments (it is internal to the prelude)",
            ));
        };
        // Coming back from a call of `f`, `waiting` says which kind this is (older snapshots
        // have `true` there: the kind's name is read then, as on the first entry).
        let kind = match waiting {
            Value::Int(code) if let Some(kind) = Iterate::from_code(code) => kind,
            _ => match kind_value {
                Value::Kw(k) => match self.ctx.symbols.name(k) {
                    "map" => Iterate::Map,
                    "filter" => Iterate::Filter,
                    "fold" => Iterate::Fold,
                    _ => return Err(bad_kind(self.ctx)),
                },
                _ => return Err(bad_kind(self.ctx)),
            },
        };
        let mut result = waiting.truthy().then_some(result);
        if result.is_none()
            && let Value::Builtin(b) = f
            && !self.table[b as usize].is_apply
            && !self.table[b as usize].is_iterate
        {
            return self.iterate_builtin(start, kind, b, list, acc);
        }
        loop {
            let (head, tail) = pair_parts(self.ctx, list);
            if let Some(y) = result.take() {
                // `f` gave `y` for `head`.
                acc = kind.take(self.ctx, head, y, acc);
                list = tail;
                continue;
            }
            self.ctx.charge(1);
            if !matches!(list, Value::Obj(_)) {
                self.fiber.stack.truncate(start);
                self.fiber.stack.push(kind.finish(self.ctx, acc));
                return Ok(Entered::Value);
            }
            // The state, as the arguments this instruction runs again with (`f` in the
            // place of `result`, as the callee), then the call.
            let stack = &mut self.fiber.stack;
            stack.truncate(start + 2);
            stack.extend_from_slice(&[list, acc, Value::Int(kind.code()), f]);
            if kind == Iterate::Fold {
                stack.push(acc);
            }
            stack.push(head);
            let argc = if kind == Iterate::Fold { 2 } else { 1 };
            if self.enter_simple(start + 5, argc).is_some() {
                self.again = true;
                return Ok(Entered::Frame);
            }
            match self.call(argc, false) {
                Ok(Entered::Value) => result = Some(pop!(self.fiber.stack)),
                Ok(Entered::Frame) => {
                    self.again = true;
                    return Ok(Entered::Frame);
                }
                Err(Flow::Request(r)) => {
                    self.again = true;
                    return Err(Flow::Request(r));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `%iterate` of builtin `b`: each element's call goes straight to the builtin, with the
    /// loop's state in locals. It is written back to the instruction's argument slots only
    /// where something could look at it: before a collection (when the memory limit asks
    /// for one) and when the builtin suspends the fiber (`(map println xs)`), which then
    /// waits as a closure's call would.
    fn iterate_builtin(
        &mut self,
        start: usize,
        kind: Iterate,
        b: u16,
        mut list: Value,
        mut acc: Value,
    ) -> Result<Entered, Flow> {
        let linked = self.table[b as usize];
        loop {
            self.ctx.charge(1);
            let (head, tail) = pair_parts(self.ctx, list);
            if !matches!(list, Value::Obj(_)) {
                self.fiber.stack.truncate(start);
                self.fiber.stack.push(kind.finish(self.ctx, acc));
                return Ok(Entered::Value);
            }
            let args = [acc, head];
            let args = if kind == Iterate::Fold {
                &args[..]
            } else {
                &args[1..]
            };
            if !linked.accepts(args) {
                let (name, expected) = (linked.spec.name, linked.spec.expected());
                let argc = args.len();
                return Err(self
                    .ctx
                    .error("arity", format!("`{name}` takes {expected}, got {argc}")));
            }
            match invoke(linked, self.ctx, self.program, args) {
                Ok(y) => {
                    acc = kind.take(self.ctx, head, y, acc);
                    list = tail;
                }
                Err(Flow::Request(r)) => {
                    // Wait as a closure's call would: the state, then the answer.
                    let stack = &mut self.fiber.stack;
                    stack.truncate(start + 2);
                    stack.extend_from_slice(&[list, acc, Value::Int(kind.code())]);
                    self.again = true;
                    return Err(Flow::Request(r));
                }
                Err(e) => return Err(e),
            }
            if self.ctx.heap.over_limit() {
                self.fiber.stack[start + 2..start + 4].copy_from_slice(&[list, acc]);
                self.collect();
                if self.ctx.heap.live_over_limit() {
                    return Err(Flow::Error(self.ctx.out_of_memory()));
                }
            }
        }
    }

    /// `(apply f args… coll)` with its arguments starting at `start`: spreads the last one
    /// and calls `f`.
    fn apply(&mut self, start: usize) -> Result<Entered, Flow> {
        let args = self.fiber.stack.split_off(start);
        let Some((&coll, fixed)) = args.get(1..).and_then(<[Value]>::split_last) else {
            return Err(self
                .ctx
                .error("arity", "`apply` takes a function and a collection"));
        };
        let spread = builtins::collections::elements(&mut self.cx(), "apply", coll)?;
        self.fiber.stack.push(args[0]);
        self.fiber.stack.extend_from_slice(fixed);
        self.fiber.stack.extend(spread);
        let argc = self.fiber.stack.len() - start - 1;
        self.call(argc, false)
    }

    /// Unwinds to the innermost handler; `Some` when there is none in this host call.
    fn unwind(&mut self, value: Value) -> Option<Step> {
        let stop_at = self.fiber.stop_at;
        match self.fiber.handlers.last().copied() {
            Some(h) if h.frames > stop_at => {
                self.fiber.handlers.pop();
                self.fiber.frames.truncate(h.frames as usize);
                self.fiber.stack.truncate(h.stack as usize);
                self.fiber.stack.push(value);
                if let Some(f) = self.fiber.frames.last_mut() {
                    f.pc = h.pc;
                }
                None
            }
            _ => Some(Step::Error(self.uncaught(value, None))),
        }
    }

    /// Builds the report of an uncaught error and unwinds the host call.
    fn uncaught(&mut self, value: Value, kind: Option<&str>) -> RuntimeError {
        let backtrace = self
            .fiber
            .frames
            .iter()
            .rev()
            .map(|f| {
                let function = &self.program.functions[f.func as usize];
                // A frame waiting in `%iterate` is at that instruction, not past it.
                let at = match function.code.get(f.pc as usize) {
                    Some(Instr::CallBuiltin(b, _)) if self.table[*b as usize].is_iterate => {
                        f.pc as usize
                    }
                    _ => (f.pc as usize).saturating_sub(1),
                };
                TraceFrame {
                    function: function.name.clone(),
                    span: function.spans.get(at).copied().unwrap_or_default(),
                }
            })
            .collect();
        let (found_kind, message) = describe_error(self.ctx, self.program, value);
        let stop_at = self.fiber.stop_at as usize;
        let keep_handlers = self
            .fiber
            .handlers
            .iter()
            .take_while(|h| (h.frames as usize) <= stop_at)
            .count();
        self.fiber.handlers.truncate(keep_handlers);
        if let Some(f) = self.fiber.frames.get(stop_at) {
            self.fiber.stack.truncate(f.base as usize - 1);
        }
        self.fiber.frames.truncate(stop_at);
        RuntimeError {
            value,
            kind: kind.map_or(found_kind, str::to_string),
            message,
            backtrace,
        }
    }

    fn out_of_budget(&mut self) -> Step {
        let budget = self.ctx.budget;
        let value = self.ctx.error_value(
            "budget",
            format!("the program ran more than {budget} steps and was stopped; an infinite loop? (raise the limit with --max-steps)"),
            Value::Nil,
        );
        Step::Error(self.uncaught(value, Some("budget")))
    }

    /// Collects garbage, with every fiber's values and the shared state as roots.
    fn collect(&mut self) {
        let fiber = &*self.fiber;
        collect(
            self.ctx,
            self.others,
            &fiber.stack,
            &fiber.frames,
            fiber.pending.as_ref(),
        );
    }
}

/// Collects garbage, with the shared state, the other fibers and the running one (its
/// stack, frames and request given apart, as the interpreter loop holds its stack) as roots.
fn collect(
    ctx: &mut Ctx,
    others: &[Fiber],
    stack: &[Value],
    frames: &[Frame],
    pending: Option<&Request>,
) {
    let mut roots = roots(ctx, others.iter());
    fiber_roots(stack, frames, pending, &mut roots);
    ctx.heap.collect(roots);
}

/// What a collection keeps: the shared state's values and every fiber's.
pub(super) fn roots<'f>(ctx: &Ctx, fibers: impl Iterator<Item = &'f Fiber>) -> Vec<Value> {
    let mut roots: Vec<Value> = Vec::new();
    roots.extend(ctx.globals.iter().flatten());
    roots.extend(&ctx.constants);
    roots.extend(&ctx.pinned);
    for fiber in fibers {
        fiber_roots(
            &fiber.stack,
            &fiber.frames,
            fiber.pending.as_ref(),
            &mut roots,
        );
    }
    roots
}

/// A fiber's values: its stack, the closures its frames run and what its request holds.
fn fiber_roots(stack: &[Value], frames: &[Frame], pending: Option<&Request>, out: &mut Vec<Value>) {
    out.extend(stack);
    out.extend(frames.iter().map(|f| f.closure));
    if let Some(request) = pending {
        request_values(request, out);
    }
}

/// Calls builtin `linked` with `args`, charging what it allocated to the step budget: one
/// step per value-sized piece (no collection runs inside a builtin, so the count only grew).
#[inline]
fn invoke(linked: Linked, ctx: &mut Ctx, program: &Program, args: &[Value]) -> Result<Value, Flow> {
    let before = ctx.heap.allocated_bytes();
    let result = (linked.f)(&mut Cx { ctx, program }, args);
    let allocated = ctx.heap.allocated_bytes().saturating_sub(before);
    ctx.charge((allocated / BYTES_PER_STEP) as u64);
    result
}

/// The function a call of `callee` with `argc` values runs on the fast path: a closure
/// taking exactly `argc` parameters (no rest parameter), when `depth` frames leave room for
/// one more (a tail call, which adds none, passes 0). `None` for anything else:
/// [`Interp::call`] then does what it needs (and raises what is wrong).
#[inline(always)]
fn simple_callee<'p>(
    program: &'p Program,
    ctx: &Ctx,
    depth: usize,
    callee: Value,
    argc: usize,
) -> Option<(u32, &'p Function)> {
    let Value::Obj(r) = callee else {
        return None;
    };
    let Object::Closure { func, .. } = ctx.heap.get(r) else {
        return None;
    };
    let function = &program.functions[*func as usize];
    (usize::from(function.params) == argc && !function.rest && depth < ctx.max_frames)
        .then_some((*func, function))
}

/// The value the running closure captured at `i` (nil outside a closure).
fn capture(ctx: &Ctx, frames: &[Frame], i: u16) -> Value {
    let closure = frames.last().map_or(Value::Nil, |f| f.closure);
    match closure {
        Value::Obj(r) => match ctx.heap.get(r) {
            Object::Closure { captures, .. } => captures[i as usize],
            _ => Value::Nil,
        },
        _ => Value::Nil,
    }
}

/// What `%iterate` does with `f`'s values.
#[derive(Clone, Copy, PartialEq)]
enum Iterate {
    Map,
    Filter,
    Fold,
}

impl Iterate {
    /// The number `%iterate` keeps in its `waiting` argument while `f` runs, so that coming
    /// back it need not read the kind's name again.
    fn code(self) -> i64 {
        match self {
            Iterate::Map => 0,
            Iterate::Filter => 1,
            Iterate::Fold => 2,
        }
    }

    fn from_code(code: i64) -> Option<Iterate> {
        match code {
            0 => Some(Iterate::Map),
            1 => Some(Iterate::Filter),
            2 => Some(Iterate::Fold),
            _ => None,
        }
    }

    /// The accumulator after `f` gave `y` for `head`.
    #[inline]
    fn take(self, ctx: &mut Ctx, head: Value, y: Value, acc: Value) -> Value {
        match self {
            Iterate::Map => cons(ctx, y, acc),
            Iterate::Filter if y.truthy() => cons(ctx, head, acc),
            Iterate::Filter => acc,
            Iterate::Fold => y,
        }
    }

    /// The result, once the list is walked.
    fn finish(self, ctx: &mut Ctx, acc: Value) -> Value {
        match self {
            Iterate::Fold => acc,
            Iterate::Map | Iterate::Filter => reverse_in_place(ctx, acc),
        }
    }
}

/// A list's first element and the rest (nil and `()` for anything but a pair).
#[inline]
fn pair_parts(ctx: &Ctx, list: Value) -> (Value, Value) {
    match list {
        Value::Obj(r) => match ctx.heap.get(r) {
            Object::Pair { head, tail, .. } => (*head, tail.value()),
            _ => (Value::Nil, Value::EmptyList),
        },
        _ => (Value::Nil, Value::EmptyList),
    }
}

fn bad_kind(ctx: &mut Ctx) -> Flow {
    ctx.error("value", "`%iterate` kind must be :map, :filter or :fold")
}

fn cons(ctx: &mut Ctx, head: Value, tail: Value) -> Value {
    // The accumulator is a list (the prelude starts it from `()`); anything else reads as `()`.
    let list = ctx.heap.cons_onto(head, tail);
    list.unwrap_or_else(|| ctx.heap.cons(head, ListTail::EMPTY))
        .value()
}

/// Reverses a list that only `%iterate` refers to (the pairs it consed for `map` or
/// `filter`; the prelude starts them from `()` and programs cannot call `%iterate`) by
/// turning its pairs around instead of copying them, charging a step per element as
/// `reverse` does.
fn reverse_in_place(ctx: &mut Ctx, list: Value) -> Value {
    let mut done = ListTail::EMPTY;
    let mut len = 0;
    let mut rest = list;
    while let Value::Obj(r) = rest
        && let Object::Pair { tail, len: n, .. } = ctx.heap.get_mut(r)
    {
        len += 1;
        rest = std::mem::replace(tail, done).value();
        *n = len;
        done = ListTail::cell(r);
    }
    ctx.charge(u64::from(len));
    done.value()
}

fn cell_get(ctx: &Ctx, cell: Value) -> Value {
    match cell {
        Value::Obj(r) => match ctx.heap.get(r) {
            Object::Cell(v) => *v,
            _ => cell,
        },
        _ => cell,
    }
}

fn cell_set(ctx: &mut Ctx, cell: Value, v: Value) {
    if let Value::Obj(r) = cell
        && let Object::Cell(slot) = ctx.heap.get_mut(r)
    {
        *slot = v;
    }
}

/// The values a request holds, which must survive a collection.
pub fn request_values(request: &Request, out: &mut Vec<Value>) {
    match request {
        Request::Print(_) | Request::Log(_) | Request::Goto(_) => {}
        Request::Effect { args, .. } => out.extend(args),
        Request::Await { args, timeout, .. } => {
            out.extend(args);
            out.extend(timeout);
        }
        Request::Concurrent { thunks, .. } => out.extend(thunks),
        Request::Handler { args, handler, .. } => {
            out.extend(args);
            out.push(*handler);
        }
        Request::Terminal { result, .. } => out.push(*result),
    }
}

/// The kind and message of a thrown value: an error record's, or `thrown` and its form.
pub fn describe_error(ctx: &Ctx, program: &Program, value: Value) -> (String, String) {
    if let Value::Obj(r) = value
        && let Object::Record { label, fields } = ctx.heap.get(r)
        && ctx.symbols.name(*label) == "error"
        && let [Value::Kw(kind), message, ..] = fields.as_slice()
    {
        let message = print::display(ctx, program, *message);
        return (ctx.symbols.name(*kind).to_string(), message);
    }
    (
        "thrown".into(),
        format!("uncaught value {}", print::repr(ctx, program, value)),
    )
}
