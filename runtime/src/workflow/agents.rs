//! The agent service: serves `<agent-request ROLE ID TEXT>` (or `<agent-request ID TEXT>`,
//! for the first declared role) by asserting `<agent-response ID REPLY ROLE>`, and withdraws
//! the response when the request is withdrawn.
//!
//! The `echo` kind answers at once, inside the turn, offline and deterministically
//! (`echo: TEXT`). Every other kind is a call to the outside: the service asks the host
//! for it as an [`ExternalRequest`] (a `human` role as a question for the person, the rest
//! as an [`Effect::Agent`]), and asserts the response when the journaled answer comes back
//! as a message.
//!
//! A failed call ends the run with the failure's message, since the raw records have no
//! way to say "no reply". A request whose fourth field is an options map with
//! `:on-error :raise` (`prompt` makes such requests) is answered instead with
//! `<agent-response ID nil ROLE <agent-error KIND MESSAGE>>`, which `prompt` raises as an
//! error the workflow can catch.
//!
//! A role that reaches beyond its kind's defaults (its own `:command`, `:endpoint` or
//! `:api-key-env`) needs a capability (`crate::agents::Agent::needs`); the service checks it
//! against the run's capabilities before asking the host for anything, and a denied call is
//! answered like a failed one: with `<agent-error :capability MESSAGE>` naming the
//! capability and its `--allow` flag, or by ending the run. Nothing is started.
//!
//! The options map may carry `:conversation`, the role's conversation before the question
//! (`prompt` sends it; `crate::agents::conversation`), which the agent is given. A reply
//! that comes with its tool's session is answered with a fifth field,
//! `<agent-response ID REPLY ROLE nil {:session [KIND ID]}>`, so the workflow can record it.
//!
//! The options map may carry `:attempt N` (`prompt` inside `isolated`): the agent then
//! works in attempt N's private copy of the workspace (the request's
//! [`ExternalRequest::attempt`]).
//!
//! The options map may also carry `:schema`, a JSON Schema as JSON text (`prompt :schema`):
//! an agent gets it with the question (as its kind's structured output, or told in the
//! prompt), a person is told to answer with matching JSON, and `echo` answers with an
//! instance made up from the schema (`crate::agents::schema`).

use std::collections::BTreeMap;

use super::entity::{Addressee, ExternalRequest, plain};
use super::messages::Message;
use crate::agents::{Agent, Usage, conversation, schema};
use crate::effects::{self, Capabilities, Effect, REPLY_LABEL};
use duet_sam::{Entity, Handle, Ref, Term, Turn};

/// A role and the agent that plays it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Role {
    /// The role's name.
    pub name: String,
    /// Its kind and options.
    pub agent: Agent,
}

/// What a run may spend on its agents (`duet run --budget-usd`), and what they have cost so
/// far, counted from the journaled replies (so a restore and a replay count the same).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Budget {
    /// The most the run may spend, in micro-dollars; `None`: no limit.
    pub limit_microusd: Option<u64>,
    /// What the calls whose cost is known have cost.
    pub spent_microusd: u64,
    /// Calls that reported their usage.
    pub calls: u64,
    /// Calls among them whose cost is unknown (a model without a known price).
    pub unpriced: u64,
    /// What each role used, by role and model.
    pub by_role: BTreeMap<(String, String), Usage>,
}

impl Budget {
    /// A budget of `limit` micro-dollars, or none.
    pub fn limited(limit_microusd: Option<u64>) -> Budget {
        Budget {
            limit_microusd,
            ..Budget::default()
        }
    }

    /// Counts a call's `usage` by `role`.
    fn spend(&mut self, role: &str, usage: &Usage) {
        self.calls += 1;
        self.by_role
            .entry((role.to_string(), usage.model.clone()))
            .and_modify(|total| total.add(usage))
            .or_insert_with(|| usage.clone());
        match usage.cost_microusd {
            Some(cost) => self.spent_microusd += cost,
            None => self.unpriced += 1,
        }
    }

    /// Why a call to `role` may not be made: the limit is reached.
    fn exhausted(&self, role: &str) -> Option<String> {
        let limit = self.limit_microusd?;
        (self.spent_microusd >= limit).then(|| {
            let unpriced = match self.unpriced {
                0 => String::new(),
                n => format!(", besides {n} calls of unknown cost"),
            };
            format!(
                "the run's budget of {} is spent: its {} agent calls cost {}{unpriced}, so role `{role}` was not asked; give the run a larger budget with `--budget-usd` (on `duet run`, or `duet resume` while it waits)",
                crate::agents::usage::dollars(limit),
                self.calls,
                crate::agents::usage::dollars(self.spent_microusd)
            )
        })
    }
}

/// The snapshot kind of [`AgentService`].
pub const AGENTS_KIND: &str = "duet/agents";

