//! What the command-line test binaries share: a fresh directory per test, running `duet` in
//! it, and reading its output. Each binary uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A fresh, empty directory named for the test and this process.
pub fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("duet-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    dir
}

/// The `duet` command, run in `dir` without colour and without a `DUET_STORE` of the
/// caller's, not yet started.
pub fn command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_duet"));
    command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DUET_STORE");
    command
}

/// Runs `duet ARGS…` in `dir` to its end.
pub fn duet(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().expect("duet runs")
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON objects of `out`'s standard output, one a line (`--json` events).
pub fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

/// Writes an executable shell script at `path`.
pub fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("a script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// One HTTP request a [`FakeServer`] received.
#[derive(Debug, Clone)]
pub struct Received {
    /// `POST /v1/chat/completions HTTP/1.1`
    pub line: String,
    /// The headers, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Received {
    /// The value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether `text` appears anywhere in the request.
    pub fn mentions(&self, text: &str) -> bool {
        self.line.contains(text)
            || self
                .headers
                .iter()
                .any(|(k, v)| k.contains(text) || v.contains(text))
            || self.body.contains(text)
    }
}

/// A local HTTP server standing in for a chat endpoint: it answers requests with canned
/// responses (an OpenAI chat reply, a stream, an error) and records what it received, so a
/// test can tell whether it was reached at all and with which headers.
pub struct FakeServer {
    /// `http://127.0.0.1:PORT`
    pub address: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

/// One response a [`FakeServer`] gives: a status line, headers, and a body written in
/// pieces (a stream's events), a few milliseconds apart.
#[derive(Debug, Clone)]
pub struct Canned {
    /// `200 OK`
    pub status: String,
    /// `content-type: text/event-stream`, …
    pub headers: Vec<String>,
    /// The body, piece by piece.
    pub pieces: Vec<String>,
}

impl Canned {
    /// A response with `status` and one header, `content-type`.
    pub fn new(status: &str, content_type: &str, pieces: &[&str]) -> Canned {
        Canned {
            status: status.to_string(),
            headers: vec![format!("content-type: {content_type}")],
            pieces: pieces.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// An OpenAI chat reply of `text`, whole.
    pub fn openai(text: &str) -> Canned {
        let answer = serde_json::json!({
            "choices": [{"message": {"role": "assistant", "content": text}}]
        })
        .to_string();
        Canned::new("200 OK", "application/json", &[&answer])
    }

    /// An OpenAI chat reply streamed as Server-Sent Events, one event a piece.
    pub fn openai_stream(pieces: &[&str]) -> Canned {
        let mut events: Vec<String> = pieces
            .iter()
            .map(|p| {
                format!(
                    "data: {}\n\n",
                    serde_json::json!({"choices": [{"index": 0, "delta": {"content": p}}]})
                )
            })
            .collect();
        events.push("data: [DONE]\n\n".into());
        Canned {
            status: "200 OK".into(),
            headers: vec!["content-type: text/event-stream".into()],
            pieces: events,
        }
    }

    /// With one more header.
    pub fn with_header(mut self, header: &str) -> Canned {
        self.headers.push(header.to_string());
        self
    }
}

impl FakeServer {
    /// Starts a server on a free local port answering every request with an OpenAI chat
    /// reply of `reply`; it lives as long as the test process.
    pub fn openai(reply: &str) -> FakeServer {
        FakeServer::sequence(vec![Canned::openai(reply)])
    }

    /// Starts a server answering its requests with `responses` in order, the last one again
    /// once they are used up.
    pub fn sequence(responses: Vec<Canned>) -> FakeServer {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a local port");
        let address = format!("http://{}", listener.local_addr().expect("an address"));
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("a clone"));
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut headers = Vec::new();
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 {
                        break;
                    }
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = header.split_once(':') {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                // Recorded before answering: once the client has its reply, the test sees it.
                log.lock().expect("the log").push(Received {
                    line: line.trim_end().to_string(),
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                let canned = &responses[n.min(responses.len() - 1)];
                let mut stream = stream;
                let mut head = format!("HTTP/1.1 {}\r\nconnection: close\r\n", canned.status);
                for header in &canned.headers {
                    head.push_str(header);
                    head.push_str("\r\n");
                }
                if canned.pieces.len() == 1 {
                    head.push_str(&format!("content-length: {}\r\n", canned.pieces[0].len()));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                for piece in &canned.pieces {
                    let _ = stream.write_all(piece.as_bytes());
                    let _ = stream.flush();
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
        });
        FakeServer { address, received }
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("the log").clone()
    }
}

/// A daemon this test started: stopped when dropped, killed if it will not stop.
pub struct Daemon {
    dir: PathBuf,
    /// Its process id.
    pub pid: i32,
}

impl Daemon {
    /// Starts the daemon of the store `.duet` in `dir`.
    pub fn start(dir: &Path) -> Daemon {
        Daemon::start_with(dir, &[])
    }

    /// Starts the daemon of the store `.duet` in `dir` with `env` set in its environment
    /// (where its agents find their endpoints).
    pub fn start_with(dir: &Path, env: &[(&str, &str)]) -> Daemon {
        let out = command(dir, &["daemon", "start"])
            .envs(env.iter().copied())
            .output()
            .expect("duet runs");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        Daemon {
            dir: dir.to_path_buf(),
            pid: daemon_pid(dir).expect("the daemon is ready once `start` returns"),
        }
    }

    /// Kills it with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        // SAFETY: sends a signal to the daemon process this test started.
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while duet_store::holder(&self.dir.join(".duet")).is_some() {
            assert!(
                Instant::now() < deadline,
                "the killed daemon let go of the store"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = duet(&self.dir, &["daemon", "stop"]);
        // SAFETY: as in `kill`; a daemon already gone makes this a no-op.
        unsafe { libc::kill(self.pid, libc::SIGKILL) };
    }
}

/// The pid `duet daemon status` reports, if a daemon serves the store in `dir`.
pub fn daemon_pid(dir: &Path) -> Option<i32> {
    let out = duet(dir, &["daemon", "status"]);
    text(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("daemon pid "))
        .and_then(|pid| pid.parse().ok())
}

/// The `(role, content)` messages of each chat request `server` received.
pub fn conversations(server: &FakeServer) -> Vec<Vec<(String, String)>> {
    server
        .received()
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_str(&r.body).expect("a JSON body");
            body["messages"]
                .as_array()
                .expect("messages")
                .iter()
                .map(|m| {
                    let field = |k: &str| m[k].as_str().unwrap_or_default().to_string();
                    (field("role"), field("content"))
                })
                .collect()
        })
        .collect()
}

/// `(role, content)` pairs as the messages of a request.
pub fn said(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(r, c)| (r.to_string(), c.to_string()))
        .collect()
}
