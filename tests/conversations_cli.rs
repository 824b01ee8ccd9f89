//! Roles are conversations (LANGUAGE.md §8), through `duet run`, `back`, `resume`: a local
//! fake OpenAI-compatible server records the messages each call sends, and stand-in
//! `claude` and `codex` scripts record their arguments, what they read and their
//! environment in a log outside the workspace (the workspace is rewound with the run).

use std::path::Path;

mod support;
use support::{Canned, FakeServer, conversations, duet, said, script, temp, text};

/// Held by every test here: a script written while another thread forks could be held open
/// by the child and fail to run ("text file busy").
static SPAWNING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The number of the turn of `run` whose history line mentions `needle`.
fn turn_mentioning(dir: &Path, run: &str, needle: &str) -> u64 {
    let history = text(&duet(dir, &["history", run]).stdout);
    let line = history
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no turn mentions {needle:?}:\n{history}"));
    line.split('\t').next().unwrap().parse().expect("a turn")
}

/// Moves `run` back to just before the turn mentioning `needle`.
fn back_before(dir: &Path, run: &str, needle: &str) {
    let history = text(&duet(dir, &["history", run]).stdout);
    let last: u64 = history
        .lines()
        .filter_map(|l| l.split('\t').next()?.parse().ok())
        .max()
        .expect("turns");
    let count = last - turn_mentioning(dir, run, needle) + 1;
    let back = duet(dir, &["back", run, "--count", &count.to_string()]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
}

#[test]
fn http_roles_send_their_conversation_and_a_rewind_forgets_the_abandoned_exchange() {
    let server = FakeServer::sequence(
        [
            "plan A", "code B", "review B", "code C", "review C", "fresh",
        ]
        .map(Canned::openai)
        .into(),
    );
    let dir = temp("http-conversation");
    std::fs::write(
        dir.join("loop.lisp"),
        format!(
            r#"(workflow loop
  (roles (coder :agent-kind "openai" :endpoint "{}/v1" :system "terse"))
  (state work
    (println (prompt coder "plan"))
    (println (prompt coder "build"))
    (println (prompt coder "review"))
    (terminal)))
"#,
            server.address
        ),
    )
    .unwrap();
    let out = duet(&dir, &["run", "--allow", "network", "loop.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "plan A\ncode B\nreview B\n");
    let sent = conversations(&server);
    assert_eq!(sent.len(), 3);
    assert_eq!(
        sent[1],
        said(&[
            ("system", "terse"),
            ("user", "plan"),
            ("assistant", "plan A"),
            ("user", "build"),
        ])
    );
    assert_eq!(sent[2].len(), 6, "{:?}", sent[2]);
    // Back to before the second reply: the re-asked prompt carries the first exchange and
    // nothing of the abandoned one, and the review sees the new code only.
    back_before(&dir, "r1", "code B");
    let out = duet(&dir, &["resume", "r1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // What the redelivered turns printed is shown again (output is at least once).
    assert_eq!(text(&out.stdout), "plan A\ncode C\nreview C\n");
    let sent = conversations(&server);
    assert_eq!(sent.len(), 5);
    assert_eq!(sent[3], sent[1]);
    assert_eq!(
        sent[4],
        said(&[
            ("system", "terse"),
            ("user", "plan"),
            ("assistant", "plan A"),
            ("user", "build"),
            ("assistant", "code C"),
            ("user", "review"),
        ])
    );
    // The journal holds the conversation exactly: replay reproduces every turn.
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn fresh_prompts_memoryless_roles_and_forget_ask_outside_the_conversation() {
    let server = FakeServer::sequence(
        ["one", "two", "three", "four", "five"]
            .map(Canned::openai)
            .into(),
    );
    let dir = temp("fresh-conversation");
    std::fs::write(
        dir.join("fresh.lisp"),
        format!(
            r#"(workflow fresh
  (roles (coder :agent-kind "openai" :endpoint "{url}/v1")
         (critic :agent-kind "openai" :endpoint "{url}/v1" :memory :none))
  (state work
    (prompt coder "a")
    (prompt coder "b" :fresh true)
    (println (conversation coder))
    (prompt critic "c")
    (prompt critic "d")
    (forget coder)
    (prompt coder "e")
    (println (count (conversation coder)) (count (conversation critic)))
    (terminal)))
"#,
            url = server.address
        ),
    )
    .unwrap();
    let out = duet(&dir, &["run", "--allow", "network", "fresh.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "[{:from :user :text \"a\"} {:from :agent :text \"one\"}]\n2 0\n"
    );
    let sent = conversations(&server);
    let lengths: Vec<usize> = sent.iter().map(Vec::len).collect();
    // Only the role's own conversation goes with a prompt; fresh, memoryless and
    // forgotten prompts go alone.
    assert_eq!(lengths, [1, 1, 1, 1, 1], "{sent:?}");
}

#[test]
fn roles_outside_workflows_and_wrong_memory_options_are_clear_errors() {
    let dir = temp("conversation-errors");
    std::fs::write(
        dir.join("bad.lisp"),
        r#"(workflow bad
  (roles (coder :agent-kind "echo" :memory :forever))
  (state s (terminal)))
"#,
    )
    .unwrap();
    let out = duet(&dir, &["check", "bad.lisp"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("`:memory` must be `:conversation` (the default) or `:none`")
            && stderr.contains("bad.lisp:2:"),
        "{stderr}"
    );
    std::fs::write(
        dir.join("notarole.lisp"),
        r#"(workflow notarole
  (roles (coder :agent-kind "echo"))
  (state s
    (println (try (forget "coder") (catch e (str (field e 0) " " (field e 1)))))
    (terminal)))
"#,
    )
    .unwrap();
    let out = duet(&dir, &["run", "notarole.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        ":type `forget` expects a role of the workflow as its first argument\n"
    );
}

/// A stand-in `claude`: each call is a new session `sN` (its number in `state/count`); a
/// `--resume ID` of a session it does not have (no `state/ID`) fails as `claude` does. It
/// logs its arguments, environment and prompt to `state/log`.
fn fake_claude(path: &Path, state: &Path) {
    script(
        path,
        &format!(
            r#"state='{state}'
prompt=$(cat)
n=$(cat "$state/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$state/count"
resume=''
while [ $# -gt 0 ]; do [ "$1" = --resume ] && resume=$2; shift; done
if [ -n "$resume" ] && [ ! -e "$state/$resume" ]; then
  echo "No conversation found with session ID: $resume" >&2; exit 1
fi
touch "$state/s$n"
printf 'call %s resume=%s run=%s branch=%s role=%s turn=%s\n%s\n---\n' "$n" "$resume" "$DUET_RUN" "$DUET_BRANCH" "$DUET_ROLE" "$DUET_TURN" "$prompt" >> "$state/log"
echo '{{"type":"system","subtype":"init","session_id":"s'$n'"}}'
echo '{{"type":"result","subtype":"success","is_error":false,"result":"reply '$n' to '"$(echo "$prompt" | tail -n 1)"'","session_id":"s'$n'"}}'"#,
            state = state.display()
        ),
    );
}

/// The calls a fake tool logged: `(header, prompt)`.
fn calls(state: &Path) -> Vec<(String, String)> {
    let log = std::fs::read_to_string(state.join("log")).unwrap_or_default();
    log.split("---\n")
        .filter(|c| !c.is_empty())
        .map(|c| {
            let (header, prompt) = c.split_once('\n').expect("a header line");
            (header.to_string(), prompt.trim_end().to_string())
        })
        .collect()
}

#[test]
fn claude_continues_a_fork_of_the_session_that_holds_the_branchs_conversation() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("claude-sessions");
    let state = temp("claude-sessions-state");
    fake_claude(&dir.join("claude"), &state);
    std::fs::write(
        dir.join("loop.lisp"),
        r#"(workflow loop
  (roles (coder :agent-kind "claude-code" :command "./claude"))
  (state work
    (println (prompt coder "plan"))
    (println (prompt coder "build"))
    (terminal)))
"#,
    )
    .unwrap();
    let out = duet(&dir, &["run", "--allow", "shell", "loop.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "reply 1 to plan\nreply 2 to build\n");
    let log = calls(&state);
    assert!(
        log[0]
            .0
            .starts_with("call 1 resume= run=r1 branch=main role=coder turn="),
        "{log:?}"
    );
    // The second call forks the first call's session and is told only the new text.
    assert!(log[1].0.starts_with("call 2 resume=s1 "), "{log:?}");
    assert_eq!(log[1].1, "build");
    // Rewound to before the second reply, the re-asked prompt forks the session as it was
    // after the first exchange: never the session the abandoned exchange made.
    back_before(&dir, "r1", "reply 2 to build");
    let out = duet(&dir, &["resume", "r1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "reply 1 to plan\nreply 3 to build\n");
    let log = calls(&state);
    assert!(log[2].0.starts_with("call 3 resume=s1 "), "{log:?}");
    assert_eq!(log[2].1, "build");
    // A session the tool no longer has: a fresh session given the conversation as context.
    std::fs::remove_file(state.join("s1")).unwrap();
    back_before(&dir, "r1", "reply 3 to build");
    let out = duet(&dir, &["resume", "r1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let log = calls(&state);
    let last = log.last().expect("a call");
    assert!(last.0.contains("resume= "), "{log:?}");
    assert!(
        last.1
            .contains("<user>\nplan\n</user>\n<you>\nreply 1 to plan\n</you>")
            && last.1.ends_with("build")
            && !last.1.contains("reply 2")
            && !last.1.contains("reply 3"),
        "{}",
        last.1
    );
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn codex_gets_the_conversation_as_context_in_a_fresh_session() {
    let _one = SPAWNING.lock().unwrap_or_else(|e| e.into_inner());
    let dir = temp("codex-context");
    let state = temp("codex-context-state");
    script(
        &dir.join("codex"),
        &format!(
            r#"state='{state}'
prompt=$(cat)
n=$(cat "$state/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$state/count"
printf 'call %s args=%s role=%s\n%s\n---\n' "$n" "$*" "$DUET_ROLE" "$prompt" >> "$state/log"
echo '{{"type":"thread.started","thread_id":"t'$n'"}}'
echo '{{"type":"item.completed","item":{{"id":"i","type":"agent_message","text":"answer '$n'"}}}}'
echo '{{"type":"turn.completed"}}'"#,
            state = state.display()
        ),
    );
    std::fs::write(
        dir.join("pair.lisp"),
        r#"(workflow pair
  (roles (reviewer :agent-kind "codex" :command "./codex"))
  (state work
    (prompt reviewer "look at the parser")
    (println (prompt reviewer "and the printer?"))
    (terminal)))
"#,
    )
    .unwrap();
    let out = duet(&dir, &["run", "--allow", "shell", "pair.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "answer 2\n");
    let log = calls(&state);
    assert_eq!(log[0].1, "look at the parser");
    assert!(!log[1].0.contains("resume"), "{log:?}");
    assert!(
        log[1]
            .1
            .contains("<user>\nlook at the parser\n</user>\n<you>\nanswer 1\n</you>")
            && log[1].1.ends_with("Now the user says:\n\nand the printer?"),
        "{}",
        log[1].1
    );
}