/// A call to the outside waiting for its answer.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Call {
    /// The request it serves.
    request: Handle,
    /// The request's ID field, echoed in the response.
    id: Term,
    /// The role asked.
    role: String,
    effect: Effect,
    /// Whether a failure is answered (with `<agent-error …>`) rather than ending the run.
    raise: bool,
    /// The attempt in whose copy of the workspace the agent works, if any.
    attempt: Option<u64>,
}

/// The entity that answers agent requests.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct AgentService {
    dataspace: Ref,
    roles: Vec<Role>,
    /// What the run may do: agent calls that need more are refused.
    capabilities: Capabilities,
    /// What the run may spend, and has spent.
    budget: Budget,
    /// Responses asserted, by the handle of the request they answer.
    responses: BTreeMap<Handle, Handle>,
    /// Calls to the outside not answered yet, by call id.
    calls: BTreeMap<u64, Call>,
    next_call: u64,
    /// Calls for the host, drained after each run of the system.
    requests: Vec<ExternalRequest>,
    /// Requests no agent could serve (a role the workflow does not declare, a failed call
    /// nobody catches), for the host to end the run with.
    pub failures: Vec<String>,
}

impl AgentService {
    /// A service for `roles` (in declaration order) publishing into `dataspace`, for a run
    /// granted `capabilities`.
    pub fn new(
        dataspace: Ref,
        roles: Vec<Role>,
        capabilities: Capabilities,
        budget: Budget,
    ) -> Self {
        AgentService {
            dataspace,
            roles,
            capabilities,
            budget,
            responses: BTreeMap::new(),
            calls: BTreeMap::new(),
            next_call: 0,
            requests: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// A service restored from its snapshot data.
    pub fn restore(data: &[u8]) -> Result<Self, String> {
        super::open_state(super::AGENTS_MAGIC, "the agent service's state", data)
    }

    /// The calls it asked the host for since last asked.
    pub fn take_requests(&mut self) -> Vec<ExternalRequest> {
        std::mem::take(&mut self.requests)
    }

    /// The role and the request's ID field (as the run's events show it) of call `id`,
    /// while it waits for its answer.
    pub fn call(&self, id: u64) -> Option<(String, String)> {
        let call = self.calls.get(&id)?;
        Some((call.role.clone(), plain(&call.id)))
    }

    /// Its calls still waiting for an answer.
    pub fn unanswered(&self) -> Vec<ExternalRequest> {
        self.calls
            .iter()
            .map(|(&id, call)| ExternalRequest {
                id,
                effect: call.effect.clone(),
                to: Addressee::Agents,
                attempt: call.attempt,
            })
            .collect()
    }

    /// What the run may spend, and has spent.
    pub fn budget(&self) -> &Budget {
        &self.budget
    }

    /// The kind of agent that plays role `name`, if the service has the role.
    pub fn kind_of(&self, name: &str) -> Option<&str> {
        self.role_named(Some(name)).map(|r| r.agent.kind.as_str())
    }

    fn role_named(&self, name: Option<&str>) -> Option<&Role> {
        match name {
            Some(name) => self.roles.iter().find(|r| r.name == name),
            None => self.roles.first(),
        }
    }

    fn respond(&mut self, t: &mut Turn, request: Handle, fields: Vec<Term>) {
        let response = t.assert(&self.dataspace, Term::record("agent-response", fields));
        self.responses.insert(request, response);
    }
}

/// The role name in a request's ROLE field: a name, or a role value `<role NAME …>`.
pub(crate) fn role_name(term: &Term) -> Option<String> {
    match term {
        Term::Str(s) | Term::Symbol(s) => Some(s.to_string()),
        _ => match term.record_fields("role") {
            Some([Term::Str(name), ..]) => Some(name.to_string()),
            _ => None,
        },
    }
}

impl Entity for AgentService {
    fn snapshot(&self) -> duet_sam::EntitySnapshot {
        duet_sam::EntitySnapshot {
            kind: AGENTS_KIND.into(),
            data: super::seal_state(super::AGENTS_MAGIC, self),
        }
    }

    fn assert(&mut self, t: &mut Turn, value: Term, handle: Handle) -> duet_sam::Result {
        let whole = value
            .as_seq()
            .and_then(|caps| caps.first().cloned())
            .unwrap_or(Term::Nil);
        let Some(fields) = whole.record_fields("agent-request") else {
            return Ok(());
        };
        let (role, id, text) = match fields {
            [id, text] => (None, id.clone(), plain(text)),
            [role, id, text, ..] => (role_name(role), id.clone(), plain(text)),
            _ => return Ok(()),
        };
        let option = |name: &str| {
            fields
                .get(3)
                .and_then(|options| options.as_map())
                .and_then(|options| options.get(&Term::Keyword(name.into())).cloned())
        };
        let raise = option("on-error") == Some(Term::Keyword("raise".into()));
        let attempt = match option("attempt") {
            Some(Term::Int(n)) => u64::try_from(n).ok(),
            _ => None,
        };
        let schema: Option<serde_json::Value> = match option("schema") {
            Some(Term::Str(json)) => serde_json::from_str(&json).ok(),
            _ => None,
        };
        let Some(player) = self.role_named(role.as_deref()).cloned() else {
            self.failures.push(format!(
                "an agent request names the role `{}`, which the workflow does not declare",
                role.unwrap_or_default()
            ));
            return Ok(());
        };
        let name = Term::Str(player.name.as_str().into());
        let instruction = schema.as_ref().map(schema::instruction).unwrap_or_default();
        let effect = match player.agent.kind.as_str() {
            "echo" => {
                let reply = match &schema {
                    // Made up from the schema, so a dry run gets through.
                    Some(schema) => schema::example(schema).to_string(),
                    None => format!("echo: {text}"),
                };
                let reply = Term::Str(reply.into());
                self.respond(t, handle, vec![id, reply, name]);
                return Ok(());
            }
            "human" => Effect::AskUser {
                question: format!("({}) {text}{instruction}", player.name),
                options: Vec::new(),
            },
            // The agent gets the schema as its kind's structured output where it has one,
            // else as the instruction (`crate::agents`).
            _ => Effect::Agent {
                role: player.name.clone(),
                agent: Box::new(player.agent.clone()),
                text,
                conversation: option("conversation")
                    .map(|c| conversation::from_term(&c))
                    .unwrap_or_default(),
                schema: schema.as_ref().map(|s| s.to_string()),
            },
        };
        let spends = matches!(effect, Effect::Agent { .. });
        let denied = effects::authorise(&effect, &self.capabilities)
            .err()
            .or_else(|| {
                spends
                    .then(|| self.budget.exhausted(&player.name))
                    .flatten()
                    .map(|message| effects::Failure::new("budget", message))
            });
        if let Some(denied) = denied {
            if raise {
                let error = Term::record(
                    "agent-error",
                    vec![
                        Term::Keyword(denied.kind.as_str().into()),
                        Term::Str(denied.message.into()),
                    ],
                );
                self.respond(t, handle, vec![id, Term::Nil, name, error]);
            } else {
                self.failures.push(denied.message);
            }
            return Ok(());
        }
        let call = self.next_call;
        self.next_call += 1;
        self.requests.push(ExternalRequest {
            id: call,
            effect: effect.clone(),
            to: Addressee::Agents,
            attempt,
        });
        self.calls.insert(
            call,
            Call {
                request: handle,
                id,
                role: player.name,
                effect,
                raise,
                attempt,
            },
        );
        Ok(())
    }

    fn retract(&mut self, t: &mut Turn, handle: Handle) -> duet_sam::Result {
        if let Some(response) = self.responses.remove(&handle) {
            t.retract(response);
        }
        // A withdrawn request no longer wants its answer.
        self.calls.retain(|_, call| call.request != handle);
        let calls = &self.calls;
        self.requests.retain(|r| calls.contains_key(&r.id));
        Ok(())
    }

    fn message(&mut self, t: &mut Turn, body: Term) -> duet_sam::Result {
        let (request, result) = match Message::parse(&body) {
            Some(Message::Answer { request, result }) => (request, result),
            Some(Message::Grant(capabilities)) => {
                for capability in capabilities {
                    self.capabilities.grant(capability);
                }
                return Ok(());
            }
            Some(Message::Budget(limit)) => {
                self.budget.limit_microusd = Some(limit);
                return Ok(());
            }
            _ => return Ok(()),
        };
        let Some(call) = self.calls.remove(&request) else {
            return Ok(());
        };
        let role = Term::Str(call.role.as_str().into());
        let fields = match result {
            Ok(reply) => match reply.record_fields(REPLY_LABEL) {
                Some([text, session, usage]) => {
                    if let Some(usage) = Usage::from_term(usage) {
                        self.budget.spend(&call.role, &usage);
                    }
                    let meta = [("session", session), ("usage", usage)]
                        .into_iter()
                        .filter(|(_, value)| **value != Term::Nil)
                        .map(|(key, value)| (Term::Keyword(key.into()), value.clone()));
                    vec![call.id, text.clone(), role, Term::Nil, Term::map(meta)]
                }
                _ => vec![call.id, reply, role],
            },
            Err((_, message)) if !call.raise => {
                self.failures.push(message.to_string());
                return Ok(());
            }
            Err((kind, message)) => vec![
                call.id,
                Term::Nil,
                role,
                Term::record("agent-error", vec![Term::Keyword(kind), Term::Str(message)]),
            ],
        };
        self.respond(t, call.request, fields);
        Ok(())
    }
}
