//! Agents that are command-line tools run as subprocesses in the workspace, with the prompt
//! on their standard input (a prompt of any length; an argument would hit the system's
//! limit) and their progress read from standard output, one JSON object a line:
//!
//! - `claude-code`: `claude -p --output-format stream-json --verbose …`. `assistant`
//!   messages carry the text and the tool-use steps (shown as `[tool: NAME]` lines);
//!   `stream_event`s, when the role's `:args` ask for them (`--include-partial-messages`),
//!   carry the text as it is written; the final `result` event's `result` is the reply.
//! - `codex`: `codex exec --json --skip-git-repo-check … -`. `item.*` events carry agent
//!   messages and the commands and tools it runs; the reply is the last agent message of a
//!   turn that ends with `turn.completed`. `codex` has no system prompt of its own, so a
//!   role's `:system` goes before the prompt.
//!
//! A role's conversation (`super::conversation`) continues `claude`'s own session: each
//! call forks the session that holds exactly the conversation so far (`--resume ID
//! --fork-session`), so a session is never extended in place and a rewound run never
//! shows the tool what an abandoned branch said; the new session's id, read from the
//! stream, is returned with the reply and journaled. `codex exec` cannot fork a session,
//! so it starts a fresh one with the conversation as context, as does `claude` when there
//! is no session of its own to fork (or the tool no longer has it).
//!
//! A line that is not JSON is a malformed stream, an error quoting it; a tool that prints
//! nothing for the stall limit is given up (a `:timeout`); a tool that ends without a reply
//! fails with what it said on standard error. A schema is asked for in the prompt. Once the
//! reply is in, a tool that does not exit within a grace period is killed with everything
//! it started.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::conversation::{Session, with_context};
use super::stream::Lines;
use super::{
    Agent, DRY_RUN, Note, Notes, Policy, Question, Reply, Usage, excerpt, failure, schema, stalled,
};
use crate::effects::{Failure, Workspace, process};

/// How long a tool may take to exit after it gave its reply.
const GRACE: Duration = Duration::from_secs(5);

/// The most of a tool's standard error kept for messages.
const STDERR_KEPT: usize = 64 * 1024;

/// The session of `question`'s conversation that the call continues as a fork: the last
/// exchange's, when it is a `claude` session and the role is played by `claude` now.
pub fn session_to_fork<'q>(question: &Question<'q>) -> Option<&'q Session> {
    let session = question.conversation.last()?.session.as_ref()?;
    (question.agent.kind == "claude-code" && session.kind == "claude-code").then_some(session)
}

/// The command line for `agent`, continuing a fork of session `fork` if given: the program
/// and its arguments. The prompt is not among them: it goes on standard input ([`prompt`]).
pub fn command_line(agent: &Agent, fork: Option<&Session>) -> (String, Vec<String>) {
    let mut args: Vec<String> = Vec::new();
    let program = match agent.kind.as_str() {
        "codex" => {
            args.extend(["exec", "--json", "--skip-git-repo-check"].map(String::from));
            if let Some(model) = &agent.model {
                args.extend(["--model".into(), model.clone()]);
            }
            "codex"
        }
        _ => {
            args.extend(["-p", "--output-format", "stream-json", "--verbose"].map(String::from));
            if let Some(model) = &agent.model {
                args.extend(["--model".into(), model.clone()]);
            }
            if let Some(system) = &agent.system {
                args.extend(["--append-system-prompt".into(), system.clone()]);
            }
            if !agent.tools.is_empty() {
                args.extend(["--allowedTools".into(), agent.tools.join(",")]);
            }
            if let Some(session) = fork {
                args.extend([
                    "--resume".into(),
                    session.id.clone(),
                    "--fork-session".into(),
                ]);
            }
            "claude"
        }
    };
    args.extend(agent.args.iter().cloned());
    if agent.kind == "codex" {
        // `-` reads the prompt from standard input.
        args.push("-".into());
    }
    (
        agent.command.clone().unwrap_or_else(|| program.into()),
        args,
    )
}

