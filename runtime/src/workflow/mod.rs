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

/// The version of every entity state format below; their magic bytes tell them apart.
const STATE_VERSION: u16 = 1;
/// Magic bytes of the workflow entity's state.
const WORKFLOW_MAGIC: [u8; 4] = *b"DUWF";
/// Magic bytes of the agent service's state.
const AGENTS_MAGIC: [u8; 4] = *b"DUAG";
/// Magic bytes of an await or handler observer's state.
const OBSERVER_MAGIC: [u8; 4] = *b"DUOB";

/// An entity's state as snapshot data, in the envelope.
fn seal_state<T: Serialize>(magic: [u8; 4], state: &T) -> Vec<u8> {
    envelope::seal(magic, STATE_VERSION, state)
}

/// An entity's state read back from snapshot data; `what` names it in the error.
fn open_state<T: DeserializeOwned>(magic: [u8; 4], what: &str, data: &[u8]) -> Result<T, String> {
    envelope::open_current(magic, STATE_VERSION, data).map_err(|e| format!("{what} is {e}"))
}
