//! Performing agent calls: how each kind of agent is asked a question outside the
//! deterministic core. The agent service (`crate::workflow::agents`) turns a request into
//! an [`Effect::Agent`](crate::effects::Effect::Agent); the host performs it with [`ask`] and
//! journals the reply before the workflow sees it.
//!
//! `echo` never gets here (it answers inside the turn) and neither does `human` (the host
//! asks the person). The command-line kinds run their tool as a subprocess in the
//! workspace ([`cli`]); the HTTP kinds call a chat endpoint ([`http`]). Every failure says
//! which role and kind failed, why, and how to dry-run with `--agents echo`.

pub mod cli;
pub mod http;
pub mod schema;

use serde::{Deserialize, Serialize};

use crate::effects::{Capability, Failure, Workspace};

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

/// What the person is told to do when an agent cannot run.
pub const DRY_RUN: &str = "dry-run the workflow offline with `--agents echo`";

/// Asks the agent playing `role` about `text` and returns its reply.
pub async fn ask(
    role: &str,
    agent: &Agent,
    text: &str,
    workspace: &Workspace,
) -> Result<String, Failure> {
    let timeout = std::time::Duration::from_millis(agent.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS));
    let call = async {
        match agent.kind.as_str() {
            "claude-code" | "codex" => cli::ask(role, agent, text, workspace).await,
            "openai" | "anthropic" | "ollama" => http::ask(role, agent, text).await,
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
