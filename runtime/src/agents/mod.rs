//! Performing agent calls: how each kind of agent is asked a question outside the
//! deterministic core. The agent service (`crate::workflow::agents`) turns a request into
//! an [`Effect::Agent`](crate::effects::Effect::Agent); the host performs it with [`ask`] and
//! journals the reply before the workflow sees it.
//!
//! `echo` never gets here (it answers inside the turn) and neither does `human` (the host
//! asks the person). The command-line kinds run their tool as a subprocess in the
//! workspace, the prompt on its standard input ([`cli`]); the HTTP kinds call a chat
//! endpoint ([`http`]). Every kind streams its reply: the pieces go to the host as
//! [`Note::Delta`]s while the call runs ([`stream`] reads the wire formats), and only the
//! whole reply is returned (and journaled). HTTP calls are retried on rate limits, server
//! errors and dropped connections, each retry a [`Note::Retry`]. A stream that sends
//! nothing for the [`Policy`]'s stall limit is a `:timeout`; a stream that is not what its
//! kind sends is an error quoting it. Every failure says which role and kind failed, why,
//! and what to do (often: dry-run with `--agents echo`).

pub mod cli;
pub mod conversation;
pub mod http;
mod replies;
pub mod schema;
pub mod stream;
pub mod usage;

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::effects::{Capability, Failure, Workspace};
pub use conversation::{Conversation, Exchange, Session};
pub use usage::Usage;

/// The agent kinds a role can be played by.
pub use duet_lang::expand::AGENT_KINDS as KINDS;

/// How a role is played: its kind and the options of its declaration
/// (`(planner :agent-kind "openai" :model "gpt-4o" …)`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Agent {
    /// One of [`KINDS`].
    pub kind: String,
    /// `:model`: the model to ask (each kind has a default).
    pub model: Option<String>,
    /// `:system`: the system prompt.
    pub system: Option<String>,
    /// `:endpoint`: the base URL of an HTTP kind.
    pub endpoint: Option<String>,
    /// `:api-key-env`: the environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// `:command`: the program a command-line kind runs instead of its usual tool.
    pub command: Option<String>,
    /// `:args`: extra arguments for a command-line kind.
    pub args: Vec<String>,
    /// `:cwd`: the directory (inside the workspace) a command-line kind runs in.
    pub cwd: Option<String>,
    /// `:max-tokens`: the reply's length limit, for HTTP kinds.
    pub max_tokens: Option<u64>,
    /// `:temperature`, for HTTP kinds.
    pub temperature: Option<f64>,
    /// `:timeout`: milliseconds before the call is given up.
    pub timeout_ms: Option<u64>,
    /// `:tools`: the tools a command-line agent may use (`claude --allowedTools`).
    pub tools: Vec<String>,
    /// `:retries`: how many times an HTTP call is tried again after a rate limit, a server
    /// error or a dropped connection ([`DEFAULT_RETRIES`] when not given).
    pub retries: Option<u32>,
}

impl Agent {
    /// The capabilities playing this role needs beyond its kind's defaults, each with what
    /// reaches for it: a command-line kind's own `:command` runs a program of the
    /// workflow's choosing (`shell`); an HTTP kind's own `:endpoint`, or an `:api-key-env`
    /// naming any variable but the kind's own key, sends text and a secret to a place of the
    /// workflow's choosing (`network`). `echo` and `human` need nothing, whatever their
    /// options say (so `--agents echo` dry-runs any workflow).
    pub fn needs(&self) -> Vec<(Capability, String)> {
        let mut needs = Vec::new();
        match self.kind.as_str() {
            "claude-code" | "codex" => {
                if let Some(command) = &self.command {
                    needs.push((
                        Capability::Shell,
                        format!("its `:command` runs `{command}`"),
                    ));
                }
            }
            "openai" | "anthropic" | "ollama" => {
                let mut reasons = Vec::new();
                if let Some(endpoint) = &self.endpoint {
                    reasons.push(format!("its `:endpoint` sends to {endpoint}"));
                }
                if let Some(var) = &self.api_key_env
                    && Some(var.as_str()) != http::standard_key(&self.kind)
                {
                    reasons.push(format!(
                        "its `:api-key-env` sends the variable {var}, not the kind's own key"
                    ));
                }
                if !reasons.is_empty() {
                    needs.push((Capability::Network, reasons.join(" and ")));
                }
            }
            _ => {}
        }
        needs
    }
}

/// Milliseconds an agent call may take unless its role says otherwise.
pub const DEFAULT_TIMEOUT_MS: u64 = 30 * 60 * 1000;

/// How many times an HTTP call is tried again unless its role says otherwise (`:retries`).
pub const DEFAULT_RETRIES: u32 = 3;

