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
for a; do last="$a"; done
echo "{me} did: $last""#
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
        r#"for a; do last="$a"; done
case "$last" in *"matches this JSON Schema"*) ;; *) echo "no schema in the prompt" >&2; exit 1;; esac
printf 'Sure:\n```json\n{"verdict": "ship", "score": 9}\n```\n'"#,
    );
    script(&dir.join("sloppy"), r#"echo '{"score": "high"}'"#);
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
