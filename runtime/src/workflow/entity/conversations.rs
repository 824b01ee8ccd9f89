//! The roles' conversations (LANGUAGE.md §8): each `prompt` in a role's conversation is
//! recorded with its reply when the reply arrives; `(conversation R)` reads a role's
//! conversation and `(forget R)` empties it. The conversations are part of the workflow's
//! state, so a rewound or forked run has exactly the conversations of its new head.

use duet_sam::Term;
use duet_vm::value::Value;

use super::WorkflowEntity;
use super::prompt::role_of;
use crate::agents::Exchange;
use crate::agents::conversation::session_from_term;
use crate::workflow::convert::from_term;

impl WorkflowEntity {
    /// Records the exchange of `prompt` to `role` answered by `response` (an
    /// `<agent-response ID REPLY ROLE …>`); a failed call is not part of the conversation.
    pub(super) fn remember(&mut self, role: &str, prompt: &str, response: &Term) {
        let fields = response.record_fields("agent-response").unwrap_or_default();
        let reply = match fields.get(1) {
            Some(Term::Str(reply)) if fields.get(3).is_none_or(|e| *e == Term::Nil) => reply,
            _ => return,
        };
        let session = fields
            .get(4)
            .and_then(Term::as_map)
            .and_then(|meta| meta.get(&Term::Keyword("session".into())).cloned())
            .and_then(|s| session_from_term(&s));
        self.state
            .conversations
            .entry(role.to_string())
            .or_default()
            .push(Exchange {
                prompt: prompt.to_string(),
                reply: reply.to_string(),
                session,
            });
    }

    /// Role `role`'s exchanges, oldest first (none for a role never prompted).
    pub(crate) fn exchanges(&self, role: &str) -> &[Exchange] {
        self.state
            .conversations
            .get(role)
            .map(|c| c.exchanges())
            .unwrap_or_default()
    }

    /// `(conversation R)`: role R's conversation as `[{:from :user :text S} {:from :agent
    /// :text S} …]`, oldest first.
    pub(super) fn conversation(&mut self, role: Value) -> Result<Value, Value> {
        let ctx = &mut self.vm.machine.ctx;
        let (name, _) = role_of(ctx, "conversation", role)?;
        let said = |from: &str, text: &str| {
            Term::map([
                (Term::Keyword("from".into()), Term::Keyword(from.into())),
                (Term::Keyword("text".into()), Term::Str(text.into())),
            ])
        };
        let turns = self
            .state
            .conversations
            .get(&name)
            .map(|c| c.exchanges())
            .unwrap_or_default()
            .iter()
            .flat_map(|e| [said("user", &e.prompt), said("agent", &e.reply)])
            .collect();
        Ok(from_term(ctx, &Term::vector(turns)))
    }

    /// `(forget R)`: empties role R's conversation; its next prompt starts afresh.
    pub(super) fn forget(&mut self, role: Value) -> Result<Value, Value> {
        let (name, _) = role_of(&mut self.vm.machine.ctx, "forget", role)?;
        self.state.conversations.remove(&name);
        Ok(Value::Nil)
    }
}
