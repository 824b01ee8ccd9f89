//! The runs the daemon follows: each a task on one of a few follower threads
//! ([`super::followers`]), following it in the durable engine, all sharing the one open
//! store. Every event of a run goes to the daemon's
//! log and to the commands that follow it (`duet run`, `attach`, `resume`, `answer`), each
//! through a channel of its own; a command that goes away leaves the run going.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use duet::driver::events::Reporter;
use duet::driver::lease::Lease;
use duet::driver::script::Exit;
use duet::driver::served::Host;
use duet_runtime::durable::{
    self, Answers, Changes, EngineError, EventKind, NoOneToAsk, Observer, Ports, Resumption,
    RunEvent, StopSignal, Stopped, SystemClock,
};
use duet_runtime::workflow::Ending;
use duet_store::{RunId, Status, Store};

use super::followers::{self, Followers, Job};
use super::http::events::EventLog;

/// What a command following a run hears.
enum Heard {
    /// One of the run's events.
    Event(RunEvent),
    /// Following stopped: the outcome, and an error to report first.
    Done(Exit, Option<String>),
    /// Something for the person at the client's terminal (a question), in its place among
    /// the events.
    Say(super::protocol::Reply),
}

/// A run being followed.
struct Followed {
    stop: StopSignal,
    /// Why it is being stopped, once it is: `duet stop` cancels it.
    cancel: bool,
    listeners: Vec<Sender<Heard>>,
    /// Says when following it on a follower thread is over (`None` when it is followed on
    /// the thread of the command that started it).
    done: Option<Receiver<()>>,
}

