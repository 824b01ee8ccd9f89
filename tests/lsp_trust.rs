//! Editor tools a user can trust (issue 14), through `duet lsp` as an editor drives it: a
//! rename never changes what the program means, completion offers what fits where the cursor
//! is and nothing internal.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use lsp_client::*;
use serde_json::{Value, json};

const URI: &str = "file:///tmp/duet-lsp-trust/main.lisp";

/// Asks to rename the name at `line`:`character` to `new_name`; the whole response.
fn rename(client: &mut Client, line: u32, character: u32, new_name: &str) -> Value {
    client.request(
        "textDocument/rename",
        json!({
            "textDocument": {"uri": URI},
            "position": {"line": line, "character": character},
            "newName": new_name
        }),
    )
}

/// The refusal's message of a rename that must be refused.
fn refusal(client: &mut Client, line: u32, character: u32, new_name: &str) -> String {
    let response = rename(client, line, character, new_name);
    assert!(
        response.get("result").is_none_or(Value::is_null),
        "renaming to `{new_name}` was accepted: {response}"
    );
    response["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message: {response}"))
        .to_string()
}

const WORKFLOW: &str = r#"(def limit 3)
(defn twice [x] (* 2 x))

(workflow w
  (roles (planner :agent-kind "echo"))
  (def tries 0)
  (state start
    (set! tries (inc tries))
    (log planner (twice limit) tries)
    (terminal)))

(defn helper [] 1)
"#;

#[test]
fn renaming_a_workflow_variable_onto_another_name_is_refused_with_the_reason() {
    let (mut client, _) = Client::start();
    client.open(URI, WORKFLOW);
    let (line, character) = (5, column(WORKFLOW, 5, "tries", 0));

    // Onto a global: the `limit` in the state would read the variable instead.
    let why = refusal(&mut client, line, character, "limit");
    assert_eq!(
        why,
        "cannot rename `tries` to `limit`: the `limit` at line 9 names the global `limit` now, \
         and would name the workflow variable `limit`"
    );
    // Onto a role.
    let why = refusal(&mut client, line, character, "planner");
    assert!(
        why.contains("the `planner` at line 9 names the role `planner` now"),
        "{why}"
    );
    // Onto a builtin the state calls, and onto one nothing calls.
    let why = refusal(&mut client, line, character, "inc");
    assert!(
        why.contains("the `inc` at line 8 names the builtin `inc` now"),
        "{why}"
    );
    let why = refusal(&mut client, line, character, "count");
    assert_eq!(
        why,
        "cannot rename `tries` to `count`: `count` shadows the builtin function of the same \
         name (W0004)"
    );
    // Onto a global the workflow does not use: no use changes meaning, but the variable
    // would hide the global in the whole workflow.
    let why = refusal(&mut client, line, character, "helper");
    assert_eq!(
        why,
        "cannot rename `tries` to `helper`: workflow variable `helper` has the name of a \
         global (W0006)"
    );

    // A fresh name is accepted: the declaration and its three uses.
    let response = rename(&mut client, line, character, "attempts");
    let edits = response["result"]["changes"][URI]
        .as_array()
        .unwrap_or_else(|| panic!("no edits: {response}"))
        .clone();
    assert_eq!(edits.len(), 4, "{response}");
    assert!(edits.iter().all(|e| e["newText"] == "attempts"));
}

#[test]
fn renaming_a_global_or_a_local_so_that_it_captures_another_name_is_refused() {
    let text = "(def limit 3)\n(defn f [a]\n  (let [b 1]\n    (+ a b limit)))\n";
    let (mut client, _) = Client::start();
    client.open(URI, text);
    // The parameter `a` renamed to `b`: inside the `let`, `b` would mean the parameter no
    // more.
    let why = refusal(&mut client, 1, column(text, 1, "a", 0), "b");
    assert!(
        why == "cannot rename `a` to `b`: the `a` at line 4, renamed, would name the local `b` \
                instead of the local `a`",
        "{why}"
    );
    // The local `b` renamed to `limit` would hide the global used next to it.
    let why = refusal(&mut client, 2, column(text, 2, "b", 0), "limit");
    assert!(
        why.contains(
            "the `limit` at line 4 names the global `limit` now, and would name the local `limit`"
        ),
        "{why}"
    );
    // The global renamed to `a` would be captured by the parameter.
    let why = refusal(&mut client, 0, column(text, 0, "limit", 0), "a");
    assert!(
        why.contains("the `limit` at line 4, renamed, would name the local `a`"),
        "{why}"
    );
    // And a harmless rename still works.
    let response = rename(&mut client, 0, column(text, 0, "limit", 0), "cap");
    assert_eq!(
        response["result"]["changes"][URI].as_array().map(Vec::len),
        Some(2),
        "{response}"
    );
}

