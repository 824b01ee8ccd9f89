//! The roles of a workflow as the runtime plays them: each role's declared options read
//! into an [`Agent`], then `--agent ROLE=KIND` / `--agents KIND` applied.

use super::agents::Role;
use crate::agents::{Agent, KINDS};
use crate::effects::duration;
use duet_lang::core::{Expr, ExprKind, Workflow};
use duet_lang::syntax::datum::{Datum, DatumKind};

/// The roles of `workflow` with the agent that plays each, after the `(role, kind)`
/// overrides (`*` for every role; later ones win), or a sentence saying what is wrong.
pub fn roles(workflow: &Workflow, overrides: &[(String, String)]) -> Result<Vec<Role>, String> {
    for (role, kind) in overrides {
        if !KINDS.contains(&kind.as_str()) {
            return Err(format!(
                "`{kind}` is not an agent kind; the kinds are {}",
                KINDS.join(", ")
            ));
        }
        if role != "*" && !workflow.roles.iter().any(|r| &r.name == role) {
            let names: Vec<String> = workflow
                .roles
                .iter()
                .map(|r| format!("`{}`", r.name))
                .collect();
            return Err(format!(
                "workflow `{}` has no role `{role}`; its roles are {}",
                workflow.name,
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ));
        }
    }
    workflow
        .roles
        .iter()
        .map(|role| {
            let mut agent = Agent::default();
            for (key, value) in &role.options {
                read_option(&mut agent, key, value)
                    .map_err(|why| format!("role `{}`: `:{key}` {why}", role.name))?;
            }
            if let Some((_, kind)) = overrides
                .iter()
                .rev()
                .find(|(r, _)| *r == role.name || r == "*")
            {
                agent.kind = kind.clone();
            }
            Ok(Role {
                name: role.name.clone(),
                agent,
            })
        })
        .collect()
}

/// Reads one option into `agent`. `duet check` has already made sure options are literals
/// of the right kind; what is left to go wrong is a duration that does not parse.
fn read_option(agent: &mut Agent, key: &str, value: &Expr) -> Result<(), String> {
    let ExprKind::Const(datum) = &value.kind else {
        return Err("must be a literal".into());
    };
    let text = || match &datum.kind {
        DatumKind::Str(s) => Some(s.clone()),
        _ => None,
    };
    match key {
        "agent-kind" => agent.kind = text().unwrap_or_default(),
        "model" => agent.model = text(),
        "system" => agent.system = text(),
        "endpoint" => agent.endpoint = text(),
        "api-key-env" => agent.api_key_env = text(),
        "command" => agent.command = text(),
        "cwd" => agent.cwd = text(),
        "args" => agent.args = strings(datum),
        "tools" => agent.tools = strings(datum),
        "max-tokens" => {
            if let DatumKind::Int(n) = datum.kind {
                agent.max_tokens = Some(n.max(1) as u64);
            }
        }
        "temperature" => {
            agent.temperature = match datum.kind {
                DatumKind::Int(n) => Some(n as f64),
                DatumKind::Float(f) => Some(f),
                _ => None,
            }
        }
        "retries" => {
            agent.retries = match datum.kind {
                DatumKind::Int(n) if n >= 0 => Some(u32::try_from(n).unwrap_or(u32::MAX)),
                _ => return Err("must be a whole number of retries, 0 or more".into()),
            }
        }
        "timeout" => {
            agent.timeout_ms = match &datum.kind {
                DatumKind::Int(n) => Some((*n).max(0) as u64),
                DatumKind::Str(s) => Some(duration::parse(s)?),
                _ => None,
            }
        }
        _ => {}
    }
    Ok(())
}

fn strings(datum: &Datum) -> Vec<String> {
    match &datum.kind {
        DatumKind::Vector(items) => items
            .iter()
            .filter_map(|d| match &d.kind {
                DatumKind::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
