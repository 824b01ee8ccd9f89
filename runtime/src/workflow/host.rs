//! A workflow run as a system of actors — a dataspace, the agent service, the workflow — and
//! the steps the durable engine takes with it: settle the system, collect the effects it
//! asked for, deliver each journaled [`RunInput`], and snapshot the whole run as bytes.

use duet_lang::compile::CompiledWorkflow;
use duet_lang::ir::Program;
use serde::{Deserialize, Serialize};

use super::agents::{AGENTS_KIND, AgentService, Budget, Role};
use super::entity::{
    AWAIT_KIND, Addressee, AwaitObserver, Ending, ExternalRequest, HANDLER_KIND, HandlerObserver,
    Output, TracePoint, WORKFLOW_KIND, WorkflowEntity,
};
use super::input::RunInput;
use super::messages::Message;
use crate::effects::{Capabilities, EffectValue};
use duet_lang::envelope;
use duet_sam::{Dataspace, Entity, Event, Pattern, Ref, SkeletonIndex, System, observe};
use duet_vm::Vm;

/// What settling the system produced.
#[derive(Debug, Default)]
pub struct Progress {
    /// What the workflow printed and logged.
    pub outputs: Vec<Output>,
    /// Effects it asked for.
    pub requests: Vec<ExternalRequest>,
    /// Set when the workflow ended.
    pub ending: Option<Ending>,
}

/// A workflow run: its system of actors, and where its two entities are.
pub struct WorkflowRun {
    system: System,
    workflow: Ref,
    agents: Ref,
    /// The program it runs, when it is not the one the run started with (`--reload`): the
    /// name of the blob holding it.
    program: Option<String>,
}

/// Magic bytes of a run's whole state.
pub const MAGIC: [u8; 4] = *b"DURS";
/// The run state format this build writes and reads. Version 1 had no program of its own.
pub const VERSION: u16 = 2;

/// A run's whole state, as bytes for a snapshot.
#[derive(Serialize, Deserialize)]
struct SavedRun {
    #[serde(with = "serde_bytes")]
    system: Vec<u8>,
    workflow: Ref,
    agents: Ref,
    program: Option<String>,
}

impl WorkflowRun {
    /// Builds the system and queues the workflow's start.
    pub fn start(
        vm: Vm,
        workflow: CompiledWorkflow,
        roles: Vec<Role>,
        capabilities: Capabilities,
        budget: Budget,
    ) -> WorkflowRun {
        Self::build(roles, capabilities.clone(), budget, None, |dataspace| {
            WorkflowEntity::new(vm, workflow, dataspace, capabilities)
        })
    }

    /// The run continued in new code (`--reload`): `vm` holds the new program (stored as
    /// blob `program`) with its top-level forms run, and the workflow starts in it with what
    /// this run's workflow carries over. `Err` says why the state cannot be carried.
    pub fn reload(
        &self,
        vm: Vm,
        workflow: CompiledWorkflow,
        roles: Vec<Role>,
        program: String,
    ) -> Result<WorkflowRun, String> {
        let old = self
            .system
            .entity::<WorkflowEntity>(&self.workflow)
            .ok_or("the run's workflow has stopped")?;
        let carried = old.carry(&workflow)?;
        let capabilities = carried.capabilities().clone();
        // A role keeps the kind it was played by in the run: a dry run stays a dry run. What
        // the run may spend and has spent goes on.
        let mut roles = roles;
        let mut budget = Budget::default();
        if let Some(agents) = self.system.entity::<AgentService>(&self.agents) {
            for role in &mut roles {
                if let Some(kind) = agents.kind_of(&role.name) {
                    role.agent.kind = kind.to_string();
                }
            }
            budget = agents.budget().clone();
        }
        Ok(Self::build(
            roles,
            capabilities,
            budget,
            Some(program),
            |dataspace| WorkflowEntity::reloaded(vm, workflow, dataspace, carried),
        ))
    }

    /// The name of the blob holding the program the run in `bytes` runs, when it is not the
    /// one the run started with.
    pub fn program_of(bytes: &[u8]) -> Result<Option<String>, String> {
        let saved: SavedRun = envelope::open_current(MAGIC, VERSION, bytes)
            .map_err(|e| format!("the run's saved state is {e}"))?;
        Ok(saved.program)
    }

