//! `duet lsp` as an editor sees it: the binary started as a process, JSON-RPC with
//! `Content-Length` framing on its stdin and stdout. Every read has a timeout, so a server
//! that hangs fails the test instead of hanging it.

#[path = "support/lsp_client.rs"]
mod lsp_client;

use lsp_client::*;
use serde_json::{Value, json};

const URI: &str = "file:///tmp/duet-lsp-test/main.lisp";

#[test]
fn initialize_advertises_the_features() {
    let (mut client, caps) = Client::start();
    assert_eq!(caps["textDocumentSync"]["change"], 2, "{caps}");
    assert_eq!(caps["textDocumentSync"]["openClose"], true);
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["hoverProvider"], true);
    assert_eq!(caps["definitionProvider"], true);
    assert_eq!(caps["referencesProvider"], true);
    assert_eq!(caps["documentSymbolProvider"], true);
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    assert!(
        caps["completionProvider"]["triggerCharacters"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("(")))
    );
    let legend = &caps["semanticTokensProvider"]["legend"];
    assert!(legend["tokenTypes"].as_array().is_some_and(|t| t.len() > 5));
    assert_eq!(caps["semanticTokensProvider"]["full"], true);
    assert_eq!(caps["documentFormattingProvider"], true);
    assert_eq!(caps["documentRangeFormattingProvider"], true);
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn diagnostics_on_open_and_cleared_by_an_incremental_fix() {
    let (mut client, _) = Client::start();
    let text = "(defn greet [name]\n  (println (strr \"hi \" name)))\n";
    client.open(URI, text);
    let diagnostics = client.diagnostics(URI, Some(1));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["range"], range(1, 12, 16));
    assert_eq!(d["code"], "E0301");
    assert_eq!(d["source"], "duet");
    assert_eq!(d["severity"], 1);
    let message = d["message"].as_str().unwrap();
    assert!(
        message.starts_with("unknown identifier `strr`"),
        "{message}"
    );
    assert!(message.contains("help: did you mean `str`?"), "{message}");

    client.change(URI, 2, json!([{"range": range(1, 12, 16), "text": "str"}]));
    assert_eq!(client.diagnostics(URI, Some(2)), Vec::<Value>::new());
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn secondary_labels_become_related_information() {
    let (mut client, _) = Client::start();
    client.open(URI, "(def a 1)\n(def a 2)\n");
    let diagnostics = client.diagnostics(URI, Some(1));
    let d = &diagnostics[0];
    assert_eq!(d["code"], "E0303");
    assert_eq!(d["range"], range(1, 5, 6));
    let related = &d["relatedInformation"][0];
    assert_eq!(related["message"], "first defined here");
    assert_eq!(related["location"]["uri"], URI);
    assert_eq!(related["location"]["range"], range(0, 5, 6));
}

const WORKFLOW: &str = r#"(defn greet "Says hello to someone." [name]
  (str "hello " name))

(workflow review
  (roles
    (author :agent-kind "echo")
    (critic :agent-kind "echo" :model "m"))
  (def rounds 0)
  (state draft
    (let [plan (prompt author (greet "you"))]
      (println plan))
    (goto check))
  (state check
    (set! rounds (inc rounds))
    (if (< rounds 3) (goto draft) (terminal :completed rounds))))
"#;

#[test]
fn hover_on_a_builtin_and_on_a_user_function() {
    let (mut client, _) = Client::start();
    client.open(URI, WORKFLOW);
    assert!(client.diagnostics(URI, Some(1)).is_empty());

    let hover = client.at("textDocument/hover", URI, 10, 9);
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("(println "), "{value}");
    assert!(value.contains("builtin"), "{value}");
    assert_eq!(hover["range"], range(10, 7, 14));

    let line = 9;
    let col = column(WORKFLOW, line, "greet", 0);
    let hover = client.at("textDocument/hover", URI, line as u32, col + 2);
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("(defn greet [name])"), "{value}");
    assert!(value.contains("Says hello to someone."), "{value}");

    // A special form.
    let hover = client.at("textDocument/hover", URI, 9, 5);
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("special form"), "{value}");

    // A state: which states go to it.
    let col = column(WORKFLOW, 12, "check", 0);
    let hover = client.at("textDocument/hover", URI, 12, col);
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("(state check)"), "{value}");
    assert!(value.contains("from `draft`"), "{value}");

    // A role: its declaration.
    let col = column(WORKFLOW, 9, "author", 0);
    let hover = client.at("textDocument/hover", URI, 9, col);
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("(author :agent-kind \"echo\")"), "{value}");

    // Nothing under the cursor.
    assert_eq!(client.at("textDocument/hover", URI, 2, 0), Value::Null);
}

