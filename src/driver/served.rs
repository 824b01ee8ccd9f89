//! A command served by the daemon: the daemon runs it on one of its threads for a client, in
//! the client's directory, with the store the daemon holds open. Each served thread carries
//! its context here; code that opens the store ([`super::store::open`]), reads the current
//! directory ([`current_dir`]) or follows a run ([`host`]) asks it first, so a command runs
//! the same code with or without a daemon.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use duet_runtime::durable::{Answers, Changes, Observer, Poser, Resumption};
use duet_store::{RunId, Store};

use super::events::Reporter;
use super::script::Exit;

/// What the daemon does for a command that follows a run.
pub trait Host: Send + Sync {
    /// Follows run `id` in the daemon, continuing it `how` after making `changes`, its
    /// questions asked of `answers`, and reports its events to `report` until it ends or
    /// waits (or the client goes away: the run goes on). The outcome, as `duet run` exits.
    fn follow(
        &self,
        id: RunId,
        how: Resumption,
        changes: Changes,
        answers: Box<dyn Answers + Send>,
        report: &mut dyn Observer,
    ) -> Exit;
    /// Starts following run `id` in the daemon without reporting it (`duet run --detach`).
    fn start(&self, id: RunId) -> Result<(), String>;
    /// Reports run `id`'s events from where they are until it ends or waits (`duet attach`);
    /// `None` when the daemon does not follow it.
    fn attach(&self, id: RunId, report: &mut Reporter) -> Option<Exit>;
    /// Stops following run `id` and stops what it started; whether it was followed.
    fn stop(&self, id: RunId) -> bool;
    /// Whether runs handed to it go on after the command that handed them ends: a daemon,
    /// not a foreground `duet` serving other commands while it follows its own run.
    fn lasting(&self) -> bool;
}

/// A host this process runs while it follows a run in the foreground without a daemon
/// ([`alongside`]): other commands on the store are served by it meanwhile, and its own
/// run is followed through it. Dropping it ends the serving, once the commands it serves
/// have ended.
pub struct Serving {
    /// The host.
    pub host: Arc<dyn Host>,
    /// Ends the serving when dropped.
    pub end: Box<dyn Send>,
}

/// How this process serves other commands while it follows a run in the foreground: the
/// `duet` binary sets it ([`serve_alongside_with`]); without it, nothing is served.
pub type Alongside = fn(&Store) -> Option<Serving>;

static ALONGSIDE: std::sync::OnceLock<Alongside> = std::sync::OnceLock::new();

/// Makes `alongside` the way this process serves other commands while it follows a run.
pub fn serve_alongside_with(alongside: Alongside) {
    let _ = ALONGSIDE.set(alongside);
}

/// Starts serving other commands on `store` (which this process holds) while it follows a
/// run in the foreground; `None` when this command is itself served, or serving cannot
/// start (the run is then followed here alone, as before).
pub fn alongside(store: &Store) -> Option<Serving> {
    if served().is_some() {
        return None;
    }
    ALONGSIDE.get()?(store)
}

/// The host a command that follows a run goes through: the daemon (or foreground `duet`)
/// serving it, else one this process starts to serve others while it follows the run
/// ([`alongside`]: keep the [`Serving`] for as long as it follows). Neither: the command
/// follows the run itself.
pub fn following_host(store: &Store) -> (Option<Arc<dyn Host>>, Option<Serving>) {
    if let Some(host) = host() {
        return (Some(host), None);
    }
    let serving = alongside(store);
    (serving.as_ref().map(|s| s.host.clone()), serving)
}

/// Who answers the questions of a run this command follows: the person at this terminal,
/// or, for a command served for a client, the person at the client's terminal (with none,
/// the run waits for `duet answer`).
pub fn answers() -> Box<dyn Answers + Send> {
    match served() {
        Some(Served {
            poser: Some(poser), ..
        }) => Box::new(super::terminal::Asking(poser)),
        Some(_) => Box::new(duet_runtime::durable::NoOneToAsk),
        None => Box::new(super::terminal::Terminal::new(true)),
    }
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
    /// The variables of the client's environment that commands read (`DUET_AGENT`).
    pub env: BTreeMap<String, String>,
    /// Poses the questions of the runs the command follows at the client's terminal, when
    /// it has one.
    pub poser: Option<Arc<dyn Poser>>,
}

/// The variables of a client's environment a served command reads as its own ([`var`]).
pub const CLIENT_ENV: &[&str] = &["DUET_AGENT"];

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

/// The environment variable `name` as the command sees it: the client's when served (only
/// those in [`CLIENT_ENV`] are sent), else this process's. Empty counts as unset.
pub fn var(name: &str) -> Option<String> {
    let value = match SERVED.with(|s| s.borrow().as_ref().map(|s| s.env.get(name).cloned())) {
        Some(value) => value,
        None => std::env::var(name).ok(),
    };
    value.filter(|v| !v.is_empty())
}