/// The labels of the completion items at `line`:`character`, asked as typing a space asks.
fn completion_labels(client: &mut Client, line: u32, character: u32, trigger: &str) -> Vec<String> {
    let items = client.request_ok(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": {"line": line, "character": character},
               "context": {"triggerKind": 2, "triggerCharacter": trigger}}),
    );
    items
        .as_array()
        .unwrap_or_else(|| panic!("a list of items: {items}"))
        .iter()
        .map(|i| i["label"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn goto_without_its_closing_paren_offers_every_state() {
    // The `(goto ` left open swallows the states after it; only `a` used to be offered.
    let text =
        "(workflow w\n  (state a\n    (goto \n  (state b (terminal))\n  (state c (terminal)))\n";
    let (mut client, _) = Client::start();
    client.open(URI, text);
    let labels = completion_labels(&mut client, 2, 10, " ");
    assert_eq!(labels, vec!["a", "b", "c"]);
}

#[test]
fn role_declarations_complete_role_options_and_agent_kinds_only() {
    let text = "(workflow w\n  (roles\n    (planner :agent-kind \"echo\" )\n    (critic :agent-kind ))\n  (state s (terminal)))\n";
    let (mut client, _) = Client::start();
    client.open(URI, text);
    // After a first option: the other role options, nothing generic (used to be 155 items).
    let after_option = column(text, 2, ")", 0);
    for trigger in [" ", "m"] {
        let labels = completion_labels(&mut client, 2, after_option, trigger);
        // Every role option but the one given.
        assert_eq!(
            labels.len(),
            duet_lang::expand::ROLE_OPTIONS.len() - 1,
            "{labels:?}"
        );
        assert!(labels.contains(&":model".to_string()), "{labels:?}");
        assert!(!labels.contains(&":agent-kind".to_string()), "{labels:?}");
    }
    // After `:agent-kind `: the agent kinds.
    let labels = completion_labels(&mut client, 3, column(text, 3, ")", 0), " ");
    assert_eq!(
        labels,
        vec![
            "\"echo\"",
            "\"human\"",
            "\"openai\"",
            "\"anthropic\"",
            "\"ollama\"",
            "\"claude-code\"",
            "\"codex\""
        ]
    );
}

#[test]
fn internal_builtins_are_not_offered() {
    let text = "(defn f [xs]\n  (ma xs))\n";
    let (mut client, _) = Client::start();
    client.open(URI, text);
    let items = client.at("textDocument/completion", URI, 1, 5);
    let labels: Vec<&str> = items
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(labels.contains(&"map"), "{labels:?}");
    assert!(
        labels.iter().all(|l| !l.starts_with('%')),
        "internal names offered: {labels:?}"
    );
}

#[test]
fn formatting_moves_a_long_cond_or_match_result_to_its_own_line() {
    // The pair used to be broken inside its test or its result.
    let text = "(defn m [v]\n  (match v\n    (record agent-response ?id ?reply) (println \"the agent answered\" id \"with\" reply)\n    _ nil))\n";
    let (mut client, _) = Client::start();
    client.open(URI, text);
    let edits = client.request_ok(
        "textDocument/formatting",
        json!({"textDocument": {"uri": URI}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(
        edits[0]["newText"],
        "(defn m [v]\n  (match v\n    (record agent-response ?id ?reply)\n      (println \"the agent answered\" id \"with\" reply)\n    _ nil))\n",
        "{edits}"
    );
}

#[test]
fn semantic_tokens_call_numbers_only_what_the_reader_reads_as_numbers() {
    // `.5` (a symbol) and `0x1F` (a read error) used to be shown as numbers.
    let text = "(def a .5)\n(def b 0x1F)\n(def c -1.5e3)\n";
    let (mut client, caps) = Client::start();
    let legend = caps["semanticTokensProvider"]["legend"]["tokenTypes"]
        .as_array()
        .expect("a legend")
        .clone();
    let number = legend
        .iter()
        .position(|t| t == "number")
        .expect("numbers in the legend") as u64;
    client.open(URI, text);
    let tokens = client.request_ok(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": URI}}),
    );
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|v| v.as_u64().expect("a number"))
        .collect();
    let (mut line, mut start) = (0, 0);
    let mut numbers = Vec::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            line += t[0];
            start = t[1];
        } else {
            start += t[1];
        }
        if t[3] == number {
            numbers.push((line, start, t[2]));
        }
    }
    assert_eq!(numbers, vec![(2, 7, 6)]);
}
