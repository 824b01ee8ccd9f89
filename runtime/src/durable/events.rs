//! What a run reports about itself, as one typed stream: [`RunEvent`]s go to an
//! [`Observer`] — the terminal's lines for people, `--json`, a test. The JSON form of a
//! `RunEvent` is the documented `--json` format (docs/runtime.md): every event has `event`,
//! `run` and `turn` where there is one, and `at` (milliseconds since the epoch).

use serde::Serialize;

use crate::workflow::{Ending, Output};

/// Where a run's events go.
pub trait Observer {
    /// Takes one event, in the order they happen.
    fn event(&mut self, event: RunEvent);
}

/// Collects events in memory (tests, and callers that look at them afterwards).
impl Observer for Vec<RunEvent> {
    fn event(&mut self, event: RunEvent) {
        self.push(event);
    }
}

/// One thing a run reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunEvent {
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
    /// The run, once it has an id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    /// The last journaled turn when it happened, for events of a run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turn: Option<u64>,
    /// When it was reported, in milliseconds since the Unix epoch (from the engine's clock).
    pub at: i64,
}

/// How a run ended, in an `ended` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EndStatus {
    /// It ran to its end.
    Completed,
    /// It ended itself with `(terminal :cancelled …)`.
    Cancelled,
    /// It failed.
    Failed,
}

/// What an event says.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    /// A run was created.
    Started {
        /// The workflow it runs.
        workflow: String,
        /// The store it is kept in.
        #[serde(skip_serializing_if = "Option::is_none")]
        store: Option<String>,
    },
    /// A stored run continues (`duet resume`).
    Resumed {
        /// The state it continues in.
        state: String,
    },
    /// A stored run continues with an answer to its question (`duet answer`).
    Answered {
        /// The state it continues in.
        state: String,
    },
    /// The run continues in a background process (`--detach`).
    Detached {
        /// The process following it.
        pid: u32,
        /// Where that process writes its reports.
        log: String,
    },
    /// Capabilities the workflow declares were not granted.
    CapabilitiesDenied {
        /// The workflow.
        workflow: String,
        /// What it asked for.
        capabilities: Vec<String>,
    },
    /// Diagnostics of the program, each as `duet check --format json` prints it.
    Diagnostics {
        /// The diagnostics.
        diagnostics: Vec<serde_json::Value>,
    },
    /// What the program printed.
    Output {
        /// The text, as printed.
        text: String,
    },
    /// A line of the run's log.
    Log {
        /// The line.
        text: String,
    },
    /// The workflow entered a state.
    State {
        /// Its name.
        state: String,
    },
    /// The workflow asked an agent.
    AgentRequest {
        /// The role asked.
        role: String,
        /// The request's id.
        id: String,
        /// The question.
        text: String,
    },
    /// A piece of an agent's reply as it streams (or a step the agent took, such as
    /// `[tool: Bash]`). Never journaled: the whole reply comes as `agent-response`. A
    /// `retry` of the call means the pieces start again.
    AgentDelta {
        /// The role.
        role: String,
        /// The request's id.
        id: String,
        /// The piece.
        text: String,
    },
    /// An agent call failed in a way that may pass (a rate limit, a server error, a dropped
    /// connection) and is tried again.
    Retry {
        /// The role.
        role: String,
        /// The request's id.
        id: String,
        /// The attempt about to be made (2 for the first retry).
        attempt: u32,
        /// Milliseconds it waits first.
        delay_ms: u64,
        /// Why the attempt before failed.
        reason: String,
    },
    /// An agent answered.
    AgentResponse {
        /// The role.
        role: String,
        /// The request's id.
        id: String,
        /// The reply.
        text: String,
    },
    /// What an agent's answer used.
    Usage {
        /// The role.
        role: String,
        /// The request's id.
        id: String,
        /// The model that answered.
        model: String,
        /// Prompt tokens (cached ones among them).
        input_tokens: u64,
        /// Reply tokens.
        output_tokens: u64,
        /// Prompt tokens read from the provider's cache.
        cached_tokens: u64,
        /// What the call cost in US dollars, when known.
        cost_usd: Option<f64>,
    },
    /// An agent call failed.
    AgentError {
        /// The role.
        role: String,
        /// The request's id.
        id: String,
        /// What went wrong.
        text: String,
    },
    /// The workspace's files were recorded after a turn that changed them.
    Checkpoint {
        /// The checkpoint's commit.
        commit: String,
        /// Who changed them.
        author: String,
        /// The files that changed.
        files: Vec<String>,
    },
    /// The run waits for a person to answer.
    Question {
        /// The question.
        question: String,
        /// The answers offered, if any.
        options: Vec<String>,
        /// Whether several of the options may be chosen (`ask-user :multi true`).
        multi: bool,
    },
    /// A timer fires late: its deadline passed while no process followed the run (a
    /// daemon or `duet resume` taking it up later), so it fires at once.
    Late {
        /// When it was due, in milliseconds since the epoch.
        due_at: i64,
        /// How late it fires, in milliseconds.
        late_ms: u64,
    },
    /// The run waits for something nothing running will provide.
    Suspended {
        /// Why, for people.
        reason: String,
    },
    /// The run ended.
    Ended {
        /// How.
        status: EndStatus,
        /// The workflow's result, as JSON, when it has one.
        #[serde(skip_serializing_if = "Option::is_none")]
        result: Option<serde_json::Value>,
        /// The result as the language prints it, for people (not in the JSON).
        #[serde(skip)]
        result_text: Option<String>,
        /// Why it failed.
        #[serde(skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        /// Set when it had ended before this command (nothing was continued).
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        already: bool,
        /// Where the uncaught error that failed it was raised, innermost first.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        backtrace: Vec<crate::workflow::entity::TracePoint>,
    },
    /// Something went wrong that is not the program's own failure.
    Error {
        /// What, where, and what to do.
        message: String,
    },
}

