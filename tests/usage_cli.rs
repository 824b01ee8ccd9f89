//! What agent calls cost, through `duet run`, `status` and `history`: tokens read from each
//! dialect's stream (a local fake OpenAI-compatible server, a fake Anthropic server) and from
//! a stand-in `claude`'s result, priced or as the tool reported, shown per role and model;
//! `--budget-usd` refuses the call after the budget is spent with a catchable `:budget`
//! error, and replay agrees.

mod support;
use support::{Canned, FakeServer, duet, json_lines, script, temp, text};

/// An OpenAI stream of `reply` whose last chunk reports `input`/`output` tokens of `model`.
fn openai_with_usage(reply: &str, model: &str, input: u64, output: u64) -> Canned {
    let piece =
        serde_json::json!({"model": model, "choices": [{"index": 0, "delta": {"content": reply}}]});
    let finish = serde_json::json!({"model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]});
    let usage = serde_json::json!({"model": model, "choices": [], "usage": {
        "prompt_tokens": input, "completion_tokens": output,
        "prompt_tokens_details": {"cached_tokens": 0}}});
    let events = [piece, finish, usage]
        .iter()
        .map(|e| format!("data: {e}\n\n"))
        .chain(["data: [DONE]\n\n".to_string()])
        .collect::<Vec<_>>();
    let events: Vec<&str> = events.iter().map(String::as_str).collect();
    Canned::new("200 OK", "text/event-stream", &events)
}

#[test]
fn usage_is_recorded_shown_per_role_and_a_budget_stops_the_next_call() {
    // 1M prompt tokens and 100k reply tokens of gpt-4o: $2.50 + $1.00.
    let server = FakeServer::sequence(vec![
        openai_with_usage("a plan", "gpt-4o-2024-08-06", 1_000_000, 100_000),
        openai_with_usage("never sent", "gpt-4o", 1, 1),
    ]);
    let dir = temp("usage-budget");
    std::fs::write(
        dir.join("spend.lisp"),
        format!(
            r#"(workflow spend
  (roles (planner :agent-kind "openai" :endpoint "{}/v1" :model "gpt-4o"))
  (state work
    (println (prompt planner "plan"))
    (println (try (prompt planner "more")
                  (catch e (str (field e 0) " " (field e 1)))))
    (terminal)))
"#,
            server.address
        ),
    )
    .unwrap();
    let out = duet(
        &dir,
        &[
            "run",
            "--json",
            "--allow",
            "network",
            "--budget-usd",
            "3",
            "spend.lisp",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let events = json_lines(&out);
    let usage = events
        .iter()
        .find(|e| e["event"] == "usage")
        .expect("a usage event");
    assert_eq!(usage["role"], "planner");
    assert_eq!(usage["model"], "gpt-4o-2024-08-06");
    assert_eq!(usage["input_tokens"], 1_000_000);
    assert_eq!(usage["output_tokens"], 100_000);
    assert_eq!(usage["cost_usd"], 3.5);
    let printed: String = events
        .iter()
        .filter(|e| e["event"] == "output")
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect();
    assert!(
        printed.starts_with("a plan\n:budget the run's budget of $3.0000 is spent: its 1 agent calls cost $3.5000, so role `planner` was not asked"),
        "{printed}"
    );
    // The second call was never made.
    assert_eq!(server.received().len(), 1);
    let status = text(&duet(&dir, &["status", "r1"]).stdout);
    assert!(
        status.contains("spent $3.5000 of $3.0000 on 1 agent calls\n")
            && status.contains("  planner (gpt-4o-2024-08-06): 1000000 in, 100000 out, $3.5000\n"),
        "{status}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&text(&duet(&dir, &["status", "r1", "--json"]).stdout)).unwrap();
    assert_eq!(json["usage"]["spent_usd"], 3.5);
    assert_eq!(json["usage"]["by_role"][0]["role"], "planner");
    let history = text(&duet(&dir, &["history", "r1"]).stdout);
    assert!(
        history.contains("(gpt-4o-2024-08-06: 1000000 in, 100000 out, $3.5000)"),
        "{history}"
    );
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
    let bad = duet(&dir, &["run", "--budget-usd=-1", "spend.lisp"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("not an amount of dollars"));
}

#[test]
fn a_waiting_run_gets_a_larger_budget_from_duet_resume() {
    let server = FakeServer::sequence(vec![
        openai_with_usage("a plan", "gpt-4o", 1_000_000, 0),
        openai_with_usage("the code", "gpt-4o", 1_000_000, 0),
    ]);
    let dir = temp("usage-raise");
    std::fs::write(
        dir.join("raise.lisp"),
        format!(
            r#"(workflow raise
  (roles (coder :agent-kind "openai" :endpoint "{}/v1" :model "gpt-4o"))
  (state work
    (prompt coder "plan")
    (ask-user "go on?")
    (println (prompt coder "build"))
    (terminal)))
"#,
            server.address
        ),
    )
    .unwrap();
    let args = [
        "run",
        "--allow",
        "network",
        "--budget-usd",
        "2",
        "raise.lisp",
    ];
    let out = duet(&dir, &args);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let raised = duet(&dir, &["resume", "r1", "--budget-usd", "10"]);
    assert_eq!(raised.status.code(), Some(3), "{}", text(&raised.stderr));
    let out = duet(&dir, &["answer", "r1", "yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "the code\n");
    let history = text(&duet(&dir, &["history", "r1"]).stdout);
    assert!(history.contains("budget set to $10.0000"), "{history}");
    let status = text(&duet(&dir, &["status", "r1"]).stdout);
    assert!(
        status.contains("spent $5.0000 of $10.0000 on 2 agent calls"),
        "{status}"
    );
    let replay = duet(&dir, &["replay", "r1"]);
    assert_eq!(replay.status.code(), Some(0), "{}", text(&replay.stderr));
}

#[test]
fn anthropic_streams_and_claude_results_report_their_tokens() {
    let events = [
        r#"{"type":"message_start","message":{"model":"claude-sonnet-4-20250514","usage":{"input_tokens":900,"cache_read_input_tokens":100,"output_tokens":1}}}"#,
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hello"}}"#,
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":50}}"#,
        r#"{"type":"message_stop"}"#,
    ]
    .map(|e| format!("data: {e}\n\n"));
    let events: Vec<&str> = events.iter().map(String::as_str).collect();
    let server = FakeServer::sequence(vec![Canned::new("200 OK", "text/event-stream", &events)]);
    let dir = temp("usage-kinds");
    script(
        &dir.join("claude"),
        r#"cat > /dev/null
echo '{"type":"system","subtype":"init","session_id":"s1","model":"claude-opus-4-1"}'
echo '{"type":"result","subtype":"success","is_error":false,"result":"done","session_id":"s1","total_cost_usd":0.0421,"usage":{"input_tokens":10,"cache_read_input_tokens":2000,"output_tokens":300}}'"#,
    );
    std::fs::write(
        dir.join("kinds.lisp"),
        format!(
            r#"(workflow kinds
  (roles (writer :agent-kind "anthropic" :endpoint "{}")
         (coder :agent-kind "claude-code" :command "./claude"))
  (state work
    (println (prompt writer "hi"))
    (println (prompt coder "fix it"))
    (terminal)))
"#,
            server.address
        ),
    )
    .unwrap();
    let out = duet(
        &dir,
        &[
            "run",
            "--allow",
            "network",
            "--allow",
            "shell",
            "kinds.lisp",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let status = text(&duet(&dir, &["status", "r1"]).stdout);
    // Anthropic: 900 + 100 cached in, priced at sonnet's list price: 900 × $3 + 100 × $0.30
    // + 50 × $15 per million = $0.00348. claude: the cost it reported.
    assert!(
        status.contains("spent $0.0456 on 2 agent calls\n")
            && status.contains(
                "  writer (claude-sonnet-4-20250514): 1000 in (100 cached), 50 out, $0.0035\n"
            )
            && status
                .contains("  coder (claude-opus-4-1): 2010 in (2000 cached), 300 out, $0.0421\n"),
        "{status}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("usage: coder (claude-opus-4-1): 2010 in (2000 cached), 300 out, $0.0421"),
        "{stderr}"
    );
}

#[test]
fn a_stores_price_table_prices_models_the_built_in_one_does_not_know() {
    let server = FakeServer::sequence(vec![
        openai_with_usage("one", "house-model-7b", 2_000_000, 1_000_000),
        openai_with_usage("two", "house-model-7b", 2_000_000, 1_000_000),
    ]);
    let dir = temp("usage-prices");
    std::fs::write(
        dir.join("house.lisp"),
        format!(
            r#"(workflow house
  (roles (coder :agent-kind "openai" :endpoint "{}/v1" :model "house-model-7b"))
  (state work (prompt coder "go") (terminal)))
"#,
            server.address
        ),
    )
    .unwrap();
    let run = ["run", "--allow", "network", "house.lisp"];
    let out = duet(&dir, &run);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let status = text(&duet(&dir, &["status", "r1"]).stdout);
    assert!(
        status.contains("(1 of unknown cost)") && status.contains("cost unknown"),
        "{status}"
    );
    // The store's table: $0.50 per million in, $1 out.
    std::fs::write(
        dir.join(".duet/prices.json"),
        r#"{"house-model": {"input": 0.5, "cached": 0.5, "output": 1}}"#,
    )
    .unwrap();
    let out = duet(&dir, &run);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let status = text(&duet(&dir, &["status", "r2"]).stdout);
    assert!(
        status.contains("spent $2.0000 on 1 agent calls\n"),
        "{status}"
    );
    // A table that is not one is said so; the run goes on with the built-in prices.
    std::fs::write(dir.join(".duet/prices.json"), "{\"house\": 3}").unwrap();
    let out = duet(&dir, &run);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("prices.json: it is not a price table"),
        "{}",
        text(&out.stderr)
    );
}
