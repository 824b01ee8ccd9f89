//! What enters a run from outside, one turn at a time: the journal's payload. The engine
//! journals a [`RunInput`] (durably) before the run sees it, and replay delivers the same
//! inputs in the same order, so everything the outside world decided — an effect's result,
//! a person's answer, a timer's deadline — is part of the run's history.

use std::fmt;

use duet_lang::envelope::{self, EnvelopeError};
use serde::{Deserialize, Serialize};

use super::entity::{Addressee, ExternalRequest};
use crate::effects::{Capability, EffectValue, Failure};

/// Magic bytes of a journaled turn input.
pub const MAGIC: [u8; 4] = *b"DUTI";
/// The turn input format this build writes; it reads every earlier one too (version 2 added
/// [`RunInput::Grant`], version 3 an agent's reply with its tool's session,
/// `EffectValue::Reply`, [`RunInput::Reload`] and [`RunInput::Budget`]; version 4 attempts:
/// [`RunInput::AttemptCheckpoint`] and `EffectValue::Attempt`; earlier versions' inputs
/// read unchanged).
pub const VERSION: u16 = 4;

/// The input of one turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RunInput {
    /// The result of an effect the run asked for.
    Effect {
        /// Who asked.
        to: Addressee,
        /// The request's id among its addressee's requests.
        id: u64,
        /// What the effect gave, or why it failed.
        result: Result<EffectValue, Failure>,
    },
    /// A person's answer to a question (`ask-user`, or a role a `human` plays).
    Person {
        /// Who asked.
        to: Addressee,
        /// The question's request id.
        id: u64,
        /// The answer.
        text: String,
    },
    /// Capabilities the person granted for the rest of the run (`duet resume --allow`).
    Grant {
        /// What was granted.
        capabilities: Vec<Capability>,
    },
    /// The workspace's files after the turn before, recorded as a checkpoint.
    Checkpoint {
        /// The checkpoint's commit in the store's checkpoint repository.
        commit: String,
        /// Who changed the files: a role, the effect that did (`shell`, `write-file`), or
        /// `person` for edits made outside duet.
        author: String,
        /// The files it changed, sorted.
        files: Vec<String>,
    },
    /// The deadline fixed for a timer request (a `sleep`, a `:timeout`), so that after a
    /// restart it fires at its original moment.
    Deadline {
        /// The timer's request id (always the workflow's).
        id: u64,
        /// Milliseconds since the Unix epoch.
        at: i64,
    },
    /// The run continues in new code (`--reload`): from this turn its state is the one in
    /// blob `state`, which runs the program in blob `program`. The engine replaces the run
    /// rather than delivering anything to it.
    Reload {
        /// The blob of the run's state in the new code, before it settles.
        state: String,
        /// The blob of the new program.
        program: String,
        /// The state it re-enters.
        entered: String,
    },
    /// A new limit on what the run's agents may cost (`duet resume --budget-usd`).
    Budget {
        /// The limit, in micro-dollars.
        limit_microusd: u64,
    },
    /// The files of an attempt's private copy of the workspace after the turn before,
    /// recorded as a checkpoint (`isolated`): the attempt's copy is made again from it when
    /// the run continues elsewhere.
    AttemptCheckpoint {
        /// The attempt.
        attempt: u64,
        /// The checkpoint's commit in the store's checkpoint repository.
        commit: String,
        /// Who changed the files.
        author: String,
        /// The files it changed, sorted.
        files: Vec<String>,
    },
}

impl RunInput {
    /// The input answering `request` with an effect's `result`.
    pub fn effect(request: &ExternalRequest, result: Result<EffectValue, Failure>) -> RunInput {
        RunInput::Effect {
            to: request.to,
            id: request.id,
            result,
        }
    }

    /// The input answering question `request` with a person's `text`.
    pub fn person(request: &ExternalRequest, text: String) -> RunInput {
        RunInput::Person {
            to: request.to,
            id: request.id,
            text,
        }
    }

    /// The input as journal payload bytes.
    pub fn encode(&self) -> Vec<u8> {
        envelope::seal(MAGIC, VERSION, self)
    }

    /// A journal payload read back.
    pub fn decode(bytes: &[u8]) -> Result<RunInput, EnvelopeError> {
        envelope::open(MAGIC, VERSION, bytes).map(|(_, input)| input)
    }
}

