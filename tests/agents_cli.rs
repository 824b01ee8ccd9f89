//! Agents through `duet run`: command-line agents declared in a workflow (stand-in scripts
//! named with `:command`, which needs `--allow shell`) asked in `parallel` really work at
//! the same time; a `human` role
//! waits for `duet answer`; an agent's failure is an error `prompt` raises and the workflow
//! can catch; and every such run replays from its journal.

use std::path::Path;

mod support;
use support::{duet, temp, text};

/// Writes an executable script.
fn script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).expect("a script");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Held by every test here: a script written while another thread forks could be held open
/// by the child and fail to run ("text file busy").
static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn parallel_prompts_run_at_the_same_time() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("parallel");
    // Each agent announces itself, then waits for the other: asked one after the other,
    // the first would give up after 10 s and fail.
    for (me, other) in [("left", "right"), ("right", "left")] {
        script(
            &dir.join(me),
            &format!(
                r#"touch {me}.started
for i in $(seq 100); do [ -e {other}.started ] && break; sleep 0.1; done
[ -e {other}.started ] || {{ echo "{other} never started" >&2; exit 1; }}
prompt=$(cat)
printf '{{"type":"result","subtype":"success","is_error":false,"result":"%s"}}\n' "{me} did: $prompt""#
            ),
        );
    }
    std::fs::write(
        dir.join("pair.lisp"),
        r#"(workflow pair
  (roles
    (left :agent-kind "claude-code" :command "./left")
    (right :agent-kind "claude-code" :command "./right"))
  (state work
    (let [done (parallel (prompt left "the parser") (prompt right "the printer"))]
      (println (nth done 0))
      (println (nth done 1)))
    (terminal)))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "--allow", "shell", "pair.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "left did: the parser\nright did: the printer\n"
    );
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn a_failing_agent_is_an_error_the_workflow_can_catch() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("failing");
    script(&dir.join("flaky"), r#"echo "rate limited" >&2; exit 2"#);
    std::fs::write(
        dir.join("fallback.lisp"),
        r#"(workflow fallback
  (roles
    (primary :agent-kind "codex" :command "./flaky")
    (backup :agent-kind "echo"))
  (state work
    (println
      (try (prompt primary "write the docs")
           (catch e
             (println "primary failed:" (field e 0))
             (prompt backup "write the docs"))))
    (terminal)))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "--allow", "shell", "fallback.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "primary failed: :agent\necho: write the docs\n"
    );
    // Uncaught, the same failure fails the run with the tool's own words.
    std::fs::write(
        dir.join("uncaught.lisp"),
        r#"(workflow uncaught
  (roles (primary :agent-kind "codex" :command "./flaky"))
  (state work (println (prompt primary "write the docs"))))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "--allow", "shell", "uncaught.lisp"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("exit status 2: rate limited"), "{stderr}");
}

