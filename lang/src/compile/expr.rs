//! Expressions to instructions. Every expression leaves exactly one value on the stack
//! (a tail call leaves the frame instead).

use super::builder::FnBuilder;
use super::{Compiler, LISP_BUILTINS, RecurTarget};
use crate::core::{Event, Expr, ExprKind, Lambda, LocalId, Status};
use crate::ir::{self, CaptureFrom, Concurrent, Constant, Instr};
use crate::syntax::datum::{Datum, DatumKind};

impl Compiler {
    /// Compiles `e`; `tail` when its value is the value of the enclosing function.
    pub(super) fn expr(&mut self, e: &Expr, tail: bool) {
        let previous = self.at(e.span);
        self.expr_kind(e, tail);
        self.top().span = previous;
    }

    fn expr_kind(&mut self, e: &Expr, tail: bool) {
        match &e.kind {
            ExprKind::Const(d) => self.datum(d),
            ExprKind::Local(id) => self.load_local(*id),
            ExprKind::Global(name) => {
                let g = self.global(name);
                self.emit(Instr::Global(g));
            }
            ExprKind::Builtin(name) => self.builtin_value(name),
            ExprKind::Role(i) => {
                let g = self.global(&super::role_global(*i));
                self.emit(Instr::Global(g));
            }
            ExprKind::WorkflowVar(i) => {
                let g = self.global(&super::var_global(*i));
                self.emit(Instr::Global(g));
            }
            ExprKind::SetLocal(id, value) => {
                self.expr(value, false);
                self.emit(Instr::Dup);
                self.store_local(*id);
            }
            ExprKind::SetGlobal(name, value) => {
                self.expr(value, false);
                self.emit(Instr::Dup);
                let g = self.global(name);
                self.emit(Instr::SetGlobal(g));
            }
            ExprKind::SetWorkflowVar(i, value) => {
                self.expr(value, false);
                self.emit(Instr::Dup);
                let g = self.global(&super::var_global(*i));
                self.emit(Instr::SetGlobal(g));
            }
            ExprKind::Def(name, value) => {
                self.expr(value, false);
                self.emit(Instr::Dup);
                let g = self.global(name);
                self.emit(Instr::DefGlobal(g));
            }
            ExprKind::If(c, t, otherwise) => {
                self.expr(c, false);
                let to_else = self.top().emit_forward(Instr::JumpIfFalse);
                self.expr(t, tail);
                // In tail position the branch returns at once instead of jumping to a
                // `Return` after the `if`.
                let to_end = if tail {
                    self.emit(Instr::Return);
                    None
                } else {
                    Some(self.top().emit_forward(Instr::Jump))
                };
                self.top().patch(to_else);
                match otherwise {
                    Some(o) => self.expr(o, tail),
                    None => self.emit(Instr::Nil),
                }
                if let Some(to_end) = to_end {
                    self.top().patch(to_end);
                }
            }
            ExprKind::And(items) | ExprKind::Or(items) => {
                let and = matches!(e.kind, ExprKind::And(_));
                if items.is_empty() {
                    self.emit(if and { Instr::True } else { Instr::Nil });
                    return;
                }
                let mut exits = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let last = i + 1 == items.len();
                    self.expr(item, tail && last);
                    if !last {
                        let jump = if and {
                            Instr::JumpIfFalseKeep
                        } else {
                            Instr::JumpIfTrueKeep
                        };
                        exits.push(self.top().emit_forward(jump));
                    }
                }
                for exit in exits {
                    self.top().patch(exit);
                }
            }
            ExprKind::Do(body) => self.body(body, tail),
            ExprKind::Let(bindings, body) => {
                self.bindings(bindings);
                self.body(body, tail);
            }
            ExprKind::Loop(bindings, body) => {
                self.bindings(bindings);
                let start = self.top().label();
                self.recur.push(RecurTarget {
                    slots: bindings.iter().map(|(id, _)| *id).collect(),
                    start,
                });
                self.body(body, tail);
                self.recur.pop();
            }
            ExprKind::Recur(args) => {
                for a in args {
                    self.expr(a, false);
                }
                let Some(target) = self.recur.last().cloned() else {
                    self.throw_message("recur outside a loop or function");
                    return;
                };
                for id in target.slots.iter().rev() {
                    let slot = self.top().slot(*id);
                    self.emit(Instr::SetLocal(slot));
                    if self.boxed.contains(id) {
                        self.emit(Instr::MakeCell(slot));
                    }
                }
                self.emit(Instr::Jump(target.start));
            }
            ExprKind::Fn(lambda) => self.lambda(lambda),
            ExprKind::Call(callee, args) => self.call(callee, args, tail),
            ExprKind::Match(subject, arms) => {
                self.expr(subject, false);
                let tmp = self.top().fresh_slot();
                self.emit(Instr::SetLocal(tmp));
                let mut ends = Vec::new();
                for (pattern, body) in arms {
                    self.emit(Instr::Local(tmp));
                    let (pid, values) = self.pattern(pattern);
                    for v in &values {
                        self.expr(v, false);
                    }
                    let n = self.top().count16(values.len(), "pattern values");
                    self.emit(Instr::Match(pid, n));
                    let next = self.top().emit_forward(Instr::JumpIfFalse);
                    self.box_pattern_binds(pattern);
                    self.body(body, tail);
                    if tail {
                        self.emit(Instr::Return);
                    } else {
                        ends.push(self.top().emit_forward(Instr::Jump));
                    }
                    self.top().patch(next);
                }
                self.emit(Instr::Nil);
                for end in ends {
                    self.top().patch(end);
                }
            }
            ExprKind::Try {
                body,
                catch,
                finally,
            } => self.try_form(body, catch.as_ref(), finally.as_deref()),
            ExprKind::Record(label, fields) => {
                self.expr(label, false);
                for f in fields {
                    self.expr(f, false);
                }
                let n = self.top().count16(fields.len(), "record fields");
                self.emit(Instr::Record(n));
            }
            ExprKind::Await { pattern, timeout } => {
                let (pid, values) = self.pattern(pattern);
                for v in &values {
                    self.expr(v, false);
                }
                if let Some(t) = timeout {
                    self.expr(t, false);
                }
                let n = self.top().count16(values.len(), "pattern values");
                self.emit(Instr::Await(pid, n, timeout.is_some()));
                self.emit(Instr::Dup);
                self.emit(Instr::Bind(pid));
                self.box_pattern_binds(pattern);
            }
            ExprKind::Poll {
                expr,
                every,
                timeout,
            } => self.poll(expr, every, timeout.as_deref()),
            ExprKind::On(event, pattern, body) => {
                let name = match event {
                    Event::Asserted => "on-asserted",
                    Event::Retracted => "on-retracted",
                    Event::Message => "on-message",
                };
                self.stack.push(FnBuilder::new(name.into()));
                let saved = std::mem::take(&mut self.recur);
                let value = self.top().fresh_slot();
                self.top().function.params = 1;
                let (pid, values) = self.pattern(pattern);
                self.emit(Instr::Local(value));
                self.emit(Instr::Bind(pid));
                self.box_pattern_binds(pattern);
                self.body(body, true);
                self.emit(Instr::Return);
                self.recur = saved;
                let builder = self.stack.pop().expect("the handler's builder");
                let fid = self.finish(builder);
                self.emit(Instr::Closure(fid));
                for v in &values {
                    self.expr(v, false);
                }
                let event = match event {
                    Event::Asserted => ir::Event::Asserted,
                    Event::Retracted => ir::Event::Retracted,
                    Event::Message => ir::Event::Message,
                };
                let n = self.top().count16(values.len(), "pattern values");
                self.emit(Instr::Handler(event, pid, n));
            }
            ExprKind::Spawn(body) => {
                self.thunk("spawn", |c| c.body(body, true));
                self.emit(Instr::Concurrent(Concurrent::Spawn, 1));
            }
            ExprKind::Parallel(items) | ExprKind::Race(items) => {
                let (kind, name) = match e.kind {
                    ExprKind::Parallel(_) => (Concurrent::Parallel, "parallel"),
                    _ => (Concurrent::Race, "race"),
                };
                for item in items {
                    self.thunk(name, |c| c.expr(item, true));
                }
                let n = self.top().count16(items.len(), "branches");
                self.emit(Instr::Concurrent(kind, n));
            }
            ExprKind::Goto(state) => {
                let state = self.top().count16(*state, "states");
                self.emit(Instr::Goto(state));
            }
            ExprKind::Terminal(status, result) => {
                if let Some(r) = result {
                    self.expr(r, false);
                }
                let status = match status {
                    Status::Completed => ir::Terminal::Completed,
                    Status::Failed => ir::Terminal::Failed,
                    Status::Cancelled => ir::Terminal::Cancelled,
                };
                self.emit(Instr::Terminal(status, result.is_some()));
            }
            ExprKind::Unexpanded(name, _) => {
                self.throw_message(&format!(
                    "macro `{name}` was not expanded: no macro evaluator was available"
                ));
            }
        }
    }

    /// `(poll expr :every d :timeout t?)` as a loop: evaluate `expr`; if truthy, that is the
    /// value; past the deadline, nil; otherwise `(sleep d)` and try again. `now` and `sleep`
    /// are effects, so a workflow run journals every check and every wait.
    fn poll(&mut self, expr: &Expr, every: &Expr, timeout: Option<&Expr>) {
        let (every_slot, deadline, value) = (
            self.top().fresh_slot(),
            self.top().fresh_slot(),
            self.top().fresh_slot(),
        );
        let (now, sleep, millis) = (
            self.builtin("now"),
            self.builtin("sleep"),
            self.builtin("%duration-ms"),
        );
        self.expr(every, false);
        self.emit(Instr::SetLocal(every_slot));
        match timeout {
            Some(t) => {
                self.emit(Instr::CallBuiltin(now, 0));
                self.expr(t, false);
                self.emit(Instr::CallBuiltin(millis, 1));
                self.emit(Instr::Add);
            }
            None => self.emit(Instr::Nil),
        }
        self.emit(Instr::SetLocal(deadline));
        let start = self.top().label();
        self.expr(expr, false);
        self.emit(Instr::SetLocal(value));
        self.emit(Instr::Local(value));
        let to_retry = self.top().emit_forward(Instr::JumpIfFalse);
        self.emit(Instr::Local(value));
        let done = self.top().emit_forward(Instr::Jump);
        self.top().patch(to_retry);
        self.emit(Instr::Local(deadline));
        let no_deadline = self.top().emit_forward(Instr::JumpIfFalse);
        self.emit(Instr::CallBuiltin(now, 0));
        self.emit(Instr::Local(deadline));
        self.emit(Instr::Ge);
        let not_yet = self.top().emit_forward(Instr::JumpIfFalse);
        self.emit(Instr::Nil);
        let timed_out = self.top().emit_forward(Instr::Jump);
        self.top().patch(no_deadline);
        self.top().patch(not_yet);
        // With a deadline, the sleep never goes past it: `(sleep-until (min (+ (now) every)
        // deadline))`.
        self.emit(Instr::Local(deadline));
        let plain_sleep = self.top().emit_forward(Instr::JumpIfFalse);
        let (min, sleep_until) = (self.builtin("min"), self.builtin("sleep-until"));
        self.emit(Instr::CallBuiltin(now, 0));
        self.emit(Instr::Local(every_slot));
        self.emit(Instr::CallBuiltin(millis, 1));
        self.emit(Instr::Add);
        self.emit(Instr::Local(deadline));
        self.emit(Instr::CallBuiltin(min, 2));
        self.emit(Instr::CallBuiltin(sleep_until, 1));
        self.emit(Instr::Pop);
        self.emit(Instr::Jump(start));
        self.top().patch(plain_sleep);
        self.emit(Instr::Local(every_slot));
        self.emit(Instr::CallBuiltin(sleep, 1));
        self.emit(Instr::Pop);
        self.emit(Instr::Jump(start));
        self.top().patch(done);
        self.top().patch(timed_out);
    }

    /// Emits code that raises a plain string: for programs the checker would have rejected.
    fn throw_message(&mut self, message: &str) {
        let c = self.constant(Constant::Str(message.to_string()));
        self.emit(Instr::Const(c));
        self.emit(Instr::Throw);
    }

    /// Pushes a literal.
    pub(super) fn datum(&mut self, d: &Datum) {
        match &d.kind {
            DatumKind::Nil | DatumKind::Error => self.emit(Instr::Nil),
            DatumKind::Bool(true) => self.emit(Instr::True),
            DatumKind::Bool(false) => self.emit(Instr::False),
            DatumKind::Int(i) if i32::try_from(*i).is_ok() => self.emit(Instr::Int(*i as i32)),
            _ => {
                let c = self.constant(constant(d));
                self.emit(Instr::Const(c));
            }
        }
    }

    fn builtin_value(&mut self, name: &str) {
        if let Some((_, global)) = LISP_BUILTINS.iter().find(|(b, _)| *b == name) {
            let g = self.global(global);
            self.emit(Instr::Global(g));
        } else {
            let b = self.builtin(name);
            self.emit(Instr::Builtin(b));
        }
    }

    pub(super) fn load_local(&mut self, id: LocalId) {
        let boxed = self.boxed.contains(&id);
        let instr = match (self.top().locate(id), boxed) {
            (CaptureFrom::Local(s), false) => Instr::Local(s),
            (CaptureFrom::Local(s), true) => Instr::CellLocal(s),
            (CaptureFrom::Capture(c), false) => Instr::Capture(c),
            (CaptureFrom::Capture(c), true) => Instr::CellCapture(c),
        };
        self.emit(instr);
    }

    fn store_local(&mut self, id: LocalId) {
        let boxed = self.boxed.contains(&id);
        let instr = match (self.top().locate(id), boxed) {
            (CaptureFrom::Local(s), false) => Instr::SetLocal(s),
            (CaptureFrom::Local(s), true) => Instr::SetCellLocal(s),
            (CaptureFrom::Capture(c), _) => Instr::SetCellCapture(c),
        };
        self.emit(instr);
    }

    fn bindings(&mut self, bindings: &[(LocalId, Expr)]) {
        for (id, value) in bindings {
            self.expr(value, false);
            let slot = self.top().slot(*id);
            self.emit(Instr::SetLocal(slot));
            if self.boxed.contains(id) {
                self.emit(Instr::MakeCell(slot));
            }
        }
    }

    fn call(&mut self, callee: &Expr, args: &[Expr], tail: bool) {
        if let ExprKind::Builtin(name) = callee.kind {
            let op = match (name, args.len()) {
                ("+", 2) => Some(Instr::Add),
                ("-", 2) => Some(Instr::Sub),
                ("*", 2) => Some(Instr::Mul),
                ("<", 2) => Some(Instr::Lt),
                ("<=", 2) => Some(Instr::Le),
                (">", 2) => Some(Instr::Gt),
                (">=", 2) => Some(Instr::Ge),
                ("==", 2) => Some(Instr::NumEq),
                ("=", 2) => Some(Instr::Eq),
                ("inc", 1) => Some(Instr::Inc),
                ("first", 1) => Some(Instr::First),
                ("rest", 1) => Some(Instr::Rest),
                ("cons", 2) => Some(Instr::Cons),
                ("empty?", 1) => Some(Instr::IsEmpty),
                ("dec", 1) => Some(Instr::Dec),
                ("not", 1) => Some(Instr::Not),
                _ => None,
            };
            let lisp = LISP_BUILTINS.iter().any(|(b, _)| *b == name);
            if !lisp && args.len() <= u8::MAX as usize {
                for a in args {
                    self.expr(a, false);
                }
                match op {
                    Some(op) => self.emit(op),
                    None => {
                        let b = self.builtin(name);
                        self.emit(Instr::CallBuiltin(b, args.len() as u8));
                    }
                }
                return;
            }
        }
        if args.len() > u8::MAX as usize {
            // Past 255 arguments, pass them as a list through `apply`.
            let apply = self.builtin("apply");
            self.expr(callee, false);
            self.argument_list(args);
            self.emit(Instr::CallBuiltin(apply, 2));
            return;
        }
        self.expr(callee, false);
        for a in args {
            self.expr(a, false);
        }
        let argc = args.len() as u8;
        // A call of a builtin written in Duet (`map`, `reduce`, …) keeps the caller's frame,
        // even in tail position: an error inside it then shows where the program called it,
        // not only the prelude. Those builtins never call back in tail position, so no loop
        // written as recursion goes through them and nothing grows without bound.
        let into_prelude = matches!(callee.kind, ExprKind::Builtin(name)
            if LISP_BUILTINS.iter().any(|(b, _)| *b == name));
        self.emit(if tail && !into_prelude {
            Instr::TailCall(argc)
        } else {
            Instr::Call(argc)
        });
    }

    /// Leaves one list of the values of `args`, evaluated in order, however many there are:
    /// up to 255 with one `list` call, more as the `concat` of up to 255 such lists (nested
    /// as often as needed), so each value is copied a few times at most, never once per
    /// 255 arguments.
    fn argument_list(&mut self, args: &[Expr]) {
        const MAX: usize = u8::MAX as usize;
        if args.len() <= MAX {
            for a in args {
                self.expr(a, false);
            }
            let list = self.builtin("list");
            self.emit(Instr::CallBuiltin(list, args.len() as u8));
            return;
        }
        let parts = args.chunks(args.len().div_ceil(MAX));
        let count = parts.len();
        for part in parts {
            self.argument_list(part);
        }
        let concat = self.builtin("concat");
        self.emit(Instr::CallBuiltin(concat, count as u8));
    }

    /// A function literal: compiles its body into a new function and makes a closure.
    fn lambda(&mut self, lambda: &Lambda) {
        let name = lambda.name.clone().unwrap_or_else(|| "fn".into());
        self.stack.push(FnBuilder::new(name));
        let saved = std::mem::take(&mut self.recur);
        let mut slots = Vec::new();
        for id in lambda.params.iter().chain(&lambda.rest) {
            self.top().slot(*id);
            slots.push(*id);
        }
        let params = self.top().count16(lambda.params.len(), "parameters");
        self.top().function.params = params;
        self.top().function.rest = lambda.rest.is_some();
        for id in &slots {
            if self.boxed.contains(id) {
                let slot = self.top().slot(*id);
                self.emit(Instr::MakeCell(slot));
            }
        }
        if let Some(own) = lambda.self_local {
            let slot = self.top().slot(own);
            self.emit(Instr::CurrentClosure);
            self.emit(Instr::SetLocal(slot));
            if self.boxed.contains(&own) {
                self.emit(Instr::MakeCell(slot));
            }
        }
        let start = self.top().label();
        self.recur.push(RecurTarget { slots, start });
        self.body(&lambda.body, true);
        self.emit(Instr::Return);
        self.recur = saved;
        let builder = self.stack.pop().expect("the lambda's builder");
        let fid = self.finish(builder);
        self.emit(Instr::Closure(fid));
    }

    /// A closure of no arguments around `body`, for the concurrency forms and `poll`.
    fn thunk(&mut self, name: &str, body: impl FnOnce(&mut Self)) {
        self.stack.push(FnBuilder::new(name.into()));
        let saved = std::mem::take(&mut self.recur);
        body(self);
        self.emit(Instr::Return);
        self.recur = saved;
        let builder = self.stack.pop().expect("the thunk's builder");
        let fid = self.finish(builder);
        self.emit(Instr::Closure(fid));
    }

    /// Adds a finished function to the program; its captures are located in the function
    /// now on top of the stack, which creates the closure.
    fn finish(&mut self, mut builder: FnBuilder) -> u32 {
        builder.function.captures = builder
            .captured
            .iter()
            .map(|&id| self.top().locate(id))
            .collect();
        self.add_function(builder)
    }

    fn try_form(
        &mut self,
        body: &[Expr],
        catch: Option<&(LocalId, Vec<Expr>)>,
        finally: Option<&[Expr]>,
    ) {
        let to_catch = self.top().emit_forward(Instr::PushHandler);
        self.body(body, false);
        self.emit(Instr::PopHandler);
        let mut to_finally = vec![self.top().emit_forward(Instr::Jump)];
        self.top().patch(to_catch);
        // The thrown value is on the stack.
        match catch {
            Some((id, handler)) => {
                let slot = self.top().slot(*id);
                self.emit(Instr::SetLocal(slot));
                if self.boxed.contains(id) {
                    self.emit(Instr::MakeCell(slot));
                }
                // Protect the handler only now that the thrown value is off the stack, so
                // an error in the handler unwinds to the height the handler started at.
                let to_rethrow = finally.map(|_| self.top().emit_forward(Instr::PushHandler));
                self.body(handler, false);
                if let Some(to_rethrow) = to_rethrow {
                    self.emit(Instr::PopHandler);
                    to_finally.push(self.top().emit_forward(Instr::Jump));
                    self.top().patch(to_rethrow);
                    self.rethrow_after(finally.unwrap_or_default());
                }
            }
            None => self.rethrow_after(finally.unwrap_or_default()),
        }
        for jump in to_finally {
            self.top().patch(jump);
        }
        if let Some(finally) = finally {
            self.body(finally, false);
            self.emit(Instr::Pop);
        }
    }

    /// With the thrown value on the stack: runs `finally` and raises the value again.
    fn rethrow_after(&mut self, finally: &[Expr]) {
        let tmp = self.top().fresh_slot();
        self.emit(Instr::SetLocal(tmp));
        self.body(finally, false);
        self.emit(Instr::Pop);
        self.emit(Instr::Local(tmp));
        self.emit(Instr::Throw);
    }
}

/// The constant for a literal datum.
pub(super) fn constant(d: &Datum) -> Constant {
    match &d.kind {
        DatumKind::Nil | DatumKind::Error => Constant::Nil,
        DatumKind::Bool(b) => Constant::Bool(*b),
        DatumKind::Int(i) => Constant::Int(*i),
        DatumKind::Float(f) => Constant::Float(*f),
        DatumKind::Str(s) => Constant::Str(s.clone()),
        DatumKind::Keyword(k) => Constant::Keyword(k.clone()),
        DatumKind::Symbol(s) => Constant::Symbol(s.clone()),
        DatumKind::List(items) => Constant::List(items.iter().map(constant).collect()),
        DatumKind::Vector(items) => Constant::Vector(items.iter().map(constant).collect()),
        DatumKind::Map(pairs) => Constant::Map(
            pairs
                .iter()
                .map(|(k, v)| (constant(k), constant(v)))
                .collect(),
        ),
    }
}
