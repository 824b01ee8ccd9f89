//! The scheduler: runs the workflow's fibers, one at a time, until each waits or the
//! workflow ends, and dispatches what they ask for: what completes within the turn
//! (`immediate`), and what makes the fiber wait, changes the state or starts other fibers
//! (`request`).

use std::collections::VecDeque;

use duet_lang::ir::Concurrent;
use duet_sam::{Term, Turn};
use duet_vm::value::Value;
use duet_vm::{EffectOp, Request, RuntimeError, Step};

use super::lifecycle::TracePoint;
use super::output::Output;
use super::{WorkflowEntity, attempts};
use crate::workflow::convert::to_term;

/// Fibers ready to run, each with what it continues with: a value, an error to raise, or
/// nothing (it starts, or goes on where it paused).
pub(super) type Runnable = VecDeque<(usize, Option<Result<Value, Value>>)>;

/// What the scheduler does after a fiber's step.
pub(super) enum Next {
    /// Continue the same fiber, with this value or error.
    Continue(Option<Result<Value, Value>>),
    /// The fiber waits (or is done); run the next runnable one.
    Wait,
    /// The state changed: only the main fiber runs now.
    Restart,
    /// The workflow ended.
    Stop,
}

impl Next {
    /// The fiber waits, or raises the error it could not wait with.
    fn waiting(asked: Result<(), Value>) -> Next {
        match asked {
            Ok(()) => Next::Wait,
            Err(e) => Next::Continue(Some(Err(e))),
        }
    }
}

impl WorkflowEntity {
    /// Runs fibers until every one waits or the workflow ends, starting with `fiber`, which
    /// continues with `resume` (a value, or an error to raise).
    pub(super) fn drive(
        &mut self,
        t: &mut Turn,
        fiber: usize,
        resume: Option<Result<Value, Value>>,
    ) {
        let mut runnable = Runnable::from([(fiber, resume)]);
        while let Some((f, mut resume)) = runnable.pop_front() {
            loop {
                if self.state.ending.is_some() {
                    return;
                }
                match resume.take() {
                    Some(Ok(v)) => self.vm.resume(f, v),
                    Some(Err(e)) => self.vm.resume_with_error(f, e),
                    None => {}
                }
                let step = self.vm.run(f, u64::MAX);
                match self.step(t, f, step, &mut runnable) {
                    Next::Continue(r) => resume = r,
                    Next::Wait => break,
                    Next::Restart => {
                        runnable.clear();
                        runnable.push_back((0, None));
                        break;
                    }
                    Next::Stop => return,
                }
            }
        }
    }

    /// What follows fiber `f`'s `step`.
    fn step(&mut self, t: &mut Turn, f: usize, step: Step, runnable: &mut Runnable) -> Next {
        match step {
            Step::Paused => Next::Continue(None),
            Step::Done(value) => self.returned(t, f, value, runnable),
            Step::Error(e) => self.raised(t, f, e, runnable),
            Step::Request(request) => match self.immediate(t, f, &request) {
                Some(result) => Next::Continue(Some(result)),
                None => self.request(t, f, request, runnable),
            },
        }
    }

    /// Fiber `f` ran to its end with `value`.
    fn returned(&mut self, t: &mut Turn, f: usize, value: Value, runnable: &mut Runnable) -> Next {
        if f == 0 {
            // The state's body ended: fall through to the next state, or complete.
            return self.fall_through(t);
        }
        // A facet lives on with what it asserted, until it is stopped; a handler is done.
        if self.state.facets.body_returned(f) || self.state.handler_fibers.remove(&f) {
            self.reset_fiber(f);
            return Next::Wait;
        }
        let result = to_term(&self.vm.machine.ctx, value).map_err(|why| {
            Term::record(
                "error",
                vec![
                    Term::Keyword("type".into()),
                    Term::Str(why.into()),
                    Term::Nil,
                ],
            )
        });
        self.branch_ended(t, f, result, runnable)
    }