#[test]
fn a_human_role_waits_for_duet_answer() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("human");
    std::fs::write(
        dir.join("gate.lisp"),
        r#"(workflow gate
  (roles (author :agent-kind "echo") (approver :agent-kind "human"))
  (state draft
    (let [draft (prompt author "release notes")
          verdict (prompt approver (str "Approve? " draft))]
      (println "verdict:" verdict)
      (if (= verdict "yes") (terminal) (terminal :failed "rejected")))))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "gate.lisp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("waits for a person to answer: (approver) Approve? echo: release notes"),
        "{stderr}"
    );
    let status = duet(&dir, &["status", "r1"]);
    assert!(
        text(&status.stdout).contains("waiting: an answer to: (approver) Approve?"),
        "{}",
        text(&status.stdout)
    );
    let out = duet(&dir, &["answer", "r1", "yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "verdict: yes\n");
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn unknown_agent_kinds_and_roles_on_the_command_line_are_usage_errors() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("usage");
    let seed = std::fs::canonicalize("examples/ping-pong.lisp").expect("the example");
    let seed = seed.to_str().expect("utf-8");
    let out = duet(&dir, &["run", "--agents", "gpt", seed]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("`gpt` is not an agent kind; the kinds are echo, human"),
        "{}",
        text(&out.stderr)
    );
    let out = duet(&dir, &["run", "--agent", "reviewer=echo", seed]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("has no role `reviewer`; its roles are `planner`, `implementer`"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !dir.join(".duet").exists(),
        "nothing ran, nothing was stored"
    );
}

#[test]
fn a_prompt_past_its_timeout_raises_and_its_agent_is_stopped() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("timeout");
    // The agent would leave a mark after a while, from a process of its own; stopped at the
    // timeout with everything it started, it never does.
    script(
        &dir.join("slow"),
        "(sleep 2; touch finished) & wait; echo late",
    );
    std::fs::write(
        dir.join("impatient.lisp"),
        r#"(workflow impatient
  (roles (slow :agent-kind "claude-code" :command "./slow"))
  (state ask
    (println (try (prompt slow "think hard" :timeout "100ms")
                  (catch e (str "gave up: " (field e 0)))))
    (sleep "3s")
    (terminal)))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "--allow", "shell", "impatient.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "gave up: :timeout\n");
    // The run went on for 3 s after the timeout, longer than the agent needed: it was
    // stopped when the prompt gave up, not when the run ended.
    assert!(
        !dir.join("finished").exists(),
        "the agent's process was killed when the prompt gave up"
    );
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn a_schema_reply_is_data_and_a_reply_that_does_not_match_is_an_error() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("schema");
    // One agent answers in a code fence, as models like to; the other forgets a field. Each
    // checks it was told about the schema.
    script(
        &dir.join("good"),
        r#"prompt=$(cat)
case "$prompt" in *"matches this JSON Schema"*) ;; *) echo "no schema in the prompt" >&2; exit 1;; esac
printf '%s\n' '{"type":"result","subtype":"success","is_error":false,"result":"Sure:\n```json\n{\"verdict\": \"ship\", \"score\": 9}\n```"}'"#,
    );
    script(
        &dir.join("sloppy"),
        r#"printf '%s\n' '{"type":"result","subtype":"success","is_error":false,"result":"{\"score\": \"high\"}"}'"#,
    );
    std::fs::write(
        dir.join("review.lisp"),
        r#"(def verdict-schema
  {:type :object
   :required ["verdict" "score"]
   :properties {:verdict {:enum ["ship" "hold"]} :score {:type :integer}}})

(workflow review
  (roles
    (careful :agent-kind "claude-code" :command "./good")
    (sloppy :agent-kind "claude-code" :command "./sloppy"))
  (state judge
    (let [v (prompt careful "Judge the change" :schema verdict-schema)]
      (println (get v "verdict") (+ 1 (get v "score"))))
    (println (try (prompt sloppy "Judge the change" :schema verdict-schema)
                  (catch e (str (field e 0) " " (field e 1)))))
    (terminal)))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "--allow", "shell", "review.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("ship 10"));
    let error = lines.next().expect("the sloppy agent's error");
    assert!(
        error.starts_with(":agent the agent of role `sloppy` did not answer as the `:schema` asks"),
        "{error}"
    );
    assert!(
        error.contains("\"verdict\" is a required property"),
        "{error}"
    );
    assert!(error.contains("at /score"), "{error}");
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn duet_answer_answers_the_question_the_run_reported() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("two-questions");
    std::fs::write(
        dir.join("two.lisp"),
        r#"(workflow two
  (roles (approver :agent-kind "human"))
  (state ask
    (let [both (parallel (prompt approver "Approve the release?")
                         (do (sleep "50ms") (ask-user "Which colour?")))]
      (println "approve:" (nth both 0) "colour:" (nth both 1)))
    (terminal)))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "two.lisp"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let mut answers = vec![
        ("Which colour?", "blue"),
        ("(approver) Approve the release?", "yes"),
    ];
    // Whichever question is reported is the one answered, until none is left.
    let mut last = out;
    while last.status.code() == Some(3) {
        let status = text(&duet(&dir, &["status", "r1"]).stdout);
        let position = answers
            .iter()
            .position(|(q, _)| status.contains(&format!("waiting: an answer to: {q}")))
            .unwrap_or_else(|| panic!("an unanswered question is reported: {status}"));
        let (_, answer) = answers.remove(position);
        last = duet(&dir, &["answer", "r1", answer]);
    }
    assert_eq!(last.status.code(), Some(0), "{}", text(&last.stderr));
    assert!(answers.is_empty(), "both questions were asked");
    assert_eq!(text(&last.stdout), "approve: yes colour: blue\n");
}

#[test]
fn interrupting_duet_stops_the_agents_it_started() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("interrupt");
    script(
        &dir.join("busy"),
        "touch started; (sleep 2; touch finished) & wait; echo done",
    );
    std::fs::write(
        dir.join("busy.lisp"),
        r#"(workflow busy
  (roles (worker :agent-kind "claude-code" :command "./busy"))
  (state work (println (prompt worker "work")) (terminal)))
