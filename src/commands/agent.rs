//! `duet agent chat TEXT` and `duet agent history`: a durable one-agent chat, a session of
//! which is a run of the built-in chat workflow ([`duet::driver::chat`]; `docs/chat.md`).
//!
//! Through a host — the daemon, or a foreground `duet` serving the store while it follows a
//! run (this command itself, once it holds the store) — a session's messages are delivered
//! one at a time, in the order they came, by a worker thread of the host's process
//! ([`queue`]), so several calls on one session never race and calls on different sessions
//! go on at once. With a daemon, `chat` without `--wait-for-response` returns as soon as its
//! message is queued; otherwise it prints the reply once it comes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use clap::{Args, Subcommand};
use duet::driver::chat::{self, Heard};
use duet::driver::script::Exit;
use duet::driver::served::{self, Host};
use duet::driver::store::{self, STORE_PATIENCE};
use duet::driver::visible::{block, one_line};
use duet_runtime::durable::{self, Changes, NoOneToAsk, Observer, Ports, Resumption, SystemClock};
use duet_runtime::effects::Workspace;
use duet_store::{RunId, Store};

use super::run::store_dir;
use super::runs::{StoreArgs, json_line};
use crate::output::{self, errln};
use duet::driver::times::local_time;

/// Arguments of `duet agent`.
#[derive(Debug, Args)]
pub struct AgentCommand {
    #[command(subcommand)]
    action: AgentAction,
}

#[derive(Debug, Subcommand)]
enum AgentAction {
    /// Send a message to a chat session's agent and print its reply; every call continues
    /// the same conversation.
    Chat(ChatArgs),
    /// A chat session's conversation, oldest first: who, when, what.
    History(HistoryArgs),
}