/// What the person is told to do when an agent cannot run.
pub const DRY_RUN: &str = "dry-run the workflow offline with `--agents echo`";

/// A question for the agent playing a role.
#[derive(Debug, Clone, Copy)]
pub struct Question<'a> {
    /// The role asked.
    pub role: &'a str,
    /// How the role is played.
    pub agent: &'a Agent,
    /// The prompt's text.
    pub text: &'a str,
    /// The role's conversation before this prompt, oldest first (empty for a fresh one).
    pub conversation: &'a [Exchange],
    /// `prompt :schema`: the JSON Schema the reply must match. Kinds with structured output
    /// of their own get it that way (OpenAI `response_format`, Anthropic a tool's input,
    /// Ollama `format`); the others are told in the prompt ([`schema::instruction`]).
    pub schema: Option<&'a serde_json::Value>,
    /// Environment variables a command-line agent runs with (`DUET_RUN`, `DUET_BRANCH`,
    /// `DUET_TURN`, `DUET_ROLE`), besides the host's own.
    pub env: &'a [(String, String)],
}

/// What an agent call brings back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The reply's text.
    pub text: String,
    /// The command-line tool's session that now holds the conversation, this exchange
    /// included, when the tool keeps one.
    pub session: Option<Session>,
    /// The tokens it used and what it cost, when the agent said.
    pub usage: Option<Usage>,
}

/// What an agent call reports while it runs. Notes are for people and programs watching
/// the run; they are never journaled (only the whole reply is).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A piece of the reply as it streams, or a line saying what step the agent took
    /// (`[tool: Bash]`).
    Delta(String),
    /// An attempt failed and the call is tried again.
    Retry {
        /// The attempt about to be made (2 for the first retry).
        attempt: u32,
        /// Milliseconds waited before it.
        delay_ms: u64,
        /// Why the attempt before it failed.
        reason: String,
    },
}

/// Where an agent call sends its [`Note`]s: nowhere (scripts, tests), or a function of the
/// host's (the durable engine turns them into `agent-delta` and `retry` events).
#[derive(Clone, Default)]
pub struct Notes(Option<Arc<dyn Fn(Note) + Send + Sync>>);

impl Notes {
    /// Notes that go nowhere.
    pub fn none() -> Notes {
        Notes(None)
    }

    /// Notes handed to `f` as they come.
    pub fn to(f: impl Fn(Note) + Send + Sync + 'static) -> Notes {
        Notes(Some(Arc::new(f)))
    }

    /// Reports `note`.
    pub fn send(&self, note: Note) {
        if let Some(f) = &self.0 {
            f(note);
        }
    }
}

impl std::fmt::Debug for Notes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notes(to a host)"
        } else {
            "Notes(none)"
        })
    }
}

/// How patient agent calls are: limits the host sets for every role (a role sets its whole
/// call's `:timeout` and its `:retries`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long a reply may send nothing — no byte from a server, no line from a tool —
    /// before the call is given up as stalled (a `:timeout`).
    pub stall: Duration,
    /// The delay before the first retry when the server gives no `Retry-After`; it doubles
    /// with each retry, and a random part of up to half of it is taken off (jitter).
    pub backoff: Duration,
    /// The longest delay the doubling reaches.
    pub backoff_max: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            stall: Duration::from_secs(10 * 60),
            backoff: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
        }
    }
}

/// Asks the agent playing `role` about `text` and returns its reply (a convenience for
/// [`ask_with`] without a schema, notes or a policy of the caller's).
pub async fn ask(
    role: &str,
    agent: &Agent,
    text: &str,
    workspace: &Workspace,
) -> Result<String, Failure> {
    let question = Question {
        role,
        agent,
        text,
        conversation: &[],
        schema: None,
        env: &[],
    };
    ask_with(&question, workspace, &Notes::none(), &Policy::default())
        .await
        .map(|reply| reply.text)
}

