//! `duet agent chat` and `duet agent history` through the command, with and without a
//! daemon: a local fake OpenAI-compatible server records the messages each call sends, so
//! a test sees that a session's conversation persists across calls, that sessions are
//! separate, and that a failing server leaves the session usable.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

mod support;
use support::{Canned, Daemon, FakeServer, command, conversations, duet, said, temp, text};

/// The environment pointing an `openai` agent at `server`.
fn openai_env(server: &FakeServer) -> [(&'static str, String); 2] {
    [
        ("OPENAI_BASE_URL", format!("{}/v1", server.address)),
        ("OPENAI_API_KEY", "test-key".to_string()),
    ]
}

/// `duet ARGS…` in `dir` with `env` set and no `DUET_AGENT` of the caller's.
fn duet_with(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    command(dir, args)
        .env_remove("DUET_AGENT")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("duet runs")
}

/// The session's history as `(from, text)` pairs, from `--json`.
fn history(dir: &Path, session: &str) -> Vec<(String, String)> {
    let out = duet(dir, &["agent", "history", "--session", session, "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    support::json_lines(&out)
        .iter()
        .map(|m| {
            assert!(m["at"].as_u64().is_some_and(|at| at > 0), "{m}");
            let field = |k: &str| m[k].as_str().unwrap_or_default().to_string();
            (field("from"), field("text"))
        })
        .collect()
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn a_second_message_carries_the_first_exchange_and_sessions_are_separate() {
    let server = FakeServer::sequence(
        [
            "Hi, I am Duet.",
            "You said hello.",
            "A fresh start.",
            "Asked anew.",
        ]
        .map(Canned::openai)
        .into(),
    );
    let dir = temp("chat-twice");
    let env = openai_env(&server);
    let first = duet_with(&dir, &env, &["agent", "chat", "--agent", "openai", "hello"]);
    assert_eq!(ok(&first), "Hi, I am Duet.\n");
    assert!(
        text(&first.stderr).contains("chat: session `default` begins as run r1, with `openai`"),
        "{}",
        text(&first.stderr)
    );
    // The session remembers its agent; `--wait-for-response` without a daemon prints the
    // reply as always.
    let second = duet_with(
        &dir,
        &env,
        &["agent", "chat", "--wait-for-response", "what did I say?"],
    );
    assert_eq!(ok(&second), "You said hello.\n");
    let other = duet_with(
        &dir,
        &env,
        &[
            "agent",
            "chat",
            "--session",
            "work",
            "--agent",
            "openai",
            "begin",
        ],
    );
    assert_eq!(ok(&other), "A fresh start.\n");
    let sent = conversations(&server);
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0], said(&[("user", "hello")]));
    assert_eq!(
        sent[1],
        said(&[
            ("user", "hello"),
            ("assistant", "Hi, I am Duet."),
            ("user", "what did I say?"),
        ])
    );
    // Another session has a conversation of its own.
    assert_eq!(sent[2], said(&[("user", "begin")]));
    assert_eq!(
        history(&dir, "default"),
        said(&[
            ("user", "hello"),
            ("agent", "Hi, I am Duet."),
            ("user", "what did I say?"),
            ("agent", "You said hello."),
        ])
    );
    assert_eq!(
        history(&dir, "work"),
        said(&[("user", "begin"), ("agent", "A fresh start.")])
    );
    let shown = ok(&duet(&dir, &["agent", "history"]));
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines.len(), 4, "{shown}");
    assert!(
        lines[0].starts_with("user\t") && lines[0].ends_with("\thello"),
        "{shown}"
    );
    assert!(lines[3].starts_with("agent\t"), "{shown}");
    // The runs are plain runs of the store: listed, and replayable.
    let runs = ok(&duet(&dir, &["runs"]));
    assert!(runs.contains("r1\tchat:default\twaiting"), "{runs}");
    assert!(runs.contains("r2\tchat:work\twaiting"), "{runs}");
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    // Rewinding the run rewinds the chat: the agent never sees the abandoned exchange.
    let back = duet(&dir, &["back", "r1", "--count", "2"]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
    assert_eq!(
        history(&dir, "default"),
        said(&[("user", "hello"), ("agent", "Hi, I am Duet.")])
    );
    let anew = duet_with(&dir, &env, &["agent", "chat", "ask again"]);
    assert_eq!(ok(&anew), "Asked anew.\n");
    assert_eq!(
        conversations(&server)[3],
        said(&[
            ("user", "hello"),
            ("assistant", "Hi, I am Duet."),
            ("user", "ask again"),
        ])
    );
}

#[test]
fn the_agent_comes_from_the_flag_the_environment_the_config_or_echo() {
    let dir = temp("chat-kinds");
    let echo = duet_with(&dir, &[], &["agent", "chat", "one"]);
    assert_eq!(ok(&echo), "echo: one\n");
    // A session keeps its agent; asking for another one is refused, saying what to do.
    let refused = duet_with(&dir, &[], &["agent", "chat", "--agent", "openai", "two"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        text(&refused.stderr).contains("session `default` (run r1) talks to `echo`"),
        "{}",
        text(&refused.stderr)
    );
    let server = FakeServer::openai("configured");
    let mut env = openai_env(&server).to_vec();
    std::fs::write(dir.join(".duet/config.json"), r#"{"agent": "openai"}"#).unwrap();
    let configured = duet_with(&dir, &env, &["agent", "chat", "--session", "c", "hi"]);
    assert_eq!(ok(&configured), "configured\n");
    env.push(("DUET_AGENT", "echo".into()));
    let from_env = duet_with(&dir, &env, &["agent", "chat", "--session", "e", "hi"]);
    assert_eq!(ok(&from_env), "echo: hi\n");
    // Wrong names say so (exit 2).
    std::fs::write(dir.join(".duet/config.json"), "agent = openai").unwrap();
    let garbled = duet_with(&dir, &[], &["agent", "chat", "--session", "g", "hi"]);
    assert_eq!(garbled.status.code(), Some(2));
    assert!(text(&garbled.stderr).contains("config.json is not a config duet reads"));
    let kind = duet_with(
        &dir,
        &[],
        &["agent", "chat", "--session", "k", "--agent", "gpt", "hi"],
    );
    assert_eq!(kind.status.code(), Some(2));
    assert!(text(&kind.stderr).contains("`gpt` is not an agent kind"));
    let name = duet(&dir, &["agent", "chat", "--session", "a/b", "hi"]);
    assert_eq!(name.status.code(), Some(2));
    assert!(text(&name.stderr).contains("cannot name a chat session"));
    let unknown = duet(&dir, &["agent", "history", "--session", "nope"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        text(&unknown.stderr).contains(
            "there is no chat session `nope` in .duet; its sessions are c, default, e; `duet \
             agent chat --session nope TEXT` starts it"
        ),
        "{}",
        text(&unknown.stderr)
    );
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_failing_server_is_a_clear_error_and_the_session_goes_on() {
    let mut responses = vec![
        Canned::new(
            "500 Internal Server Error",
            "text/plain",
            &["upstream down"]
        )
        .with_header("retry-after: 0");
        4
    ];
    responses.push(Canned::openai("back again"));
    let server = FakeServer::sequence(responses);
    let dir = temp("chat-failing");
    let env = openai_env(&server);
    let failed = duet_with(&dir, &env, &["agent", "chat", "--agent", "openai", "hello"]);
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(text(&failed.stdout), "");
    let stderr = text(&failed.stderr);
    assert!(
        stderr.contains("error: the agent of session `default` failed: ")
            && stderr.contains("HTTP 500 Internal Server Error: upstream down")
            && stderr.contains("the session goes on"),
        "{stderr}"
    );
    let again = duet_with(&dir, &env, &["agent", "chat", "hello again"]);
    assert_eq!(ok(&again), "back again\n");
    // The failed call added nothing to the conversation.
    let sent = conversations(&server);
    assert_eq!(sent.len(), 5);
    assert_eq!(sent[4], said(&[("user", "hello again")]));
    assert_eq!(
        history(&dir, "default"),
        said(&[("user", "hello again"), ("agent", "back again")])
    );
}

/// Polls the history of `session` until it holds `n` messages.
fn wait_for_history(dir: &Path, session: &str, n: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let said = history(dir, session);
        if said.len() >= n {
            return said;
        }
        assert!(Instant::now() < deadline, "only {said:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn with_a_daemon_messages_queue_and_sessions_go_on_at_once() {
    let server = FakeServer::sequence(["first reply", "second reply"].map(Canned::openai).into());
    let dir = temp("chat-daemon");
    let env = openai_env(&server);
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let _daemon = Daemon::start_with(&dir, &env_refs);
    let first = duet_with(
        &dir,
        &[],
        &[
            "agent",
            "chat",
            "--agent",
            "openai",
            "--wait-for-response",
            "hello",
        ],
    );
    assert_eq!(ok(&first), "first reply\n");
    // Without `--wait-for-response` the message is queued and the command returns.
    let queued = duet_with(&dir, &[], &["agent", "chat", "more"]);
    assert_eq!(ok(&queued), "");
    assert!(
        text(&queued.stderr).contains("chat: message queued for session `default` (run r1)"),
        "{}",
        text(&queued.stderr)
    );
    assert_eq!(
        wait_for_history(&dir, "default", 4),
        said(&[
            ("user", "hello"),
            ("agent", "first reply"),
            ("user", "more"),
            ("agent", "second reply"),
        ])
    );
    assert_eq!(
        conversations(&server)[1],
        said(&[
            ("user", "hello"),
            ("assistant", "first reply"),
            ("user", "more"),
        ])
    );
    // Several sessions at once (all started before any is waited for), the client's `DUET_AGENT` choosing their agent, and
    // messages queued to one session delivered in order.
    let echo = [("DUET_AGENT", "echo".to_string())];
    let chats: Vec<_> = (1..=4)
        .map(|n| {
            command(
                &dir,
                &[
                    "agent",
                    "chat",
                    "--session",
                    &format!("s{n}"),
                    "--wait-for-response",
                    &format!("to s{n}"),
                ],
            )
            .envs(echo.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("duet runs")
        })
        .collect();
    let chats: Vec<Output> = chats
        .into_iter()
        .map(|chat| chat.wait_with_output().expect("the chat ends"))
        .collect();
    for (n, out) in (1..=4).zip(&chats) {
        assert_eq!(ok(out), format!("echo: to s{n}\n"));
    }
    for n in 1..=3 {
        let out = duet_with(
            &dir,
            &echo,
            &["agent", "chat", "--session", "q", &format!("m{n}")],
        );
        assert_eq!(ok(&out), "");
    }
    let said_in_q = wait_for_history(&dir, "q", 6);
    let users: Vec<&str> = said_in_q
        .iter()
        .filter(|(from, _)| from == "user")
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(users, ["m1", "m2", "m3"]);
    assert_eq!(server.received().len(), 2);
}

#[test]
fn a_chat_without_a_daemon_is_served_while_another_holds_the_store() {
    let dir = temp("chat-alongside");
    std::fs::write(
        dir.join("nap.lisp"),
        r#"(workflow nap (state s (sleep "2s") (terminal)))"#,
    )
    .unwrap();
    let mut napping = command(&dir, &["run", "nap.lisp"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("duet runs");
    // Once it holds the store, it serves the chat (and the chat's first message).
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dir.join(".duet/daemon.sock").exists() {
        assert!(Instant::now() < deadline, "the run never served the store");
        std::thread::sleep(Duration::from_millis(10));
    }
    let out = duet_with(&dir, &[], &["agent", "chat", "while you nap"]);
    assert_eq!(ok(&out), "echo: while you nap\n");
    assert!(napping.wait().expect("the run ends").success());
    assert_eq!(
        history(&dir, "default"),
        said(&[("user", "while you nap"), ("agent", "echo: while you nap")])
    );
}
