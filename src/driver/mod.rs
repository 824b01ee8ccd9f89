//! Running programs from the command line: scripts and workflows ([`script`]), the store
//! they run in ([`store`]), their events rendered for people or as JSON ([`events`]), the
//! questions and grants asked at the terminal ([`terminal`]), runtime errors with their
//! source ([`report`]), `--detach` ([`detach`]), text from the run made harmless for a
//! terminal ([`visible`]), who follows which run ([`lease`]), commands the daemon runs for
//! a client ([`served`]), the durable chat of `duet agent chat` ([`chat`]), and times shown
//! to people ([`times`]).

pub mod chat;
pub mod detach;
pub mod events;
pub mod lease;
pub mod reload;
pub mod report;
pub mod script;
pub mod served;
pub mod store;
pub mod terminal;
pub mod times;
pub mod visible;
mod workflow;

pub use duet_runtime::session::{Limits, Session};
pub use workflow::outcome as workflow_outcome;
pub use workflow::run as run_workflow;
