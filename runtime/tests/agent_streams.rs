//! Agents that stream, retry and take long prompts, asked through [`Effect::Agent`] as a
//! run's host asks them, with the notes (pieces, retries) collected:
//!
//! - a local server speaking each HTTP dialect (OpenAI SSE, Anthropic SSE, Ollama NDJSON)
//!   that holds the rest of its reply until the first piece has reached the caller, so the
//!   pieces are seen to arrive before the reply;
//! - rate limits with `Retry-After`, server errors on every attempt, dropped connections,
//!   stalled and malformed streams;
//! - scripts standing in for `claude -p --output-format stream-json` and
//!   `codex exec --json`, streaming, stalling, printing garbage, and reading a 1 MB prompt.

use std::io::Write;

mod support;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};
use support::read_request;

use duet_runtime::agents::{Agent, Note, Notes, Policy};
use duet_runtime::effects::{Effect, EffectValue, Workspace, perform_noting};

/// A request the server received.
#[derive(Debug)]
struct Received {
    headers: Vec<(String, String)>,
    body: serde_json::Value,
    /// Whether the reply's rest was held until the caller had its first piece, and the
    /// caller got it (false: the server gave up waiting).
    gate_opened: Option<bool>,
}

/// What the server does with one connection.
enum Reply {
    /// Closes it as soon as the request is read.
    Drop,
    /// Answers with `status`, extra `headers` and the body written piece by piece.
    Respond {
        status: &'static str,
        headers: Vec<String>,
        pieces: Vec<String>,
        /// After the first piece, wait until the caller has seen a piece.
        gated: bool,
        /// After the last piece, keep the connection open and silent.
        stall: bool,
    },
}

fn respond(status: &'static str, content_type: &str, pieces: &[&str]) -> Reply {
    Reply::Respond {
        status,
        headers: vec![format!("content-type: {content_type}")],
        pieces: pieces.iter().map(|p| p.to_string()).collect(),
        gated: false,
        stall: false,
    }
}

/// A server on a free local port that answers its connections with `replies` in order.
/// Returns its address, what it received, and the gate to open when the caller has seen a
/// piece.
fn serve(replies: Vec<Reply>) -> (String, mpsc::Receiver<Received>, mpsc::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a local port");
    let address = format!("http://{}", listener.local_addr().expect("an address"));
    let (tx, rx) = mpsc::channel();
    let (open, gate) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        for reply in replies {
            let (mut stream, _) = listener.accept().expect("a connection");
            let (_, headers, body) = read_request(&stream);
            let mut gate_opened = None;
            match reply {
                Reply::Drop => drop(stream),
                Reply::Respond {
                    status,
                    headers: extra,
                    pieces,
                    gated,
                    stall,
                } => {
                    let mut head = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
                    for header in extra {
                        head.push_str(&header);
                        head.push_str("\r\n");
                    }
                    head.push_str("\r\n");
                    let _ = stream.write_all(head.as_bytes());
                    for (i, piece) in pieces.iter().enumerate() {
                        let _ = stream.write_all(piece.as_bytes());
                        let _ = stream.flush();
                        if i == 0 && gated {
                            gate_opened = Some(gate.recv_timeout(Duration::from_secs(10)).is_ok());
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    if stall {
                        std::thread::sleep(Duration::from_secs(30));
                    }
                }
            }
            let _ = tx.send(Received {
                headers,
                body,
                gate_opened,
            });
        }
    });
    (address, rx, open)
}