#[test]
fn definition_of_a_state_from_its_goto() {
    let (mut client, _) = Client::start();
    client.open(URI, WORKFLOW);
    let col = column(WORKFLOW, 11, "check", 0);
    let location = client.at("textDocument/definition", URI, 11, col + 1);
    assert_eq!(location["uri"], URI);
    let decl = column(WORKFLOW, 12, "check", 0);
    assert_eq!(location["range"], range(12, decl, decl + 5));

    // A role and a workflow variable.
    let col = column(WORKFLOW, 9, "author", 0);
    let location = client.at("textDocument/definition", URI, 9, col);
    assert_eq!(location["range"], range(5, 5, 11));
    let col = column(WORKFLOW, 14, "rounds", 0);
    let location = client.at("textDocument/definition", URI, 14, col);
    assert_eq!(location["range"], range(7, 7, 13));
    // A global function.
    let col = column(WORKFLOW, 9, "greet", 0);
    let location = client.at("textDocument/definition", URI, 9, col);
    assert_eq!(location["range"], range(0, 6, 11));
}

fn labels(items: &Value) -> Vec<String> {
    items
        .as_array()
        .expect("a list of items")
        .iter()
        .map(|i| i["label"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn completion_of_states_roles_and_names_in_scope() {
    let (mut client, _) = Client::start();
    let text = WORKFLOW.replace("(goto check)", "(goto )");
    client.open(URI, &text);
    let col = column(&text, 11, "(goto ", 0) + 6;
    let items = client.request_ok(
        "textDocument/completion",
        json!({"textDocument": {"uri": URI}, "position": {"line": 11, "character": col},
               "context": {"triggerKind": 2, "triggerCharacter": " "}}),
    );
    assert_eq!(labels(&items), vec!["draft", "check"]);

    let text = WORKFLOW.replace("(prompt author", "(prompt ");
    client.change(URI, 2, json!([{"text": text}]));
    let col = column(&text, 9, "(prompt ", 0) + 8;
    let items = client.at("textDocument/completion", URI, 9, col);
    assert_eq!(labels(&items), vec!["author", "critic"]);

    // Inside `(println plan)`: the local, the workflow's names, globals and builtins.
    let col = column(&text, 10, "plan", 0);
    let items = client.at("textDocument/completion", URI, 10, col + 2);
    let names = labels(&items);
    for expected in ["plan", "rounds", "author", "greet", "println", "let", "nil"] {
        assert!(
            names.contains(&expected.to_string()),
            "{expected} in {names:?}"
        );
    }
    assert!(!names.contains(&"name".to_string()), "{names:?}");
    let plan = &items.as_array().unwrap()[0];
    assert_eq!(plan["label"], "plan");
    // The edit replaces the whole word the cursor is in.
    assert_eq!(plan["textEdit"]["range"], range(10, col, col + 4));
}

#[test]
fn references_and_rename_of_a_local() {
    let (mut client, _) = Client::start();
    let text = "(defn f [total]\n  (+ total (* total 2)))\n";
    client.open(URI, text);
    let refs = |client: &mut Client, include: bool| {
        client.request_ok(
            "textDocument/references",
            json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 6},
                   "context": {"includeDeclaration": include}}),
        )
    };
    let with = refs(&mut client, true);
    assert_eq!(with.as_array().unwrap().len(), 3, "{with}");
    assert_eq!(with[0]["range"], range(0, 9, 14));
    let without = refs(&mut client, false);
    assert_eq!(without.as_array().unwrap().len(), 2);

    let prepared = client.at("textDocument/prepareRename", URI, 0, 10);
    assert_eq!(prepared["range"], range(0, 9, 14));
    assert_eq!(prepared["placeholder"], "total");

    let edit = client.request_ok(
        "textDocument/rename",
        json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 15},
               "newName": "sum"}),
    );
    let mut edits: Vec<Value> = edit["changes"][URI].as_array().unwrap().clone();
    edits.sort_by_key(|e| {
        (
            e["range"]["start"]["line"].as_u64(),
            e["range"]["start"]["character"].as_u64(),
        )
    });
    assert_eq!(
        edits,
        vec![
            json!({"range": range(0, 9, 14), "newText": "sum"}),
            json!({"range": range(1, 5, 10), "newText": "sum"}),
            json!({"range": range(1, 14, 19), "newText": "sum"}),
        ]
    );

    // Builtins and special forms cannot be renamed; bad names are refused.
    let refused = client.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": 3}}),
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("builtin"),
        "{refused}"
    );
    let refused = client.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": URI}, "position": {"line": 0, "character": 2}}),
    );
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("special form"),
        "{refused}"
    );
    let refused = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": URI}, "position": {"line": 0, "character": 10},
               "newName": "two words"}),
    );
    assert!(refused.get("error").is_some(), "{refused}");
}

