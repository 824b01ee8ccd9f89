//! What a workflow shows of itself as it runs ([`Output`]): what it printed and logged, the
//! states it enters, and its traffic with agents, read off the `agent-request` and
//! `agent-response` assertions it makes and sees.

use duet_sam::Term;
use serde::{Deserialize, Serialize};

use crate::workflow::agents::role_name;

/// What a workflow shows of itself as it runs: what it printed and logged, the states it
/// enters, and its traffic with agents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Output {
    /// Standard output.
    Print(String),
    /// The run's log.
    Log(String),
    /// It entered the state of this name.
    State(String),
    /// It asked an agent: `<agent-request ROLE ID TEXT>`.
    AgentAsked {
        /// The role asked.
        role: String,
        /// The request's ID field.
        id: String,
        /// The question.
        text: String,
    },
    /// An agent's response arrived: `<agent-response ID REPLY ROLE …>`.
    AgentAnswered {
        /// The role that answered.
        role: String,
        /// The request's ID field.
        id: String,
        /// The reply, or what went wrong.
        text: String,
        /// Whether the call failed (`text` is then the error).
        failed: bool,
    },
    /// What an agent's answer used: its tokens and cost.
    AgentUsage {
        /// The role that answered.
        role: String,
        /// The request's ID field.
        id: String,
        /// Tokens and cost.
        usage: crate::agents::Usage,
    },
}

impl Output {
    /// The traffic record of `term`, when it is a request to an agent (one without a role
    /// goes to the first of `roles`).
    pub(super) fn agent_asked(roles: &[String], term: &Term) -> Option<Output> {
        let (role, id, text) = match term.record_fields("agent-request")? {
            [id, text] => (roles.first()?.clone(), id, text),
            [role, id, text, ..] => (role_name(role).unwrap_or_else(|| plain(role)), id, text),
            _ => return None,
        };
        Some(Output::AgentAsked {
            role,
            id: plain(id),
            text: plain(text),
        })
    }

    /// What the agent's response `term` used, when it says.
    pub(super) fn agent_usage(term: &Term) -> Option<Output> {
        let fields = term.record_fields("agent-response")?;
        let usage = fields
            .get(4)?
            .as_map()?
            .get(&Term::Keyword("usage".into()))
            .and_then(crate::agents::Usage::from_term)?;
        Some(Output::AgentUsage {
            role: fields.get(2).map(plain).unwrap_or_default(),
            id: fields.first().map(plain).unwrap_or_default(),
            usage,
        })
    }

    /// The traffic record of `term`, when it is an agent's response.
    pub(super) fn agent_answered(term: &Term) -> Option<Output> {
        let fields = term.record_fields("agent-response")?;
        let failure = fields
            .get(3)
            .and_then(|f| match f.record_fields("agent-error") {
                Some([_, message]) => Some(plain(message)),
                _ => None,
            });
        Some(Output::AgentAnswered {
            role: fields.get(2).map(plain).unwrap_or_default(),
            id: fields.first().map(plain).unwrap_or_default(),
            failed: failure.is_some(),
            text: failure.unwrap_or_else(|| fields.get(1).map(plain).unwrap_or_default()),
        })
    }
}

/// A term as text: strings without quotes.
pub(crate) fn plain(term: &Term) -> String {
    match term {
        Term::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}
