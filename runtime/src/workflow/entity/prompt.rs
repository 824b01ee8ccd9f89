//! `(prompt role text :timeout t :schema s :fresh b)`: the workflow asserts
//! `<agent-request ROLE ID TEXT OPTIONS>` and waits for `<agent-response ID REPLY …>`; the
//! reply (checked against the schema, if any) is the prompt's value, and a failed call
//! raises. Unless the prompt is `:fresh` or its role has `:memory :none`, the request
//! carries the role's conversation and the reply extends it (`super::conversations`).

use duet_sam::{Pattern, Term, Turn};
use duet_vm::Ctx;
use duet_vm::value::Value;

use super::WorkflowEntity;
use super::output::{Output, plain};
use crate::agents::conversation;
use crate::effects;
use crate::workflow::convert::{from_term, to_term};

/// What a `prompt`'s options ask for.
struct Options {
    /// `:timeout`, in milliseconds.
    timeout: Option<u64>,
    /// `:schema`, as JSON text: what the reply must be.
    schema: Option<String>,
    /// `:fresh`: asked outside the role's conversation.
    fresh: bool,
}

impl WorkflowEntity {
    /// `(prompt role text …)` on `fiber`: asserts the request and waits for its response.
    /// `Err` with the error to raise when the arguments are not right.
    pub(super) fn prompt(
        &mut self,
        t: &mut Turn,
        fiber: usize,
        args: &[Value],
    ) -> Result<(), Value> {
        let ctx = &mut self.vm.machine.ctx;
        let (role, remembers) = role_of(ctx, "prompt", args[0])?;
        let text = to_term(ctx, args[1])
            .map_err(|why| ctx.error_value("type", format!("`prompt`: {why}"), Value::Nil))?;
        let Options {
            timeout,
            schema,
            fresh,
        } = options(ctx, args)?;
        let exchange = (remembers && !fresh).then(|| (role.clone(), plain(&text)));
        let conversation = exchange
            .as_ref()
            .and_then(|(role, _)| self.state.conversations.get(role))
            .map(|c| conversation::to_term(c.exchanges()));
        let request_id = Term::Str(format!("prompt-{}", self.state.fresh_id()).into());
        let request_term = request(
            Term::Str(role.as_str().into()),
            request_id.clone(),
            text,
            schema.as_deref(),
            conversation,
            self.attempt_of(fiber),
        );
        self.state.output.extend(Output::agent_asked(
            &self.state.workflow.roles,
            &request_term,
        ));
        let request = t.assert(&self.state.dataspace, request_term);
        let wait = self.observe(t, fiber, response(request_id), Some((request, 1)), timeout);
        if let Some(wait) = self.state.waits.get_mut(&wait) {
            wait.schema = schema;
            wait.exchange = exchange;
        }
        Ok(())
    }
}

/// The name of the role `role` (a `<role NAME OPTIONS>` record) and whether it remembers
/// its conversation (it does unless its options say `:memory :none`); `who` names the
/// builtin in the error when `role` is not a role.
pub(super) fn role_of(ctx: &mut Ctx, who: &str, role: Value) -> Result<(String, bool), Value> {
    let term = to_term(ctx, role).unwrap_or(Term::Nil);
    match term.record_fields("role") {
        Some([Term::Str(name), rest @ ..]) => {
            let memory = rest
                .first()
                .and_then(Term::as_map)
                .and_then(|options| options.get(&Term::Keyword("memory".into())).cloned());
            let remembers = memory != Some(Term::Keyword("none".into()));
            Ok((name.to_string(), remembers))
        }
        _ => Err(ctx.error_value(
            "type",
            format!("`{who}` expects a role of the workflow as its first argument"),
            Value::Nil,
        )),
    }
}

