//! The four events, and the record of a turn: plain data (serde) that the journal stores.
//! A turn record holds what went in (the batch, or the kind of control turn), what came out
//! (one batch per target actor, in order, each with the id of the turn it was queued as),
//! the facets started and stopped, the actors spawned, and how it ended.

use serde::{Deserialize, Serialize};

use super::ids::{ActorId, FacetId, Handle, Ref, TurnId};
use super::term::Term;

/// What an entity receives.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// `value` is asserted under `handle` until retracted.
    Assert {
        /// The assertion.
        value: Term,
        /// Names this assertion; the retraction carries only the handle.
        handle: Handle,
    },
    /// The assertion made under `handle` is withdrawn.
    Retract {
        /// The handle of the assert.
        handle: Handle,
    },
    /// A message: delivered, never stored.
    Message {
        /// The message.
        body: Term,
    },
    /// Reply to `peer` once every earlier event from the same sender has been handled.
    Sync {
        /// Whom to tell (the default handler sends it the message `true`).
        peer: Ref,
    },
}

/// An event addressed to an entity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The receiving entity.
    pub target: Ref,
    /// The event.
    pub event: Event,
}

/// How an actor ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitStatus {
    /// Its root facet stopped.
    Normal,
    /// A turn failed with this reason.
    Error(Term),
}

/// What a turn processes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TurnInput {
    /// A batch of events: everything one committed turn (or the host) sent to this actor.
    Deliver(Vec<Delivery>),
    /// The first turn of a spawned actor; its boot function is behaviour, its effects are
    /// the outputs.
    Boot {
        /// The spawning actor, if any.
        parent: Option<ActorId>,
    },
    /// A host activation of a facet (`System::activate`).
    External {
        /// The facet the host code ran in.
        facet: FacetId,
    },
    /// The facet that linked this actor stopped, so this actor stops (normally).
    StopActor {
        /// The linking facet in the parent.
        parent: FacetId,
    },
    /// A linked child exited, so the facet that spawned it stops.
    LinkExit {
        /// The child.
        child: ActorId,
        /// Its exit status.
        status: ExitStatus,
        /// The facet of this actor that spawned it.
        facet: FacetId,
    },
    /// The last turn of an actor whose turn failed: exit hooks, then every assertion the
    /// actor still had is retracted (newest handle first).
    Cleanup {
        /// The reason of the failure.
        reason: Term,
    },
}

/// Events a committed turn sent to one actor, queued as one turn of that actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The id of the queued turn that will deliver them.
    pub turn: TurnId,
    /// The receiving actor.
    pub to: ActorId,
    /// The events, in the order they were sent.
    pub events: Vec<Delivery>,
}

/// How a turn ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TurnOutcome {
    /// Its outputs were committed.
    Committed,
    /// A handler failed; nothing was sent and the actor crashed (a `Cleanup` turn follows).
    Failed(Term),
}

/// The journal record of one turn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnRecord {
    /// Its sequence number.
    pub id: TurnId,
    /// The actor it ran in.
    pub actor: ActorId,
    /// The turn whose commit queued or caused it; `None` for host input.
    pub cause: Option<TurnId>,
    /// What it processed.
    pub input: TurnInput,
    /// What it sent, one batch per target actor in order of first send.
    pub outputs: Vec<Batch>,
    /// Facets started, in order.
    pub facets_started: Vec<FacetId>,
    /// Facets stopped, in order (children before parents).
    pub facets_stopped: Vec<FacetId>,
    /// Actors spawned (they boot right after this turn commits).
    pub spawned: Vec<ActorId>,
    /// Whether it committed.
    pub outcome: TurnOutcome,
    /// Set when the actor ended in this turn.
    pub exit: Option<ExitStatus>,
}
