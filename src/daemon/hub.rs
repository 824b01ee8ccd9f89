//! The runs the daemon follows: one OS thread per run, each following it in the durable
//! engine on a current-thread tokio runtime of its own (the engine's follow loop is
//! synchronous), all sharing the one open store. Every event of a run goes to the daemon's
//! log and to the commands that follow it (`duet run`, `attach`, `resume`, `answer`), each
//! through a channel of its own; a command that goes away leaves the run going.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use duet::driver::events::Reporter;
use duet::driver::lease::Lease;
use duet::driver::script::Exit;
use duet::driver::served::Host;
use duet_runtime::durable::{
    self, Changes, EngineError, EventKind, NoOneToAsk, Observer, Ports, Resumption, RunEvent,
    StopSignal, Stopped, SystemClock,
};
use duet_runtime::workflow::Ending;
use duet_store::{RunId, Status, Store};

use super::http::events::EventLog;

/// The stack of a follower thread: a run's VM recurses as the command's main thread does,
/// and only the pages used are touched.
const FOLLOWER_STACK: usize = 256 << 20;

/// What a command following a run hears.
enum Heard {
    /// One of the run's events.
    Event(RunEvent),
    /// Following stopped: the outcome, and an error to report first.
    Done(Exit, Option<String>),
}

/// A run being followed.
struct Followed {
    stop: StopSignal,
    /// Why it is being stopped, once it is: `duet stop` cancels it.
    cancel: bool,
    listeners: Vec<Sender<Heard>>,
    thread: Option<JoinHandle<()>>,
}

