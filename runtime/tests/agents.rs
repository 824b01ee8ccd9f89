//! Agents that live outside the process, each asked through [`Effect::Agent`] the way a
//! run's host asks them: HTTP kinds against a local stand-in server (the request it receives
//! and the reply it gives are checked), command-line kinds as scripts standing in for
//! `claude` and `codex`, and every failure path's message.

use std::io::Write;

mod support;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::mpsc;

use duet_runtime::agents::Agent;
use duet_runtime::effects::{Effect, EffectValue, Workspace, perform_blocking};

/// What the stand-in server received.
struct Received {
    request_line: String,
    headers: Vec<(String, String)>,
    body: serde_json::Value,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A server on a free local port that answers one request with `status` and `reply`, and
/// hands back what it received.
fn serve_once(status: &'static str, reply: &'static str) -> (String, mpsc::Receiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    let address = format!("http://{}", listener.local_addr().expect("an address"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("a connection");
        let (request_line, headers, body) = support::read_request(&stream);
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        )
        .expect("a reply");
        let _ = tx.send(Received {
            request_line,
            headers,
            body,
        });
    });
    (address, rx)
}

fn workspace() -> (PathBuf, Workspace) {
    let dir = std::env::temp_dir().join(format!(
        "duet-agents-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock")
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let ws = Workspace::new(&dir).expect("a workspace");
    (dir, ws)
}

fn ask(agent: Agent, text: &str) -> Result<String, (String, String)> {
    let (_dir, ws) = workspace();
    let effect = Effect::Agent {
        role: "planner".into(),
        agent: Box::new(agent),
        text: text.into(),
        conversation: Vec::new(),
        schema: None,
    };
    match perform_blocking(&effect, &ws) {
        Ok(EffectValue::Text(reply) | EffectValue::Reply { text: reply, .. }) => Ok(reply),
        Ok(other) => panic!("an agent replies with text, not {other:?}"),
        Err(f) => Err((f.kind.to_string(), f.message)),
    }
}

#[test]
fn openai_compatible_endpoints_get_the_model_system_prompt_and_text() {
    let (address, received) = serve_once(
        "200 OK",
        r#"{"choices":[{"message":{"role":"assistant","content":"a plan"}}]}"#,
    );
    let reply = ask(
        Agent {
            kind: "openai".into(),
            endpoint: Some(format!("{address}/v1")),
            model: Some("local-model".into()),
            system: Some("be brief".into()),
            temperature: Some(0.25),
            ..Agent::default()
        },
        "Draft a plan",
    );
    assert_eq!(reply, Ok("a plan".to_string()));
    let got = received.recv().expect("the request");
    assert_eq!(got.request_line, "POST /v1/chat/completions HTTP/1.1");
    assert_eq!(got.body["model"], "local-model");
    assert_eq!(got.body["temperature"], 0.25);
    assert_eq!(got.body["messages"][0]["role"], "system");
    assert_eq!(got.body["messages"][0]["content"], "be brief");
    assert_eq!(got.body["messages"][1]["content"], "Draft a plan");
    // A self-hosted endpoint with no key configured is asked without one.
    assert_eq!(got.header("authorization"), None);
}

#[test]
fn anthropic_messages_and_ollama_chat_are_spoken_too() {
    let (address, received) = serve_once(
        "200 OK",
        r#"{"content":[{"type":"text","text":"first "},{"type":"tool_use","id":"x"},{"type":"text","text":"second"}]}"#,
    );
    let reply = ask(
        Agent {
            kind: "anthropic".into(),
            endpoint: Some(address),
            system: Some("terse".into()),
            max_tokens: Some(100),
            ..Agent::default()
        },
        "hello",
    );
    assert_eq!(reply, Ok("first second".to_string()));
    let got = received.recv().expect("the request");
    assert_eq!(got.request_line, "POST /v1/messages HTTP/1.1");
    assert_eq!(got.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(got.body["system"], "terse");
    assert_eq!(got.body["max_tokens"], 100);

    let (address, received) = serve_once(
        "200 OK",
        r#"{"message":{"role":"assistant","content":"llama says hi"}}"#,
    );
    let reply = ask(
        Agent {
            kind: "ollama".into(),
            endpoint: Some(address),
            model: Some("qwen".into()),
            ..Agent::default()
        },
        "hello",
    );
    assert_eq!(reply, Ok("llama says hi".to_string()));
    let got = received.recv().expect("the request");
    assert_eq!(got.request_line, "POST /api/chat HTTP/1.1");
    // Asked to stream; a server that answers with one object instead is read whole.
    assert_eq!(got.body["stream"], true);
    assert_eq!(got.body["model"], "qwen");
}

#[test]
fn http_failures_name_the_role_the_status_and_what_the_server_said() {
    let (address, _received) = serve_once(
        "401 Unauthorized",
        r#"{"error":{"message":"Incorrect API key provided"}}"#,
    );
    let (kind, message) = ask(
        Agent {
            kind: "openai".into(),
            endpoint: Some(address),
            ..Agent::default()
        },
        "hi",
    )
    .expect_err("a 401 is a failure");
    assert_eq!(kind, "agent");
    assert!(message.contains("role `planner`"), "{message}");
    assert!(message.contains("HTTP 401"), "{message}");
    assert!(message.contains("Incorrect API key provided"), "{message}");

    let (address, _received) = serve_once("200 OK", r#"{"unexpected":true}"#);
    let (_, message) = ask(
        Agent {
            kind: "ollama".into(),
            endpoint: Some(address),
            ..Agent::default()
        },
        "hi",
    )
    .expect_err("a reply without text is a failure");
    assert!(message.contains("has no text"), "{message}");
    assert!(message.contains("unexpected"), "{message}");
}

#[test]
fn an_unreachable_server_or_a_missing_key_says_how_to_dry_run() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("an address")
        .port();
    let (_, message) = ask(
        Agent {
            kind: "ollama".into(),
            endpoint: Some(format!("http://127.0.0.1:{port}")),
            ..Agent::default()
        },
        "hi",
    )
    .expect_err("nothing listens");
    assert!(message.contains("could not reach"), "{message}");
    assert!(message.contains("--agents echo"), "{message}");

    let (kind, message) = ask(
        Agent {
            kind: "anthropic".into(),
            api_key_env: Some("DUET_TEST_SURELY_UNSET_KEY".into()),
            ..Agent::default()
        },
        "hi",
    )
    .expect_err("no key");
    assert_eq!(kind, "agent");
    assert!(message.contains("DUET_TEST_SURELY_UNSET_KEY"), "{message}");
    assert!(message.contains("--agents echo"), "{message}");
}

/// Held by the tests that write scripts and run them: a script written while another thread
/// forks could be held open by the child and fail to run ("text file busy").
static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// An executable script in a fresh directory.
fn script(name: &str, body: &str) -> PathBuf {
    let (dir, _) = workspace();
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("a script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

#[test]
fn command_line_agents_reply_with_what_their_tool_prints() {
    let _one_at_a_time = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    // The prompt comes on standard input; the reply is the stream's `result`.
    let claude = script(
        "claude",
        r#"prompt=$(cat)
printf '{"type":"result","subtype":"success","is_error":false,"result":"plan for: %s"}\n' "$prompt""#,
    );
    let reply = ask(
        Agent {
            kind: "claude-code".into(),
            command: Some(claude.to_string_lossy().into_owned()),
            ..Agent::default()
        },
        "OAuth",
    );
    assert_eq!(reply, Ok("plan for: OAuth".to_string()));

    let codex = script(
        "codex",
        r#"echo "progress" >&2; cat > /dev/null
printf '{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"%s"}}\n{"type":"turn.completed"}\n' "$*""#,
    );
    let reply = ask(
        Agent {
            kind: "codex".into(),
            command: Some(codex.to_string_lossy().into_owned()),
            ..Agent::default()
        },
        "fix",
    );
    assert_eq!(reply, Ok("exec --json --skip-git-repo-check -".to_string()));
}

#[test]
fn command_line_agents_that_fail_or_are_missing_say_so() {
    let _one_at_a_time = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let broken = script("claude", r#"echo "not logged in" >&2; exit 3"#);
    let (kind, message) = ask(
        Agent {
            kind: "claude-code".into(),
            command: Some(broken.to_string_lossy().into_owned()),
            ..Agent::default()
        },
        "hi",
    )
    .expect_err("exit 3 is a failure");
    assert_eq!(kind, "agent");
    assert!(message.contains("exit status 3"), "{message}");
    assert!(message.contains("not logged in"), "{message}");

    let (_, message) = ask(
        Agent {
            kind: "codex".into(),
            command: Some("/nonexistent/duet-test/codex".into()),
            ..Agent::default()
        },
        "hi",
    )
    .expect_err("no such program");
    assert!(message.contains("not installed"), "{message}");
    assert!(message.contains("--agents echo"), "{message}");

    let slow = script("claude", "sleep 5");
    let (kind, message) = ask(
        Agent {
            kind: "claude-code".into(),
            command: Some(slow.to_string_lossy().into_owned()),
            timeout_ms: Some(200),
            ..Agent::default()
        },
        "hi",
    )
    .expect_err("too slow");
    assert_eq!(kind, "timeout");
    assert!(message.contains("within 200 ms"), "{message}");
}