"#,
    )
    .expect("the workflow");
    let mut child = support::command(&dir, &["run", "--allow", "shell", "busy.lisp"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("duet starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !dir.join("started").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(dir.join("started").exists(), "the agent started");
    // Ctrl-C reaches duet only: the agent runs in a process group of its own.
    let sent = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let status = child.wait().expect("duet ends");
    assert!(!status.success(), "duet was interrupted");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert!(
        !dir.join("finished").exists(),
        "the agent and what it started ended with duet"
    );
}

/// Runs `duet ARGS…` in `dir`, reading its standard output and error line by line as they
/// come; `gate` is created when a line of the chosen stream contains `marker` (a stand-in
/// agent waits for it). Returns the exit code and both streams.
fn run_watching(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    watch_stderr: bool,
    marker: &'static str,
    gate: &Path,
) -> (Option<i32>, String, String) {
    use std::io::BufRead;
    let mut child = support::command(dir, args)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("duet starts");
    let reader = |stream: Box<dyn std::io::Read + Send>, watch: bool, gate: std::path::PathBuf| {
        std::thread::spawn(move || {
            let mut all = String::new();
            for line in std::io::BufReader::new(stream).lines() {
                let line = line.expect("a line");
                if watch && line.contains(marker) && !gate.exists() {
                    std::fs::write(&gate, "").expect("the gate");
                }
                all.push_str(&line);
                all.push('\n');
            }
            all
        })
    };
    let out = reader(
        Box::new(child.stdout.take().expect("stdout")),
        !watch_stderr,
        gate.to_path_buf(),
    );
    let err = reader(
        Box::new(child.stderr.take().expect("stderr")),
        watch_stderr,
        gate.to_path_buf(),
    );
    let status = child.wait().expect("duet ends");
    (
        status.code(),
        out.join().expect("stdout read"),
        err.join().expect("stderr read"),
    )
}

/// A stand-in `claude` that prints its first steps, waits until `gate` exists (what duet
/// showed of them was seen), then finishes: a reply shown only at the end never opens it.
fn gated_claude(path: &Path, gate: &Path) {
    script(
        path,
        &format!(
            r#"prompt=$(cat)
echo '{{"type":"system","subtype":"init","session_id":"s1"}}'
echo '{{"type":"assistant","message":{{"content":[{{"type":"text","text":"Looking."}},{{"type":"tool_use","name":"Bash","input":{{"command":"ls"}}}}]}}}}'
for i in $(seq 100); do [ -e '{gate}' ] && break; sleep 0.1; done
[ -e '{gate}' ] || {{ echo "nothing was shown before the reply" >&2; exit 1; }}
echo '{{"type":"assistant","message":{{"content":[{{"type":"text","text":"Done: '"$prompt"'"}}]}}}}'
echo '{{"type":"result","subtype":"success","is_error":false,"result":"Done: '"$prompt"'"}}'"#,
            gate = gate.display()
        ),
    );
}

#[test]
fn a_streaming_agents_pieces_are_shown_before_its_answer_and_not_journaled() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("streaming");
    let gate = dir.join("seen");
    gated_claude(&dir.join("claude"), &gate);
    std::fs::write(
        dir.join("look.lisp"),
        r#"(workflow look
  (roles (coder :agent-kind "claude-code" :command "./claude"))
  (state work (println (prompt coder "list")) (terminal)))
"#,
    )
    .expect("the workflow");
    // With --json: `agent-delta` events, then the response.
    let (code, stdout, stderr) = run_watching(
        &dir,
        &["run", "--allow", "shell", "--json", "look.lisp"],
        &[],
        false,
        "\"agent-delta\"",
        &gate,
    );
    assert_eq!(code, Some(0), "{stderr}{stdout}");
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON event"))
        .collect();
    let traffic: Vec<(String, String)> = events
        .iter()
        .filter(|e| e["event"].as_str().unwrap().starts_with("agent-"))
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_string(),
                e["text"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("agent-request", "list"),
        ("agent-delta", "Looking.\n[tool: Bash]\n"),
        ("agent-delta", "Done: list"),
        ("agent-response", "Done: list"),
    ];
    assert_eq!(
        traffic,
        expected.map(|(e, t)| (e.to_string(), t.to_string())),
        "{stdout}"
    );
    let delta = events.iter().find(|e| e["event"] == "agent-delta").unwrap();
    assert_eq!(delta["role"], "coder");
    assert!(
        delta["id"].as_str().unwrap().starts_with("prompt"),
        "{delta}"
    );
    assert!(delta["turn"].is_u64() && delta["at"].is_i64(), "{delta}");
    // Only the reply is journaled: the history has it, no piece; replay agrees.
    let history = text(&duet(&dir, &["history", "r1"]).stdout);
    assert!(history.contains("Done: list"), "{history}");
    assert!(!history.contains("Looking."), "{history}");
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));

    // For people: the pieces on a line of their own as they come, then the answer.
    std::fs::remove_file(&gate).expect("the gate");
    let (code, stdout, stderr) = run_watching(
        &dir,
        &["run", "--allow", "shell", "look.lisp"],
        &[],
        true,
        "agent: coder writes [",
        &gate,
    );
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout, "Done: list\n");
    assert!(
        stderr.contains(
            "]: Looking.\n  | [tool: Bash]\n  | Done: list\nagent: coder answered [prompt"
        ),
        "{stderr}"
    );
}

