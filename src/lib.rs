//! The `duet` library behind the command: what the command does around the runtime — choose
//! and check what to run, render a run's events and errors for people, ask people questions
//! at the terminal, hand runs to the background. Programs run in a
//! [`duet_runtime::session::Session`]; workflows run in the durable engine
//! ([`duet_runtime::durable`]). The binary's commands, the REPL and the tests use it.

pub mod driver;