#[test]
fn rename_a_state_and_a_pattern_variable() {
    let (mut client, _) = Client::start();
    let text = "(workflow w\n  (state a (await (record r ?x)) (println x) (goto b))\n  (state b (terminal)))\n";
    client.open(URI, text);
    let col = column(text, 2, "b", 0);
    let edit = client.request_ok(
        "textDocument/rename",
        json!({"textDocument": {"uri": URI}, "position": {"line": 2, "character": col},
               "newName": "done"}),
    );
    assert_eq!(edit["changes"][URI].as_array().unwrap().len(), 2, "{edit}");
    // The `?` of a pattern binding stays.
    let col = column(text, 1, "?x", 0);
    let edit = client.request_ok(
        "textDocument/rename",
        json!({"textDocument": {"uri": URI}, "position": {"line": 1, "character": col + 1},
               "newName": "y"}),
    );
    let edits = edit["changes"][URI].as_array().unwrap();
    assert_eq!(edits.len(), 2, "{edit}");
    assert!(edits.contains(&json!({"range": range(1, col + 1, col + 2), "newText": "y"})));
    // A state cannot take another state's name.
    let refused = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": URI}, "position": {"line": 2, "character": 9},
               "newName": "a"}),
    );
    assert!(refused.get("error").is_some(), "{refused}");
}

#[test]
fn document_symbols_nest_states_and_roles_in_workflows() {
    let (mut client, _) = Client::start();
    client.open(URI, WORKFLOW);
    let symbols = client.request_ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": URI}}),
    );
    let symbols = symbols.as_array().unwrap();
    assert_eq!(symbols.len(), 2, "{symbols:?}");
    assert_eq!(symbols[0]["name"], "greet");
    assert_eq!(symbols[0]["kind"], 12); // function
    assert_eq!(symbols[1]["name"], "review");
    assert_eq!(symbols[1]["selectionRange"], range(3, 10, 16));
    let children: Vec<&str> = symbols[1]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        children,
        vec!["author", "critic", "rounds", "draft", "check"]
    );
}

#[test]
fn semantic_tokens_cover_the_document() {
    let (mut client, _) = Client::start();
    client.open(URI, WORKFLOW);
    let tokens = client.request_ok(
        "textDocument/semanticTokens/full",
        json!({"textDocument": {"uri": URI}}),
    );
    let data = tokens["data"].as_array().unwrap();
    assert!(data.len() > 100, "{tokens}");
    assert_eq!(data.len() % 5, 0);
    // The first token is `defn`, a keyword (type 0) at 0:1, 4 long.
    assert_eq!(
        &data[..5],
        &[json!(0), json!(1), json!(4), json!(0), json!(0)]
    );
}