/// What goes on the tool's standard input: the text, after `codex`'s system prompt (it has
/// no option for one) and the conversation so far unless the call continues a `forked`
/// session that holds it, and before a schema's instruction.
pub fn prompt(question: &Question<'_>, forked: bool) -> String {
    let mut text = String::new();
    if question.agent.kind == "codex"
        && let Some(system) = &question.agent.system
    {
        text.push_str(system);
        text.push_str("\n\n");
    }
    if forked {
        text.push_str(question.text);
    } else {
        text.push_str(&with_context(question.conversation, question.text));
    }
    if let Some(schema) = question.schema {
        text.push_str(&schema::instruction(schema));
    }
    text
}

/// What one line of a tool's output said.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Said {
    /// Nothing to show.
    Nothing,
    /// A piece of the reply, or a step taken.
    Piece(String),
    /// The reply.
    Reply(String),
    /// The tool reports that it failed.
    Failed(String),
    /// Not what the tool prints: why.
    Malformed(String),
}

/// Reads the lines of one kind of tool.
#[derive(Debug, Default)]
struct Reader {
    codex: bool,
    /// claude: text arrived as partial messages, so the whole message's text is not shown
    /// again.
    partial: bool,
    /// codex: the text of each agent message shown so far, by item id.
    shown: Vec<(String, String)>,
    /// codex: the last agent message completed.
    last_message: Option<String>,
    /// codex: the last error it reported.
    error: Option<String>,
    /// Whether the last piece shown ended a line.
    at_line_start: bool,
    /// The tool's session id, once it said it (claude's `session_id`, codex's `thread_id`).
    session: Option<String>,
    /// The model it said it runs (claude's `system` event).
    model: Option<String>,
    /// What the call used, once the tool said (claude's `result`, codex's
    /// `turn.completed`): input, output and cached tokens, and the cost it reported.
    used: Option<((u64, u64, u64), Option<f64>)>,
}

impl Reader {
    fn new(kind: &str) -> Reader {
        Reader {
            codex: kind == "codex",
            at_line_start: true,
            ..Reader::default()
        }
    }

    /// A step taken, on a line of its own.
    fn step(&self, text: String) -> String {
        let start = if self.at_line_start { "" } else { "\n" };
        format!("{start}[{text}]\n")
    }

    fn line(&mut self, line: &str) -> Said {
        if line.trim().is_empty() {
            return Said::Nothing;
        }
        let json: Value = match serde_json::from_str(line) {
            Ok(json) => json,
            Err(e) => return Said::Malformed(format!("a line is not JSON ({e})")),
        };
        let Some(kind) = json.get("type").and_then(Value::as_str) else {
            return Said::Malformed("a line has no `type`".into());
        };
        let session = json.get(if self.codex {
            "thread_id"
        } else {
            "session_id"
        });
        if let Some(id) = session.and_then(Value::as_str) {
            self.session = Some(id.to_string());
        }
        if let Some(model) = json.get("model").and_then(Value::as_str) {
            self.model = Some(model.to_string());
        }
        if let Some(usage) = json.get("usage").filter(|u| u.is_object()) {
            let count = |name: &str| usage.get(name).and_then(Value::as_u64).unwrap_or(0);
            let counts = if self.codex {
                (
                    count("input_tokens"),
                    count("output_tokens"),
                    count("cached_input_tokens"),
                )
            } else {
                // claude's input excludes what the cache served or was written to it.
                let cached = count("cache_read_input_tokens");
                (
                    count("input_tokens") + cached + count("cache_creation_input_tokens"),
                    count("output_tokens"),
                    cached,
                )
            };
            let cost = json.get("total_cost_usd").and_then(Value::as_f64);
            self.used = Some((counts, cost));
        }
        let said = if self.codex {
            self.codex_event(kind, &json)
        } else {
            self.claude_event(kind, &json)
        };
        if let Said::Piece(piece) = &said {
            self.at_line_start = piece.ends_with('\n');
        }
        said
    }

