//! What a workflow entity keeps besides its VM, as plain data: the [`WorkflowState`] a
//! snapshot saves, and its parts — pending waits, concurrency groups, installed handlers.
//!
//! The order and types of the fields are the snapshot's format (postcard): renaming a field
//! is free, reordering one is not.

use std::collections::{BTreeMap, BTreeSet};

use duet_lang::compile::CompiledWorkflow;
use duet_sam::{Handle, Ref, Term};
use duet_vm::value::Value;
use serde::{Deserialize, Serialize};

use super::attempts::Attempt;
use super::{Carried, Ending, ExternalRequest, Output, TracePoint};
use crate::agents::Conversation;
use crate::effects::{Capabilities, Effect};
use crate::workflow::facets::Facets;

/// Everything a workflow entity holds besides its VM, as data: what a snapshot saves.
#[derive(Clone, Serialize, Deserialize)]
pub(super) struct WorkflowState {
    /// The compiled workflow: its states, roles and init chunk.
    pub(super) workflow: CompiledWorkflow,
    /// The run's dataspace.
    pub(super) dataspace: Ref,
    /// The workflow entity's own reference, once started.
    pub(super) me: Option<Ref>,
    /// The index of the current state in `workflow.states`.
    pub(super) current: usize,
    /// What the workflow may do outside.
    pub(super) capabilities: Capabilities,
    /// The next id to give a wait, handle, handler, group, facet or external request.
    pub(super) next_id: u64,
    /// Pending waits on the dataspace, by id.
    pub(super) waits: BTreeMap<u64, Wait>,
    /// Effects asked of the host and not answered yet: the fiber waiting, by request id.
    pub(super) external: BTreeMap<u64, (usize, Effect)>,
    /// Timers of waits with a `:timeout`: the wait each ends, by external request id.
    pub(super) timers: BTreeMap<u64, u64>,
    /// What `assert` asserted and nothing retracted yet, by handle id.
    pub(super) handles: BTreeMap<u64, Handle>,
    /// Branch fibers: the group and position each belongs to.
    pub(super) children: BTreeMap<usize, (u64, usize)>,
    /// Running `parallel` and `race` groups, by id.
    pub(super) groups: BTreeMap<u64, Group>,
    /// `on-…` handlers installed in the current state, and the fibers running them.
    pub(super) handlers: BTreeMap<u64, Installed>,
    /// The fibers running `on-…` handlers.
    pub(super) handler_fibers: BTreeSet<usize>,
    /// Facets started by `spawn` in the current state.
    pub(super) facets: Facets,
    /// Requests for the host, drained by it after each run of the system.
    pub(super) requests: Vec<ExternalRequest>,
    /// What the workflow printed and logged, drained by the host.
    pub(super) output: Vec<Output>,
    /// Set once the workflow has ended.
    pub(super) ending: Option<Ending>,
    /// The roles' conversations on the run's current branch, by role name.
    pub(super) conversations: BTreeMap<String, Conversation>,
    /// What a workflow started in new code (`--reload`) carries over, until it starts.
    pub(super) carried: Option<Carried>,
    /// The attempts `isolated` started, running or finished, by id.
    pub(super) attempts: BTreeMap<u64, Attempt>,
    /// Where the uncaught error that failed the run was raised, innermost first.
    pub(super) failure: Vec<TracePoint>,
}

impl WorkflowState {
    /// The state of a workflow not started yet.
    pub(super) fn new(
        workflow: CompiledWorkflow,
        dataspace: Ref,
        capabilities: Capabilities,
    ) -> Self {
        WorkflowState {
            workflow,
            dataspace,
            me: None,
            current: 0,
            capabilities,
            next_id: 0,
            waits: BTreeMap::new(),
            external: BTreeMap::new(),
            timers: BTreeMap::new(),
            handles: BTreeMap::new(),
            children: BTreeMap::new(),
            groups: BTreeMap::new(),
            handlers: BTreeMap::new(),
            handler_fibers: BTreeSet::new(),
            facets: Facets::default(),
            requests: Vec::new(),
            output: Vec::new(),
            ending: None,
            conversations: BTreeMap::new(),
            carried: None,
            attempts: BTreeMap::new(),
            failure: Vec::new(),
        }
    }

    /// A new id (ids of waits, handles, handlers, groups, facets and external requests
    /// share one counter).
    pub(super) fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// The workflow entity's own reference.
    pub(super) fn me(&self) -> Ref {
        self.me
            .expect("the workflow knows its own ref once started")
    }
}

/// An installed `on-…` handler.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Installed {
    /// `asserted`, `retracted` or `message`.
    pub(super) event: String,
    /// The closure called with each matching value (pinned in the VM while installed).
    pub(super) closure: Value,
    /// The `Observe` assertion.
    pub(super) observe: Handle,
}

/// A pending wait on the dataspace.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Wait {
    /// The fiber waiting.
    pub(super) fiber: usize,
    /// The `Observe` assertion to withdraw once it fires.
    pub(super) observe: Handle,
    /// For `prompt`: the request to withdraw, and the field of the response to return.
    pub(super) prompt: Option<(Handle, usize)>,
    /// The external timer (`:timeout`) that ends the wait, by request id.
    pub(super) timer: Option<u64>,
    /// For `prompt :schema`: the JSON Schema (as JSON text) the reply must match.
    pub(super) schema: Option<String>,
    /// For a `prompt` in its role's conversation: the role and the prompt's text, to
    /// record with the reply.
    pub(super) exchange: Option<(String, String)>,
}

/// Fibers running the branches of a `parallel` or `race`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Group {
    /// `race`: the first result wins; otherwise every result, in order.
    pub(super) race: bool,
    /// The fiber waiting for the group.
    pub(super) parent: usize,
    /// The branches' fibers, in argument order.
    pub(super) members: Vec<usize>,
    /// Results so far (data only: they outlive the branches' fibers).
    pub(super) results: Vec<Option<Term>>,
}
