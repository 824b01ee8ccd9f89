//! The agent service: serves `<agent-request ROLE ID TEXT>` (or `<agent-request ID TEXT>`,
//! for the first declared role) by asserting `<agent-response ID REPLY ROLE>`, and withdraws
//! the response when the request is withdrawn. The `echo` kind answers at once, offline and
//! deterministically (`echo: TEXT`); kinds whose tool this build cannot drive are reported to
//! the host, which ends the run with advice to dry-run with `--agents echo`.

use std::collections::BTreeMap;

use crate::sam::{Entity, Handle, Ref, Term, Turn};

/// A role and the kind of agent that plays it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Role {
    /// The role's name.
    pub name: String,
    /// `echo`, `human`, `claude-code`, …
    pub kind: String,
}

/// The snapshot kind of [`AgentService`].
pub const AGENTS_KIND: &str = "duet/agents";

/// The entity that answers agent requests.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct AgentService {
    dataspace: Ref,
    roles: Vec<Role>,
    /// Responses asserted, by the handle of the request they answer.
    responses: BTreeMap<Handle, Handle>,
    /// Requests this build cannot serve, for the host to report.
    pub unavailable: Vec<String>,
}

impl AgentService {
    /// A service for `roles` (in declaration order) publishing into `dataspace`.
    pub fn new(dataspace: Ref, roles: Vec<Role>) -> Self {
        AgentService {
            dataspace,
            roles,
            responses: BTreeMap::new(),
            unavailable: Vec::new(),
        }
    }

    /// A service restored from its snapshot data.
    pub fn restore(data: &[u8]) -> Result<Self, String> {
        postcard::from_bytes(data).map_err(|e| format!("a damaged agent service snapshot: {e}"))
    }

    fn role_named(&self, name: Option<&str>) -> Option<&Role> {
        match name {
            Some(name) => self.roles.iter().find(|r| r.name == name),
            None => self.roles.first(),
        }
    }
}

/// The role name in a request's ROLE field: a name, or a role value `<role NAME …>`.
fn role_name(term: &Term) -> Option<String> {
    match term {
        Term::Str(s) | Term::Symbol(s) => Some(s.to_string()),
        _ => match term.record_fields("role") {
            Some([Term::Str(name), ..]) => Some(name.to_string()),
            _ => None,
        },
    }
}

impl Entity for AgentService {
    fn snapshot(&self) -> crate::sam::EntitySnapshot {
        crate::sam::EntitySnapshot {
            kind: AGENTS_KIND.into(),
            data: postcard::to_stdvec(self).expect("postcard encodes the agent service"),
        }
    }

    fn assert(&mut self, t: &mut Turn, value: Term, handle: Handle) -> crate::sam::Result {
        let whole = value
            .as_seq()
            .and_then(|caps| caps.first().cloned())
            .unwrap_or(Term::Nil);
        let Some(fields) = whole.record_fields("agent-request") else {
            return Ok(());
        };
        let (role, id, text) = match fields {
            [id, text] => (None, id.clone(), text.clone()),
            [role, id, text, ..] => (role_name(role), id.clone(), text.clone()),
            _ => return Ok(()),
        };
        let Some(player) = self.role_named(role.as_deref()).cloned() else {
            self.unavailable.push(format!(
                "an agent request names the role `{}`, which the workflow does not declare",
                role.unwrap_or_default()
            ));
            return Ok(());
        };
        match player.kind.as_str() {
            "echo" => {
                let text = match &text {
                    Term::Str(s) => s.to_string(),
                    other => other.to_string(),
                };
                let reply = Term::record(
                    "agent-response",
                    vec![id, Term::Str(format!("echo: {text}").into()), Term::Str(player.name.as_str().into())],
                );
                let response = t.assert(&self.dataspace, reply);
                self.responses.insert(handle, response);
            }
            kind => self.unavailable.push(format!(
                "the role `{}` is played by a `{kind}` agent, which this build cannot run yet; dry-run the workflow with `--agents echo`",
                player.name
            )),
        }
        Ok(())
    }

    fn retract(&mut self, t: &mut Turn, handle: Handle) -> crate::sam::Result {
        if let Some(response) = self.responses.remove(&handle) {
            t.retract(response);
        }
        Ok(())
    }
}
