//! The daemon's HTTP API through the `duet` command (`duet daemon start --http 127.0.0.1:0`)
//! and a real HTTP client: every route with the token, 401 without it or with another, a
//! non-loopback address refused, an event stream resumed with `Last-Event-ID` losing no
//! event, and a client that never reads its stream not slowing a run. Every daemon a test
//! starts is stopped, on panic too ([`Daemon`]).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

mod support;
use support::{duet, json_lines, temp, text};

/// How many event ids each start of the API has (`src/daemon/http/epoch.rs`): the first
/// daemon of a store numbers from `ID_SPAN + 1`, the next from `2 * ID_SPAN + 1`.
const ID_SPAN: u64 = 1_000_000_000_000;

/// A daemon serving the API, started by this test: stopped when dropped, killed if it will
/// not stop.
struct Daemon {
    dir: PathBuf,
    pid: i32,
    /// `http://127.0.0.1:PORT`
    base: String,
    token: String,
    client: Client,
}

impl Daemon {
    /// Starts the daemon of the store `.duet` in `dir` with the API on a free port, which
    /// `duet daemon status --json` tells.
    fn start(dir: &Path) -> Daemon {
        let out = duet(dir, &["daemon", "start", "--http", "127.0.0.1:0"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let status = duet(dir, &["daemon", "status", "--json"]);
        assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
        let status = &json_lines(&status)[0];
        let base = status["http"].as_str().expect("its address").to_string();
        assert!(
            text(&out.stderr).contains(&format!("its HTTP API is on {base}")),
            "{}",
            text(&out.stderr)
        );
        let token_file = dir.join(".duet/daemon.token");
        assert_eq!(status["token"], json!(token_file));
        let token = std::fs::read_to_string(&token_file).expect("the token");
        // reqwest refuses to build a client without one, though no TLS is used here.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Daemon {
            dir: dir.to_path_buf(),
            pid: status["pid"].as_i64().expect("its pid") as i32,
            base,
            token: token.trim().to_string(),
            client: Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("a client"),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path` with the token.
    fn get(&self, path: &str) -> (StatusCode, Value) {
        answer(
            self.client
                .get(self.url(path))
                .bearer_auth(&self.token)
                .send(),
        )
    }

    /// `POST path` with the token and the JSON `body`.
    fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        answer(
            self.client
                .post(self.url(path))
                .bearer_auth(&self.token)
                .json(&body)
                .send(),
        )
    }

    /// `GET /v1/runs/RUN/events`, after `last` when given.
    fn events(&self, run: &str, last: Option<u64>) -> Events {
        let mut request = self
            .client
            .get(self.url(&format!("/v1/runs/{run}/events")))
            .bearer_auth(&self.token);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last.to_string());
        }
        let response = request.send().expect("the stream starts");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-type"],
            "text/event-stream",
            "an SSE stream"
        );
        Events {
            reader: BufReader::new(response),
        }
    }

    /// Polls `GET /v1/runs/RUN` until its status is `wanted` (`Completed`, `Waiting`, …).
    fn wait_for(&self, run: &str, wanted: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (code, got) = self.get(&format!("/v1/runs/{run}"));
            assert_eq!(code, StatusCode::OK, "{got}");
            if state(&got) == wanted {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "run {run} never became {wanted}: {got}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A run's status as one word: `Completed`, `Waiting`, `Running`, …
fn state(run: &Value) -> &str {
    match &run["status"] {
        Value::String(word) => word,
        Value::Object(one) => one.keys().next().map_or("", String::as_str),
        _ => "",
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = duet(&self.dir, &["daemon", "stop"]);
        // SAFETY: sends SIGKILL to the daemon this test started; one already gone makes it a
        // no-op.
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
    }
}

/// A response's status and JSON body.
fn answer(sent: reqwest::Result<Response>) -> (StatusCode, Value) {
    let response = sent.expect("the daemon answers");
    let code = response.status();
    let body = response.text().expect("a body");
    let value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{code} {body}: {e}"));
    (code, value)
}

/// The error of a request that must fail with `wanted`, its hint after a `; `.
fn refused((code, body): (StatusCode, Value), wanted: StatusCode) -> String {
    assert_eq!(code, wanted, "{body}");
    let (error, hint) = (body["error"].as_str(), body["hint"].as_str());
    format!("{}; {}", error.expect("an error"), hint.expect("a hint"))
}

/// One SSE event: its `id:` (none for the stream's notices) and its `data:` as JSON.
#[derive(Debug, Clone)]
struct Frame {
    id: Option<u64>,
    data: Value,
}

/// The frames of an event stream, as they come.
struct Events {
    reader: BufReader<Response>,
}

impl Iterator for Events {
    type Item = Frame;

    fn next(&mut self) -> Option<Frame> {
        frame(&mut self.reader)
    }
}

/// The next frame of an SSE stream; `None` at its end.
fn frame(reader: &mut impl BufRead) -> Option<Frame> {
    let (mut id, mut data) = (None, None);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if let Some(data) = data.take() {
                return Some(Frame { id, data });
            }
            continue;
        }
        if let Some(value) = line.strip_prefix("id: ") {
            id = Some(value.parse().expect("a numeric id"));
        } else if let Some(value) = line.strip_prefix("data: ") {
            data = Some(serde_json::from_str(value).expect("JSON data"));
        }
    }
}

/// Writes the workflow `name`.lisp into `dir`.
fn workflow(dir: &Path, name: &str, body: &str) {
    std::fs::write(dir.join(format!("{name}.lisp")), body).expect("the workflow");
}

/// A run that asks a question, then prints `lines` lines of `width` characters, each after
/// sleeping `ms` milliseconds, and ends.
fn asks_then_prints(dir: &Path, name: &str, lines: u64, width: usize, ms: u64) {
    let pause = if ms == 0 {
        String::new()
    } else {
        format!("(sleep \"{ms}ms\")")
    };
    workflow(
        dir,
        name,
        &format!(
            r#"(workflow {name}
  (state ask
    (let [a (ask-user "Go?" :options ["go" "no"])]
      (println "answer" a)
      (goto print)))
  (state print
    (let [pad (apply str (map (fn [_] "x") (range {width})))]
      (loop [i 0]
        (when (< i {lines})
          {pause}
          (println "line" i pad)
          (recur (+ i 1)))))
    (terminal)))"#
        ),
    );
}

/// Starts `name`.lisp through the API; its id.
fn start(daemon: &Daemon, name: &str) -> String {
    let (code, run) = daemon.post("/v1/runs", json!({"file": format!("{name}.lisp")}));
    assert_eq!(code, StatusCode::CREATED, "{run}");
    run["run"].as_str().expect("the run's id").to_string()
}

/// Starts `name`.lisp (an [`asks_then_prints`] run) and waits for its question; its id.
fn asking(daemon: &Daemon, name: &str) -> String {
    let run = start(daemon, name);
    daemon.wait_for(&run, "Waiting");
    run
}

/// A daemon in a fresh directory for `test`, and a run of `printer.lisp` (an
/// [`asks_then_prints`] run of `lines` lines of `width`, `ms` apart) waiting for its question.
fn printer(test: &str, lines: u64, width: usize, ms: u64) -> (PathBuf, Daemon, String) {
    let dir = temp(test);
    asks_then_prints(&dir, "printer", lines, width, ms);
    let daemon = Daemon::start(&dir);
    let run = asking(&daemon, "printer");
    (dir, daemon, run)
}

/// Answers run `run`'s question with `go`: the run goes on in the daemon.
fn go(daemon: &Daemon, run: &str) {
    let (code, taken) = daemon.post(&format!("/v1/runs/{run}/answer"), json!({"text": "go"}));
    assert_eq!(code, StatusCode::ACCEPTED, "{taken}");
}

/// The numbers of the `line N` outputs among `frames`.
fn printed(frames: &[Frame]) -> Vec<u64> {
    frames
        .iter()
        .filter(|f| f.data["event"] == "output")
        .filter_map(|f| {
            f.data["text"]
                .as_str()?
                .strip_prefix("line ")?
                .split(' ')
                .next()?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn every_route_answers_with_the_token_as_the_commands_do() {
    let dir = temp("http-routes");
    workflow(
        &dir,
        "question",
        r#"(workflow question
  (state s
    (println "hello")
    (let [a (ask-user "Colour?" :options ["red" "blue"])]
      (println "got" a)
      (terminal))))"#,
    );
    let daemon = Daemon::start(&dir);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join(".duet/daemon.token"))
        .expect("the token file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the token is its owner's alone");
    let status = text(&duet(&dir, &["daemon", "status"]).stdout);
    assert!(
        status.contains(&format!("http {}", daemon.base)),
        "{status}"
    );

    // POST /v1/runs: a file, relative to the directory holding the store; it waits.
    assert_eq!(start(&daemon, "question"), "r1");
    daemon.wait_for("r1", "Waiting");
    // Or the workflow's text.
    let source = std::fs::read_to_string(dir.join("question.lisp")).unwrap();
    let (code, r2) = daemon.post("/v1/runs", json!({"source": source, "agents": "echo"}));
    assert_eq!(code, StatusCode::CREATED, "{r2}");
    assert_eq!(r2["run"], "r2");
    daemon.wait_for("r2", "Waiting");

    // The reads say what the commands say with --json.
    let same = |path: &str, args: &[&str]| {
        let (code, got) = daemon.get(path);
        assert_eq!(code, StatusCode::OK, "{path}: {got}");
        let out = duet(&dir, args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        got
    };
    let runs = same("/v1/runs", &["runs", "--json"]);
    assert_eq!(runs, json!(json_lines(&duet(&dir, &["runs", "--json"]))));
    assert_eq!(runs.as_array().map(Vec::len), Some(2));
    let one = same("/v1/runs/r1", &["status", "r1", "--json"]);
    assert_eq!(one, json_lines(&duet(&dir, &["status", "r1", "--json"]))[0]);
    let turns = same("/v1/runs/r1/history", &["history", "r1", "--json"]);
    assert_eq!(
        turns,
        json!(json_lines(&duet(&dir, &["history", "r1", "--json"])))
    );

    // Unknown runs and routes: 404 in the commands' words.
    let missing = refused(daemon.get("/v1/runs/r9"), StatusCode::NOT_FOUND);
    assert!(missing.starts_with("no run `r9`"), "{missing}");
    assert!(missing.ends_with("`duet runs` lists them"), "{missing}");
    refused(daemon.get("/v1/runs/r9/history"), StatusCode::NOT_FOUND);
    refused(
        daemon.post("/v1/runs/r9/stop", json!({})),
        StatusCode::NOT_FOUND,
    );
    refused(daemon.get("/v2/runs"), StatusCode::NOT_FOUND);
    refused(
        daemon.get("/v1/runs/r1/history?branch=nope"),
        StatusCode::NOT_FOUND,
    );

    // Bad bodies: 400, saying what is wrong.
    let bad = refused(
        daemon.post("/v1/runs/r1/answer", json!({"txt": "red"})),
        StatusCode::BAD_REQUEST,
    );
    assert!(bad.contains("unknown field `txt`"), "{bad}");
    let both = json!({"file": "a.lisp", "source": "x"});
    refused(daemon.post("/v1/runs", both), StatusCode::BAD_REQUEST);
    let absent = json!({"file": "absent.lisp"});
    let unread = refused(daemon.post("/v1/runs", absent), StatusCode::BAD_REQUEST);
    assert!(unread.contains("absent.lisp"), "{unread}");
    let limit = daemon.get("/v1/runs/r1/history?limit=many");
    refused(limit, StatusCode::BAD_REQUEST);

    // answer: an answer not offered is refused in the command's words; one offered is
    // taken (202: the run goes on in the daemon).
    let green = json!({"text": "green"});
    let not_offered = refused(
        daemon.post("/v1/runs/r1/answer", green),
        StatusCode::BAD_REQUEST,
    );
    let cli = duet(&dir, &["answer", "r1", "green"]);
    assert_eq!(cli.status.code(), Some(2));
    assert_eq!(format!("error: {not_offered}\n"), text(&cli.stderr));
    let (code, taken) = daemon.post("/v1/runs/r1/answer", json!({"text": "red"}));
    assert_eq!(code, StatusCode::ACCEPTED, "{taken}");
    assert_eq!(taken["events"][0]["event"], "answered", "{taken}");
    daemon.wait_for("r1", "Completed");
    // An ended run takes no answer: 409.
    let red = json!({"text": "red"});
    let ended = refused(daemon.post("/v1/runs/r1/answer", red), StatusCode::CONFLICT);
    assert!(ended.starts_with("run r1 has already ended; "), "{ended}");
    // With `wait`, the answer's request lasts until the run ends, with its events.
    let (code, waited) = daemon.post("/v1/runs/r2/answer", json!({"text": "blue", "wait": true}));
    assert_eq!(code, StatusCode::OK, "{waited}");
    assert_eq!(waited["exit"], 0);
    assert_eq!(state(&waited["run"]), "Completed");
    let texts: Vec<&Value> = waited["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["text"])
        .collect();
    assert!(texts.contains(&&json!("got blue\n")), "{waited}");

    // back, fork, resume, stop: as the commands, with what they said.
    let (code, back) = daemon.post("/v1/runs/r1/back", json!({}));
    assert_eq!(code, StatusCode::OK, "{back}");
    assert!(
        back["said"][0]
            .as_str()
            .unwrap()
            .contains("moved back to turn"),
        "{back}"
    );
    let (code, fork) = daemon.post("/v1/runs/r1/fork", json!({"at": 0, "name": "again"}));
    assert_eq!(code, StatusCode::OK, "{fork}");
    assert_eq!(fork["run"]["branch"], "again");
    refused(
        daemon.post("/v1/runs/r1/fork", json!({"at": 99})),
        StatusCode::BAD_REQUEST,
    );
    let (code, resumed) = daemon.post("/v1/runs/r1/resume", json!({"wait": true}));
    assert_eq!(code, StatusCode::OK, "{resumed}");
    assert_eq!(resumed["exit"], 3, "it waits for its question again");
    assert_eq!(resumed["events"][0]["event"], "resumed");
    // A stream of a run waiting for a person ends once the run is stopped.
    let watching = daemon.events("r1", None);
    let (code, stopped) = daemon.post("/v1/runs/r1/stop", json!({}));
    assert_eq!(code, StatusCode::OK, "{stopped}");
    assert_eq!(state(&stopped["run"]), "Cancelled");
    let watched: Vec<Frame> = watching.collect();
    assert_eq!(
        watched.last().unwrap().data["event"],
        "stream-end",
        "{watched:?}"
    );
    // A run the daemon is following takes no resume (409), and stops at once.
    workflow(
        &dir,
        "sleeper",
        r#"(workflow sleeper (state s (sleep "60s") (terminal)))"#,
    );
    let sleeping = start(&daemon, "sleeper");
    let busy = daemon.post(&format!("/v1/runs/{sleeping}/resume"), json!({}));
    let busy = refused(busy, StatusCode::CONFLICT);
    assert!(busy.contains("already running in the daemon"), "{busy}");
    let (code, stopped) = daemon.post(&format!("/v1/runs/{sleeping}/stop"), json!({}));
    assert_eq!(code, StatusCode::OK, "{stopped}");
    assert_eq!(state(&stopped["run"]), "Cancelled");
    assert_eq!(
        stopped["said"][0],
        format!("run: {sleeping} stopped and recorded as cancelled")
    );
    refused(
        daemon.post("/v1/runs/r1/dance", json!({})),
        StatusCode::NOT_FOUND,
    );

    // Without the token, or with another: 401 on every route, and nothing is done.
    let routes = [
        ("GET", "/v1/runs"),
        ("GET", "/v1/runs/r1"),
        ("GET", "/v1/runs/r1/history"),
        ("GET", "/v1/runs/r1/events"),
        ("POST", "/v1/runs"),
        ("POST", "/v1/runs/r2/answer"),
        ("POST", "/v1/runs/r2/back"),
        ("POST", "/v1/runs/r2/fork"),
        ("POST", "/v1/runs/r2/resume"),
        ("POST", "/v1/runs/r2/stop"),
        ("GET", "/v2/anything"),
    ];
    let before = daemon.get("/v1/runs").1;
    for (method, path) in routes {
        for token in [None, Some("not-the-token"), Some(&daemon.token[1..])] {
            let mut request = match method {
                "GET" => daemon.client.get(daemon.url(path)),
                _ => daemon
                    .client
                    .post(daemon.url(path))
                    .json(&json!({"file": "question.lisp", "at": 0})),
            };
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().expect("the daemon answers");
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path}"
            );
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            let body: Value = response.json().expect("a JSON error");
            assert!(body["error"].as_str().unwrap().contains("token"), "{body}");
            assert!(
                body["hint"].as_str().unwrap().contains("daemon.token"),
                "{body}"
            );
        }
    }
    assert_eq!(
        daemon.get("/v1/runs").1,
        before,
        "no request without the token did anything"
    );
}

#[test]
fn a_non_loopback_address_is_refused_unless_public() {
    let dir = temp("http-public");
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let out = duet(&dir, &["daemon", "start", "--http", addr]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("not a loopback address"),
            "{}",
            text(&out.stderr)
        );
        assert!(text(&out.stderr).contains("--http-public"));
    }
    let alone = duet(&dir, &["daemon", "start", "--http-public"]);
    assert_eq!(alone.status.code(), Some(2), "{}", text(&alone.stderr));
    let garbled = duet(&dir, &["daemon", "start", "--http", "localhost"]);
    assert_eq!(garbled.status.code(), Some(2), "{}", text(&garbled.stderr));
    // Nothing started.
    assert_eq!(duet(&dir, &["daemon", "status"]).status.code(), Some(3));
    assert!(!dir.join(".duet/daemon.token").exists());
}

#[test]
fn a_daemon_that_cannot_serve_the_api_says_why() {
    let dir = temp("http-busy");
    // The port is taken: the daemon does not start, and says so.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("its address").to_string();
    let out = duet(&dir, &["daemon", "start", "--http", &addr]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(
        said.contains(&format!("cannot listen on {addr} for the HTTP API")),
        "{said}"
    );
    assert_eq!(duet(&dir, &["daemon", "status"]).status.code(), Some(3));
    // A daemon already serving the store without the API says it has none.
    let plain = duet(&dir, &["daemon", "start"]);
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain.stderr));
    let again = duet(&dir, &["daemon", "start", "--http", "127.0.0.1:0"]);
    let _ = duet(&dir, &["daemon", "stop"]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains("has no HTTP API; `duet daemon stop`"));
}

#[test]
fn a_stream_resumed_with_last_event_id_loses_no_event() {
    let (dir, daemon, run) = printer("http-resume", 40, 10, 15);
    let mut first = daemon.events(&run, None);
    go(&daemon, &run);
    // Read part of the stream, then go away mid-run.
    let mut got: Vec<Frame> = Vec::new();
    while printed(&got).len() < 10 {
        got.push(first.next().expect("the run goes on"));
    }
    drop(first);
    let last = got.last().and_then(|f| f.id).expect("run events carry ids");
    std::thread::sleep(Duration::from_millis(200));
    // Reconnecting after the last id read gets the rest, from the next id on.
    let rest: Vec<Frame> = daemon.events(&run, Some(last)).collect();
    assert_eq!(rest.first().and_then(|f| f.id), Some(last + 1), "{rest:?}");
    got.extend(rest);
    let end = got.last().expect("frames");
    assert_eq!(
        end.data["event"], "stream-end",
        "the stream ends with the run: {end:?}"
    );
    assert_eq!(end.id, None, "a notice carries no id");
    let ids: Vec<u64> = got.iter().filter_map(|f| f.id).collect();
    assert_eq!(
        ids[0],
        ID_SPAN + 1,
        "the store's first daemon numbers from epoch 1"
    );
    assert_eq!(
        ids,
        (ids[0]..ids[0] + ids.len() as u64).collect::<Vec<_>>(),
        "no id missing or repeated"
    );
    assert_eq!(printed(&got), (0..40).collect::<Vec<_>>());
    let ended = got.iter().filter(|f| f.data["event"] == "ended").count();
    assert_eq!(ended, 1);
    // Every event is the `--json` event the daemon logged, in order.
    let log = std::fs::read_to_string(dir.join(".duet/logs/daemon.log")).expect("its log");
    let logged: Vec<Value> = log
        .lines()
        .filter_map(|l| l.strip_prefix(&format!("run {run}: ")))
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a logged event"))
        .collect();
    let streamed: Vec<Value> = got
        .iter()
        .filter(|f| f.id.is_some())
        .map(|f| f.data.clone())
        .collect();
    assert_eq!(streamed, logged);

    // A run that has ended replays what is kept, then the stream ends.
    let replayed: Vec<Frame> = daemon.events(&run, None).collect();
    assert_eq!(replayed.len(), got.len());
    // An id the daemon never gave is said to be missing, with where the history is, and
    // every event kept follows.
    let foreign: Vec<Frame> = daemon.events(&run, Some(100_000)).collect();
    assert_eq!(
        foreign[0].data["event"], "events-missing",
        "{:?}",
        foreign[0]
    );
    assert_eq!(
        foreign[0].data["history"],
        format!("/v1/runs/{run}/history")
    );
    let events = |frames: &[Frame]| -> Vec<(Option<u64>, Value)> {
        frames
            .iter()
            .filter(|f| f.id.is_some())
            .map(|f| (f.id, f.data.clone()))
            .collect()
    };
    assert_eq!(events(&foreign), events(&replayed));
    let bad = daemon
        .client
        .get(daemon.url(&format!("/v1/runs/{run}/events")))
        .bearer_auth(&daemon.token)
        .header("Last-Event-ID", "yesterday")
        .send();
    refused(answer(bad), StatusCode::BAD_REQUEST);
}

#[test]
fn an_id_of_the_daemon_before_a_restart_loses_no_event_of_the_next() {
    let (dir, daemon, run) = printer("http-epoch", 30, 10, 100);
    let mut stream = daemon.events(&run, None);
    go(&daemon, &run);
    let mut before: Vec<Frame> = Vec::new();
    while printed(&before).len() < 5 {
        before.push(stream.next().expect("the run goes on"));
    }
    drop(stream);
    let last = before
        .last()
        .and_then(|f| f.id)
        .expect("run events carry ids");
    assert!(last > ID_SPAN && last < 2 * ID_SPAN, "epoch 1: {last}");
    // `duet daemon stop` (the guard's drop) leaves the run resumable; the next daemon
    // takes it up and numbers its events in epoch 2.
    drop(daemon);
    let daemon = Daemon::start(&dir);
    daemon.wait_for(&run, "Completed");
    let after: Vec<Frame> = daemon.events(&run, Some(last)).collect();
    assert_eq!(after[0].data["event"], "events-missing", "{:?}", after[0]);
    assert_eq!(after[0].data["first_kept"], json!(2 * ID_SPAN + 1));
    let ids: Vec<u64> = after.iter().filter_map(|f| f.id).collect();
    assert_eq!(
        ids,
        (2 * ID_SPAN + 1..=2 * ID_SPAN + ids.len() as u64).collect::<Vec<_>>(),
        "every event of the second daemon, none skipped"
    );
    // What the client saw before and after covers every line, to the run's end.
    let mut lines: Vec<u64> = printed(&before);
    lines.extend(printed(&after));
    lines.sort_unstable();
    lines.dedup();
    assert_eq!(lines, (0..30).collect::<Vec<_>>());
    assert_eq!(
        after.last().map(|f| &f.data["event"]),
        Some(&json!("stream-end"))
    );
}

#[test]
fn events_older_than_the_daemon_keeps_are_said_to_be_missing() {
    // More events than the daemon keeps of a run (4096).
    let (_dir, daemon, run) = printer("http-kept", 5000, 10, 0);
    go(&daemon, &run);
    daemon.wait_for(&run, "Completed");
    let frames: Vec<Frame> = daemon.events(&run, Some(5)).collect();
    let missing = &frames[0].data;
    assert_eq!(missing["event"], "events-missing", "{missing}");
    let first = missing["first_kept"].as_u64().expect("the first id kept");
    assert!(first > 6, "{missing}");
    assert_eq!(frames[1].id, Some(first));
    let ids: Vec<u64> = frames.iter().filter_map(|f| f.id).collect();
    assert_eq!(ids.len(), 4096);
    assert_eq!(ids, (first..first + 4096).collect::<Vec<_>>());
    assert_eq!(printed(&frames).last(), Some(&4999));
}

/// Sends `GET path` on a raw connection (HTTP/1.0: the body runs to the connection's end)
/// and reads nothing more.
fn never_reading(daemon: &Daemon, path: &str) -> TcpStream {
    let addr = daemon.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connects");
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\r\n",
        daemon.token
    )
    .expect("sends");
    stream
}

#[test]
fn a_client_that_never_reads_does_not_slow_the_run() {
    // 20,000 events of 1 kB: far more than the socket buffers and the stream's own hold.
    let lines = 20_000;
    let (dir, daemon, run) = printer("http-slow", lines, 1000, 0);
    let mut stuck = never_reading(&daemon, &format!("/v1/runs/{run}/events"));
    std::thread::sleep(Duration::from_millis(300));
    go(&daemon, &run);
    daemon.wait_for(&run, "Completed");
    // The run did all it does: the same turns as a run no one watched, every event logged.
    let alone = asking(&daemon, "printer");
    let (code, _) = daemon.post(
        &format!("/v1/runs/{alone}/answer"),
        json!({"text": "go", "wait": true}),
    );
    assert_eq!(code, StatusCode::OK);
    let turns = |run: &str| daemon.get(&format!("/v1/runs/{run}/history")).1;
    let (watched, unwatched) = (turns(&run), turns(&alone));
    assert_eq!(
        watched.as_array().map(Vec::len),
        unwatched.as_array().map(Vec::len)
    );
    let log = std::fs::read_to_string(dir.join(".duet/logs/daemon.log")).expect("its log");
    let outputs = log
        .lines()
        .filter(|l| {
            l.starts_with(&format!(
                "run {run}: {{\"event\":\"output\",\"text\":\"line "
            ))
        })
        .count();
    assert_eq!(outputs as u64, lines);
    // The client, reading at last, gets what it was sent and then where to resume from.
    let mut body = Vec::new();
    stuck
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a timeout");
    stuck.read_to_end(&mut body).expect("the stream was closed");
    let body = String::from_utf8_lossy(&body);
    let (head, events) = body.split_once("\r\n\r\n").expect("a response");
    assert!(head.starts_with("HTTP/1.0 200"), "{head}");
    let mut reader = BufReader::new(events.as_bytes());
    let frames: Vec<Frame> = std::iter::from_fn(|| frame(&mut reader)).collect();
    let behind = frames.last().expect("frames");
    assert_eq!(behind.data["event"], "stream-behind", "{:?}", behind.data);
    let ids: Vec<u64> = frames.iter().filter_map(|f| f.id).collect();
    assert_eq!(
        ids,
        (ID_SPAN + 1..=ID_SPAN + ids.len() as u64).collect::<Vec<_>>()
    );
    let resume = behind.data["resume_after"]
        .as_u64()
        .expect("where to resume");
    assert_eq!(Some(&resume), ids.last());
    assert!(resume - ID_SPAN < lines, "it fell behind: {resume}");
    // Resuming there goes on with the next event still kept (or says they are gone).
    let next: Vec<Frame> = daemon.events(&run, Some(resume)).take(2).collect();
    match next[0].id {
        Some(id) => assert_eq!(id, resume + 1),
        None => assert_eq!(next[0].data["event"], "events-missing"),
    }
}
