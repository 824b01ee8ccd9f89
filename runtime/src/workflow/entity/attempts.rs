//! Attempts (LANGUAGE.md §8): `(isolated body…)` runs its body in a private copy of the
//! workspace and returns `<attempt ID VALUE>`; `attempt-value`, `attempt-files`,
//! `attempt-diff` read it and `adopt` applies its changes.
//!
//! Which files an effect acts on is decided here, from the workflow's state alone: a fiber
//! works in the attempt whose body runs on it, or in the attempt of the fiber that started
//! its `parallel`/`race` branch ([`WorkflowEntity::attempt_of`]); every request it makes
//! carries that attempt ([`super::ExternalRequest::attempt`], a prompt's `:attempt`). The
//! host keeps one copy per live attempt ([`WorkflowEntity::live_attempts`]).
//!
//! An attempt goes through these phases, each change a journaled turn:
//!
//! 1. `Starting`: the host is asked ([`Effect::Isolate`]) to make the copy from the last
//!    checkpoint of the files the request acts on (the run's workspace, or the enclosing
//!    attempt's copy); its answer, that checkpoint, is the attempt's base. The body's fiber
//!    is set up but does not run yet.
//! 2. `Running`: the body runs. After each turn that may have changed the copy, the host
//!    records it as a checkpoint (`RunInput::AttemptCheckpoint`), which becomes the
//!    attempt's head: a restored run makes the copy again from it.
//! 3. `Ending`: the body returned; the host records the files a last time and answers with
//!    the paths changed since the base ([`Effect::AttemptEnd`]).
//! 4. `Done`: the fiber that called `isolated` continues with `<attempt ID VALUE>`. A body
//!    that raises ends its attempt without a value: the error is raised where `isolated`
//!    was called, and nothing of it is kept.
//!
//! A fiber that stops (a `race` lost, a `goto`) drops the attempts it waits for, and
//! their bodies stop with them. Spawned facets and `on-…` handlers belong to the state,
//! not to an attempt: they act on the run's workspace.

use std::collections::BTreeMap;
use std::sync::Arc;

use duet_sam::{Term, Turn};
use duet_vm::EffectOp;
use duet_vm::value::Value;
use serde::{Deserialize, Serialize};

use super::WorkflowEntity;
use super::scheduler::{Next, Runnable};
use crate::effects::{ATTEMPT_END_LABEL, Effect};
use crate::workflow::convert::{from_term, to_term};

/// An answer from the host: a value, or a failure's kind and message.
type Answer = Result<Term, (Arc<str>, Arc<str>)>;

/// The failure of an answer that is not what an attempt's request gives.
fn damaged(answer: &Term) -> (Arc<str>, Arc<str>) {
    let message = format!("a damaged answer to an attempt's request: {answer}");
    ("effect".into(), message.into())
}

/// The label of an attempt's value: `<attempt ID VALUE>`.
const ATTEMPT_LABEL: &str = "attempt";

/// An attempt whose private copy of the workspace is still needed, as the host sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAttempt {
    /// The checkpoint its copy started from (none while the copy is being made).
    pub base: Option<String>,
    /// Its newest checkpoint, from which its copy is made again when needed.
    pub head: Option<String>,
}

/// An attempt the workflow started.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Attempt {
    /// The fiber that called `isolated` and waits for the attempt.
    parent: usize,
    /// The checkpoint its copy started from, once made.
    base: Option<String>,
    /// Its newest checkpoint.
    head: Option<String>,
    phase: Phase,
}

/// Where an attempt is in its life.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Phase {
    /// Its copy is being made (host request `request`); its body is set up on `fiber`.
    Starting { request: u64, fiber: usize },
    /// Its body runs on `fiber`.
    Running { fiber: usize },
    /// The body returned `value`; its files are being recorded (host request `request`).
    Ending { request: u64, value: Term },
    /// Finished: the paths it changed since its base (its head is its last checkpoint).
    Done { files: Vec<String> },
}

impl Attempt {
    /// The fiber its body is set up or runs on.
    fn fiber(&self) -> Option<usize> {
        match self.phase {
            Phase::Starting { fiber, .. } | Phase::Running { fiber } => Some(fiber),
            _ => None,
        }
    }

    /// The host request it waits for.
    fn request(&self) -> Option<u64> {
        match self.phase {
            Phase::Starting { request, .. } | Phase::Ending { request, .. } => Some(request),
            _ => None,
        }
    }
}

/// A finished attempt, as the builtins that read it see it.
struct Finished {
    id: u64,
    /// What its body returned.
    value: Term,
    /// The checkpoint it started from.
    base: String,
    /// Its last checkpoint.
    commit: String,
    /// The paths it changed.
    files: Vec<String>,
}

/// Whether `op` is one of the attempts' builtins.
pub(super) fn is_attempt_op(op: EffectOp) -> bool {
    matches!(
        op,
        EffectOp::Isolated
            | EffectOp::AttemptValue
            | EffectOp::AttemptFiles
            | EffectOp::AttemptDiff
            | EffectOp::Adopt
    )
}

