//! Edit and run again (`duet resume --reload`, `duet fork --reload`; LANGUAGE.md §8): a
//! workflow's state carried into a new version of its code. What carries over is data —
//! the workflow variables by name, the state the run is in (re-entered from its start),
//! the roles' conversations and the capabilities granted; what the old code was doing in
//! the state (its waits, handlers, facets, pending effects) does not.
//!
//! [`WorkflowEntity::carry`] checks everything before anything runs: a state or variable the
//! new code no longer has, or a variable holding something that is not data (a function),
//! is an error that says so. The new workflow starts with [`Carried`] in its state: its
//! roles and variables are defined by its own init as usual, then the carried values
//! replace the variables', and the state is entered.

use std::collections::BTreeMap;

use duet_lang::compile::{CompiledWorkflow, var_global};
use duet_sam::Term;
use serde::{Deserialize, Serialize};

use super::WorkflowEntity;
use crate::agents::Conversation;
use crate::effects::Capabilities;
use crate::workflow::convert::{from_term, to_term};

/// What a workflow carries into new code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Carried {
    /// The state to enter, by its index in the new workflow.
    state: usize,
    /// Workflow variables, by their index in the new workflow, as data.
    vars: Vec<(usize, Term)>,
    /// The roles' conversations.
    conversations: BTreeMap<String, Conversation>,
    /// What the run may do.
    capabilities: Capabilities,
}

impl Carried {
    /// The capabilities carried over.
    pub fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }
}

impl WorkflowEntity {
    /// What this workflow carries into `new`, or why it cannot be carried.
    pub fn carry(&self, new: &CompiledWorkflow) -> Result<Carried, String> {
        let old = &self.state.workflow;
        let state_name = self.state_name();
        let list = |names: &mut dyn Iterator<Item = &String>| {
            let names: Vec<String> = names.map(|n| format!("`{n}`")).collect();
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        };
        let Some(state) = new.states.iter().position(|(name, _)| name == state_name) else {
            return Err(format!(
                "the run is in state `{state_name}`, which the workflow `{}` no longer has (its states are {}); put the state back, or reload at a turn in another state",
                new.name,
                list(&mut new.states.iter().map(|(n, _)| n))
            ));
        };
        let ctx = &self.vm.machine.ctx;
        let globals = &self.vm.program().globals;
        let mut vars = Vec::new();
        for (i, name) in old.vars.iter().enumerate() {
            let Some(index) = new.vars.iter().position(|n| n == name) else {
                return Err(format!(
                    "the workflow variable `{name}` no longer exists in workflow `{}` (its variables are {}); its value cannot be carried over: declare it again, or reload at a turn before it mattered",
                    new.name,
                    list(&mut new.vars.iter())
                ));
            };
            let value = globals
                .iter()
                .position(|g| *g == var_global(i))
                .and_then(|g| ctx.globals.get(g).copied().flatten());
            let Some(value) = value else {
                continue;
            };
            let term = to_term(ctx, value).map_err(|why| {
                format!("the workflow variable `{name}` cannot be carried into the new code: {why}")
            })?;
            vars.push((index, term));
        }
        Ok(Carried {
            state,
            vars,
            conversations: self.state.conversations.clone(),
            capabilities: self.state.capabilities.clone(),
        })
    }

    /// After the init chunk ran: the carried variables replace their initial values, the
    /// conversations and capabilities are restored; the index of the state to enter.
    pub(super) fn take_carried(&mut self) -> Option<usize> {
        let carried = self.state.carried.take()?;
        let globals = self.vm.program().globals.clone();
        let ctx = &mut self.vm.machine.ctx;
        for (index, term) in &carried.vars {
            let value = from_term(ctx, term);
            if let Some(g) = globals.iter().position(|g| *g == var_global(*index))
                && let Some(slot) = ctx.globals.get_mut(g)
            {
                *slot = Some(value);
            }
        }
        self.state.conversations = carried.conversations;
        self.state.capabilities = carried.capabilities;
        Some(carried.state)
    }
}
