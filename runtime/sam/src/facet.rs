//! Facets: the tree that scopes assertions, entities and stop actions inside an actor.
//!
//! Stopping a facet F (`Turn::stop_facet`) follows syndicate-rs's `_terminate_facet`:
//!
//! 1. If F is gone or already stopping, nothing happens (idempotent). F is marked stopping.
//! 2. F's children stop first, in id order, recursively.
//! 3. F is unlinked from its parent's children.
//! 4. F's stop actions run in registration order, in the **parent's** context (the root's
//!    own context for the root), so what they assert belongs to the parent and outlives F.
//! 5. Every assertion F made is retracted, in handle order; children's retractions were
//!    queued before F's.
//! 6. F, its entities (later deliveries to them are dropped) and its links are removed;
//!    actors spawned linked from F are stopped after the turn commits.
//! 7. If F was where the stop started and its parent is now inert, the parent stops too.
//!
//! A facet is **inert** when its parent is gone, or it has no children, no assertions (the
//! root facet ignores this condition), no linked children and no inert-check preventers. A
//! facet that is inert when its boot returns is stopped before the turn commits. When the
//! root facet is gone the actor ends normally within the same turn.
//!
//! New facets are refused under a facet that is stopping or gone: their assertions would
//! otherwise flicker into view (asserted, then retracted in the same batch).
//!
//! A stop action whose entity is still running a handler further up the stack (an entity
//! stopping its own facet) runs as soon as that handler returns, in the same turn.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::error::Result;
use super::term::Term;
use super::turn::Turn;

/// A stop action: call `Entity::stop(payload)` on this entity of the actor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StopAction {
    /// The entity's object id.
    pub entity: u64,
    /// What to pass it.
    pub payload: Term,
}

/// One facet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacetState {
    /// The parent facet; `None` for the root.
    pub parent: Option<u64>,
    /// Child facets.
    pub children: BTreeSet<u64>,
    /// Handles of the assertions made while this facet was active.
    pub outbound: BTreeSet<u64>,
    /// Entities created in this facet.
    pub entities: BTreeSet<u64>,
    /// Stop actions, in registration order.
    pub stop_actions: Vec<StopAction>,
    /// Number of outstanding `prevent_inert_check` calls.
    pub inert_preventers: u64,
    /// Set while the facet is being stopped.
    pub stopping: bool,
}

impl FacetState {
    pub(crate) fn new(parent: Option<u64>) -> FacetState {
        FacetState {
            parent,
            children: BTreeSet::new(),
            outbound: BTreeSet::new(),
            entities: BTreeSet::new(),
            stop_actions: Vec::new(),
            inert_preventers: 0,
            stopping: false,
        }
    }
}

impl Turn<'_> {
    /// Whether facet `n` is inert (see the module documentation).
    pub(crate) fn is_inert(&self, n: u64) -> bool {
        let Some(f) = self.actor.facets.get(&n) else {
            return false;
        };
        let parent_gone = f
            .parent
            .is_some_and(|p| self.actor.facets.get(&p).is_none_or(|p| p.stopping));
        if parent_gone {
            return true;
        }
        let linked = self
            .actor
            .linked_children
            .iter()
            .any(|(c, f)| *f == n && !self.link_stops.iter().any(|(d, _)| d == c))
            || self
                .spawns
                .iter()
                .any(|s| s.link == Some(n) && !s.stop_after_boot);
        f.children.is_empty()
            && (f.outbound.is_empty() || n == self.actor.root)
            && !linked
            && f.inert_preventers == 0
    }

    /// Stops facet `n` (steps 1–7 of the module documentation).
    pub(crate) fn terminate(&mut self, n: u64, is_start: bool) -> Result {
        match self.actor.facets.get_mut(&n) {
            Some(f) if !f.stopping => f.stopping = true,
            _ => return Ok(()),
        }
        let children: Vec<u64> = self.actor.facets[&n].children.iter().copied().collect();
        for c in children {
            self.terminate(c, false)?;
        }
        let parent = self.actor.facets[&n].parent;
        if let Some(p) = parent
            && let Some(pf) = self.actor.facets.get_mut(&p)
        {
            pf.children.remove(&n);
        }
        let context = parent.unwrap_or(n);
        let actions = std::mem::take(&mut self.actor.facets.get_mut(&n).unwrap().stop_actions);
        for a in actions {
            self.run_stop_action(a.entity, a.payload, context)?;
        }
        let handles = std::mem::take(&mut self.actor.facets.get_mut(&n).unwrap().outbound);
        for h in handles {
            self.retract_number(h);
        }
        let linked: Vec<_> = self
            .actor
            .linked_children
            .iter()
            .filter(|(_, f)| **f == n)
            .map(|(c, _)| *c)
            .collect();
        for c in linked {
            self.link_stops.push((c, n));
        }
        for s in &mut self.spawns {
            if s.link == Some(n) {
                s.stop_after_boot = true;
            }
        }
        let f = self.actor.facets.remove(&n).unwrap();
        for e in f.entities {
            self.actor.entities.remove(&e);
            self.dead_entities.push(e);
        }
        let id = self.actor.facet_id(n);
        self.record.facets_stopped.push(id);
        if is_start
            && let Some(p) = parent
            && self.actor.facets.get(&p).is_some_and(|p| !p.stopping)
            && self.is_inert(p)
        {
            self.terminate(p, true)?;
        }
        Ok(())
    }

    fn run_stop_action(&mut self, entity: u64, payload: Term, context: u64) -> Result {
        if !self.actor.entities.contains_key(&entity) {
            return Ok(());
        }
        if self.behaviours.contains_key(&entity) {
            self.with_entity(entity, context, |e, t| e.stop(t, payload))
        } else {
            // The entity is running a handler further up the stack.
            self.deferred_stops.push((entity, payload, context));
            Ok(())
        }
    }
}
