//! The messages the entities of a run exchange with the host and with their own observers.
//! Kernel messages are terms; this module is the one place that spells them, so the
//! workflow entity and the agent service read typed [`Message`]s.

use std::sync::Arc;

use duet_sam::{Ref, Term};

use crate::effects::{Capability, EffectValue, Failure};

/// A message to the workflow entity or the agent service.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Message {
    /// Start the workflow; it learns its own reference.
    Start(Ref),
    /// The pattern of wait `wait` matched `whole` (from an await observer).
    Matched {
        /// The wait.
        wait: u64,
        /// The whole matching assertion.
        whole: Term,
    },
    /// An `on-…` handler's pattern saw an event (from a handler observer).
    Event {
        /// The handler.
        handler: u64,
        /// `asserted`, `retracted` or `message`.
        event: Arc<str>,
        /// The value seen.
        value: Term,
    },
    /// The host fixed the deadline of timer request `timer` (a `sleep`).
    Deadline {
        /// The timer's request id.
        timer: u64,
        /// Milliseconds since the epoch.
        at: i64,
    },
    /// The person granted these capabilities for the rest of the run (`duet resume --allow`).
    Grant(Vec<Capability>),
    /// The person set what the run's agents may cost, in micro-dollars (`--budget-usd`).
    Budget(u64),
    /// Attempt `attempt`'s files were recorded as checkpoint `commit`.
    AttemptHead {
        /// The attempt.
        attempt: u64,
        /// Its newest checkpoint.
        commit: Arc<str>,
    },
    /// The answer to external request `request`: the effect's value as a term, or a failure.
    Answer {
        /// The request's id.
        request: u64,
        /// What came back.
        result: Result<Term, (Arc<str>, Arc<str>)>,
    },
}

const START: &str = "%start";
const MATCHED: &str = "%matched";
const EVENT: &str = "%event";
const DEADLINE: &str = "%deadline";
const ANSWER: &str = "%answer";
const GRANT: &str = "%grant";
const BUDGET: &str = "%budget";
const ATTEMPT_HEAD: &str = "%attempt-head";

impl Message {
    /// The answer to request `request` with an effect's result.
    pub(crate) fn answer(request: u64, result: &Result<EffectValue, Failure>) -> Message {
        Message::Answer {
            request,
            result: match result {
                Ok(value) => Ok(value.to_term()),
                Err(failure) => Err((
                    failure.kind.as_str().into(),
                    failure.message.as_str().into(),
                )),
            },
        }
    }

    /// The message as the term the kernel carries.
    pub(crate) fn to_term(&self) -> Term {
        let int = |n: u64| Term::Int(n as i64);
        match self {
            Message::Start(me) => Term::record(START, vec![Term::Ref(*me)]),
            Message::Matched { wait, whole } => {
                Term::record(MATCHED, vec![int(*wait), whole.clone()])
            }
            Message::Event {
                handler,
                event,
                value,
            } => Term::record(
                EVENT,
                vec![int(*handler), Term::Keyword(event.clone()), value.clone()],
            ),
            Message::Deadline { timer, at } => {
                Term::record(DEADLINE, vec![int(*timer), Term::Int(*at)])
            }
            Message::Grant(capabilities) => Term::record(
                GRANT,
                capabilities
                    .iter()
                    .map(|c| Term::Str(c.name().into()))
                    .collect(),
            ),
            Message::Budget(limit) => Term::record(
                BUDGET,
                vec![Term::Int(i64::try_from(*limit).unwrap_or(i64::MAX))],
            ),
            Message::AttemptHead { attempt, commit } => {
                Term::record(ATTEMPT_HEAD, vec![int(*attempt), Term::Str(commit.clone())])
            }
            Message::Answer { request, result } => {
                let body = match result {
                    Ok(term) => Term::record("ok", vec![term.clone()]),
                    Err((kind, message)) => Term::record(
                        "error",
                        vec![Term::Keyword(kind.clone()), Term::Str(message.clone())],
                    ),
                };
                Term::record(ANSWER, vec![int(*request), body])
            }
        }
    }

    /// The message `term` carries; `None` for a term that is none of them.
    pub(crate) fn parse(term: &Term) -> Option<Message> {
        let Term::Record(record) = term else {
            return None;
        };
        let id = |t: &Term| match t {
            Term::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        };
        Some(match (&*record.label, record.fields.as_slice()) {
            (START, [Term::Ref(me)]) => Message::Start(*me),
            (MATCHED, [wait, whole]) => Message::Matched {
                wait: id(wait)?,
                whole: whole.clone(),
            },
            (EVENT, [handler, Term::Keyword(event), value]) => Message::Event {
                handler: id(handler)?,
                event: event.clone(),
                value: value.clone(),
            },
            (DEADLINE, [timer, Term::Int(at)]) => Message::Deadline {
                timer: id(timer)?,
                at: *at,
            },
            (GRANT, names) => Message::Grant(
                names
                    .iter()
                    .map(|n| match n {
                        Term::Str(name) => name.parse().ok(),
                        _ => None,
                    })
                    .collect::<Option<_>>()?,
            ),
            (BUDGET, [limit]) => Message::Budget(id(limit)?),
            (ATTEMPT_HEAD, [attempt, Term::Str(commit)]) => Message::AttemptHead {
                attempt: id(attempt)?,
                commit: commit.clone(),
            },
            (ANSWER, [request, body]) => Message::Answer {
                request: id(request)?,
                result: match (body.record_fields("ok"), body.record_fields("error")) {
                    (Some([term]), _) => Ok(term.clone()),
                    (_, Some([Term::Keyword(kind), Term::Str(message)])) => {
                        Err((kind.clone(), message.clone()))
                    }
                    _ => return None,
                },
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_reads_back() {
        let me = Ref {
            actor: duet_sam::ActorId(3),
            oid: 0,
        };
        let messages = [
            Message::Start(me),
            Message::Matched {
                wait: 4,
                whole: Term::record("x", vec![Term::Int(1)]),
            },
            Message::Event {
                handler: 5,
                event: "retracted".into(),
                value: Term::Nil,
            },
            Message::Deadline { timer: 6, at: -1 },
            Message::Grant(vec![Capability::Shell, Capability::Network]),
            Message::Budget(2_500_000),
            Message::AttemptHead {
                attempt: 9,
                commit: "abc".into(),
            },
            Message::answer(7, &Ok(EffectValue::Text("hi".into()))),
            Message::answer(8, &Err(Failure::new("io", "gone"))),
        ];
        for message in messages {
            assert_eq!(Message::parse(&message.to_term()), Some(message));
        }
        assert_eq!(Message::parse(&Term::record("%answer", vec![])), None);
        assert_eq!(Message::parse(&Term::Str("%answer".into())), None);
    }
}
