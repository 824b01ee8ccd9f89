//! A command served by the daemon: the daemon runs it on one of its threads for a client, in
//! the client's directory, with the store the daemon holds open. Each served thread carries
//! its context here; code that opens the store ([`super::store::open`]), reads the current
//! directory ([`current_dir`]) or follows a run ([`host`]) asks it first, so a command runs
//! the same code with or without a daemon.

use std::cell::RefCell;
use std::path::PathBuf;
use std::sync::Arc;

use duet_runtime::durable::{Changes, Resumption};
use duet_store::{RunId, Store};

use super::events::Reporter;
use super::script::Exit;

/// What the daemon does for a command that follows a run.
pub trait Host: Send + Sync {
    /// Follows run `id` in the daemon, continuing it `how` after making `changes`, and
    /// reports its events to `report` until it ends or waits (or the client goes away:
    /// the run goes on). The outcome, as `duet run` exits.
    fn follow(&self, id: RunId, how: Resumption, changes: Changes, report: &mut Reporter) -> Exit;
    /// Starts following run `id` in the daemon without reporting it (`duet run --detach`).
    fn start(&self, id: RunId) -> Result<(), String>;
    /// Reports run `id`'s events from where they are until it ends or waits (`duet attach`);
    /// `None` when the daemon does not follow it.
    fn attach(&self, id: RunId, report: &mut Reporter) -> Option<Exit>;
    /// Stops following run `id` and stops what it started; whether it was followed.
    fn stop(&self, id: RunId) -> bool;
}

/// The context of a command the daemon serves.
#[derive(Clone)]
pub struct Served {
    /// The store the daemon holds.
    pub store: Store,
    /// The client's current directory.
    pub cwd: PathBuf,
    /// The daemon, for following runs.
    pub host: Arc<dyn Host>,
}

thread_local! {
    static SERVED: RefCell<Option<Served>> = const { RefCell::new(None) };
}

/// Runs `f` as a command served with `served`.
pub fn serve<T>(served: Served, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            SERVED.with(|s| s.borrow_mut().take());
        }
    }
    SERVED.with(|s| *s.borrow_mut() = Some(served));
    let _reset = Reset;
    f()
}

/// The served command's context, if this thread serves one.
pub fn served() -> Option<Served> {
    SERVED.with(|s| s.borrow().clone())
}

/// The store the daemon holds, when this thread serves a command.
pub fn store() -> Option<Store> {
    SERVED.with(|s| s.borrow().as_ref().map(|s| s.store.clone()))
}

/// The daemon, when this thread serves a command.
pub fn host() -> Option<Arc<dyn Host>> {
    SERVED.with(|s| s.borrow().as_ref().map(|s| s.host.clone()))
}

/// The command's current directory: the client's when served, else this process's.
pub fn current_dir() -> std::io::Result<PathBuf> {
    match SERVED.with(|s| s.borrow().as_ref().map(|s| s.cwd.clone())) {
        Some(cwd) => Ok(cwd),
        None => std::env::current_dir(),
    }
}

/// `path` as the command sees it: relative to the client's directory when served.
pub fn path(path: &std::path::Path) -> PathBuf {
    match SERVED.with(|s| s.borrow().as_ref().map(|s| s.cwd.clone())) {
        Some(cwd) => cwd.join(path),
        None => path.to_path_buf(),
    }
}