    fn claude_event(&mut self, kind: &str, json: &Value) -> Said {
        let str_at = |pointer: &str| json.pointer(pointer).and_then(Value::as_str);
        match kind {
            "stream_event" => match (
                str_at("/event/type"),
                str_at("/event/delta/type"),
                str_at("/event/delta/text"),
            ) {
                (Some("content_block_delta"), Some("text_delta"), Some(text)) => {
                    self.partial = true;
                    Said::Piece(text.to_string())
                }
                _ => Said::Nothing,
            },
            "assistant" => {
                let partial = std::mem::take(&mut self.partial);
                let blocks = json
                    .pointer("/message/content")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let mut pieces = String::new();
                for block in &blocks {
                    match block.get("type").and_then(Value::as_str) {
                        Some("text") if !partial => {
                            pieces
                                .push_str(block.get("text").and_then(Value::as_str).unwrap_or(""));
                        }
                        Some("tool_use") => {
                            let name = block.get("name").and_then(Value::as_str).unwrap_or("?");
                            let at_line_start = match pieces.is_empty() {
                                true => self.at_line_start,
                                false => pieces.ends_with('\n'),
                            };
                            if !at_line_start {
                                pieces.push('\n');
                            }
                            pieces.push_str(&format!("[tool: {name}]\n"));
                        }
                        _ => {}
                    }
                }
                if pieces.is_empty() {
                    Said::Nothing
                } else {
                    Said::Piece(pieces)
                }
            }
            "result" => {
                let text = str_at("/result").unwrap_or_default().to_string();
                let is_error = json.get("is_error").and_then(Value::as_bool) == Some(true);
                let subtype = str_at("/subtype").unwrap_or("success");
                if is_error || subtype != "success" {
                    let errors = json
                        .get("errors")
                        .filter(|e| e.as_array().is_some_and(|a| !a.is_empty()))
                        .map(Value::to_string)
                        .unwrap_or_default();
                    let said = [subtype, &text, &errors]
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect::<Vec<_>>()
                        .join(": ");
                    Said::Failed(said)
                } else {
                    Said::Reply(text)
                }
            }
            _ => Said::Nothing,
        }
    }

    fn codex_event(&mut self, kind: &str, json: &Value) -> Said {
        match kind {
            "item.started" | "item.updated" | "item.completed" => {
                let Some(item) = json.get("item") else {
                    return Said::Malformed(format!("an `{kind}` event has no `item`"));
                };
                let field = |name: &str| item.get(name).and_then(Value::as_str);
                let id = field("id").unwrap_or_default().to_string();
                match field("type").or(field("item_type")).unwrap_or_default() {
                    "agent_message" | "assistant_message" => {
                        let text = field("text").unwrap_or_default().to_string();
                        if kind == "item.completed" {
                            self.last_message = Some(text.clone());
                        }
                        let index = match self.shown.iter().position(|(i, _)| *i == id) {
                            Some(index) => index,
                            None => {
                                self.shown.push((id, String::new()));
                                self.shown.len() - 1
                            }
                        };
                        let shown = &mut self.shown[index].1;
                        // Each update carries the whole text so far: show what is new.
                        let new = match text.strip_prefix(shown.as_str()) {
                            Some(new) => new.to_string(),
                            None if shown.is_empty() => text.clone(),
                            None => return Said::Nothing,
                        };
                        *shown = text;
                        if new.is_empty() {
                            Said::Nothing
                        } else {
                            Said::Piece(new)
                        }
                    }
                    "command_execution" if kind == "item.started" => {
                        let command = field("command").unwrap_or("?").to_string();
                        Said::Piece(self.step(format!("command: {command}")))
                    }
                    "mcp_tool_call" if kind == "item.started" => {
                        let tool = field("tool").unwrap_or("?").to_string();
                        Said::Piece(self.step(format!("tool: {tool}")))
                    }
                    "file_change" if kind == "item.completed" => {
                        Said::Piece(self.step("files changed".into()))
                    }
                    "error" if kind == "item.completed" => {
                        self.error = field("message").map(str::to_string);
                        Said::Nothing
                    }
                    _ => Said::Nothing,
                }
            }
            "turn.completed" => match self.last_message.take() {
                Some(message) => Said::Reply(message),
                None => Said::Failed("its turn completed without a message".into()),
            },
            "turn.failed" => Said::Failed(
                json.pointer("/error/message")
                    .and_then(Value::as_str)
                    .map_or_else(|| json.to_string(), str::to_string),
            ),
            "error" => {
                // Passing errors (a reconnection) come as these too; the turn decides.
                self.error = json
                    .get("message")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                Said::Nothing
            }
            _ => Said::Nothing,
        }
    }
}