/// The daemon's runs.
pub struct Hub {
    store: Store,
    lease: Arc<Lease>,
    log: Mutex<std::fs::File>,
    runs: Mutex<BTreeMap<RunId, Followed>>,
    /// The events kept for the HTTP API's streams, when it serves one.
    events: OnceLock<Arc<EventLog>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Hub {
    /// A hub following runs of `store`, leased under `lease`, logging to `log`.
    pub fn new(store: Store, lease: Arc<Lease>, log: std::fs::File) -> Arc<Hub> {
        Arc::new(Hub {
            store,
            lease,
            log: Mutex::new(log),
            runs: Mutex::new(BTreeMap::new()),
            events: OnceLock::new(),
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
        let mut log = lock(&self.log);
        let _ = writeln!(log, "{line}");
        let _ = log.flush();
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
                self.begin(run.id, Resumption::Resume, Changes::default(), None)?;
                taken += 1;
            }
        }
        Ok(taken)
    }

    /// Starts following run `id`; `listener` hears it from its first event. Refused when it
    /// is followed already.
    fn begin(
        self: &Arc<Self>,
        id: RunId,
        how: Resumption,
        changes: Changes,
        listener: Option<Sender<Heard>>,
    ) -> Result<(), String> {
        let mut runs = lock(&self.runs);
        if runs.contains_key(&id) {
            return Err(already_followed(id));
        }
        let stop = StopSignal::default();
        let hub = self.clone();
        let signal = stop.clone();
        let thread = std::thread::Builder::new()
            .name(format!("follow {id}"))
            .stack_size(FOLLOWER_STACK)
            .spawn(move || hub.follow_thread(id, how, changes, signal))
            .map_err(|e| format!("cannot start following run {id}: {e}"))?;
        self.lease.add(id);
        runs.insert(
            id,
            Followed {
                stop,
                cancel: false,
                listeners: listener.into_iter().collect(),
                thread: Some(thread),
            },
        );
        Ok(())
    }

    /// The body of a follower thread.
    fn follow_thread(
        self: Arc<Self>,
        id: RunId,
        how: Resumption,
        changes: Changes,
        stop: StopSignal,
    ) {
        // A run taken up or started is running (an answer first checks there is a question).
        if !matches!(how, Resumption::Answer(_)) {
            let now = duet_runtime::effects::now_ms().max(0) as u64;
            if let Ok(run) = self.store.run(id)
                && matches!(run.status, Status::Waiting { .. })
                && !durable::waits_for_person(&run.status)
            {
                let _ = self.store.set_status(id, Status::Running, now);
            }
        }
        let mut observer = Broadcast { hub: &self, id };
        let mut answers = NoOneToAsk;
        let mut ports = Ports {
            observer: &mut observer,
            answers: &mut answers,
            clock: Arc::new(SystemClock),
        };
        let result = durable::follow_until(&self.store, id, how, &changes, &mut ports, &stop);
        self.finish(id, result);
    }

    /// Following run `id` ended with `result`: its listeners hear how; a run stopped by
    /// `duet stop` is recorded as cancelled.
    fn finish(&self, id: RunId, result: Result<Stopped, EngineError>) {
        let followed = lock(&self.runs).remove(&id);
        self.lease.remove(id);
        let Some(followed) = followed else {
            return;
        };
        let (mut exit, mut error) = outcome(result);
        if followed.cancel && exit == Exit::Waiting {
            let now = duet_runtime::effects::now_ms().max(0) as u64;
            match self.store.set_status(id, Status::Cancelled, now) {
                Ok(_) => {
                    let event = RunEvent {
                        kind: EventKind::ended(&Ending::Cancelled(duet_sam::Term::Nil), false),
                        run: Some(id.to_string()),
                        turn: None,
                        at: now as i64,
                    };
                    self.publish(&followed.listeners, id, event);
                    exit = Exit::Done;
                }
                Err(e) => error = Some(format!("cannot record run {id} as cancelled: {e}")),
            }
        }
        if let Some(error) = &error {
            self.log(&format!("run {id}: error: {error}"));
        }
        self.log(&format!("run {id}: no longer followed ({exit:?})"));
        for listener in &followed.listeners {
            let _ = listener.send(Heard::Done(exit, error.clone()));
        }
        if let Some(events) = self.events.get()
            && self.store.run(id).is_ok_and(|run| ended(&run.status))
        {
            events.ended(id);
        }
    }

    /// Logs `event` and sends it to `listeners`.
    fn publish(&self, listeners: &[Sender<Heard>], id: RunId, event: RunEvent) {
        if let Ok(line) = serde_json::to_string(&event) {
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
        let threads: Vec<JoinHandle<()>> = {
            let mut runs = lock(&self.runs);
            runs.values_mut()
                .filter_map(|f| {
                    f.stop.stop();
                    f.thread.take()
                })
                .collect()
        };
        for thread in threads {
            let _ = thread.join();
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
        report: &mut Reporter,
    ) -> Exit {
        let (tell, heard) = channel();
        if let Err(e) = self.begin(id, how, changes, Some(tell)) {
            report.error(e);
            return Exit::Rejected;
        }
        match heard.recv() {
            Ok(Heard::Event(event)) => {
                report.event(event);
                Exit::Waiting
            }
            Ok(Heard::Done(exit, error)) => {
                if let Some(error) = error {
                    report.error(error);
                }
                exit
            }
            Err(_) => Exit::Waiting,
        }
    }

    /// Relays what `listener` hears to `report` until following stops or the client goes.
    fn relay(&self, id: RunId, heard: Receiver<Heard>, report: &mut Reporter) -> Exit {
        super::server::following(id);
        loop {
            match heard.recv_timeout(Duration::from_millis(500)) {
                Ok(Heard::Event(event)) => report.event(event),
                Ok(Heard::Done(exit, error)) => {
                    if let Some(error) = error {
                        report.error(error);
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
pub fn already_followed(id: RunId) -> String {
    format!("run {id} is already running in the daemon; `duet attach {id}` follows it")
}

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
    fn follow(&self, id: RunId, how: Resumption, changes: Changes, report: &mut Reporter) -> Exit {
        let (tell, heard) = channel();
        if let Err(e) = self.0.begin(id, how, changes, Some(tell)) {
            report.error(e);
            return Exit::Rejected;
        }
        self.0.relay(id, heard, report)
    }

    fn start(&self, id: RunId) -> Result<(), String> {
        self.0
            .begin(id, Resumption::Start, Changes::default(), None)
    }

    fn attach(&self, id: RunId, report: &mut Reporter) -> Option<Exit> {
        let (tell, heard) = channel();
        lock(&self.0.runs).get_mut(&id)?.listeners.push(tell);
        Some(self.0.relay(id, heard, report))
    }

    fn stop(&self, id: RunId) -> bool {
        let thread = {
            let mut runs = lock(&self.0.runs);
            let Some(followed) = runs.get_mut(&id) else {
                return false;
            };
            followed.cancel = true;
            followed.stop.stop();
            followed.thread.take()
        };
        // Once its thread is done the run is recorded as cancelled.
        if let Some(thread) = thread {
            let _ = thread.join();
        }
        true
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