/// One line for people (`duet history`).
impl fmt::Display for RunInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let who = |to: &Addressee| match to {
            Addressee::Workflow => "effect",
            Addressee::Agents => "agent call",
        };
        match self {
            RunInput::Effect {
                to,
                id,
                result:
                    Ok(EffectValue::Reply {
                        text,
                        session,
                        usage,
                    }),
            } => {
                write!(f, "{} {id} answered: {text:?}", who(to))?;
                let mut notes = Vec::new();
                if let Some(usage) = usage {
                    notes.push(format!("{}: {usage}", usage.model));
                }
                if let Some(session) = session {
                    notes.push(format!("{} session {}", session.kind, session.id));
                }
                write!(f, " ({})", notes.join("; "))
            }
            RunInput::Effect {
                to,
                id,
                result: Ok(value),
            } => write!(f, "{} {id} answered: {}", who(to), value.to_term()),
            RunInput::Effect {
                to,
                id,
                result: Err(failure),
            } => write!(
                f,
                "{} {id} failed [{}]: {}",
                who(to),
                failure.kind,
                failure.message
            ),
            RunInput::Person { to, id, text } => {
                write!(f, "{} {id} answered by a person: {text:?}", who(to))
            }
            RunInput::Deadline { id, at } => write!(f, "timer {id} set for {at}"),
            RunInput::Checkpoint {
                commit,
                author,
                files,
            } => write!(
                f,
                "checkpoint {} by {author}: {}",
                &commit[..commit.len().min(12)],
                files.join(", ")
            ),
            RunInput::Grant { capabilities } => {
                let names: Vec<&str> = capabilities.iter().map(|c| c.name()).collect();
                write!(f, "granted {}", names.join(", "))
            }
            RunInput::Budget { limit_microusd } => write!(
                f,
                "budget set to {}",
                crate::agents::usage::dollars(*limit_microusd)
            ),
            RunInput::Reload {
                program, entered, ..
            } => write!(
                f,
                "reloaded the workflow's code (program {}) and re-entered state `{entered}`",
                &program[..program.len().min(12)]
            ),
            RunInput::AttemptCheckpoint {
                attempt,
                commit,
                author,
                files,
            } => write!(
                f,
                "attempt {attempt} checkpoint {} by {author}: {}",
                &commit[..commit.len().min(12)],
                files.join(", ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_read_back_and_damage_is_an_error() {
        let inputs = [
            RunInput::Effect {
                to: Addressee::Workflow,
                id: 1,
                result: Ok(EffectValue::Int(5)),
            },
            RunInput::Effect {
                to: Addressee::Agents,
                id: 2,
                result: Err(Failure::new("agent", "HTTP 500")),
            },
            RunInput::Person {
                to: Addressee::Workflow,
                id: 3,
                text: "yes".into(),
            },
            RunInput::Deadline { id: 4, at: 99 },
            RunInput::AttemptCheckpoint {
                attempt: 5,
                commit: "0123456789abcdef".into(),
                author: "alice".into(),
                files: vec!["a.txt".into()],
            },
            RunInput::Effect {
                to: Addressee::Workflow,
                id: 6,
                result: Ok(EffectValue::Attempt {
                    commit: "0123".into(),
                    files: vec!["b.txt".into()],
                }),
            },
        ];
        for input in inputs {
            let bytes = input.encode();
            assert_eq!(RunInput::decode(&bytes), Ok(input));
            let mut damaged = bytes.clone();
            *damaged.last_mut().unwrap() ^= 1;
            assert_eq!(RunInput::decode(&damaged), Err(EnvelopeError::Checksum));
        }
        // A payload of the earlier, unversioned form is not read as an input.
        assert!(RunInput::decode(b"\x08%answer").is_err());
    }

    #[test]
    fn history_lines_say_what_came_in() {
        let line = RunInput::Effect {
            to: Addressee::Agents,
            id: 2,
            result: Err(Failure::new("agent", "HTTP 500")),
        }
        .to_string();
        assert_eq!(line, "agent call 2 failed [agent]: HTTP 500");
        let line = RunInput::Deadline { id: 4, at: 99 }.to_string();
        assert_eq!(line, "timer 4 set for 99");
        let line = RunInput::AttemptCheckpoint {
            attempt: 5,
            commit: "0123456789abcdef".into(),
            author: "alice".into(),
            files: vec!["a.txt".into(), "b.txt".into()],
        }
        .to_string();
        assert_eq!(
            line,
            "attempt 5 checkpoint 0123456789ab by alice: a.txt, b.txt"
        );
    }
}
