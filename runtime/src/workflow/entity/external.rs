//! Effects the turn cannot perform (commands, files, clocks, timers, people): the workflow
//! leaves them as [`ExternalRequest`]s for the host, its fiber waiting until the answer
//! arrives as a message.

use duet_sam::{Term, Turn};
use duet_vm::EffectOp;
use duet_vm::value::Value;
use serde::{Deserialize, Serialize};

use super::WorkflowEntity;
use crate::effects::{self, Effect, PersonQuestion};
use crate::workflow::convert::from_term;

/// Something the host must do for the workflow or its agents, answered with a
/// [`RunInput`](crate::workflow::RunInput).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalRequest {
    /// Identifies the answer among its addressee's requests.
    pub id: u64,
    /// What to do.
    pub effect: Effect,
    /// Who asked, and gets the answer.
    pub to: Addressee,
    /// Where it acts: in the private copy of the workspace of this attempt (`isolated`),
    /// or in the run's workspace (`None`).
    pub attempt: Option<u64>,
}

/// Which entity of a run asked for an effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Addressee {
    /// The workflow itself (`shell`, `sleep`, `ask-user`, …).
    Workflow,
    /// The agent service (a call to an agent or a `human` role).
    Agents,
}

impl WorkflowEntity {
    /// The effects asked for and not answered yet (after a restore, to perform again).
    pub fn unanswered(&self) -> Vec<ExternalRequest> {
        self.state
            .external
            .iter()
            .map(|(&id, (fiber, effect))| ExternalRequest {
                id,
                effect: effect.clone(),
                to: Addressee::Workflow,
                attempt: self.attempt_of(*fiber),
            })
            .collect()
    }

    /// Effect `op` with `args`, when the workflow may perform it: asks the host, and
    /// `fiber` waits for the answer. `Err` with the error to raise otherwise.
    pub(super) fn external_effect(
        &mut self,
        fiber: usize,
        op: EffectOp,
        args: &[Value],
    ) -> Result<(), Value> {
        let ctx = &mut self.vm.machine.ctx;
        let failure = match Effect::parse(ctx, op, args) {
            Some(Ok(effect)) => match effects::authorise(&effect, &self.state.capabilities) {
                Ok(()) => {
                    self.ask_host(fiber, effect);
                    return Ok(());
                }
                Err(failure) => failure,
            },
            Some(Err(failure)) => failure,
            None => effects::Failure::new(
                "effect",
                format!("`{}` is not available in workflow runs yet", op.name()),
            ),
        };
        Err(ctx.error_value(&failure.kind, failure.message, Value::Nil))
    }

    /// Asks the host to perform `effect` for `fiber`; returns the request's id.
    pub(super) fn ask_host(&mut self, fiber: usize, effect: Effect) -> u64 {
        let id = self.state.fresh_id();
        self.state.external.insert(id, (fiber, effect.clone()));
        self.state.requests.push(ExternalRequest {
            id,
            effect,
            to: Addressee::Workflow,
            attempt: self.attempt_of(fiber),
        });
        id
    }

    /// The host fixed the deadline of timer request `timer`: the sleep it asked for is now a
    /// sleep until `at`.
    pub(super) fn set_deadline(&mut self, timer: u64, at: i64) {
        if let Some((_, effect)) = self.state.external.get_mut(&timer) {
            *effect = Effect::SleepUntil(at);
        }
    }

    /// External request `id` was answered: the fiber that asked continues.
    pub(super) fn answered(
        &mut self,
        t: &mut Turn,
        id: u64,
        result: Result<Term, (std::sync::Arc<str>, std::sync::Arc<str>)>,
    ) {
        let Some((fiber, effect)) = self.state.external.remove(&id) else {
            return;
        };
        let ctx = &mut self.vm.machine.ctx;
        let resume = match result {
            // The options a person chose, as a vector (journaled as one line of text).
            Ok(Term::Str(answer)) if matches!(effect, Effect::Choose { .. }) => {
                let chosen: Vec<Term> = PersonQuestion::chosen(&answer)
                    .into_iter()
                    .map(|c| Term::Str(c.into()))
                    .collect();
                Ok(from_term(ctx, &Term::Vector(chosen.into())))
            }
            Ok(value) => Ok(from_term(ctx, &value)),
            Err((kind, message)) => Err(ctx.error_value(&kind, message.to_string(), Value::Nil)),
        };
        self.drive(t, fiber, Some(resume));
    }
}