    /// Fiber `f` raised `e` and nothing caught it. In the state's body, a facet's body or a
    /// handler the run fails; a branch's error ends its group.
    fn raised(&mut self, t: &mut Turn, f: usize, e: RuntimeError, runnable: &mut Runnable) -> Next {
        let what = if f == 0 {
            Some("")
        } else if self.state.facets.owns_fiber(f) {
            Some("a `spawn`ed body failed: ")
        } else if self.state.handler_fibers.contains(&f) {
            Some("an `on-…` handler failed: ")
        } else {
            None
        };
        if let Some(what) = what {
            let message = format!(
                "{what}{} [{}] in state `{}`",
                e.message,
                e.kind,
                self.state_name()
            );
            let files = &self.vm.program().files;
            self.state.failure = e
                .backtrace
                .iter()
                .filter_map(|frame| {
                    Some(TracePoint {
                        function: frame.function.clone(),
                        file: files.get(frame.span.file as usize)?.clone(),
                        start: frame.span.start,
                        end: frame.span.end,
                    })
                })
                .collect();
            self.fail(t, message);
            return Next::Stop;
        }
        let error =
            to_term(&self.vm.machine.ctx, e.value).unwrap_or_else(|_| Term::Str(e.message.into()));
        self.branch_ended(t, f, Err(error), runnable)
    }

    /// Runs the init chunk to its end; `Some` with a description when it failed.
    pub(super) fn finish_call(&mut self, t: &mut Turn) -> Option<String> {
        loop {
            match self.vm.run(0, u64::MAX) {
                Step::Done(_) => return None,
                Step::Error(e) => return Some(e.message),
                Step::Paused => {}
                Step::Request(r) => {
                    if let Some(v) = self.immediate(t, 0, &r) {
                        match v {
                            Ok(v) => self.vm.resume(0, v),
                            Err(e) => self.vm.resume_with_error(0, e),
                        }
                    } else {
                        return Some(
                            "the workflow's roles and variables must not wait for anything".into(),
                        );
                    }
                }
            }
        }
    }

    /// Handles requests that complete within the turn; `None` for those that wait.
    fn immediate(
        &mut self,
        t: &mut Turn,
        f: usize,
        request: &Request,
    ) -> Option<Result<Value, Value>> {
        match request {
            Request::Print(text) => {
                self.state.output.push(Output::Print(text.clone()));
                Some(Ok(Value::Nil))
            }
            Request::Log(text) => {
                self.state.output.push(Output::Log(text.clone()));
                Some(Ok(Value::Nil))
            }
            Request::Effect {
                op: op @ (EffectOp::Assert | EffectOp::Send),
                args,
            } => Some(self.publish(t, f, *op, args[0])),
            Request::Effect {
                op: EffectOp::Retract,
                args,
            } => Some(self.retract(t, args[0])),
            Request::Effect {
                op: EffectOp::Conversation,
                args,
            } => Some(self.conversation(args[0])),
            Request::Effect {
                op: EffectOp::Forget,
                args,
            } => Some(self.forget(args[0])),
            _ => None,
        }
    }

    /// Handles a request that does not complete at once.
    fn request(
        &mut self,
        t: &mut Turn,
        f: usize,
        request: Request,
        runnable: &mut Runnable,
    ) -> Next {
        match request {
            Request::Goto(state) => self.goto(t, state as usize),
            Request::Terminal { status, result } => self.terminal(t, status, result),
            Request::Await {
                pattern,
                args,
                timeout,
            } => Next::waiting(self.wait(t, f, pattern, &args, timeout)),
            Request::Effect {
                op: EffectOp::Stop,
                args,
            } => self.stop(t, f, args[0]),
            Request::Effect {
                op: EffectOp::Prompt,
                args,
            } => Next::waiting(self.prompt(t, f, &args)),
            Request::Effect { op, args } if attempts::is_attempt_op(op) => {
                self.attempt_op(f, op, &args)
            }
            Request::Effect { op, args } => Next::waiting(self.external_effect(f, op, &args)),
            Request::Handler {
                event,
                pattern,
                args,
                handler,
            } => Next::Continue(Some(
                self.install_handler(t, f, event, pattern, &args, handler),
            )),
            Request::Concurrent {
                kind: Concurrent::Spawn,
                thunks,
            } => Next::Continue(Some(Ok(self.spawn(f, &thunks, runnable)))),
            Request::Concurrent { kind, thunks } => self.start_group(f, kind, &thunks, runnable),
            other => {
                let what = match other {
                    Request::Handler { .. } => "`on-asserted` handlers",
                    _ => "this request",
                };
                let ctx = &mut self.vm.machine.ctx;
                Next::Continue(Some(Err(ctx.error_value(
                    "effect",
                    format!("{what} is not available in workflow runs yet"),
                    Value::Nil,
                ))))
            }
        }
    }
}