impl WorkflowEntity {
    /// The attempt whose copy of the workspace `fiber` works in: the attempt whose body runs
    /// on it, or that of the fiber that started its branch; `None` for the run's workspace.
    pub(super) fn attempt_of(&self, mut fiber: usize) -> Option<u64> {
        loop {
            let running = self
                .state
                .attempts
                .iter()
                .find(|(_, a)| matches!(a.phase, Phase::Running { fiber: f } if f == fiber));
            if let Some((&id, _)) = running {
                return Some(id);
            }
            let (gid, _) = self.state.children.get(&fiber)?;
            fiber = self.state.groups.get(gid)?.parent;
        }
    }

    /// The attempts whose copies are still needed, by id.
    pub fn live_attempts(&self) -> BTreeMap<u64, LiveAttempt> {
        self.state
            .attempts
            .iter()
            .filter(|(_, a)| !matches!(a.phase, Phase::Done { .. }))
            .map(|(&id, a)| {
                let live = LiveAttempt {
                    base: a.base.clone(),
                    head: a.head.clone(),
                };
                (id, live)
            })
            .collect()
    }

    /// One of the attempts' builtins (`is_attempt_op`) on fiber `f`.
    pub(super) fn attempt_op(&mut self, f: usize, op: EffectOp, args: &[Value]) -> Next {
        let arg = args.first().copied().unwrap_or(Value::Nil);
        if op == EffectOp::Isolated {
            return self.isolated(f, arg);
        }
        let Finished {
            id,
            value,
            base,
            commit,
            files,
        } = match self.finished(op, arg) {
            Ok(found) => found,
            Err(e) => return Next::Continue(Some(Err(e))),
        };
        let ctx = &mut self.vm.machine.ctx;
        match op {
            EffectOp::AttemptValue => Next::Continue(Some(Ok(from_term(ctx, &value)))),
            EffectOp::AttemptFiles => {
                let files = files.into_iter().map(|p| ctx.string(p)).collect();
                Next::Continue(Some(Ok(ctx.vector(files))))
            }
            EffectOp::AttemptDiff => {
                self.ask_host(f, Effect::AttemptDiff { base, commit });
                Next::Wait
            }
            _ => {
                let effect = Effect::Adopt {
                    attempt: id,
                    base,
                    commit,
                    files,
                };
                self.ask_host(f, effect);
                Next::Wait
            }
        }
    }

    /// `(isolated body…)` on `fiber`, `thunk` being `(fn [] body…)`: the body is set up on a
    /// fiber of its own, and the host is asked for its copy of the workspace.
    fn isolated(&mut self, fiber: usize, thunk: Value) -> Next {
        let id = self.state.fresh_id();
        let body = self.alloc_fiber();
        // A closure's call is set up and runs nothing yet; anything else is not a body.
        if self.vm.call(body, thunk, &[]).is_some() {
            self.reset_fiber(body);
            let ctx = &mut self.vm.machine.ctx;
            let error = "`%isolated` expects a function of no arguments; write `(isolated body…)`";
            return Next::Continue(Some(Err(ctx.error_value("type", error, Value::Nil))));
        }
        let request = self.ask_host(fiber, Effect::Isolate { attempt: id });
        self.state.attempts.insert(
            id,
            Attempt {
                parent: fiber,
                base: None,
                head: None,
                phase: Phase::Starting {
                    request,
                    fiber: body,
                },
            },
        );
        Next::Wait
    }

    /// The finished attempt `value` is, for builtin `op`; the error to raise when it is
    /// none.
    fn finished(&mut self, op: EffectOp, value: Value) -> Result<Finished, Value> {
        let ctx = &mut self.vm.machine.ctx;
        let term = to_term(ctx, value).unwrap_or(Term::Nil);
        let (id, value) = match term.record_fields(ATTEMPT_LABEL) {
            Some([Term::Int(id), value]) => (*id as u64, value.clone()),
            _ => {
                return Err(ctx.error_value(
                    "type",
                    format!(
                        "`{}` expects an attempt, the value of `isolated`; got {term}",
                        op.name()
                    ),
                    Value::Nil,
                ));
            }
        };
        match self.state.attempts.get(&id) {
            Some(Attempt {
                base: Some(base),
                head: Some(head),
                phase: Phase::Done { files },
                ..
            }) => Ok(Finished {
                id,
                value,
                base: base.clone(),
                commit: head.clone(),
                files: files.clone(),
            }),
            _ => Err(ctx.error_value(
                "type",
                format!(
                    "`{}`: this run has no finished attempt {id}; use the value `isolated` returned",
                    op.name()
                ),
                Value::Nil,
            )),
        }
    }