/// Arguments of `duet agent chat`.
#[derive(Debug, Args)]
struct ChatArgs {
    /// The message.
    text: String,
    /// The agent kind a new session talks to (default: `$DUET_AGENT`, else the store's
    /// `config.json` `agent`, else `echo`, offline).
    #[arg(long, value_name = "KIND")]
    agent: Option<String>,
    /// The session: each has a conversation of its own.
    #[arg(long, value_name = "NAME", default_value = chat::DEFAULT_SESSION)]
    session: String,
    /// With a daemon, wait for the reply and print it instead of returning once the message
    /// is queued (without one, the reply is always waited for).
    #[arg(long)]
    wait_for_response: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// Arguments of `duet agent history`.
#[derive(Debug, Args)]
struct HistoryArgs {
    /// The session.
    #[arg(long, value_name = "NAME", default_value = chat::DEFAULT_SESSION)]
    session: String,
    /// One JSON object a message instead of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

impl AgentCommand {
    /// Whether it only reads and reports.
    pub fn only_reports(&self) -> bool {
        matches!(self.action, AgentAction::History(_))
    }
}

/// Runs `duet agent …`.
pub fn run(args: &AgentCommand) -> ExitCode {
    match &args.action {
        AgentAction::Chat(args) => send(args),
        AgentAction::History(args) => history(args),
    }
}

/// Held while a session's run is found or created, so two first messages make one run.
static CREATING: Mutex<()> = Mutex::new(());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// `duet agent chat TEXT`.
fn send(args: &ChatArgs) -> ExitCode {
    if let Err(e) = chat::check_name(&args.session) {
        output::error(&e);
        return ExitCode::from(2);
    }
    let dir = store_dir(args.store.store.as_deref());
    let store = match store::open(&dir, STORE_PATIENCE) {
        Ok(store) => store,
        Err(e) => {
            output::error(&e);
            return ExitCode::from(2);
        }
    };
    let (host, _serving) = served::following_host(&store);
    let id = {
        let _creating = lock(&CREATING);
        match session_run(&store, host.as_ref(), args) {
            Ok(id) => id,
            Err(code) => return code,
        }
    };
    let Some(host) = host else {
        // Nothing serves the store, and this process cannot: the message is delivered here.
        let mut heard = Heard::default();
        deliver(&store, None, id, &args.text, &mut heard);
        return show(&args.session, heard);
    };
    let wait = args.wait_for_response || !host.lasting();
    let (tell, told) = channel();
    let job = Job {
        text: args.text.clone(),
        tell: wait.then_some(tell),
    };
    if let Err(e) = queue(store, host, id, job) {
        output::error(&e);
        return ExitCode::from(1);
    }
    if !wait {
        errln!(
            "chat: message queued for session `{}` (run {id}); `duet agent history --session {}` \
             shows the reply once it comes",
            args.session,
            args.session
        );
        return ExitCode::SUCCESS;
    }
    loop {
        match told.recv_timeout(Duration::from_millis(100)) {
            Ok(heard) => return show(&args.session, heard),
            Err(RecvTimeoutError::Timeout) if crate::daemon::server::client_gone() => {
                // The message is still delivered; its reply is in the history.
                return ExitCode::from(130);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                output::error(&format!(
                    "the message to session `{}` (run {id}) was lost before its reply came; \
                     `duet agent history --session {}` shows what the session holds",
                    args.session, args.session
                ));
                return ExitCode::from(1);
            }
        }
    }
}

/// The run of `args.session` to deliver to: its newest, unless it has ended; else a new one,
/// started and waiting for its first message.
fn session_run(
    store: &Store,
    host: Option<&Arc<dyn Host>>,
    args: &ChatArgs,
) -> Result<RunId, ExitCode> {
    let failed = |e: String| {
        output::error(&e);
        ExitCode::from(1)
    };
    let latest = chat::find(store, &args.session).map_err(failed)?;
    if let Some(run) = &latest
        && !chat::ended(&run.status)
    {
        if let Some(wanted) = &args.agent {
            let kind = chat::kind_of(store, run.id).map_err(failed)?;
            if kind != *wanted {
                output::error(&format!(
                    "session `{}` (run {}) talks to `{kind}`, chosen when it began; `duet agent \
                     chat --session NAME --agent {wanted} TEXT` starts another session",
                    args.session, run.id
                ));
                return Err(ExitCode::from(2));
            }
        }
        return Ok(run.id);
    }
    // The store's config is read only when it decides.
    let kind = match args.agent.clone().or_else(|| served::var("DUET_AGENT")) {
        Some(kind) => kind,
        None => match chat::configured_kind(store.dir()) {
            Ok(kind) => kind.unwrap_or_else(|| chat::DEFAULT_KIND.to_string()),
            Err(e) => {
                output::error(&e);
                return Err(ExitCode::from(2));
            }
        },
    };
    if !duet_runtime::agents::KINDS.contains(&kind.as_str()) {
        output::error(&format!(
            "`{}` is not an agent kind; the kinds are {}",
            one_line(&kind),
            duet_runtime::agents::KINDS.join(", ")
        ));
        return Err(ExitCode::from(2));
    }
    let workspace = match served::current_dir().and_then(Workspace::new) {
        Ok(w) => w.with_forbidden(store.dir()),
        Err(e) => {
            output::error(&format!(
                "cannot use the current directory as the chat's workspace: {e}"
            ));
            return Err(ExitCode::from(2));
        }
    };
    let mut started = Heard::default();
    let created = {
        let mut answers = NoOneToAsk;
        let mut ports = Ports {
            observer: &mut started,
            answers: &mut answers,
            clock: Arc::new(SystemClock),
        };
        chat::create(store, &args.session, &kind, workspace, &mut ports)
    };
    let id = created.map_err(failed)?;
    match &latest {
        Some(old) => errln!(
            "chat: session `{}` continues in a new run, {id}, with `{kind}`: its run {} has ended \
             ({}), and its conversation with it",
            args.session,
            old.id,
            old.status
        ),
        None => errln!(
            "chat: session `{}` begins as run {id}, with `{kind}`",
            args.session
        ),
    }
    // It runs to its first question: the wait for the first message.
    if follow(store, host, id, Resumption::Start, &mut started) != Exit::Waiting {
        let why = started.error.or(started.ended).unwrap_or_default();
        return Err(failed(format!("the chat's run {id} did not start: {why}")));
    }
    Ok(id)
}

/// Delivers message `text` to session run `id`, through `host` when there is one, and
/// gathers what it came to in `heard`.
fn deliver(store: &Store, host: Option<&Arc<dyn Host>>, id: RunId, text: &str, heard: &mut Heard) {
    let run = match store.run(id) {
        Ok(run) => run,
        Err(e) => {
            heard.error = Some(e.to_string());
            return;
        }
    };
    if chat::ended(&run.status) {
        heard.error = Some(format!(
            "the chat's run {id} has ended ({}) before the message reached it; `duet agent chat` \
             again starts a new run",
            run.status
        ));
        return;
    }
    // A run interrupted while answering (its follower died) first finishes that.
    if !durable::waits_for_person(&run.status) {
        let mut resumed = Heard::default();
        if follow(store, host, id, Resumption::Resume, &mut resumed) != Exit::Waiting {
            heard.error = Some(resumed.error.or(resumed.ended).unwrap_or_else(|| {
                format!("the chat's run {id} did not come back to wait for a message")
            }));
            return;
        }
    }
    if follow(store, host, id, Resumption::Answer(text.to_string()), heard) != Exit::Waiting
        && heard.error.is_none()
    {
        heard.ended = heard.ended.take().or(Some("stopped".into()));
    }
}

/// Follows run `id` `how`, nobody to answer its questions (it waits for the next message),
/// through `host`, else here; its events go to `observer`.
fn follow(
    store: &Store,
    host: Option<&Arc<dyn Host>>,
    id: RunId,
    how: Resumption,
    observer: &mut dyn Observer,
) -> Exit {
    if let Some(host) = host {
        return host.follow(id, how, Changes::default(), Box::new(NoOneToAsk), observer);
    }
    let _lease = duet::driver::lease::hold(store.dir(), id);
    let mut answers = NoOneToAsk;
    let mut ports = Ports {
        observer,
        answers: &mut answers,
        clock: Arc::new(SystemClock),
    };
    let result = durable::follow_with(store, id, how, &Changes::default(), &mut ports);
    duet::driver::workflow_outcome(result, ports.observer)
}

/// One message for a session's worker; `tell` hears what it came to.
struct Job {
    text: String,
    tell: Option<Sender<Heard>>,
}

/// The workers delivering messages, one per session run (of a store) with messages to
/// deliver; a worker leaves once it has none.
static WORKERS: Mutex<BTreeMap<(PathBuf, RunId), Sender<Job>>> = Mutex::new(BTreeMap::new());

/// Hands `job` to the worker of session run `id`, starting one if it has none.
fn queue(store: Store, host: Arc<dyn Host>, id: RunId, job: Job) -> Result<(), String> {
    let key = (store.dir().to_path_buf(), id);
    let mut workers = lock(&WORKERS);
    // A worker leaves only while holding the lock, after finding no job: one still listed
    // takes this one.
    let job = match workers.get(&key) {
        Some(worker) => match worker.send(job) {
            Ok(()) => return Ok(()),
            Err(unsent) => unsent.0,
        },
        None => job,
    };
    let (worker, jobs) = channel();
    let _ = worker.send(job);
    let listed = key.clone();
    std::thread::Builder::new()
        .name(format!("chat {id}"))
        // It follows the run itself (a run's VM recurses, using what it needs of this).
        .stack_size(crate::STACK_BYTES)
        .spawn(move || {
            loop {
                let job = {
                    let mut workers = lock(&WORKERS);
                    match jobs.try_recv() {
                        Ok(job) => job,
                        Err(_) => {
                            workers.remove(&listed);
                            return;
                        }
                    }
                };
                let mut heard = Heard::default();
                deliver(&store, Some(&host), id, &job.text, &mut heard);
                if let Some(tell) = job.tell {
                    let _ = tell.send(heard);
                }
            }
        })
        .map_err(|e| format!("cannot start delivering messages to run {id}: {e}"))?;
    workers.insert(key, worker);
    Ok(())
}

/// Prints the reply `heard` brought, or says why there is none; the exit status.
fn show(session: &str, heard: Heard) -> ExitCode {
    if let Some(failed) = heard.agent_failed {
        output::error(&format!(
            "the agent of session `{session}` failed: {}; nothing was added to the conversation, \
             and the session goes on: `duet agent chat` sends the message again",
            one_line(&failed)
        ));
        return ExitCode::from(1);
    }
    if let Some(error) = heard.error {
        output::error(&error);
        return ExitCode::from(1);
    }
    if let Some(ended) = heard.ended {
        output::error(&format!(
            "the run of session `{session}` ended ({}) instead of replying; `duet agent chat` \
             again starts a new run",
            one_line(&ended)
        ));
        return ExitCode::from(1);
    }
    output::write(false, &heard.reply);
    ExitCode::SUCCESS
}

/// `duet agent history`: the session's messages, oldest first, one a line: who, when, what.
fn history(args: &HistoryArgs) -> ExitCode {
    if let Err(e) = chat::check_name(&args.session) {
        output::error(&e);
        return ExitCode::from(2);
    }
    let store = match super::runs::open(&args.store) {
        Ok(store) => store,
        Err(code) => return code,
    };
    let run = match chat::find(&store, &args.session) {
        Ok(Some(run)) => run,
        Ok(None) => {
            let known = match chat::sessions(&store) {
                Ok(names) if names.is_empty() => "it has none".to_string(),
                Ok(names) => format!("its sessions are {}", names.join(", ")),
                Err(e) => format!("its sessions cannot be listed: {e}"),
            };
            output::error(&format!(
                "there is no chat session `{}` in {}; {known}; `duet agent chat --session {} \
                 TEXT` starts it",
                args.session,
                store.dir().display(),
                args.session
            ));
            return ExitCode::from(2);
        }
        Err(e) => {
            output::error(&e);
            return ExitCode::from(1);
        }
    };
    let said = match chat::history(&store, run.id) {
        Ok(said) => said,
        Err(e) => {
            output::error(&format!(
                "cannot read the conversation of session `{}` (run {}): {e}",
                args.session, run.id
            ));
            return ExitCode::from(1);
        }
    };
    for message in &said {
        if args.json {
            json_line(message);
        } else {
            crate::output::outln!(
                "{}\t{}\t{}",
                message.from,
                local_time(message.at),
                block(&message.text)
            );
        }
    }
    ExitCode::SUCCESS
}