#[test]
fn utf16_columns_with_non_ascii_text_and_emoji() {
    let (mut client, _) = Client::start();
    let text = "(def s \"héllo 😀 wörld\") (prinln s)\n";
    client.open(URI, text);
    let diagnostics = client.diagnostics(URI, Some(1));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let start = column(text, 0, "prinln", 0);
    // 😀 counts 2 UTF-16 units: the column is not the byte or character count.
    assert_eq!(start, 26);
    assert_eq!(diagnostics[0]["range"], range(0, start, start + 6));

    // An edit in UTF-16 columns: after the emoji, then the fix.
    let emoji_end = column(text, 0, "😀", 0) + 2;
    client.change(
        URI,
        2,
        json!([{"range": range(0, emoji_end, emoji_end), "text": "🎉"},
               {"range": range(0, start + 2, start + 8), "text": "println"}]),
    );
    assert_eq!(client.diagnostics(URI, Some(2)), Vec::<Value>::new());
    let hover = client.at("textDocument/hover", URI, 0, start + 3);
    let value = hover["contents"]["value"].as_str().unwrap();
    assert!(value.contains("(println "), "{value}");
    assert_eq!(hover["range"], range(0, start + 2, start + 9));
}

#[test]
fn a_burst_of_changes_applies_in_order() {
    let (mut client, _) = Client::start();
    client.open(URI, "(def x 0)\n");
    assert!(client.diagnostics(URI, Some(1)).is_empty());
    let n = 60;
    for i in 0..n {
        // Each insert lands on the line the previous one added; out of order, they would
        // clamp to the end of the text and give a different program.
        let line = i + 1;
        let text = if i == n - 1 {
            "(undefined-thing x)\n".to_string()
        } else {
            format!("(set! x (+ x {i}))\n")
        };
        client.change(
            URI,
            i as i64 + 2,
            json!([{"range": range(line, 0, 0), "text": text}]),
        );
    }
    let diagnostics = client.diagnostics(URI, Some(n as i64 + 1));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "E0301");
    assert_eq!(diagnostics[0]["range"], range(n, 1, 16));
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn bad_input_does_not_crash_the_server() {
    let (mut client, _) = Client::start();
    client.open(URI, WORKFLOW);
    // Not JSON: a parse error with a null id.
    client.write_raw(b"Content-Length: 9\r\n\r\n{garbage!");
    // A line of noise, then an empty header block.
    client.write_raw(b"this is not a header\r\n\r\n");
    // JSON that is not a message.
    client.send(json!({"jsonrpc": "2.0", "id": 900, "method": 42}));
    // Unknown method.
    let unknown = client.request("duet/unknown", json!({}));
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    // Bad params.
    let bad = client.request("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
    // Unknown documents give empty answers.
    let other = "file:///tmp/duet-lsp-test/unopened.lisp";
    assert_eq!(client.at("textDocument/hover", other, 0, 0), Value::Null);
    assert_eq!(
        client.at("textDocument/definition", other, 0, 0),
        Value::Null
    );
    // Edits to unknown documents, out-of-range edits and unknown notifications are logged.
    client.change(other, 2, json!([{"range": range(0, 0, 0), "text": "x"}]));
    client.change(
        URI,
        2,
        json!([{"range": multiline(500, 3, 900, 1), "text": "\n(bad-name)"}]),
    );
    client.change(
        URI,
        3,
        json!([{"range": multiline(0, 9999, 0, 2), "text": ""}]),
    );
    client.notify("duet/whatever", json!({"x": 1}));
    client.notify("textDocument/didChange", json!("nonsense"));
    // Positions far outside the text are clamped.
    let _ = client.at("textDocument/hover", URI, 4000, 4000);
    let _ = client.at("textDocument/completion", URI, 4000, 4000);

    let parse_error = client.response(&Value::Null);
    assert_eq!(parse_error["error"]["code"], -32700, "{parse_error}");
    let invalid = client.response(&json!(900));
    assert_eq!(invalid["error"]["code"], -32600, "{invalid}");

    // Still serving, with every edit applied.
    let diagnostics = client.diagnostics(URI, Some(3));
    assert!(
        diagnostics
            .iter()
            .any(|d| d["message"].as_str().unwrap().contains("bad-name")),
        "{diagnostics:?}"
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn requests_before_initialize_and_after_shutdown_are_refused() {
    let mut client = Client::spawn();
    let early = client.request("textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002, "{early}");
    client.request_ok("initialize", json!({"capabilities": {}}));
    let again = client.request("initialize", json!({"capabilities": {}}));
    assert!(again.get("error").is_some());
    client.request_ok("shutdown", Value::Null);
    let late = client.request("textDocument/hover", json!({}));
    assert_eq!(late["error"]["code"], -32600, "{late}");
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(0));
}

#[test]
fn exit_without_shutdown_is_status_1() {
    let (mut client, _) = Client::start();
    client.notify("exit", Value::Null);
    assert_eq!(client.wait().code(), Some(1));
    let (mut client, _) = Client::start();
    // End of input without `exit`.
    assert_eq!(client.wait().code(), Some(1));
}

#[test]
fn diagnostics_of_imported_files_show_on_the_import() {
    let dir = std::env::temp_dir().join(format!("duet-lsp-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lib.lisp"), "(defn helper [x]\n  (+ x y))\n").unwrap();
    let main = dir.join("main.lisp");
    let uri = format!("file://{}", main.display());
    let (mut client, _) = Client::start();
    let text = ";; uses lib\n(import \"lib.lisp\")\n(helper 1)\n";
    client.open(&uri, text);
    let diagnostics = client.diagnostics(&uri, Some(1));
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    assert_eq!(d["range"], range(1, 0, 19));
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("unknown identifier `y`"),
        "{d}"
    );
    let related = &d["relatedInformation"][0]["location"];
    assert!(related["uri"].as_str().unwrap().ends_with("/lib.lisp"));
    assert_eq!(related["range"], range(1, 7, 8));

    // Definition goes into the imported file.
    let location = client.at("textDocument/definition", &uri, 2, 2);
    assert!(
        location["uri"].as_str().unwrap().ends_with("/lib.lisp"),
        "{location}"
    );
    assert_eq!(location["range"], range(0, 6, 12));
}

/// `text` with LSP `edits` applied: positions are UTF-16 columns, lines end at `\n`, and the
/// edits (as the protocol requires) do not overlap.
fn apply_edits(text: &str, edits: &Value) -> String {
    let offset = |p: &Value| -> usize {
        let line = p["line"].as_u64().unwrap() as usize;
        let character = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        assert!(start <= text.len(), "line {line} is past the end");
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units == character {
                return start + i;
            }
            assert!(
                c != '\n' && units < character,
                "column {character} is past the line"
            );
            units += c.len_utf16();
        }
        assert_eq!(units, character, "column {character} is past the end");
        text.len()
    };
    let mut edits: Vec<(usize, usize, &str)> = edits
        .as_array()
        .expect("a list of edits")
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (start, end, new) in edits {
        assert!(start <= end);
        out.replace_range(start..end, new);
    }
    out
}

fn formatting(client: &mut Client, uri: &str) -> Value {
    client.request_ok(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    )
}

fn range_formatting(client: &mut Client, uri: &str, range: Value) -> Value {
    client.request_ok(
        "textDocument/rangeFormatting",
        json!({"textDocument": {"uri": uri}, "range": range,
               "options": {"tabSize": 2, "insertSpaces": true}}),
    )
}

const MESSY: &str = "(defn greet [name]\n(let [msg (str \"héllo 😀 \" name)]\n      (println msg)   msg))\n\n\n\n(workflow w   (state s\n(enter (log \"ünïcode\"))\n(terminal)))";

#[test]
fn formatting_gives_exactly_what_duet_fmt_gives() {
    let expected = duet_lang::format::format_source(MESSY).unwrap();
    assert_ne!(expected, MESSY);
    let (mut client, _) = Client::start();
    client.open(URI, MESSY);
    let edits = formatting(&mut client, URI);
    assert_eq!(edits.as_array().map(Vec::len), Some(1), "{edits}");
    // One edit over the whole text.
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );
    assert_eq!(apply_edits(MESSY, &edits), expected);

    // Once applied, there is nothing left to do.
    let end = edits[0]["range"]["end"].clone();
    client.change(
        URI,
        2,
        json!([{"range": {"start": {"line": 0, "character": 0}, "end": end}, "text": expected}]),
    );
    assert_eq!(formatting(&mut client, URI), json!([]));
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn formatting_a_formatted_document_gives_no_edits() {
    let formatted = duet_lang::format::format_source(WORKFLOW).unwrap();
    let (mut client, _) = Client::start();
    client.open(URI, &formatted);
    assert_eq!(formatting(&mut client, URI), json!([]));
    assert_eq!(
        range_formatting(&mut client, URI, multiline(0, 0, 100, 0)),
        json!([])
    );
    // Documents that are not open: `null`.
    let other = "file:///tmp/duet-lsp-test/unopened.lisp";
    assert_eq!(formatting(&mut client, other), Value::Null);
}

#[test]
fn formatting_a_document_with_read_errors_gives_no_edits() {
    let (mut client, _) = Client::start();
    let text = "(defn f [x]\n(g x)\n\n(h  \"unterminated)\n";
    assert!(duet_lang::format::format_source(text).is_err());
    client.open(URI, text);
    assert_eq!(formatting(&mut client, URI), json!([]));
    assert_eq!(
        range_formatting(&mut client, URI, multiline(0, 0, 1, 3)),
        json!([])
    );
    client.change(URI, 2, json!([{"text": "(a b}\n{:odd}\n"}]));
    assert_eq!(formatting(&mut client, URI), json!([]));
    // Still serving: fix the text and format it.
    client.change(URI, 3, json!([{"text": "(a\nb)"}]));
    let edits = formatting(&mut client, URI);
    assert_eq!(apply_edits("(a\nb)", &edits), "(a\n b)\n");
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}

#[test]
fn range_formatting_changes_only_the_forms_in_range() {
    let text =
        "(def a   \"ä😀\")   (def b\n\"ö\")\n(defn f [x]\n(str \"😀😀\" x))\n\n\n(def   c 3) ; ü\n";
    let (mut client, _) = Client::start();
    client.open(URI, text);

    // An empty range inside `(defn f`: that form and the whitespace before it.
    let col = column(text, 2, "f", 0);
    let edits = range_formatting(&mut client, URI, range(2, col, col));
    assert_eq!(edits.as_array().map(Vec::len), Some(1), "{edits}");
    assert_eq!(
        apply_edits(text, &edits),
        "(def a   \"ä😀\")   (def b\n\"ö\")\n(defn f [x]\n  (str \"😀😀\" x))\n\n\n(def   c 3) ; ü\n"
    );

    // From after the emoji in `(str "😀😀"` (UTF-16 columns) to the comment: `(defn f`,
    // `(def c` and the comment, not the forms before.
    let start = column(text, 3, "\" x", 0);
    assert_eq!(start, 10, "two emoji are four UTF-16 units");
    let edits = range_formatting(&mut client, URI, multiline(3, start, 6, 13));
    let once = apply_edits(text, &edits);
    assert_eq!(
        once,
        "(def a   \"ä😀\")   (def b\n\"ö\")\n(defn f [x]\n  (str \"😀😀\" x))\n\n(def c 3) ; ü\n"
    );

    // A range on the first line touches `(def a` and `(def b` (which starts on it).
    let end = column(text, 0, "(def b", 0) + 1;
    let edits = range_formatting(&mut client, URI, range(0, 2, end));
    let first = apply_edits(text, &edits);
    assert!(
        first.starts_with("(def a \"ä😀\")\n(def b\n  \"ö\")\n(defn f [x]\n(str"),
        "{first}"
    );

    // Whitespace between forms touches nothing.
    assert_eq!(
        range_formatting(&mut client, URI, multiline(4, 0, 5, 0)),
        json!([])
    );

    // Formatting the rest afterwards gives the whole-document result.
    client.change(URI, 2, json!([{"text": once.clone()}]));
    let edits = range_formatting(&mut client, URI, multiline(0, 0, 1, 0));
    assert_eq!(
        apply_edits(&once, &edits),
        duet_lang::format::format_source(text).unwrap()
    );
    assert_eq!(client.shutdown_and_exit().code(), Some(0));
}
