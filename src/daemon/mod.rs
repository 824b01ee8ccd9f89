//! The daemon (`duet daemon start`): one long-running process per store that holds it open,
//! follows every active run at once, fires their timers at their deadlines, and serves every
//! other command on a Unix socket in the store, so no command waits for the store's lock.
//! Without a daemon, a `duet` following a run in the foreground serves them the same way
//! for as long as it holds the store ([`alongside`]).
//! See `docs/daemon.md`.

pub mod alongside;
mod asking;
pub mod client;
mod followers;
pub mod http;
mod hub;
pub mod protocol;
pub mod server;
