//! What the engine tests share: a workflow compiled from source into a [`NewRun`], a
//! temporary store, and ports that record events on a clock the test sets.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::sync::Arc;

use duet_lang::frontend::NoLoader;
use duet_runtime::durable::{
    self, Clock, EngineError, EventKind, ManualClock, NewRun, Ports, Resumption, RunEvent, Stopped,
};
use duet_runtime::effects::{Capabilities, Workspace};
use duet_runtime::session::{Limits, Session};
use duet_runtime::workflow::roles;
use duet_store::{RunId, Store};

/// The moment every test's clock starts at (2026-11-01, in milliseconds).
pub const T0: i64 = 1_793_491_200_000;

/// A temporary store and workspace, removed when dropped.
pub struct Place {
    /// The store.
    pub store: Store,
    /// The directory holding the store and the workspace.
    pub dir: tempfile::TempDir,
}

impl Place {
    /// A fresh store in a fresh directory.
    pub fn new() -> Place {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let store = Store::open(dir.path().join("store")).expect("a store");
        std::fs::create_dir(dir.path().join("work")).expect("a workspace");
        Place { store, dir }
    }

    /// `source`'s only workflow, every role played by `echo`, ready to create.
    pub fn compile(&self, source: &str) -> NewRun {
        let mut session = Session::new(Limits::default());
        let checked = session.check("test.lisp", source.as_bytes(), &mut NoLoader);
        assert!(
            !checked.has_errors(),
            "the test program does not check: {:?}",
            checked.diagnostics
        );
        let fid = session.load(&checked);
        session
            .run(fid, &mut std::io::sink(), &mut std::io::sink())
            .expect("the top-level forms run");
        let workflow = session.compile_workflow(&checked, 0);
        let echo = vec![("*".to_string(), "echo".to_string())];
        let roles = roles::roles(&checked.module.workflows[0], &echo).expect("roles");
        NewRun {
            vm: session.into_vm(),
            workflow,
            roles,
            capabilities: Capabilities::default(),
            workspace: Workspace::new(self.dir.path().join("work")).expect("the workspace"),
            source: None,
            budget_microusd: None,
        }
    }
}

/// The ports of one engine call: events recorded, answers given in advance, a set clock.
pub struct Recorder {
    /// Every event reported, in order.
    pub events: Vec<RunEvent>,
    /// Answers to give, in order; none left means no one to ask.
    pub answers: VecDeque<String>,
    /// The clock.
    pub clock: ManualClock,
}

impl Recorder {
    /// A recorder whose clock reads `now`.
    pub fn at(now: i64) -> Recorder {
        Recorder {
            events: Vec::new(),
            answers: VecDeque::new(),
            clock: ManualClock::new(now),
        }
    }

    /// Ports reporting into this recorder.
    pub fn ports(&mut self) -> Ports<'_> {
        Ports {
            observer: &mut self.events,
            answers: &mut self.answers,
            clock: Arc::new(self.clock.clone()) as Arc<dyn Clock>,
        }
    }

    /// What the program printed, in order.
    pub fn printed(&self) -> String {
        self.events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Output { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    /// The names of the events, in order (`state`, `output`, …).
    pub fn names(&self) -> Vec<String> {
        self.events
            .iter()
            .map(|e| {
                serde_json::to_value(e).expect("events encode")["event"]
                    .as_str()
                    .expect("an event name")
                    .to_string()
            })
            .collect()
    }
}

/// Creates a run of `source` and follows it to where it stops.
pub fn run(place: &Place, source: &str, ports: &mut Recorder) -> (RunId, Stopped) {
    let new = place.compile(source);
    let id = durable::create(&place.store, new, None, &mut ports.ports()).expect("created");
    let stopped = follow(place, id, Resumption::Start, ports).expect("followed");
    (id, stopped)
}

/// Follows run `id` again.
pub fn follow(
    place: &Place,
    id: RunId,
    how: Resumption,
    ports: &mut Recorder,
) -> Result<Stopped, EngineError> {
    durable::follow(&place.store, id, how, &mut ports.ports())
}

/// Reads one HTTP request from `stream` (a fake server's side): its request line, headers
/// and JSON body.
pub fn read_request(
    stream: &std::net::TcpStream,
) -> (String, Vec<(String, String)>, serde_json::Value) {
    use std::io::{BufRead, BufReader, Read};
    let mut reader = BufReader::new(stream.try_clone().expect("a clone"));
    let mut line = String::new();
    reader.read_line(&mut line).expect("a request line");
    let request_line = line.trim_end().to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').expect("a header");
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| v.parse().expect("a length"));
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("the body");
    let body = serde_json::from_slice(&body).expect("a JSON body");
    (request_line, headers, body)
}
