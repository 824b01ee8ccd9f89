//! Identifiers. Every id comes from a counter kept in the kernel's state (the run's actor
//! counter, or a per-actor counter), never from randomness or memory addresses, so the same
//! inputs in the same order produce the same ids (invariant 3 of the repository's
//! `docs/architecture.md`; syndicate-rs orders refs by memory address and takes ids from
//! process-wide counters, which no replay can reproduce). All ids are ordered, and every
//! iteration over actors, facets, entities, handles or observers is in id order.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An actor, numbered by the run's actor counter in spawn order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ActorId(pub u64);

/// A facet: its actor and a number from that actor's facet counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FacetId {
    /// The owning actor.
    pub actor: ActorId,
    /// Per-actor facet number.
    pub n: u64,
}

/// A reference to an entity (an *embedded* value, the capability to send it events): its
/// actor and a number from that actor's entity counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ref {
    /// The actor that owns the entity.
    pub actor: ActorId,
    /// Per-actor entity number (the object id).
    pub oid: u64,
}

/// Names one `assert` action: the asserting actor and a number from its handle counter.
/// Handles are never reused and never deduplicated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Handle {
    /// The actor that made the assertion.
    pub actor: ActorId,
    /// Per-actor handle number.
    pub n: u64,
}

/// A turn's sequence number, from the run's turn counter. Queued turns run in ascending
/// order of this number (FIFO).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct TurnId(pub u64);

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a{}", self.0)
    }
}

impl fmt::Display for FacetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a{}/f{}", self.actor.0, self.n)
    }
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#<ref {}/{}>", self.actor.0, self.oid)
    }
}

impl fmt::Display for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "h{}/{}", self.actor.0, self.n)
    }
}

impl fmt::Display for TurnId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "t{}", self.0)
    }
}