fn workspace() -> (PathBuf, Workspace) {
    let dir = std::env::temp_dir().join(format!(
        "duet-streams-{}-{}",
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

/// What a call gave and the notes it sent.
struct Asked {
    reply: Result<String, (String, String)>,
    notes: Vec<Note>,
}

/// Asks `agent` about `text` as a run's host does; `on_first_piece` runs when the first
/// piece arrives.
fn ask(
    agent: Agent,
    text: &str,
    schema: Option<serde_json::Value>,
    policy: Policy,
    on_first_piece: impl Fn() + Send + Sync + 'static,
) -> Asked {
    let (_dir, ws) = workspace();
    let effect = Effect::Agent {
        role: "writer".into(),
        agent: Box::new(agent),
        text: text.into(),
        conversation: Vec::new(),
        schema: schema.map(|s| s.to_string()),
    };
    let notes = Arc::new(Mutex::new(Vec::new()));
    let collected = notes.clone();
    let listener = Notes::to(move |note| {
        let mut notes = collected.lock().expect("the notes");
        if matches!(note, Note::Delta(_)) && !notes.iter().any(|n| matches!(n, Note::Delta(_))) {
            on_first_piece();
        }
        notes.push(note);
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let reply = match runtime.block_on(perform_noting(&effect, &ws, &listener, &policy, &[])) {
        Ok(EffectValue::Text(reply) | EffectValue::Reply { text: reply, .. }) => Ok(reply),
        Ok(other) => panic!("an agent replies with text, not {other:?}"),
        Err(f) => Err((f.kind, f.message)),
    };
    let notes = notes.lock().expect("the notes").clone();
    Asked { reply, notes }
}

fn pieces(notes: &[Note]) -> Vec<String> {
    notes
        .iter()
        .filter_map(|n| match n {
            Note::Delta(text) => Some(text.clone()),
            _ => None,
        })
        .collect()
}

fn http(kind: &str, address: &str) -> Agent {
    Agent {
        kind: kind.into(),
        endpoint: Some(address.to_string()),
        ..Agent::default()
    }
}

/// Retries after a millisecond, a stall after 300 ms: the tests stay quick.
fn quick() -> Policy {
    Policy {
        stall: Duration::from_millis(300),
        backoff: Duration::from_millis(1),
        backoff_max: Duration::from_millis(5),
    }
}

const OPENAI: &str = "text/event-stream";

fn openai_piece(text: &str) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"choices": [{"index": 0, "delta": {"content": text}}]})
    )
}

/// A whole OpenAI stream of `text` in two pieces.
fn openai_stream(first: &str, second: &str) -> Vec<String> {
    vec![
        openai_piece(first),
        openai_piece(second),
        "data: [DONE]\n\n".into(),
    ]
}

#[test]
fn every_dialect_streams_its_pieces_before_the_reply() {
    let anthropic_event = |data: serde_json::Value| {
        format!(
            "event: {}\ndata: {data}\n\n",
            data["type"].as_str().unwrap()
        )
    };
    let text_delta = |text: &str| {
        anthropic_event(
            serde_json::json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": text}}),
        )
    };
    let dialects: Vec<(&str, &str, Vec<String>)> = vec![
        (
            "openai",
            "text/event-stream",
            vec![
                // The first piece: a role chunk, a keep-alive comment and text, in one write.
                format!(
                    "data: {}\n\n: keep-alive\n\n{}",
                    serde_json::json!({"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}),
                    openai_piece("Hel")
                ),
                format!(
                    "data: {}\n\n",
                    serde_json::json!({"choices": [{"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}]})
                ),
                "data: [DONE]\n\n".into(),
            ],
        ),
        (
            "anthropic",
            "text/event-stream; charset=utf-8",
            vec![
                [
                    anthropic_event(serde_json::json!({"type": "message_start", "message": {"id": "m"}})),
                    anthropic_event(serde_json::json!({"type": "content_block_start", "index": 0,
                        "content_block": {"type": "text", "text": ""}})),
                    text_delta("Hel"),
                ]
                .concat(),
                anthropic_event(serde_json::json!({"type": "ping"})),
                text_delta("lo"),
                [
                    anthropic_event(serde_json::json!({"type": "content_block_stop", "index": 0})),
                    anthropic_event(serde_json::json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}})),
                    anthropic_event(serde_json::json!({"type": "message_stop"})),
                ]
                .concat(),
            ],
        ),
        (
            "ollama",
            "application/x-ndjson",
            vec![
                "{\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"done\":false}\n".into(),
                "{\"message\":{\"role\":\"assistant\",\"content\":\"lo\"},\"done\":false}\n".into(),
                "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"eval_count\":2}\n".into(),
            ],
        ),
    ];
    for (kind, content_type, body) in dialects {
        let (address, received, open) = serve(vec![Reply::Respond {
            status: "200 OK",
            headers: vec![format!("content-type: {content_type}")],
            pieces: body,
            gated: true,
            stall: false,
        }]);
        let open = Mutex::new(open);
        let asked = ask(http(kind, &address), "greet", None, quick(), move || {
            let _ = open.lock().expect("the gate").send(());
        });
        assert_eq!(asked.reply, Ok("Hello".to_string()), "{kind}");
        assert_eq!(pieces(&asked.notes), ["Hel", "lo"], "{kind}");
        let got = received.recv().expect("the request");
        assert_eq!(got.body["stream"], true, "{kind}");
        assert_eq!(
            got.gate_opened,
            Some(true),
            "{kind}: the first piece reached the caller while the server held the rest"
        );
    }
}

#[test]
fn a_rate_limit_is_retried_after_the_servers_retry_after() {
    let limited = |after: &str| Reply::Respond {
        status: "429 Too Many Requests",
        headers: vec![
            "content-type: application/json".into(),
            format!("retry-after: {after}"),
        ],
        pieces: vec![r#"{"error":{"message":"Rate limit reached for requests"}}"#.into()],
        gated: false,
        stall: false,
    };
    let ok = || Reply::Respond {
        status: "200 OK",
        headers: vec![format!("content-type: {OPENAI}")],
        pieces: openai_stream("at ", "last"),
        gated: false,
        stall: false,
    };
    // The server's word wins over the policy's backoff, however long that is.
    let patient = Policy {
        backoff: Duration::from_secs(60),
        ..quick()
    };
    let (address, received, _) = serve(vec![limited("0"), ok()]);
    let asked = ask(http("openai", &address), "hi", None, patient, || {});
    assert_eq!(asked.reply, Ok("at last".to_string()));
    assert_eq!(
        asked.notes.first(),
        Some(&Note::Retry {
            attempt: 2,
            delay_ms: 0,
            reason: "HTTP 429 Too Many Requests: Rate limit reached for requests".into()
        })
    );
    assert_eq!(pieces(&asked.notes), ["at ", "last"]);
    assert_eq!(received.iter().take(2).count(), 2);

    // `Retry-After: 1` is waited for.
    let (address, _received, _) = serve(vec![limited("1"), ok()]);
    let start = Instant::now();
    let asked = ask(http("openai", &address), "hi", None, patient, || {});
    assert_eq!(asked.reply, Ok("at last".to_string()));
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert!(
        matches!(
            &asked.notes[0],
            Note::Retry {
                attempt: 2,
                delay_ms: 1000,
                ..
            }
        ),
        "{:?}",
        asked.notes
    );
}

#[test]
fn server_errors_on_every_attempt_fail_naming_each_cause() {
    let error = |n: usize| Reply::Respond {
        status: "500 Internal Server Error",
        headers: vec!["content-type: application/json".into()],
        pieces: vec![format!(r#"{{"error":{{"message":"boom {n}"}}}}"#)],
        gated: false,
        stall: false,
    };
    let (address, received, _) = serve((1..=4).map(error).collect());
    let asked = ask(http("anthropic", &address), "hi", None, quick(), || {});
    let (kind, message) = asked.reply.expect_err("four 500s fail");
    assert_eq!(kind, "agent");
    assert!(message.contains("role `writer`"), "{message}");
    assert!(message.contains("all 4 attempts"), "{message}");
    for n in 1..=4 {
        assert!(
            message.contains(&format!(
                "attempt {n}: HTTP 500 Internal Server Error: boom {n}"
            )),
            "{message}"
        );
    }
    assert!(message.contains("`:retries`"), "{message}");
    let retries: Vec<u32> = asked
        .notes
        .iter()
        .filter_map(|n| match n {
            Note::Retry { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(retries, [2, 3, 4]);
    assert_eq!(received.iter().take(4).count(), 4);

    // `:retries 1`: two attempts.
    let (address, _received, _) = serve((1..=2).map(error).collect());
    let agent = Agent {
        retries: Some(1),
        ..http("openai", &address)
    };
    let (_, message) = ask(agent, "hi", None, quick(), || {})
        .reply
        .expect_err("fails");
    assert!(message.contains("all 2 attempts"), "{message}");
    assert!(message.contains("(it has 1)"), "{message}");

    // A client error is not retried.
    let (address, _received, _) = serve(vec![respond(
        "400 Bad Request",
        "application/json",
        &[r#"{"error":{"message":"bad model"}}"#],
    )]);
    let asked = ask(http("openai", &address), "hi", None, quick(), || {});
    let (_, message) = asked.reply.expect_err("a 400 fails");
    assert!(
        message.contains("HTTP 400") && message.contains("bad model"),
        "{message}"
    );
    assert!(asked.notes.is_empty(), "{:?}", asked.notes);
}

#[test]
fn a_connection_dropped_before_or_during_the_reply_is_retried() {
    let broken = Reply::Respond {
        status: "200 OK",
        headers: vec![format!("content-type: {OPENAI}")],
        // The server closes after a piece, before `[DONE]`.
        pieces: vec![openai_piece("Hel")],
        gated: false,
        stall: false,
    };
    let ok = respond(
        "200 OK",
        OPENAI,
        &[
            &openai_piece("Hel"),
            &openai_piece("lo"),
            "data: [DONE]\n\n",
        ],
    );
    let (address, _received, _) = serve(vec![Reply::Drop, broken, ok]);
    let asked = ask(http("openai", &address), "hi", None, quick(), || {});
    assert_eq!(asked.reply, Ok("Hello".to_string()));
    let reasons: Vec<&str> = asked
        .notes
        .iter()
        .filter_map(|n| match n {
            Note::Retry { reason, .. } => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(reasons.len(), 2, "{:?}", asked.notes);
    assert!(reasons[0].starts_with("the request failed"), "{reasons:?}");
    assert!(reasons[1].contains("ended after 1 pieces"), "{reasons:?}");
}

#[test]
fn a_stalled_stream_is_a_timeout() {
    let (address, _received, _) = serve(vec![Reply::Respond {
        status: "200 OK",
        headers: vec![format!("content-type: {OPENAI}")],
        pieces: vec![openai_piece("Hel")],
        gated: false,
        stall: true,
    }]);
    let start = Instant::now();
    let asked = ask(http("openai", &address), "hi", None, quick(), || {});
    let (kind, message) = asked.reply.expect_err("a stall fails");
    assert_eq!(kind, "timeout");
    assert!(
        message.contains("stalled") && message.contains("sent nothing for 300 ms after 1 piece"),
        "{message}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(pieces(&asked.notes), ["Hel"]);
}

#[test]
fn a_malformed_stream_is_an_error_quoting_it() {
    let (address, _received, _) = serve(vec![respond(
        "200 OK",
        OPENAI,
        &[&openai_piece("Hel"), "data: {\"choices\": [oops\n\n"],
    )]);
    let asked = ask(http("openai", &address), "hi", None, quick(), || {});
    let (kind, message) = asked.reply.expect_err("a malformed stream fails");
    assert_eq!(kind, "agent");
    assert!(message.contains("malformed stream"), "{message}");
    assert!(message.contains("{\"choices\": [oops"), "{message}");
    assert!(
        !asked.notes.iter().any(|n| matches!(n, Note::Retry { .. })),
        "not retried"
    );

    let (address, _received, _) = serve(vec![respond(
        "200 OK",
        "application/x-ndjson",
        &[
            "{\"message\":{\"content\":\"a\"},\"done\":false}\n",
            "<html>proxy error</html>\n",
        ],
    )]);
    let (_, message) = ask(http("ollama", &address), "hi", None, quick(), || {})
        .reply
        .expect_err("a malformed stream fails");
    assert!(message.contains("<html>proxy error</html>"), "{message}");
}

#[test]
fn schemas_go_as_structured_output_and_an_anthropic_tool_input_is_the_reply() {
    let schema = serde_json::json!({"type": "object", "required": ["verdict"]});
    let (address, received, _) = serve(vec![respond(
        "200 OK",
        OPENAI,
        &[
            &openai_piece("{\"verdict\":"),
            &openai_piece("\"ship\"}"),
            "data: [DONE]\n\n",
        ],
    )]);
    let asked = ask(
        http("openai", &address),
        "judge",
        Some(schema.clone()),
        quick(),
        || {},
    );
    assert_eq!(asked.reply, Ok("{\"verdict\":\"ship\"}".to_string()));
    let got = received.recv().expect("the request");
    assert_eq!(got.body["response_format"]["json_schema"]["schema"], schema);
    assert_eq!(got.body["messages"][0]["content"], "judge");

    let event = |data: serde_json::Value| format!("data: {data}\n\n");
    let (address, received, _) = serve(vec![respond(
        "200 OK",
        OPENAI,
        &[
            &event(
                serde_json::json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "tool_use", "id": "t", "name": "reply", "input": {}}}),
            ),
            &event(
                serde_json::json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": "{\"verdict\": "}}),
            ),
            &event(
                serde_json::json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": "\"hold\"}"}}),
            ),
            &event(serde_json::json!({"type": "message_stop"})),
        ],
    )]);
    let asked = ask(
        http("anthropic", &address),
        "judge",
        Some(schema.clone()),
        quick(),
        || {},
    );
    assert_eq!(asked.reply, Ok("{\"verdict\": \"hold\"}".to_string()));
    let got = received.recv().expect("the request");
    assert_eq!(got.body["tools"][0]["input_schema"], schema);
    assert_eq!(got.body["tool_choice"]["type"], "tool");
    assert_eq!(
        got.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("anthropic-version"))
            .map(|(_, v)| v.as_str()),
        Some("2023-06-01")
    );
}

/// Held by the tests that write scripts and run them: a script written while another thread
/// forks could be held open by the child and fail to run ("text file busy").
static SPAWNING: Mutex<()> = Mutex::new(());

/// An executable script in a fresh directory.
fn script(name: &str, body: &str) -> PathBuf {
    let (dir, _) = workspace();
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("a script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn cli(kind: &str, command: &std::path::Path) -> Agent {
    Agent {
        kind: kind.into(),
        command: Some(command.to_string_lossy().into_owned()),
        ..Agent::default()
    }
}

#[test]
fn command_line_agents_stream_their_steps_before_the_reply() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let (gate_dir, _) = workspace();
    let gate = gate_dir.join("seen");
    // Each tool prints its first steps, then waits until the caller has seen them (or gives
    // up after 10 s and fails) before it prints the rest.
    let wait = format!(
        r#"for i in $(seq 100); do [ -e '{}' ] && break; sleep 0.1; done
[ -e '{}' ] || {{ echo "the first piece never reached the caller" >&2; exit 1; }}"#,
        gate.display(),
        gate.display()
    );
    let claude = script(
        "claude",
        &format!(
            r#"cat > /dev/null
echo '{{"type":"system","subtype":"init","session_id":"s1","model":"m"}}'
echo '{{"type":"assistant","message":{{"content":[{{"type":"text","text":"Looking."}},{{"type":"tool_use","name":"Bash","input":{{"command":"ls"}}}}]}}}}'
{wait}
echo '{{"type":"user","message":{{"content":[{{"type":"tool_result","content":"a.txt"}}]}}}}'
echo '{{"type":"assistant","message":{{"content":[{{"type":"text","text":"One file."}}]}}}}'
echo '{{"type":"result","subtype":"success","is_error":false,"result":"One file.","total_cost_usd":0.01}}'"#
        ),
    );
    let codex = script(
        "codex",
        &format!(
            r#"cat > /dev/null
echo '{{"type":"thread.started","thread_id":"t1"}}'
echo '{{"type":"turn.started"}}'
echo '{{"type":"item.started","item":{{"id":"item_0","type":"command_execution","command":"ls","status":"in_progress"}}}}'
{wait}
echo '{{"type":"item.completed","item":{{"id":"item_1","type":"agent_message","text":"One file."}}}}'
echo '{{"type":"turn.completed","usage":{{"input_tokens":5,"cached_input_tokens":0,"output_tokens":2}}}}'"#
        ),
    );
    for (kind, tool, first, rest) in [
        (
            "claude-code",
            &claude,
            "Looking.\n[tool: Bash]\n",
            "One file.",
        ),
        ("codex", &codex, "[command: ls]\n", "One file."),
    ] {
        let _ = std::fs::remove_file(&gate);
        let mark = gate.clone();
        let asked = ask(
            cli(kind, tool),
            "what is here?",
            None,
            Policy::default(),
            move || {
                std::fs::write(&mark, "").expect("the gate");
            },
        );
        assert_eq!(asked.reply, Ok("One file.".to_string()), "{kind}");
        assert_eq!(pieces(&asked.notes), [first, rest], "{kind}");
    }
}

#[test]
fn a_megabyte_prompt_reaches_a_command_line_agent_on_its_standard_input() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    // It answers with the size of its prompt and the prompt's last line.
    let claude = script(
        "claude",
        r#"cat > prompt.txt
printf '{"type":"result","subtype":"success","is_error":false,"result":"%s %s"}\n' "$(wc -c < prompt.txt | tr -d ' ')" "$(tail -n 1 prompt.txt)""#,
    );
    let prompt = format!("{}\nthe end", "x".repeat(1 << 20));
    let asked = ask(
        cli("claude-code", &claude),
        &prompt,
        None,
        Policy::default(),
        || {},
    );
    assert_eq!(asked.reply, Ok(format!("{} the end", prompt.len())));

    // codex has no system prompt of its own: a role's `:system` goes first.
    let codex = script(
        "codex",
        r#"first=$(head -n 1)
cat > /dev/null
printf '{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"%s"}}\n{"type":"turn.completed"}\n' "$first""#,
    );
    let agent = Agent {
        system: Some("You are terse.".into()),
        ..cli("codex", &codex)
    };
    let asked = ask(agent, "fix it", None, Policy::default(), || {});
    assert_eq!(asked.reply, Ok("You are terse.".to_string()));
}

#[test]
fn a_command_line_agent_that_stalls_or_prints_garbage_fails_clearly() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let (dir, _) = workspace();
    let mark = dir.join("finished");
    let stalls = script(
        "claude",
        &format!(
            r#"cat > /dev/null
echo '{{"type":"assistant","message":{{"content":[{{"type":"text","text":"Thinking"}}]}}}}'
(sleep 2; touch '{}') & wait"#,
            mark.display()
        ),
    );
    let start = Instant::now();
    let asked = ask(cli("claude-code", &stalls), "hi", None, quick(), || {});
    let (kind, message) = asked.reply.expect_err("a stall fails");
    assert_eq!(kind, "timeout");
    assert!(message.contains("role `writer`"), "{message}");
    assert!(
        message.contains("stalled") && message.contains("after 1 piece"),
        "{message}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        !mark.exists(),
        "the stalled tool was killed with what it started"
    );

    let garbage = script(
        "codex",
        "cat > /dev/null; echo 'Welcome to codex!'; sleep 5",
    );
    let start = Instant::now();
    let (kind, message) = ask(cli("codex", &garbage), "hi", None, quick(), || {})
        .reply
        .expect_err("garbage fails");
    assert_eq!(kind, "agent");
    assert!(message.contains("malformed stream"), "{message}");
    assert!(message.contains("Welcome to codex!"), "{message}");
    assert!(message.contains("codex exec --json"), "{message}");
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );

    let failed = script(
        "claude",
        r#"cat > /dev/null; echo '{"type":"result","subtype":"error_during_execution","is_error":true,"result":"API Error: 401"}'"#,
    );
    let (_, message) = ask(cli("claude-code", &failed), "hi", None, quick(), || {})
        .reply
        .expect_err("a failed result fails");
    assert!(
        message.contains("error_during_execution: API Error: 401"),
        "{message}"
    );
}
