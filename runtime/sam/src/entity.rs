//! Entities: the objects that receive events. Their *behaviour* is Rust code (a trait
//! object); everything the kernel needs to survive a snapshot is data. An entity whose own
//! state must survive a snapshot says so by returning an [`EntitySnapshot`] with a `kind`;
//! on restore the host's resolver turns each snapshot back into a behaviour (see
//! `System::restore`). Entities with no state (`kind` empty) are simply re-attached.

use std::any::Any;

use serde::{Deserialize, Serialize};

use super::error::Result;
use super::event::ExitStatus;
use super::ids::{Handle, Ref};
use super::term::Term;
use super::turn::Turn;

/// The saved state of one entity.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EntitySnapshot {
    /// What kind of entity this is, for the resolver (empty: behaviour only, no state).
    pub kind: String,
    /// Its state, in an encoding the kind chooses (postcard for the built-in ones).
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// An object with behaviour. Every method runs inside a turn of the entity's actor, with the
/// entity's facet active; returning an error fails the turn and crashes the actor.
pub trait Entity: Any + Send {
    /// `value` is asserted at this entity under `handle`.
    fn assert(&mut self, t: &mut Turn, value: Term, handle: Handle) -> Result {
        let _ = (t, value, handle);
        Ok(())
    }

    /// The assertion under `handle` is withdrawn. An unknown handle must be harmless.
    fn retract(&mut self, t: &mut Turn, handle: Handle) -> Result {
        let _ = (t, handle);
        Ok(())
    }

    /// A message.
    fn message(&mut self, t: &mut Turn, body: Term) -> Result {
        let _ = (t, body);
        Ok(())
    }

    /// A sync request: by default, reply `true` to `peer`. Proxies must forward it instead.
    fn sync(&mut self, t: &mut Turn, peer: Ref) -> Result {
        t.message(&peer, Term::Bool(true));
        Ok(())
    }

    /// A stop action registered with `Turn::on_stop` runs: the facet it was registered on
    /// is stopping; the *parent* facet is active.
    fn stop(&mut self, t: &mut Turn, payload: Term) -> Result {
        let _ = (t, payload);
        Ok(())
    }

    /// The actor is ending (registered with `Turn::add_exit_hook`). It may send messages;
    /// it cannot assert (no facet is left to own the assertion).
    fn exit_hook(&mut self, t: &mut Turn, status: &ExitStatus) {
        let _ = (t, status);
    }

    /// The entity's state for a snapshot.
    fn snapshot(&self) -> EntitySnapshot {
        EntitySnapshot::default()
    }
}

/// The type of [`FnEntity`]'s handler.
pub type Handler = Box<dyn FnMut(&mut Turn, &crate::event::Event) -> Result + Send>;

/// An entity made from a closure that sees every assert, retract and message (handy for
/// tests and glue); sync gets the default reply. It has no state of its own to snapshot.
pub struct FnEntity(pub Handler);

impl FnEntity {
    /// Wraps a closure.
    pub fn new(
        f: impl FnMut(&mut Turn, &crate::event::Event) -> Result + Send + 'static,
    ) -> FnEntity {
        FnEntity(Box::new(f))
    }
}

impl Entity for FnEntity {
    fn assert(&mut self, t: &mut Turn, value: Term, handle: Handle) -> Result {
        (self.0)(t, &crate::event::Event::Assert { value, handle })
    }

    fn retract(&mut self, t: &mut Turn, handle: Handle) -> Result {
        (self.0)(t, &crate::event::Event::Retract { handle })
    }

    fn message(&mut self, t: &mut Turn, body: Term) -> Result {
        (self.0)(t, &crate::event::Event::Message { body })
    }
}