#[test]
fn http_agents_retry_rate_limits_and_stream_through_duet_run() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("retry");
    let server = support::FakeServer::sequence(vec![
        support::Canned::new(
            "429 Too Many Requests",
            "application/json",
            &[r#"{"error":{"message":"slow down"}}"#],
        )
        .with_header("retry-after: 0"),
        support::Canned::openai_stream(&["Hel", "lo"]),
    ]);
    std::fs::write(
        dir.join("hello.lisp"),
        r#"(workflow hello
  (roles (model :agent-kind "openai"))
  (state work (println (prompt model "greet")) (terminal)))
"#,
    )
    .expect("the workflow");
    let env = [
        ("OPENAI_BASE_URL", format!("{}/v1", server.address)),
        ("OPENAI_API_KEY", "test-key".to_string()),
    ];
    let out = support::command(&dir, &["run", "--json", "hello.lisp"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("duet runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let events: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON event"))
        .collect();
    let names: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .filter(|e| e.starts_with("agent-") || *e == "retry")
        .collect();
    assert_eq!(
        names,
        [
            "agent-request",
            "retry",
            "agent-delta",
            "agent-delta",
            "agent-response"
        ]
    );
    let retry = events.iter().find(|e| e["event"] == "retry").unwrap();
    assert_eq!(retry["role"], "model");
    assert_eq!(retry["attempt"], 2);
    assert_eq!(retry["delay_ms"], 0);
    assert_eq!(retry["reason"], "HTTP 429 Too Many Requests: slow down");
    let received = server.received();
    assert_eq!(received.len(), 2);
    assert!(
        received[1].body.contains("\"stream\":true"),
        "{}",
        received[1].body
    );

    // Four server errors: the run fails naming each.
    let server = support::FakeServer::sequence(vec![
        support::Canned::new(
            "500 Internal Server Error",
            "text/plain",
            &["upstream exploded"],
        )
        .with_header("retry-after: 0"),
    ]);
    let out = support::command(&dir, &["run", "hello.lisp"])
        .env("OPENAI_BASE_URL", format!("{}/v1", server.address))
        .env("OPENAI_API_KEY", "test-key")
        .output()
        .expect("duet runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert_eq!(
        stderr.matches("agent: model retries [").count(),
        3,
        "{stderr}"
    );
    for n in 1..=4 {
        assert!(
            stderr.contains(&format!(
                "attempt {n}: HTTP 500 Internal Server Error: upstream exploded"
            )),
            "{stderr}"
        );
    }
    assert_eq!(server.received().len(), 4);
}

#[test]
fn a_megabyte_prompt_reaches_a_command_line_agent() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("big-prompt");
    std::fs::write(dir.join("big.txt"), "x".repeat(1 << 20)).expect("the prompt");
    script(
        &dir.join("codex"),
        r#"n=$(wc -c | tr -d ' ')
printf '{"type":"item.completed","item":{"id":"i","type":"agent_message","text":"read %s bytes"}}\n{"type":"turn.completed"}\n' "$n""#,
    );
    std::fs::write(
        dir.join("big.lisp"),
        r#"(workflow big
  (roles (coder :agent-kind "codex" :command "./codex"))
  (state work (println (prompt coder (read-file "big.txt"))) (terminal)))
"#,
    )
    .expect("the workflow");
    let out = duet(
        &dir,
        &[
            "run",
            "--allow",
            "shell",
            "--allow",
            "workspace/read",
            "big.lisp",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), format!("read {} bytes\n", 1 << 20));
}

#[test]
fn retries_must_be_a_count() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("retries-option");
    std::fs::write(
        dir.join("r.lisp"),
        r#"(workflow r
  (roles (model :agent-kind "openai" :retries "many"))
  (state work (terminal)))
"#,
    )
    .expect("the workflow");
    let out = duet(&dir, &["run", "r.lisp"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("role `model`: `:retries` must be a whole number of retries"),
        "{}",
        text(&out.stderr)
    );
}
