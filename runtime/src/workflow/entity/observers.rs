//! The small entities a workflow asserts `Observe`s for: an [`AwaitObserver`] tells it when
//! a wait's pattern first matches, a [`HandlerObserver`] forwards every event an `on-…`
//! handler's pattern sees. Both talk to the workflow with [`Message`]s.

use std::collections::BTreeMap;

use duet_sam::{Entity, EntitySnapshot, Handle, Ref, Term, Turn};
use serde::{Deserialize, Serialize};

use crate::workflow::messages::Message;
use crate::workflow::{OBSERVER_MAGIC, open_state, seal_state};

/// The snapshot kind of [`AwaitObserver`].
pub const AWAIT_KIND: &str = "duet/await";
/// The snapshot kind of [`HandlerObserver`].
pub const HANDLER_KIND: &str = "duet/handler";

/// The first match of a captured pattern: its whole value.
fn whole(captures: &Term) -> Term {
    captures
        .as_seq()
        .and_then(|caps| caps.first().cloned())
        .unwrap_or(Term::Nil)
}

/// What an observer tells the workflow when its pattern first matches.
#[derive(Serialize, Deserialize)]
pub struct AwaitObserver {
    workflow: Ref,
    id: u64,
}

impl AwaitObserver {
    /// An observer telling `workflow` when wait `id` matches.
    pub(super) fn new(workflow: Ref, id: u64) -> Self {
        AwaitObserver { workflow, id }
    }

    /// An observer restored from its snapshot data.
    pub fn restore(data: &[u8]) -> Result<Self, String> {
        open_state(OBSERVER_MAGIC, "an await observer's state", data)
    }
}

impl Entity for AwaitObserver {
    fn snapshot(&self) -> EntitySnapshot {
        EntitySnapshot {
            kind: AWAIT_KIND.into(),
            data: seal_state(OBSERVER_MAGIC, self),
        }
    }

    fn assert(&mut self, t: &mut Turn, value: Term, _handle: Handle) -> duet_sam::Result {
        let matched = Message::Matched {
            wait: self.id,
            whole: whole(&value),
        };
        t.message(&self.workflow, matched.to_term());
        Ok(())
    }
}

/// Forwards the events an `on-…` handler's pattern sees to the workflow.
#[derive(Serialize, Deserialize)]
pub struct HandlerObserver {
    workflow: Ref,
    id: u64,
    /// What each handle asserted, to report it when it is retracted.
    seen: BTreeMap<Handle, Term>,
}

impl HandlerObserver {
    /// An observer forwarding handler `id`'s events to `workflow`.
    pub(super) fn new(workflow: Ref, id: u64) -> Self {
        HandlerObserver {
            workflow,
            id,
            seen: BTreeMap::new(),
        }
    }

    /// An observer restored from its snapshot data.
    pub fn restore(data: &[u8]) -> Result<Self, String> {
        open_state(OBSERVER_MAGIC, "a handler observer's state", data)
    }

    fn forward(&self, t: &mut Turn, event: &str, captures: &Term) {
        let event = Message::Event {
            handler: self.id,
            event: event.into(),
            value: whole(captures),
        };
        t.message(&self.workflow, event.to_term());
    }
}

impl Entity for HandlerObserver {
    fn assert(&mut self, t: &mut Turn, value: Term, handle: Handle) -> duet_sam::Result {
        self.forward(t, "asserted", &value);
        self.seen.insert(handle, value);
        Ok(())
    }

    fn retract(&mut self, t: &mut Turn, handle: Handle) -> duet_sam::Result {
        if let Some(value) = self.seen.remove(&handle) {
            self.forward(t, "retracted", &value);
        }
        Ok(())
    }

    fn message(&mut self, t: &mut Turn, body: Term) -> duet_sam::Result {
        self.forward(t, "message", &body);
        Ok(())
    }

    fn snapshot(&self) -> EntitySnapshot {
        EntitySnapshot {
            kind: HANDLER_KIND.into(),
            data: seal_state(OBSERVER_MAGIC, self),
        }
    }
}