/// The daemon's runs (or those of a foreground `duet` serving other commands meanwhile).
pub struct Hub {
    store: Store,
    lease: Arc<Lease>,
    /// The daemon's log; a foreground `duet` keeps none.
    log: Option<Mutex<std::fs::File>>,
    /// Whether it is a daemon, whose runs go on after the commands that started them.
    lasting: bool,
    runs: Mutex<BTreeMap<RunId, Followed>>,
    /// The events kept for the HTTP API's streams, when it serves one.
    events: OnceLock<Arc<EventLog>>,
    /// The threads runs are followed on, started with the first.
    followers: OnceLock<Result<Followers, String>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hub {
    /// The daemon's hub following runs of `store`, leased under `lease`, logging to `log`.
    pub fn new(store: Store, lease: Arc<Lease>, log: std::fs::File) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            lease,
            log: Some(Mutex::new(log)),
            lasting: true,
            runs: Mutex::new(BTreeMap::new()),
            events: OnceLock::new(),
            followers: OnceLock::new(),
        })
    }

    /// The hub of a foreground `duet` following runs of `store` while it holds it, leased
    /// under `lease`, without a log.
    pub fn foreground(store: Store, lease: Arc<Lease>) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            lease,
            log: None,
            lasting: false,
            runs: Mutex::new(BTreeMap::new()),
            events: OnceLock::new(),
            followers: OnceLock::new(),
        })
    }

    /// Keeps every run's events in `events` from now on (the HTTP API's streams).
    pub fn keep_events(&self, events: Arc<EventLog>) {
        let _ = self.events.set(events);
    }

    /// Whether it follows run `id`.
    pub fn follows(&self, id: RunId) -> bool {
        lock(&self.runs).contains_key(&id)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Writes `line` to the daemon's log.
    pub fn log(&self, line: &str) {
        if let Some(log) = &self.log {
            let mut log = lock(log);
            let _ = writeln!(log, "{line}");
            let _ = log.flush();
        }
    }

    /// The runs it follows.
    pub fn following(&self) -> Vec<RunId> {
        lock(&self.runs).keys().copied().collect()
    }

    /// Takes up every run left active (running, or waiting for anything but a person's
    /// answer): each is followed from where its journal ends, and a timer whose deadline
    /// passed meanwhile fires at once.
    pub fn take_up(self: &Arc<Self>) -> Result<usize, String> {
        let runs = self.store.runs().map_err(|e| e.to_string())?;
        let mut taken = 0;
        for run in runs {
            let active = match &run.status {
                Status::Running => true,
                waiting @ Status::Waiting { .. } => !durable::waits_for_person(waiting),
                _ => false,
            };
            if active {
                self.log(&format!("taking up run {} ({})", run.id, run.status));
                self.begin(
                    run.id,
                    Resumption::Resume,
                    Changes::default(),
                    Box::new(NoOneToAsk),
                    None,
                )?;
                taken += 1;
            }
        }
        Ok(taken)
    }

    /// Starts following run `id`, its questions asked of `answers`; `listener` hears it from
    /// its first event. Refused when it is followed already.
    fn begin(
        self: &Arc<Self>,
        id: RunId,
        how: Resumption,
        changes: Changes,
        answers: Box<dyn Answers + Send>,
        listener: Option<Sender<Heard>>,
    ) -> Result<(), String> {
        let mut runs = lock(&self.runs);
        if runs.contains_key(&id) {
            return Err(self.followed_already(id));
        }
        let followers = self
            .followers
            .get_or_init(|| Followers::start(followers::THREADS))
            .as_ref()
            .map_err(|e| format!("cannot start following run {id}: {e}"))?;
        let stop = StopSignal::default();
        let hub = self.clone();
        let signal = stop.clone();
        let (finished, done) = channel();
        let job: Job = Box::new(move || {
            Box::pin(async move {
                hub.follow_task(id, how, changes, answers, signal).await;
                let _ = finished.send(());
            })
        });
        followers
            .follow(job)
            .map_err(|e| format!("cannot start following run {id}: {e}"))?;
        self.lease.add(id);
        runs.insert(
            id,
            Followed {
                stop,
                cancel: false,
                listeners: listener.into_iter().collect(),
                done: Some(done),
            },
        );
        Ok(())
    }

    /// Follows run `id` as a task of a follower thread.
    async fn follow_task(
        self: Arc<Self>,
        id: RunId,
        how: Resumption,
        changes: Changes,
        mut answers: Box<dyn Answers + Send>,
        stop: StopSignal,
    ) {
        let mut observer = Broadcast { hub: &self, id };
        let mut ports = Ports {
            observer: &mut observer,
            answers: answers.as_mut(),
            clock: Arc::new(SystemClock),
        };
        let result = durable::following(&self.store, id, how, &changes, &mut ports, &stop).await;
        self.finish(id, result, None);
    }

    /// Follows run `id` on this thread, its events to `report` as they come and to its
    /// listeners (a foreground `duet`'s own run: what it prints is shown before the run
    /// goes on, as without a hub). Refused when it is followed already.
    fn follow_here(
        &self,
        id: RunId,
        how: Resumption,
        changes: Changes,
        mut answers: Box<dyn Answers + Send>,
        report: &mut dyn Observer,
    ) -> Exit {
        let stop = StopSignal::default();
        {
            let mut runs = lock(&self.runs);
            if runs.contains_key(&id) {
                drop(runs);
                report.event(error_event(self.followed_already(id)));
                return Exit::Rejected;
            }
            self.lease.add(id);
            runs.insert(
                id,
                Followed {
                    stop: stop.clone(),
                    cancel: false,
                    listeners: Vec::new(),
                    done: None,
                },
            );
        }
        let mut observer = Tee {
            report: &mut *report,
            broadcast: Broadcast { hub: self, id },
        };
        let mut ports = Ports {
            observer: &mut observer,
            answers: answers.as_mut(),
            clock: Arc::new(SystemClock),
        };
        let result = durable::follow_until(&self.store, id, how, &changes, &mut ports, &stop);
        self.finish(id, result, Some(report))
    }

    /// Why run `id` cannot be followed again.
    pub fn followed_already(&self, id: RunId) -> String {
        let by = match self.lasting {
            true => "in the daemon".to_string(),
            false => format!("in duet pid {}", std::process::id()),
        };
        format!("run {id} is already running {by}; `duet attach {id}` follows it")
    }

    /// Following run `id` ended with `result`: its listeners (and `report`, following it
    /// here) hear how; a run stopped by `duet stop` is recorded as cancelled. How the
    /// command following it exits.
    fn finish(
        &self,
        id: RunId,
        result: Result<Stopped, EngineError>,
        report: Option<&mut dyn Observer>,
    ) -> Exit {
        let (mut exit, mut error) = outcome(result);
        // It stays listed until all is said and recorded: `duet stop` waits for that.
        let Some((cancel, listeners)) = lock(&self.runs)
            .get(&id)
            .map(|f| (f.cancel, f.listeners.clone()))
        else {
            self.lease.remove(id);
            return exit;
        };
        let mut report = report;
        if cancel && exit == Exit::Waiting {
            let now = duet_runtime::effects::now_ms().max(0) as u64;
            match self.store.set_status(id, Status::Cancelled, now) {
                Ok(_) => {
                    let event = RunEvent {
                        kind: EventKind::ended(&Ending::Cancelled(duet_sam::Term::Nil), false),
                        run: Some(id.to_string()),
                        turn: None,
                        at: now as i64,
                    };
                    if let Some(report) = report.as_deref_mut() {
                        report.event(event.clone());
                    }
                    self.publish(&listeners, id, event);
                    exit = Exit::Done;
                }
                Err(e) => error = Some(format!("cannot record run {id} as cancelled: {e}")),
            }
        }
        if let Some(error) = &error {
            self.log(&format!("run {id}: error: {error}"));
            if let Some(report) = report {
                report.event(error_event(error.clone()));
            }
        }
        self.log(&format!("run {id}: no longer followed ({exit:?})"));
        // Listeners that came meanwhile hear the end too.
        let followed = lock(&self.runs).remove(&id);
        self.lease.remove(id);
        for listener in followed.iter().flat_map(|f| &f.listeners) {
            let _ = listener.send(Heard::Done(exit, error.clone()));
        }
        if let Some(events) = self.events.get()
            && self.store.run(id).is_ok_and(|run| ended(&run.status))
        {
            events.ended(id);
        }
        exit
    }

    /// Logs `event` and sends it to `listeners`.
    fn publish(&self, listeners: &[Sender<Heard>], id: RunId, event: RunEvent) {
        if self.log.is_some()
            && let Ok(line) = serde_json::to_string(&event)
        {
            self.log(&format!("run {id}: {line}"));
            // As `--json` shows them: an empty output is no event.
            let empty = matches!(&event.kind, EventKind::Output { text } if text.is_empty());
            if let Some(events) = self.events.get()
                && !empty
            {
                events.record(id, line.into());
            }
        }
        for listener in listeners {
            let _ = listener.send(Heard::Event(event.clone()));
        }
    }

    /// Stops every run (the daemon stops): each is left as it is, to be taken up again.
    pub fn stop_all(&self) {
        let stopping: Vec<Receiver<()>> = {
            let mut runs = lock(&self.runs);
            runs.values_mut()
                .filter_map(|f| {
                    f.stop.stop();
                    f.done.take()
                })
                .collect()
        };
        for done in stopping {
            let _ = done.recv();
        }
    }

    /// Starts following run `id` as [`Host::follow`] does, but reports only until the run
    /// has taken `how` — its first event — and leaves it going (exit 3), or until following
    /// stopped before that (its outcome, an error first): the HTTP API's actions return
    /// once the run goes on.
    pub fn hand_over(
        self: &Arc<Self>,
        id: RunId,
        how: Resumption,
        changes: Changes,
        report: &mut dyn Observer,
    ) -> Exit {
        let (tell, heard) = channel();
        if let Err(e) = self.begin(id, how, changes, Box::new(NoOneToAsk), Some(tell)) {
            report.event(error_event(e));
            return Exit::Rejected;
        }
        loop {
            return match heard.recv() {
                Ok(Heard::Event(event)) => {
                    report.event(event);
                    Exit::Waiting
                }
                Ok(Heard::Done(exit, error)) => {
                    if let Some(error) = error {
                        report.event(error_event(error));
                    }
                    exit
                }
                // No one is asked here (the run's questions wait for an answer).
                Ok(Heard::Say(_)) => continue,
                Err(_) => Exit::Waiting,
            };
        }
    }

    /// Relays what `listener` hears to `report` until following stops or the client goes.
    fn relay(&self, id: RunId, heard: Receiver<Heard>, report: &mut dyn Observer) -> Exit {
        super::server::following(id);
        loop {
            match heard.recv_timeout(Duration::from_millis(500)) {
                Ok(Heard::Event(event)) => report.event(event),
                Ok(Heard::Say(reply)) => super::server::reply(&reply),
                Ok(Heard::Done(exit, error)) => {
                    if let Some(error) = error {
                        report.event(error_event(error));
                    }
                    return exit;
                }
                Err(RecvTimeoutError::Timeout) if super::server::client_gone() => {
                    return Exit::Waiting;
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Exit::Waiting,
            }
            if super::server::client_gone() {
                return Exit::Waiting;
            }
        }
    }
}

/// Why run `id` cannot be followed: the daemon follows it already.
/// Whether a run with `status` has ended.
pub fn ended(status: &Status) -> bool {
    matches!(
        status,
        Status::Completed | Status::Failed { .. } | Status::Cancelled
    )
}

/// The daemon as the commands it serves see it.
pub struct Hosting(pub Arc<Hub>);

impl Host for Hosting {
    fn follow(
        &self,
        id: RunId,
        how: Resumption,
        changes: Changes,
        answers: Box<dyn Answers + Send>,
        report: &mut dyn Observer,
    ) -> Exit {
        // A foreground `duet`'s own run is followed on its own thread; a client's on one of
        // the hub's, so that it goes on if the client goes.
        if !super::server::serving_client() {
            return self.0.follow_here(id, how, changes, answers, report);
        }
        let (tell, heard) = channel();
        let said = tell.clone();
        super::server::route(Some(Box::new(move |reply| {
            let _ = said.send(Heard::Say(reply));
        })));
        let exit = match self.0.begin(id, how, changes, answers, Some(tell)) {
            Ok(()) => self.0.relay(id, heard, report),
            Err(e) => {
                report.event(error_event(e));
                Exit::Rejected
            }
        };
        super::server::route(None);
        exit
    }

    fn start(&self, id: RunId) -> Result<(), String> {
        self.0.begin(
            id,
            Resumption::Start,
            Changes::default(),
            Box::new(NoOneToAsk),
            None,
        )
    }

    fn attach(&self, id: RunId, report: &mut Reporter) -> Option<Exit> {
        let (tell, heard) = channel();
        lock(&self.0.runs).get_mut(&id)?.listeners.push(tell);
        Some(self.0.relay(id, heard, report))
    }

    fn stop(&self, id: RunId) -> bool {
        let done = {
            let mut runs = lock(&self.0.runs);
            let Some(followed) = runs.get_mut(&id) else {
                return false;
            };
            followed.cancel = true;
            followed.stop.stop();
            followed.done.take()
        };
        // Once it is no longer followed the run is recorded as cancelled.
        match done {
            Some(done) => {
                let _ = done.recv();
            }
            None => {
                while lock(&self.0.runs).contains_key(&id) {
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        true
    }

    fn lasting(&self) -> bool {
        self.0.lasting
    }
}

/// An `error` event saying `message`, not tied to a run.
fn error_event(message: String) -> RunEvent {
    RunEvent {
        kind: EventKind::Error { message },
        run: None,
        turn: None,
        at: duet_runtime::effects::now_ms(),
    }
}

/// How a command following a run exits, and the error it reports (as `duet run` does).
fn outcome(result: Result<Stopped, EngineError>) -> (Exit, Option<String>) {
    match result {
        Ok(Stopped::Ended(Ending::Failed(_))) => (Exit::Failed, None),
        Ok(Stopped::Ended(_)) => (Exit::Done, None),
        Ok(Stopped::Waiting) => (Exit::Waiting, None),
        Err(e) if e.is_usage() => (Exit::Rejected, Some(e.to_string())),
        Err(e) => (Exit::Failed, Some(e.to_string())),
    }
}

/// The observer of a run followed here: its events to the command's report first, then to
/// the log and its listeners.
struct Tee<'r, 'h> {
    report: &'r mut dyn Observer,
    broadcast: Broadcast<'h>,
}

impl Observer for Tee<'_, '_> {
    fn event(&mut self, event: RunEvent) {
        self.report.event(event.clone());
        self.broadcast.event(event);
    }
}

/// The observer of a followed run: its events to the log and its listeners.
struct Broadcast<'h> {
    hub: &'h Hub,
    id: RunId,
}

impl Observer for Broadcast<'_> {
    fn event(&mut self, event: RunEvent) {
        let listeners: Vec<Sender<Heard>> = lock(&self.hub.runs)
            .get(&self.id)
            .map(|f| f.listeners.clone())
            .unwrap_or_default();
        self.hub.publish(&listeners, self.id, event);
    }
}
