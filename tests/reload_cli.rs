//! Edit and run again (LANGUAGE.md §8) through `duet fork --reload` and `duet resume
//! --reload`: the run continues in the file's current code, re-entering its state with its
//! variables and conversations, without re-running earlier turns; what cannot be carried
//! over is a clear error that changes nothing. A local fake OpenAI-compatible server
//! records what the agents were asked.

use std::path::Path;

mod support;
use support::{Canned, FakeServer, duet, temp, text};

/// The plan → draft → review workflow, the writer asked `draft`.
fn workflow(server: &FakeServer, draft: &str) -> String {
    format!(
        r#"(workflow tune
  (roles (planner :agent-kind "openai" :endpoint "{url}/v1")
         (writer :agent-kind "openai" :endpoint "{url}/v1"))
  (def plan nil)
  (state planning
    (set! plan (prompt planner "plan a poem"))
    (goto drafting))
  (state drafting
    (println (prompt writer (str "{draft}, following: " plan)))
    (goto reviewing))
  (state reviewing
    (println "plan:" plan "planner exchanges:" (count (conversation planner)))
    (terminal :completed)))
"#,
        url = server.address
    )
}

/// The user messages the server received, in order.
fn asked(server: &FakeServer) -> Vec<String> {
    server
        .received()
        .iter()
        .map(|r| {
            let body: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
            let messages = body["messages"].as_array().expect("messages");
            messages.last().expect("a message")["content"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

fn history(dir: &Path) -> String {
    text(&duet(dir, &["history", "r1"]).stdout)
}

#[test]
fn a_fork_continues_in_the_edited_code_without_re_running_earlier_turns() {
    let server = FakeServer::sequence(
        ["rhyme it", "a sea poem", "a mountain poem"]
            .map(Canned::openai)
            .into(),
    );
    let dir = temp("reload-fork");
    let file = dir.join("tune.lisp");
    std::fs::write(&file, workflow(&server, "Write about the sea")).unwrap();
    let out = duet(&dir, &["run", "--allow", "network", "tune.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "a sea poem\nplan: rhyme it planner exchanges: 2\n"
    );
    // Tune the prompt, go back to the planner's reply, and shoot again.
    std::fs::write(&file, workflow(&server, "Write about the mountains")).unwrap();
    let fork = duet(&dir, &["fork", "r1", "--at", "1", "--reload"]);
    assert_eq!(fork.status.code(), Some(0), "{}", text(&fork.stderr));
    assert!(
        text(&fork.stderr).contains("re-entering state `drafting`"),
        "{}",
        text(&fork.stderr)
    );
    let out = duet(&dir, &["resume", "r1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with("a mountain poem\nplan: rhyme it planner exchanges: 2\n"),
        "{}",
        text(&out.stdout)
    );
    // The planner was asked once; the writer got the new text with the carried plan.
    assert_eq!(
        asked(&server),
        [
            "plan a poem",
            "Write about the sea, following: rhyme it",
            "Write about the mountains, following: rhyme it"
        ]
    );
    let history = history(&dir);
    assert!(
        history.contains("reloaded the workflow's code")
            && history.contains("re-entered state `drafting`"),
        "{history}"
    );
    // Replay uses each part's own code: the old branch and the new one both reproduce.
    for branch in ["main", "fork-1"] {
        let replay = duet(&dir, &["replay", "r1", "--branch", branch]);
        assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    }
    // Editing the file again changes nothing of what was recorded.
    std::fs::write(&file, "(this is not a workflow").unwrap();
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn what_cannot_be_carried_over_is_an_error_that_changes_nothing() {
    let server = FakeServer::sequence(["rhyme it", "a sea poem"].map(Canned::openai).into());
    let dir = temp("reload-errors");
    let file = dir.join("tune.lisp");
    let original = workflow(&server, "Write about the sea");
    std::fs::write(&file, &original).unwrap();
    let out = duet(&dir, &["run", "--allow", "network", "tune.lisp"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let before = history(&dir);
    let back = duet(&dir, &["back", "r1", "--count", "1"]);
    assert_eq!(back.status.code(), Some(0), "{}", text(&back.stderr));
    let at_head = history(&dir);
    let cases = [
        (
            original.replace("drafting", "writing"),
            "the run is in state `drafting`, which the workflow `tune` no longer has (its states are `planning`, `writing`, `reviewing`)",
        ),
        (
            original
                .replace("(def plan nil)", "(def outline nil)")
                .replace("(set! plan", "(set! outline")
                .replace(": \" plan", ": \" outline")
                .replace("\"plan:\" plan", "\"plan:\" outline"),
            "the workflow variable `plan` no longer exists in workflow `tune` (its variables are `outline`)",
        ),
        (
            original.replace("(goto reviewing))", "(goto reviewing)"),
            "tune.lisp:",
        ),
    ];
    for (edited, expected) in cases {
        std::fs::write(&file, &edited).unwrap();
        let out = duet(&dir, &["resume", "r1", "--reload"]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(expected),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(history(&dir), at_head, "nothing was journaled");
    }
    assert_ne!(before, at_head);
    // A reload of a run that records no file for it (not possible from `duet run`) and an
    // unknown run are usage errors too.
    let unknown = duet(&dir, &["resume", "r9", "--reload"]);
    assert_eq!(unknown.status.code(), Some(2));
}