    /// The system of a dataspace, the agent service for `roles` and the workflow `entity`
    /// makes for the dataspace, with the workflow's start queued.
    fn build(
        roles: Vec<Role>,
        capabilities: Capabilities,
        budget: Budget,
        program: Option<String>,
        entity: impl FnOnce(Ref) -> WorkflowEntity,
    ) -> WorkflowRun {
        let mut system = System::new();
        system.set_logging(false);
        let ds_actor = system.spawn(|t| {
            t.prevent_inert_check();
            t.create(Dataspace::<SkeletonIndex>::new());
            Ok(())
        });
        let dataspace = Ref {
            actor: ds_actor,
            oid: 0,
        };
        let agents_actor = system.spawn(move |t| {
            t.prevent_inert_check();
            let me = t.create(AgentService::new(dataspace, roles, capabilities, budget));
            let requests = Pattern::Bind(Box::new(Pattern::Record {
                label: "agent-request".into(),
                fields: Default::default(),
            }));
            t.assert(&dataspace, observe(&requests, me));
            Ok(())
        });
        let entity = entity(dataspace);
        let wf_actor = system.spawn(move |t| {
            t.prevent_inert_check();
            let me = t.create(entity);
            // The workflow starts in a turn of its own, knowing its own reference.
            t.message(&me, Message::Start(me).to_term());
            Ok(())
        });
        WorkflowRun {
            system,
            workflow: Ref {
                actor: wf_actor,
                oid: 0,
            },
            agents: Ref {
                actor: agents_actor,
                oid: 0,
            },
            program,
        }
    }

    /// The run's whole state as bytes.
    pub fn snapshot(&self) -> Vec<u8> {
        let saved = SavedRun {
            system: self.system.snapshot_bytes(),
            workflow: self.workflow,
            agents: self.agents,
            program: self.program.clone(),
        };
        envelope::seal(MAGIC, VERSION, &saved)
    }

    /// A run continuing from a snapshot, running `program` (the one
    /// [`WorkflowRun::program_of`] names).
    pub fn restore(program: &Program, bytes: &[u8]) -> Result<WorkflowRun, String> {
        let saved: SavedRun = envelope::open_current(MAGIC, VERSION, bytes)
            .map_err(|e| format!("the run's saved state is {e}"))?;
        let mut failure = None;
        let mut system = System::restore_bytes(&saved.system, |_, snapshot| {
            let restored: Result<Box<dyn Entity>, String> =
                match snapshot.kind.as_str() {
                    WORKFLOW_KIND => WorkflowEntity::restore(program.clone(), &snapshot.data)
                        .map(|w| Box::new(w) as Box<dyn Entity>),
                    AGENTS_KIND => AgentService::restore(&snapshot.data)
                        .map(|a| Box::new(a) as Box<dyn Entity>),
                    AWAIT_KIND => AwaitObserver::restore(&snapshot.data)
                        .map(|a| Box::new(a) as Box<dyn Entity>),
                    HANDLER_KIND => HandlerObserver::restore(&snapshot.data)
                        .map(|h| Box::new(h) as Box<dyn Entity>),
                    other => Err(format!("no behaviour for entities of kind `{other}`")),
                };
            match restored {
                Ok(entity) => Some(entity),
                Err(e) => {
                    failure.get_or_insert(e);
                    None
                }
            }
        })
        .map_err(|e| failure.clone().unwrap_or(e))?;
        system.set_logging(false);
        Ok(WorkflowRun {
            system,
            workflow: saved.workflow,
            agents: saved.agents,
            program: saved.program,
        })
    }

    /// Runs every queued turn and collects what the workflow produced.
    pub fn settle(&mut self) -> Progress {
        self.system.run();
        // The state is taken (digested, snapshotted) after every settle: what the turn left
        // as garbage is not part of it. Live runs, restores and replays all settle at the same
        // points, so they collect at the same points too.
        if let Some(workflow) = self.system.entity_mut::<WorkflowEntity>(&self.workflow) {
            workflow.collect_garbage();
        }
        let mut progress = match self.system.entity_mut::<WorkflowEntity>(&self.workflow) {
            Some(w) => Progress {
                outputs: w.take_output(),
                requests: w.take_requests(),
                ending: w.ending().cloned(),
            },
            None => Progress {
                ending: Some(Ending::Failed("the workflow's actor stopped".into())),
                ..Progress::default()
            },
        };
        if let Some(agents) = self.system.entity_mut::<AgentService>(&self.agents) {
            progress.requests.extend(agents.take_requests());
            if progress.ending.is_none()
                && let Some(problem) = agents.failures.first()
            {
                progress.ending = Some(Ending::Failed(problem.clone()));
            }
        }
        progress
    }