/// Asks `question` and returns the whole reply; the pieces go to `notes` as they stream.
/// The role's `:timeout` (default [`DEFAULT_TIMEOUT_MS`]) bounds the whole call, retries
/// included.
pub async fn ask_with(
    question: &Question<'_>,
    workspace: &Workspace,
    notes: &Notes,
    policy: &Policy,
) -> Result<Reply, Failure> {
    let Question { role, agent, .. } = *question;
    let timeout = Duration::from_millis(agent.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
    let call = async {
        match agent.kind.as_str() {
            "claude-code" | "codex" => cli::ask(question, workspace, notes, policy).await,
            "openai" | "anthropic" | "ollama" => http::ask(question, notes, policy).await,
            kind => Err(failure(format!(
                "the role `{role}` is played by a `{kind}` agent, which duet does not know; the kinds are {}",
                KINDS.join(", ")
            ))),
        }
    };
    match tokio::time::timeout(timeout, call).await {
        Ok(reply) => reply,
        Err(_) => Err(Failure {
            kind: "timeout".into(),
            message: format!(
                "the `{}` agent of role `{role}` did not answer within {} ms; raise the role's `:timeout`",
                agent.kind,
                timeout.as_millis()
            ),
        }),
    }
}

/// A call given up because its stream sent nothing for the stall limit: a `timeout`
/// failure saying what was waited for (`from`: "`claude`", "http://…") and how much had come.
pub(crate) fn stalled(
    question: &Question<'_>,
    from: &str,
    policy: &Policy,
    pieces: usize,
) -> Failure {
    let so_far = match pieces {
        0 => "before any of its reply".to_string(),
        1 => "after 1 piece of its reply".to_string(),
        n => format!("after {n} pieces of its reply"),
    };
    Failure {
        kind: "timeout".into(),
        message: format!(
            "the `{}` agent of role `{}` stalled: {from} sent nothing for {} ms {so_far}, so the call was given up; try again later, or {DRY_RUN}",
            question.agent.kind,
            question.role,
            policy.stall.as_millis()
        ),
    }
}

/// An `agent` failure with `message`.
fn failure(message: String) -> Failure {
    Failure {
        kind: "agent".into(),
        message,
    }
}

/// The first `limit` characters of `text`, for error messages quoting a tool or a server.
pub(crate) fn excerpt(text: &str, limit: usize) -> String {
    let text = text.trim();
    match text.char_indices().nth(limit) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::effects::{Capabilities, Effect, authorise};

    fn agent(kind: &str) -> Agent {
        Agent {
            kind: kind.into(),
            ..Agent::default()
        }
    }

    fn needs(agent: &Agent) -> Vec<Capability> {
        agent.needs().into_iter().map(|(c, _)| c).collect()
    }

    #[test]
    fn roles_need_capabilities_only_beyond_their_kinds_defaults() {
        for kind in KINDS {
            assert_eq!(needs(&agent(kind)), [], "{kind}");
        }
        let own_command = |kind: &str| Agent {
            command: Some("./anything".into()),
            ..agent(kind)
        };
        assert_eq!(needs(&own_command("codex")), [Capability::Shell]);
        assert_eq!(needs(&own_command("claude-code")), [Capability::Shell]);
        // Kinds that run no command (a dry run with `--agents echo` keeps the options).
        assert_eq!(needs(&own_command("echo")), []);
        assert_eq!(needs(&own_command("openai")), []);
        let endpoint = Agent {
            endpoint: Some("http://localhost:8080/v1".into()),
            ..agent("ollama")
        };
        assert_eq!(needs(&endpoint), [Capability::Network]);
        let key = |kind: &str, var: &str| Agent {
            api_key_env: Some(var.into()),
            ..agent(kind)
        };
        assert_eq!(needs(&key("openai", "OPENAI_API_KEY")), []);
        assert_eq!(needs(&key("anthropic", "ANTHROPIC_API_KEY")), []);
        assert_eq!(
            needs(&key("anthropic", "OPENAI_API_KEY")),
            [Capability::Network]
        );
        assert_eq!(needs(&key("ollama", "OLLAMA_KEY")), [Capability::Network]);
        let both = Agent {
            endpoint: Some("https://example.test".into()),
            ..key("openai", "AWS_SECRET_ACCESS_KEY")
        };
        let (capability, why) = both.needs().remove(0);
        assert_eq!(capability, Capability::Network);
        assert!(why.contains("https://example.test"), "{why}");
        assert!(why.contains("AWS_SECRET_ACCESS_KEY"), "{why}");
    }

    #[test]
    fn agent_effects_are_authorised_like_any_other() {
        let effect = Effect::Agent {
            role: "coder".into(),
            agent: Box::new(Agent {
                command: Some("./anything".into()),
                ..agent("codex")
            }),
            text: "hi".into(),
            conversation: Vec::new(),
            schema: None,
        };
        assert_eq!(effect.capabilities(), [Capability::Shell]);
        let denied = authorise(&effect, &Capabilities::default()).unwrap_err();
        assert_eq!(denied.kind, "capability");
        assert_eq!(
            denied.message,
            "role `coder` (its `:command` runs `./anything`) needs the `shell` capability, which this run was not granted; run with `--allow shell`"
        );
        let mut granted = Capabilities::default();
        granted.grant(Capability::Shell);
        assert!(authorise(&effect, &granted).is_ok());
    }
}
