//! `duet-runtime`: runs workflows. The interpreter entity that runs a workflow's VM inside
//! the actor kernel, the effects it asks for and their authorisation, the agents, and the
//! durable engine that journals every input in the store before the workflow sees it.
//!
//! The layers below are crates of their own, so the compiler keeps them apart: `duet-vm`
//! (values, the VM, builtins; pure), `duet-sam` (the actor kernel; knows nothing of duet) and
//! `duet-store` (the store on fjall).

pub mod agents;
pub mod durable;
pub mod effects;
pub mod session;
pub mod workflow;
