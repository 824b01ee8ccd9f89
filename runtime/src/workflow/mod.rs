//! Workflow runs on the actor runtime: the interpreter entity that runs a workflow's VM in
//! turns, the agent service that answers agent requests, and the host loop that drives the
//! system and performs external effects.

pub mod agents;
pub mod convert;
pub mod entity;
mod facets;
pub mod host;

pub use entity::{Ending, Output, WorkflowEntity};
