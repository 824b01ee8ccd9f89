//! Workflow runs on the actor runtime: the interpreter entity that runs a workflow's VM in
//! turns, the agent service that answers agent requests, the messages they take, and the
//! system of actors a run is ([`host::WorkflowRun`]), which the durable engine drives.

pub mod agents;
pub mod convert;
pub mod entity;
mod facets;
pub mod host;
pub mod input;
mod messages;
pub mod roles;

pub use entity::{Ending, Output, WorkflowEntity};
pub use input::RunInput;

use duet_lang::envelope;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The version of the observers' state format.
const STATE_VERSION: u16 = 1;
/// The version of the workflow entity's state format. Version 1 had no conversations;
/// version 2 no attempts (`isolated`) and no attempt in an external request.
const WORKFLOW_VERSION: u16 = 3;
/// The version of the agent service's state format. Version 1 had no `:retries` in a role
/// and an agent call's schema only as an instruction in its text; version 2 no
/// conversation in an agent call; version 3 no attempt in an agent call.
const AGENTS_VERSION: u16 = 4;
/// Magic bytes of the workflow entity's state.
const WORKFLOW_MAGIC: [u8; 4] = *b"DUWF";
/// Magic bytes of the agent service's state.
const AGENTS_MAGIC: [u8; 4] = *b"DUAG";
/// Magic bytes of an await or handler observer's state.
const OBSERVER_MAGIC: [u8; 4] = *b"DUOB";

/// An entity's state as snapshot data, in the envelope.
fn seal_state<T: Serialize>(magic: [u8; 4], state: &T) -> Vec<u8> {
    envelope::seal(magic, state_version(magic), state)
}

/// The version of the state format with `magic`.
fn state_version(magic: [u8; 4]) -> u16 {
    match magic {
        AGENTS_MAGIC => AGENTS_VERSION,
        WORKFLOW_MAGIC => WORKFLOW_VERSION,
        _ => STATE_VERSION,
    }
}

/// An entity's state read back from snapshot data; `what` names it in the error.
fn open_state<T: DeserializeOwned>(magic: [u8; 4], what: &str, data: &[u8]) -> Result<T, String> {
    envelope::open_current(magic, state_version(magic), data).map_err(|e| format!("{what} is {e}"))
}
