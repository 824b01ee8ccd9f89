//! Driving a workflow run: the system of actors (a dataspace, the agent service, the
//! workflow), the loop that runs their turns, performs the external effects the workflow
//! asks for and feeds the results back, until the workflow ends or waits on something that
//! cannot come.

use duet_lang::compile::CompiledWorkflow;

use super::agents::{AgentService, Role};
use super::entity::{Ending, Output, WorkflowEntity};
use crate::effects::{self, Capabilities, Workspace};
use crate::sam::{Dataspace, Event, Pattern, Ref, SkeletonIndex, System, Term, observe};
use crate::vm::Vm;

/// How a run stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// The workflow ended.
    Ended(Ending),
    /// It waits for something nothing in this process will provide.
    Waiting(String),
}

/// A workflow run in memory.
pub struct Run {
    system: System,
    workflow: Ref,
    agents: Ref,
    workspace: Workspace,
}

impl Run {
    /// Builds the system and starts the workflow (running its first turn).
    pub fn start(
        vm: Vm,
        workflow: CompiledWorkflow,
        roles: Vec<Role>,
        capabilities: Capabilities,
        workspace: Workspace,
    ) -> Run {
        let mut system = System::new();
        let ds_actor = system.spawn(|t| {
            t.prevent_inert_check();
            t.create(Dataspace::<SkeletonIndex>::new());
            Ok(())
        });
        let dataspace = Ref {
            actor: ds_actor,
            oid: 0,
        };
        let ds = dataspace;
        let agents_actor = system.spawn(move |t| {
            t.prevent_inert_check();
            let me = t.create(AgentService::new(ds, roles));
            let requests = Pattern::Bind(Box::new(Pattern::Record {
                label: "agent-request".into(),
                fields: Default::default(),
            }));
            t.assert(&ds, observe(&requests, me));
            Ok(())
        });
        let agents = Ref {
            actor: agents_actor,
            oid: 0,
        };
        let entity = WorkflowEntity::new(vm, workflow, dataspace, capabilities);
        let wf_actor = system.spawn(move |t| {
            t.prevent_inert_check();
            let me = t.create(entity);
            // The workflow starts in a turn of its own, knowing its own reference.
            t.message(&me, Term::record("%start", vec![Term::Ref(me)]));
            Ok(())
        });
        let workflow = Ref {
            actor: wf_actor,
            oid: 0,
        };
        Run {
            system,
            workflow,
            agents,
            workspace,
        }
    }

    /// Runs until the workflow ends or waits on nothing this process provides, writing
    /// what it prints to `print` and its log to `log`.
    pub fn drive(&mut self, print: &mut dyn FnMut(&Output)) -> Stop {
        loop {
            self.system.run();
            let (outputs, requests, ending) =
                match self.system.entity_mut::<WorkflowEntity>(&self.workflow) {
                    Some(w) => (
                        std::mem::take(&mut w.output),
                        std::mem::take(&mut w.requests),
                        w.ending.clone(),
                    ),
                    None => (
                        Vec::new(),
                        Vec::new(),
                        Some(Ending::Failed("the workflow's actor stopped".into())),
                    ),
                };
            outputs.iter().for_each(&mut *print);
            if let Some(ending) = ending {
                return Stop::Ended(ending);
            }
            if let Some(problem) = self
                .system
                .entity_mut::<AgentService>(&self.agents)
                .and_then(|a| a.unavailable.first().cloned())
            {
                return Stop::Ended(Ending::Failed(problem));
            }
            if requests.is_empty() {
                let state = self
                    .system
                    .entity::<WorkflowEntity>(&self.workflow)
                    .map_or("?".to_string(), |w| w.state_name().to_string());
                return Stop::Waiting(format!(
                    "the workflow waits in state `{state}` for an assertion that nothing in this run will make"
                ));
            }
            for request in requests {
                let result = effects::perform_blocking(&request.effect, &self.workspace);
                let body = WorkflowEntity::answer(request.id, result);
                self.system.send(self.workflow, Event::Message { body });
            }
        }
    }
}