    /// Delivers a turn's input to the entity it is for; [`WorkflowRun::settle`] runs it.
    pub fn deliver(&mut self, input: &RunInput) {
        let (to, message) = match input {
            // The files are the engine's business; the run's state is not changed.
            RunInput::Checkpoint { .. } => return,
            // The engine replaces the whole run (`crate::durable::reload`).
            RunInput::Reload { .. } => return,
            RunInput::Budget { limit_microusd } => {
                (Addressee::Agents, Message::Budget(*limit_microusd))
            }
            RunInput::Effect { to, id, result } => (*to, Message::answer(*id, result)),
            RunInput::Person { to, id, text } => (
                *to,
                Message::answer(*id, &Ok(EffectValue::Text(text.clone()))),
            ),
            RunInput::Grant { capabilities } => {
                (Addressee::Workflow, Message::Grant(capabilities.clone()))
            }
            RunInput::Deadline { id, at } => (
                Addressee::Workflow,
                Message::Deadline {
                    timer: *id,
                    at: *at,
                },
            ),
            RunInput::AttemptCheckpoint {
                attempt, commit, ..
            } => (
                Addressee::Workflow,
                Message::AttemptHead {
                    attempt: *attempt,
                    commit: commit.as_str().into(),
                },
            ),
        };
        let entities = match to {
            // A grant concerns both: the workflow's effects and its agents' calls.
            _ if matches!(message, Message::Grant(_)) => vec![self.workflow, self.agents],
            Addressee::Workflow => vec![self.workflow],
            Addressee::Agents => vec![self.agents],
        };
        for entity in entities {
            self.system.send(
                entity,
                Event::Message {
                    body: message.to_term(),
                },
            );
        }
    }

    /// The effects the workflow and its agents asked for and have not had answered.
    pub fn unanswered(&self) -> Vec<ExternalRequest> {
        let mut requests = self
            .system
            .entity::<WorkflowEntity>(&self.workflow)
            .map(WorkflowEntity::unanswered)
            .unwrap_or_default();
        if let Some(agents) = self.system.entity::<AgentService>(&self.agents) {
            requests.extend(agents.unanswered());
        }
        requests
    }

    /// The role and the request's ID field of the agent call `request`, while it waits for
    /// its answer: what the run's events about the call (`agent-delta`, `retry`) name.
    pub fn agent_call(&self, request: &ExternalRequest) -> Option<(String, String)> {
        if request.to != Addressee::Agents {
            return None;
        }
        self.system
            .entity::<AgentService>(&self.agents)?
            .call(request.id)
    }

    /// Whether `request` still wants its answer: a request withdrawn since it was made (a
    /// `race` decided, a state left) is not performed at all.
    pub fn wants(&self, request: &ExternalRequest) -> bool {
        self.unanswered()
            .iter()
            .any(|r| r.id == request.id && r.to == request.to)
    }

    /// The attempts whose private copies of the workspace are still needed, by id.
    pub fn live_attempts(&self) -> std::collections::BTreeMap<u64, super::entity::LiveAttempt> {
        self.system
            .entity::<WorkflowEntity>(&self.workflow)
            .map(WorkflowEntity::live_attempts)
            .unwrap_or_default()
    }

    /// Why the workflow waits, for people.
    pub fn waiting_reason(&self) -> String {
        let state = self
            .system
            .entity::<WorkflowEntity>(&self.workflow)
            .map_or("?".to_string(), |w| w.state_name().to_string());
        format!(
            "the workflow waits in state `{state}` for an assertion that nothing in this run will make"
        )
    }

    /// What the run may spend on agents and what they have cost so far.
    pub fn budget(&self) -> Budget {
        self.system
            .entity::<AgentService>(&self.agents)
            .map(|agents| agents.budget().clone())
            .unwrap_or_default()
    }

    /// Where the uncaught error that failed the run was raised, innermost first.
    pub fn failure(&self) -> Vec<TracePoint> {
        self.system
            .entity::<WorkflowEntity>(&self.workflow)
            .map(|w| w.failure().to_vec())
            .unwrap_or_default()
    }

    /// Role `role`'s conversation, oldest first.
    pub fn conversation(&self, role: &str) -> Vec<crate::agents::Exchange> {
        self.system
            .entity::<WorkflowEntity>(&self.workflow)
            .map(|w| w.exchanges(role).to_vec())
            .unwrap_or_default()
    }

    /// The state the workflow is in.
    pub fn state_name(&self) -> String {
        self.system
            .entity::<WorkflowEntity>(&self.workflow)
            .map_or("?".to_string(), |w| w.state_name().to_string())
    }
}