/// The options after a `prompt`'s role and text; others are ignored.
fn options(ctx: &mut Ctx, args: &[Value]) -> Result<Options, Value> {
    let mut options = Options {
        timeout: None,
        schema: None,
        fresh: false,
    };
    for (key, value) in effects::options(ctx, args, 2) {
        match key.as_str() {
            "timeout" => {
                options.timeout = Some(
                    effects::millis(ctx, "prompt :timeout", value)
                        .map_err(|f| ctx.error_value(&f.kind, f.message, Value::Nil))?,
                )
            }
            "schema" => {
                let json = to_term(ctx, value)
                    .and_then(|term| crate::agents::schema::to_json(&term))
                    .and_then(|json| crate::agents::schema::check(&json).map(|()| json))
                    .map_err(|why| {
                        ctx.error_value("type", format!("`prompt :schema`: {why}"), Value::Nil)
                    })?;
                options.schema = Some(json.to_string());
            }
            "fresh" => options.fresh = value.truthy(),
            _ => {}
        }
    }
    Ok(options)
}

/// `<agent-request ROLE ID TEXT OPTIONS>`: a failed call comes back as an error the
/// `prompt` raises; a schema tells the agent what to answer with; the role's conversation
/// so far goes with it; inside `isolated`, the attempt whose copy of the workspace the
/// agent works in.
fn request(
    role: Term,
    id: Term,
    text: Term,
    schema: Option<&str>,
    conversation: Option<Term>,
    attempt: Option<u64>,
) -> Term {
    let on_error = (
        Term::Keyword("on-error".into()),
        Term::Keyword("raise".into()),
    );
    let schema = schema.map(|json| (Term::Keyword("schema".into()), Term::Str(json.into())));
    let conversation = conversation.map(|c| (Term::Keyword("conversation".into()), c));
    let attempt = attempt.map(|n| (Term::Keyword("attempt".into()), Term::Int(n as i64)));
    Term::record(
        "agent-request",
        vec![
            role,
            id,
            text,
            Term::map(
                std::iter::once(on_error)
                    .chain(schema)
                    .chain(conversation)
                    .chain(attempt),
            ),
        ],
    )
}

/// The pattern of the response to request `id`: `<agent-response ID …>`, captured whole.
fn response(id: Term) -> Pattern {
    Pattern::Bind(Box::new(Pattern::Record {
        label: "agent-response".into(),
        fields: [(0, Pattern::Lit(id))].into_iter().collect(),
    }))
}

/// The value a `prompt` returns for response `whole`: its field `field`, checked against
/// `schema` when there is one; the error to raise when the call failed or the reply does
/// not fit the schema.
pub(super) fn reply(
    ctx: &mut Ctx,
    whole: &Term,
    field: usize,
    schema: Option<&str>,
) -> Result<Value, Value> {
    let fields = match whole {
        Term::Record(r) => r.fields.as_slice(),
        _ => &[],
    };
    // A failed call's response carries `<agent-error KIND MESSAGE>`.
    let failed = fields
        .iter()
        .find_map(|f| match f.record_fields("agent-error") {
            Some([Term::Keyword(kind), Term::Str(message)]) => {
                Some((kind.clone(), message.clone()))
            }
            _ => None,
        });
    let reply = fields.get(field).unwrap_or(&Term::Nil);
    match (failed, schema) {
        (Some((kind, message)), _) => Err(ctx.error_value(&kind, message.to_string(), Value::Nil)),
        (None, Some(schema)) => checked_reply(reply, schema, fields.get(2))
            .map(|json| from_term(ctx, &json))
            .map_err(|why| ctx.error_value("agent", why, Value::Nil)),
        (None, None) => Ok(from_term(ctx, reply)),
    }
}

/// A `prompt :schema` reply as the JSON value it must be, or why it is not: `role` names who
/// answered.
fn checked_reply(reply: &Term, schema: &str, role: Option<&Term>) -> Result<Term, String> {
    let schema: serde_json::Value =
        serde_json::from_str(schema).map_err(|e| format!("a damaged prompt schema: {e}"))?;
    let text = match reply {
        Term::Str(s) => s.to_string(),
        other => other.to_string(),
    };
    let role = role.map_or_else(|| "?".to_string(), plain);
    crate::agents::schema::parse_reply(&text, &schema)
        .map(|json| crate::agents::schema::to_term(&json))
        .map_err(|why| {
            format!("the agent of role `{role}` did not answer as the `:schema` asks: {why}")
        })
}
