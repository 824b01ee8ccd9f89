//! The interpreter entity: a workflow's VM running inside the actor runtime. Each event it
//! receives (an awaited assertion arriving, an effect's result) is a turn in which it runs
//! the VM until every fiber waits again. States run one at a time: a state's function ends
//! in a `goto`, a `terminal`, or by returning (falling through to the next state).
//!
//! Dataspace operations (`assert`, `retract`, `send!`, `await`, `prompt`) happen inside the
//! turn; other effects (commands, files, clocks, timers, people) leave it as
//! [`ExternalRequest`]s that the host performs and answers with a message.
//!
//! This module holds the entity and its message dispatch; the rest is by concern:
//!
//! - `state`: what a snapshot saves besides the VM (`WorkflowState` and its parts);
//! - `scheduler`: running fibers and dispatching their requests;
//! - `lifecycle`: entering states, `goto`, `terminal`, and how a run ends;
//! - `waits` and `prompt`: `await` and `prompt`, which wait on the dataspace;
//! - `conversations`: the roles' conversations, which prompts see and extend;
//! - `reload`: what a workflow carries into a new version of its code;
//! - `attempts`: `isolated` and its attempts, and which copy of the workspace a fiber's
//!   effects act on;
//! - `dataspace`: `assert`, `send!` and `retract`;
//! - `external`: effects the host performs;
//! - `fibers`: fibers, and the groups of `parallel` and `race`;
//! - `spawn` and `handlers`: facets and `on-…` handlers, and stopping them;
//! - `observers`: the entities that watch patterns for the workflow;
//! - `output`: what the workflow shows of itself.

mod attempts;
mod conversations;
mod dataspace;
mod external;
mod fibers;
mod handlers;
mod lifecycle;
mod observers;
mod output;
mod prompt;
mod reload;
mod scheduler;
mod spawn;
mod state;
mod waits;

pub use attempts::LiveAttempt;
pub use external::{Addressee, ExternalRequest};
pub use lifecycle::{Ending, TracePoint};
pub use observers::{AWAIT_KIND, AwaitObserver, HANDLER_KIND, HandlerObserver};
pub use output::Output;
pub(crate) use output::plain;
pub use reload::Carried;

use duet_lang::compile::CompiledWorkflow;
use duet_sam::{Entity, EntitySnapshot, Ref, Term, Turn};
use duet_vm::Vm;
use serde::{Deserialize, Serialize};

use self::state::WorkflowState;
use super::messages::Message;
use super::{WORKFLOW_MAGIC, open_state, seal_state};
use crate::effects::Capabilities;

/// The snapshot kind of [`WorkflowEntity`].
pub const WORKFLOW_KIND: &str = "duet/workflow";

/// The workflow's interpreter.
pub struct WorkflowEntity {
    vm: Vm,
    state: WorkflowState,
}

/// A workflow entity's snapshot: its VM's snapshot and its other state.
#[derive(Serialize, Deserialize)]
struct SavedWorkflow {
    #[serde(with = "serde_bytes")]
    machine: Vec<u8>,
    state: WorkflowState,
}

impl WorkflowEntity {
    /// A workflow ready to start: `vm` holds the compiled program with its top-level forms
    /// already run.
    pub fn new(
        vm: Vm,
        workflow: CompiledWorkflow,
        dataspace: Ref,
        capabilities: Capabilities,
    ) -> Self {
        WorkflowEntity {
            vm,
            state: WorkflowState::new(workflow, dataspace, capabilities),
        }
    }

    /// A workflow in new code that starts with what the old one `carried` (`--reload`).
    pub fn reloaded(vm: Vm, workflow: CompiledWorkflow, dataspace: Ref, carried: Carried) -> Self {
        let mut entity =
            WorkflowEntity::new(vm, workflow, dataspace, carried.capabilities().clone());
        entity.state.carried = Some(carried);
        entity
    }

    /// Starts the workflow in its own turn: defines roles and variables, enters the first
    /// state (or, in new code, the state it carried over with its variables) and runs until
    /// it waits.
    pub fn start(&mut self, t: &mut Turn, me: Ref) {
        self.state.me = Some(me);
        self.vm.start(0, self.state.workflow.init);
        if let Some(step) = self.finish_call(t) {
            self.fail(t, step);
            return;
        }
        let state = self.take_carried().unwrap_or(0);
        self.enter(state);
        self.drive(t, 0, None);
    }

    /// A workflow restored from its snapshot data, running `program`.
    pub fn restore(program: duet_lang::ir::Program, data: &[u8]) -> Result<Self, String> {
        let saved: SavedWorkflow = open_state(WORKFLOW_MAGIC, "the workflow's state", data)?;
        let vm = Vm::restore(program, &saved.machine).map_err(|e| e.to_string())?;
        Ok(WorkflowEntity {
            vm,
            state: saved.state,
        })
    }

    /// Frees what the workflow's VM no longer reaches.
    pub fn collect_garbage(&mut self) {
        self.vm.collect_garbage();
    }

    /// What the workflow printed and logged since last asked.
    pub fn take_output(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.state.output)
    }

    /// The effects it asked for since last asked.
    pub fn take_requests(&mut self) -> Vec<ExternalRequest> {
        std::mem::take(&mut self.state.requests)
    }

    /// How it ended, once it has.
    pub fn ending(&self) -> Option<&Ending> {
        self.state.ending.as_ref()
    }

    /// Where the uncaught error that failed it was raised, innermost first (empty for any
    /// other ending).
    pub fn failure(&self) -> &[TracePoint] {
        &self.state.failure
    }
}

impl Entity for WorkflowEntity {
    fn snapshot(&self) -> EntitySnapshot {
        let saved = SavedWorkflow {
            machine: self.vm.snapshot(),
            state: self.state.clone(),
        };
        EntitySnapshot {
            kind: WORKFLOW_KIND.into(),
            data: seal_state(WORKFLOW_MAGIC, &saved),
        }
    }

    fn message(&mut self, t: &mut Turn, body: Term) -> duet_sam::Result {
        if self.state.ending.is_some() {
            return Ok(());
        }
        match Message::parse(&body) {
            Some(Message::Start(me)) if self.state.me.is_none() => self.start(t, me),
            Some(Message::Matched { wait, whole }) => self.matched(t, wait, &whole),
            Some(Message::Event {
                handler,
                event,
                value,
            }) => self.handle_event(t, handler, &event, &value),
            Some(Message::Deadline { timer, at }) => self.set_deadline(timer, at),
            Some(Message::Grant(capabilities)) => {
                for capability in capabilities {
                    self.state.capabilities.grant(capability);
                }
            }
            Some(Message::Answer { request, .. }) if self.state.timers.contains_key(&request) => {
                self.timed_out(t, request)
            }
            Some(Message::Answer { request, result }) if self.is_attempt_request(request) => {
                self.attempt_answered(t, request, result)
            }
            Some(Message::AttemptHead { attempt, commit }) => self.attempt_head(attempt, &commit),
            Some(Message::Answer { request, result }) => self.answered(t, request, result),
            _ => {}
        }
        Ok(())
    }
}