impl EventKind {
    /// The event for something the workflow showed of itself.
    pub fn from_output(output: &Output) -> EventKind {
        match output.clone() {
            Output::Print(text) => EventKind::Output { text },
            Output::Log(text) => EventKind::Log { text },
            Output::State(state) => EventKind::State { state },
            Output::AgentAsked { role, id, text } => EventKind::AgentRequest { role, id, text },
            Output::AgentAnswered {
                role,
                id,
                text,
                failed: false,
            } => EventKind::AgentResponse { role, id, text },
            Output::AgentAnswered {
                role,
                id,
                text,
                failed: true,
            } => EventKind::AgentError { role, id, text },
            Output::AgentUsage { role, id, usage } => EventKind::Usage {
                role,
                id,
                model: usage.model,
                input_tokens: usage.input_tokens,
                output_tokens: usage.output_tokens,
                cached_tokens: usage.cached_tokens,
                cost_usd: usage.cost_microusd.map(|c| c as f64 / 1e6),
            },
        }
    }

    /// The `ended` event for `ending`.
    pub fn ended(ending: &Ending, already: bool) -> EventKind {
        let result = |term: &duet_sam::Term| match term {
            duet_sam::Term::Nil => None,
            // A term with no JSON form (a record, a ref) is shown as its text.
            term => Some(
                crate::agents::schema::to_json(term)
                    .unwrap_or_else(|_| serde_json::Value::String(term.to_string())),
            ),
        };
        let text = |term: &duet_sam::Term| match term {
            duet_sam::Term::Nil => None,
            term => Some(term.to_string()),
        };
        match ending {
            Ending::Completed(term) => EventKind::Ended {
                status: EndStatus::Completed,
                result: result(term),
                result_text: text(term),
                error: None,
                already,
                backtrace: Vec::new(),
            },
            Ending::Cancelled(term) => EventKind::Ended {
                status: EndStatus::Cancelled,
                result: result(term),
                result_text: text(term),
                error: None,
                already,
                backtrace: Vec::new(),
            },
            Ending::Failed(error) => EventKind::Ended {
                status: EndStatus::Failed,
                result: None,
                result_text: None,
                error: Some(error.clone()),
                already,
                backtrace: Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_event_first_and_run_turn_at() {
        let event = RunEvent {
            kind: EventKind::State {
                state: "review".into(),
            },
            run: Some("r1".into()),
            turn: Some(3),
            at: 1_700_000_000_000,
        };
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"{"event":"state","state":"review","run":"r1","turn":3,"at":1700000000000}"#
        );
    }

    #[test]
    fn deltas_and_retries_name_their_role_and_request() {
        let delta = EventKind::AgentDelta {
            role: "coder".into(),
            id: "prompt-3".into(),
            text: "Hel".into(),
        };
        assert_eq!(
            serde_json::to_string(&delta).unwrap(),
            r#"{"event":"agent-delta","role":"coder","id":"prompt-3","text":"Hel"}"#
        );
        let retry = EventKind::Retry {
            role: "coder".into(),
            id: "prompt-3".into(),
            attempt: 2,
            delay_ms: 1000,
            reason: "HTTP 429".into(),
        };
        assert_eq!(
            serde_json::to_string(&retry).unwrap(),
            r#"{"event":"retry","role":"coder","id":"prompt-3","attempt":2,"delay_ms":1000,"reason":"HTTP 429"}"#
        );
    }

    #[test]
    fn an_ended_result_is_json() {
        let result = duet_sam::Term::map([(
            duet_sam::Term::Keyword("rounds".into()),
            duet_sam::Term::Int(1),
        )]);
        let kind = EventKind::ended(&Ending::Completed(result), false);
        let json = serde_json::to_value(&kind).unwrap();
        assert_eq!(json["event"], "ended");
        assert_eq!(json["status"], "completed");
        assert_eq!(json["result"], serde_json::json!({"rounds": 1}));
        assert!(json.get("already").is_none());
    }
}
