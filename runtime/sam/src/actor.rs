//! An actor's state: its facet tree, its entities, the assertions it has made elsewhere, its
//! links and its id counters. All of it is data and serialises as it is; the entities'
//! behaviours are kept beside it by the [`super::System`].

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::facet::FacetState;
use super::ids::{ActorId, FacetId, Handle, Ref};

/// An assertion this actor made and has not retracted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbound {
    /// Where it was sent.
    pub target: Ref,
    /// The facet that owns it (it is retracted when that facet stops).
    pub facet: u64,
}

/// One actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorState {
    /// Its id.
    pub id: ActorId,
    /// The number of its root facet.
    pub root: u64,
    /// Live facets by number.
    pub facets: BTreeMap<u64, FacetState>,
    /// Live entities: object id → the facet it belongs to.
    pub entities: BTreeMap<u64, u64>,
    /// Assertions made and not yet retracted, by handle number.
    pub outbound: BTreeMap<u64, Outbound>,
    /// Entities to call when the actor ends, in registration order.
    pub exit_hooks: Vec<u64>,
    /// The facet (in another actor) this actor is linked to: when this actor ends, that
    /// facet stops.
    pub linked_to: Option<FacetId>,
    /// Linked children and the facet of this actor that spawned each: when that facet
    /// stops, the child stops.
    pub linked_children: BTreeMap<ActorId, u64>,
    /// Counter for facet numbers.
    pub next_facet: u64,
    /// Counter for entity object ids.
    pub next_entity: u64,
    /// Counter for handle numbers.
    pub next_handle: u64,
}

impl ActorState {
    /// A new actor with a root facet and nothing else.
    pub(crate) fn new(id: ActorId) -> ActorState {
        let mut facets = BTreeMap::new();
        facets.insert(0, FacetState::new(None));
        ActorState {
            id,
            root: 0,
            facets,
            entities: BTreeMap::new(),
            outbound: BTreeMap::new(),
            exit_hooks: Vec::new(),
            linked_to: None,
            linked_children: BTreeMap::new(),
            next_facet: 1,
            next_entity: 0,
            next_handle: 0,
        }
    }

    /// The handle for a number of this actor.
    pub(crate) fn handle(&self, n: u64) -> Handle {
        Handle { actor: self.id, n }
    }

    /// The facet id for a number of this actor.
    pub(crate) fn facet_id(&self, n: u64) -> FacetId {
        FacetId { actor: self.id, n }
    }

    /// Facet numbers from the root down, children in id order (pre-order).
    pub fn facet_tree(&self) -> Vec<(u64, usize)> {
        let mut out = Vec::new();
        let mut stack = vec![(self.root, 0usize)];
        while let Some((n, depth)) = stack.pop() {
            let Some(f) = self.facets.get(&n) else {
                continue;
            };
            out.push((n, depth));
            for c in f.children.iter().rev() {
                stack.push((*c, depth + 1));
            }
        }
        out
    }

    /// The handles this actor still asserts.
    pub fn handles(&self) -> BTreeSet<Handle> {
        self.outbound.keys().map(|n| self.handle(*n)).collect()
    }
}