    /// Whether host request `request` is an attempt's (its copy made, its files recorded).
    pub(super) fn is_attempt_request(&self, request: u64) -> bool {
        self.state
            .attempts
            .values()
            .any(|a| a.request() == Some(request))
    }

    /// An attempt's host request was answered: its body starts, or the fiber that called
    /// `isolated` continues with the attempt; a failure is raised there.
    pub(super) fn attempt_answered(&mut self, t: &mut Turn, request: u64, result: Answer) {
        self.state.external.remove(&request);
        let Some((&id, attempt)) = self
            .state
            .attempts
            .iter_mut()
            .find(|(_, a)| a.request() == Some(request))
        else {
            return;
        };
        let parent = attempt.parent;
        let outcome = match (&attempt.phase, result) {
            (Phase::Starting { fiber, .. }, Ok(Term::Str(base))) => {
                let fiber = *fiber;
                attempt.base = Some(base.to_string());
                attempt.head = Some(base.to_string());
                attempt.phase = Phase::Running { fiber };
                self.drive(t, fiber, None);
                return;
            }
            (Phase::Ending { value, .. }, Ok(end)) => match end.record_fields(ATTEMPT_END_LABEL) {
                Some([Term::Str(commit), files]) => {
                    let value = value.clone();
                    let files = files.as_seq().unwrap_or_default();
                    attempt.head = Some(commit.to_string());
                    attempt.phase = Phase::Done {
                        files: files.iter().map(super::plain).collect(),
                    };
                    Ok(Term::record(
                        ATTEMPT_LABEL,
                        vec![Term::Int(id as i64), value],
                    ))
                }
                _ => Err(damaged(&end)),
            },
            (_, Ok(other)) => Err(damaged(&other)),
            (_, Err(failure)) => Err(failure),
        };
        let resume = match outcome {
            Ok(term) => Ok(from_term(&mut self.vm.machine.ctx, &term)),
            Err((kind, message)) => {
                if let Some(fiber) = self.state.attempts.remove(&id).and_then(|a| a.fiber()) {
                    self.reset_fiber(fiber);
                }
                let ctx = &mut self.vm.machine.ctx;
                Err(ctx.error_value(&kind, message.to_string(), Value::Nil))
            }
        };
        self.drive(t, parent, Some(resume));
    }

    /// The body on `fiber` ended with `result`, if `fiber` runs an attempt's body: its files
    /// are recorded next, or its error is raised where `isolated` was called.
    pub(super) fn attempt_body_ended(
        &mut self,
        fiber: usize,
        result: &Result<Term, Term>,
        runnable: &mut Runnable,
    ) -> Option<Next> {
        let (&id, attempt) = self
            .state
            .attempts
            .iter()
            .find(|(_, a)| matches!(a.phase, Phase::Running { fiber: f } if f == fiber))?;
        let (parent, base) = (attempt.parent, attempt.base.clone().unwrap_or_default());
        self.reset_fiber(fiber);
        match result {
            Ok(value) => {
                let request = self.ask_host(parent, Effect::AttemptEnd { attempt: id, base });
                if let Some(attempt) = self.state.attempts.get_mut(&id) {
                    attempt.phase = Phase::Ending {
                        request,
                        value: value.clone(),
                    };
                }
            }
            Err(error) => {
                self.state.attempts.remove(&id);
                let error = from_term(&mut self.vm.machine.ctx, error);
                runnable.push_back((parent, Some(Err(error))));
            }
        }
        Some(Next::Wait)
    }

    /// Attempt `attempt`'s files were recorded as `commit`.
    pub(super) fn attempt_head(&mut self, attempt: u64, commit: &str) {
        if let Some(attempt) = self.state.attempts.get_mut(&attempt)
            && !matches!(attempt.phase, Phase::Done { .. })
        {
            attempt.head = Some(commit.to_string());
        }
    }

    /// Fiber `fiber` stops: the attempts it waits for are dropped, their bodies stopped.
    pub(super) fn drop_attempts_of(&mut self, t: &mut Turn, fiber: usize) {
        self.drop_attempts(t, |a| a.parent == fiber);
    }

    /// The state ends: every attempt not finished is dropped, its body stopped.
    pub(super) fn drop_all_attempts(&mut self, t: &mut Turn) {
        self.drop_attempts(t, |_| true);
    }

    fn drop_attempts(&mut self, t: &mut Turn, which: impl Fn(&Attempt) -> bool) {
        let dropped: Vec<u64> = self
            .state
            .attempts
            .iter()
            .filter(|(_, a)| !matches!(a.phase, Phase::Done { .. }) && which(a))
            .map(|(&id, _)| id)
            .collect();
        for id in dropped {
            let Some(attempt) = self.state.attempts.remove(&id) else {
                continue;
            };
            if let Some(request) = attempt.request() {
                self.state.external.remove(&request);
            }
            if let Some(body) = attempt.fiber() {
                self.cancel_fiber(t, body);
            }
        }
    }
}