/// Aborts a task when dropped: the helpers of a call end with it.
struct Helper<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Helper<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the tool and returns its reply; the pieces go to `notes` as it prints them.
pub async fn ask(
    question: &Question<'_>,
    workspace: &Workspace,
    notes: &Notes,
    policy: &Policy,
) -> Result<Reply, Failure> {
    let fork = session_to_fork(question);
    match run(question, workspace, notes, policy, fork).await {
        // The tool no longer has the session (its files were removed, or this is another
        // machine): a fresh session given the conversation as context.
        Err(failed) if fork.is_some() && failed.message.contains("No conversation found") => {
            run(question, workspace, notes, policy, None).await
        }
        other => other,
    }
}

/// Runs the tool once, continuing a fork of session `fork` if given.
async fn run(
    question: &Question<'_>,
    workspace: &Workspace,
    notes: &Notes,
    policy: &Policy,
    fork: Option<&Session>,
) -> Result<Reply, Failure> {
    let Question { role, agent, .. } = *question;
    let (program, args) = command_line(agent, fork);
    let dir = match &agent.cwd {
        Some(dir) => workspace.directory(dir).map_err(|e| Failure {
            kind: e.kind,
            message: format!("the `:cwd` of role `{role}` is not usable: {}", e.message),
        })?,
        None => workspace.root().to_path_buf(),
    };
    let mut command = tokio::process::Command::new(&program);
    command
        .args(&args)
        .current_dir(&dir)
        .envs(question.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Killed with everything it started if the call is withdrawn or times out.
    let (mut child, group) = match process::spawn(&mut command) {
        Ok(spawned) => spawned,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(failure(format!(
                "the role `{role}` is played by a `{}` agent, but the `{program}` command is not installed (not found on PATH); install it, name another program with the role's `:command`, or {DRY_RUN}",
                agent.kind
            )));
        }
        Err(e) => {
            return Err(failure(format!(
                "cannot start `{program}` for role `{role}`: {e}; {DRY_RUN}"
            )));
        }
    };
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(failure(format!(
            "`{program}` for role `{role}` started without its standard streams"
        )));
    };
    let input = prompt(question, fork.is_some()).into_bytes();
    // Written while the output is read: a tool may print before it has read everything. A
    // tool that exits without reading it all is no error of the writer's.
    let _writer = Helper(tokio::spawn(async move {
        let _ = stdin.write_all(&input).await;
        let _ = stdin.shutdown().await;
    }));
    let mut errors = Helper(tokio::spawn(async move {
        let mut kept = Vec::new();
        let mut buffer = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut buffer).await {
            if n == 0 {
                break;
            }
            if kept.len() < STDERR_KEPT {
                kept.extend_from_slice(&buffer[..n.min(STDERR_KEPT - kept.len())]);
            }
        }
        String::from_utf8_lossy(&kept).into_owned()
    }));
    let from = format!("`{program}`");
    let mut reader = Reader::new(&agent.kind);
    let mut lines = Lines::default();
    let mut buffer = vec![0u8; 64 * 1024];
    let (mut pieces, mut outcome, mut printed) = (0usize, None, String::new());
    'read: loop {
        let n = match tokio::time::timeout(policy.stall, stdout.read(&mut buffer)).await {
            Err(_) => return Err(stalled(question, &from, policy, pieces)),
            Ok(Ok(n)) => n,
            Ok(Err(e)) => {
                return Err(failure(format!(
                    "cannot read what `{program}` prints for role `{role}`: {e}"
                )));
            }
        };
        let complete = if n == 0 {
            lines.finish().into_iter().collect()
        } else {
            lines.feed(&buffer[..n])
        };
        for line in complete {
            if printed.len() < 600 {
                printed.push_str(&line);
                printed.push('\n');
            }
            match reader.line(&line) {
                Said::Nothing => {}
                Said::Piece(piece) => {
                    pieces += 1;
                    notes.send(Note::Delta(piece));
                }
                Said::Malformed(why) => {
                    return Err(failure(format!(
                        "`{program}` for role `{role}` printed a malformed stream: {why}: {}; is it the `{}` tool (its output must be {})?",
                        excerpt(&line, 200),
                        agent.kind,
                        if reader.codex {
                            "`codex exec --json`"
                        } else {
                            "`claude -p --output-format stream-json`"
                        }
                    )));
                }
                said @ (Said::Reply(_) | Said::Failed(_)) => {
                    outcome = Some(said);
                    break 'read;
                }
            }
        }
        if n == 0 {
            break;
        }
    }
    let status = match &outcome {
        // The reply is in: the tool has a moment to exit, then it is stopped.
        Some(_) => tokio::time::timeout(GRACE, child.wait()).await.ok(),
        None => Some(child.wait().await),
    };
    let status = match status {
        Some(Ok(status)) => {
            group.finished();
            Some(status)
        }
        // Still running (its group is killed when `group` goes), or not to be waited for.
        _ => None,
    };
    let said_on_stderr = match status {
        Some(_) => (&mut errors.0).await.unwrap_or_default(),
        None => String::new(),
    };
    let session = reader.session.take().map(|id| Session {
        kind: agent.kind.clone(),
        id,
    });
    let usage = reader.used.map(|(counts, cost)| {
        let model = reader
            .model
            .as_deref()
            .or(agent.model.as_deref())
            .unwrap_or(&agent.kind);
        Usage::new(&agent.kind, model, counts, cost)
    });
    match outcome {
        Some(Said::Reply(reply)) => Ok(Reply {
            text: reply.trim_end().to_string(),
            session,
            usage,
        }),
        Some(Said::Failed(why)) => Err(failure(format!(
            "`{program}` for role `{role}` reported a failure: {}",
            excerpt(&why, 600)
        ))),
        _ => {
            let told = if said_on_stderr.trim().is_empty() {
                &printed
            } else {
                &said_on_stderr
            };
            let ended = match status.and_then(|s| s.code()) {
                Some(0) => {
                    let last = reader
                        .error
                        .map(|e| format!(" (it last said: {e})"))
                        .unwrap_or_default();
                    return Err(failure(format!(
                        "`{program}` for role `{role}` ended without a reply{last}: {}",
                        excerpt(told, 600)
                    )));
                }
                Some(code) => format!("exit status {code}"),
                None => "a signal".to_string(),
            };
            Err(failure(format!(
                "`{program}` for role `{role}` ended with {ended}: {}",
                excerpt(told, 600)
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_gets_its_options_and_the_prompt_on_standard_input() {
        let agent = Agent {
            kind: "claude-code".into(),
            model: Some("opus".into()),
            system: Some("be brief".into()),
            tools: vec!["Read".into(), "Edit".into()],
            ..Agent::default()
        };
        let (program, args) = command_line(&agent, None);
        assert_eq!(program, "claude");
        assert_eq!(
            args,
            [
                "-p",
                "--output-format",
                "stream-json",
                "--verbose",
                "--model",
                "opus",
                "--append-system-prompt",
                "be brief",
                "--allowedTools",
                "Read,Edit",
            ]
        );
        let question = Question {
            role: "r",
            agent: &agent,
            text: "-plan it",
            conversation: &[],
            schema: None,
            env: &[],
        };
        assert_eq!(prompt(&question, false), "-plan it");
    }

    #[test]
    fn claude_forks_the_session_of_the_last_exchange_and_is_told_only_the_new_text() {
        let agent = Agent {
            kind: "claude-code".into(),
            ..Agent::default()
        };
        let exchange = |session: Option<(&str, &str)>| super::super::Exchange {
            prompt: "plan it".into(),
            reply: "the plan".into(),
            session: session.map(|(kind, id)| Session {
                kind: kind.into(),
                id: id.into(),
            }),
        };
        let conversation = [exchange(None), exchange(Some(("claude-code", "s-1")))];
        let question = Question {
            role: "r",
            agent: &agent,
            text: "build it",
            conversation: &conversation,
            schema: None,
            env: &[],
        };
        let fork = session_to_fork(&question);
        assert_eq!(fork.map(|s| s.id.as_str()), Some("s-1"));
        let (_, args) = command_line(&agent, fork);
        assert!(args.ends_with(&["--resume".into(), "s-1".into(), "--fork-session".into()]));
        assert_eq!(prompt(&question, true), "build it");
        // A session of another kind's tool, or none: the conversation goes as context.
        for last in [exchange(Some(("codex", "t-1"))), exchange(None)] {
            let conversation = [last];
            let question = Question {
                conversation: &conversation,
                ..question
            };
            assert_eq!(session_to_fork(&question), None);
            let text = prompt(&question, false);
            assert!(text.contains("<user>\nplan it\n</user>"), "{text}");
            assert!(text.ends_with("build it"), "{text}");
        }
    }

    #[test]
    fn codex_runs_exec_and_gets_the_system_prompt_before_the_text() {
        let agent = Agent {
            kind: "codex".into(),
            command: Some("/opt/codex".into()),
            system: Some("You review code.".into()),
            args: vec!["--sandbox".into(), "workspace-write".into()],
            ..Agent::default()
        };
        let (program, args) = command_line(&agent, None);
        assert_eq!(program, "/opt/codex");
        assert_eq!(
            args,
            [
                "exec",
                "--json",
                "--skip-git-repo-check",
                "--sandbox",
                "workspace-write",
                "-"
            ]
        );
        let schema = serde_json::json!({"type": "object"});
        let question = Question {
            role: "r",
            agent: &agent,
            text: "fix it",
            conversation: &[],
            schema: Some(&schema),
            env: &[],
        };
        let text = prompt(&question, false);
        assert!(text.starts_with("You review code.\n\nfix it\n\nAnswer with only a JSON value"));
    }

    #[test]
    fn claude_lines_give_text_tool_steps_and_the_result() {
        let mut reader = Reader::new("claude-code");
        let lines = [
            r#"{"type":"system","subtype":"init","session_id":"s"}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"Let me look."},{"type":"tool_use","name":"Bash","input":{"command":"ls"}}]}}"#,
            r#"{"type":"user","message":{"content":[{"type":"tool_result","content":"a.txt"}]}}"#,
            r#"{"type":"stream_event","event":{"type":"content_block_delta","delta":{"type":"text_delta","text":"Done"}}}"#,
            r#"{"type":"assistant","message":{"content":[{"type":"text","text":"Done"}]}}"#,
            r#"{"type":"result","subtype":"success","is_error":false,"result":"Done","total_cost_usd":0.01}"#,
        ];
        let said: Vec<Said> = lines.iter().map(|l| reader.line(l)).collect();
        assert_eq!(
            said,
            [
                Said::Nothing,
                Said::Piece("Let me look.\n[tool: Bash]\n".into()),
                Said::Nothing,
                Said::Piece("Done".into()),
                Said::Nothing,
                Said::Reply("Done".into()),
            ]
        );
        let failed =
            reader.line(r#"{"type":"result","subtype":"error_max_turns","is_error":true}"#);
        assert_eq!(failed, Said::Failed("error_max_turns".into()));
        assert!(matches!(
            reader.line("Error: not logged in"),
            Said::Malformed(_)
        ));
    }

    #[test]
    fn codex_lines_give_messages_steps_and_the_last_message() {
        let mut reader = Reader::new("codex");
        let lines = [
            r#"{"type":"thread.started","thread_id":"t"}"#,
            r#"{"type":"turn.started"}"#,
            r#"{"type":"item.started","item":{"id":"item_0","type":"command_execution","command":"ls","status":"in_progress"}}"#,
            r#"{"type":"item.updated","item":{"id":"item_1","type":"agent_message","text":"Fix"}}"#,
            r#"{"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"Fixed it."}}"#,
            r#"{"type":"turn.completed","usage":{"input_tokens":10,"output_tokens":3}}"#,
        ];
        let said: Vec<Said> = lines.iter().map(|l| reader.line(l)).collect();
        assert_eq!(
            said,
            [
                Said::Nothing,
                Said::Nothing,
                Said::Piece("[command: ls]\n".into()),
                Said::Piece("Fix".into()),
                Said::Piece("ed it.".into()),
                Said::Reply("Fixed it.".into()),
            ]
        );
        let failed = reader.line(r#"{"type":"turn.failed","error":{"message":"stream error"}}"#);
        assert_eq!(failed, Said::Failed("stream error".into()));
    }
}
