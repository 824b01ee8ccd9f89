//! The daemon (`duet daemon start`): one long-running process per store that holds it open,
//! follows every active run at once, fires their timers at their deadlines, and serves every
//! other command on a Unix socket in the store, so no command waits for the store's lock.
//! See `docs/daemon.md`.

pub mod client;
pub mod http;
mod hub;
pub mod protocol;
pub mod server;
