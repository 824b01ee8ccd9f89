//! Facets started by `(spawn body…)`: each runs its body on a fiber of its own and owns
//! what it asserts and the `on-…` handlers it installs. `(stop f)` ends a facet and the
//! facets spawned inside it, retracting everything they asserted; leaving the state
//! (`goto`, `terminal`) stops them all, as it stops the state's handlers. A facet whose body
//! has returned lives on, keeping its assertions and handlers, until it is stopped.
//!
//! This module keeps the bookkeeping as plain data; the interpreter entity does the
//! retracting, since that happens inside a turn.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A live facet.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Facet {
    /// The fiber running its body, until the body returns.
    pub fiber: Option<usize>,
    /// The facet it was spawned in, if any.
    pub parent: Option<u64>,
    /// Its assertions, as ids of the workflow's handles.
    pub handles: Vec<u64>,
    /// Its `on-…` handlers, by id.
    pub handlers: Vec<u64>,
}

/// The live facets of a workflow, by id.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Facets {
    live: BTreeMap<u64, Facet>,
}

impl Facets {
    /// Records facet `id`, running its body on `fiber`, spawned inside facet `parent`.
    pub fn start(&mut self, id: u64, fiber: usize, parent: Option<u64>) {
        self.live.insert(
            id,
            Facet {
                fiber: Some(fiber),
                parent,
                ..Facet::default()
            },
        );
    }

    /// The facet whose body runs on `fiber`.
    pub fn running_on(&self, fiber: usize) -> Option<u64> {
        self.live
            .iter()
            .find(|(_, f)| f.fiber == Some(fiber))
            .map(|(&id, _)| id)
    }

    /// Notes that the body on `fiber` returned; whether it was a facet's body.
    pub fn body_returned(&mut self, fiber: usize) -> bool {
        match self.live.values_mut().find(|f| f.fiber == Some(fiber)) {
            Some(facet) => {
                facet.fiber = None;
                true
            }
            None => false,
        }
    }

    /// Records that facet `id` asserted handle `handle`.
    pub fn asserted(&mut self, id: u64, handle: u64) {
        if let Some(facet) = self.live.get_mut(&id) {
            facet.handles.push(handle);
        }
    }

    /// Records that facet `id` installed handler `handler`.
    pub fn installed(&mut self, id: u64, handler: u64) {
        if let Some(facet) = self.live.get_mut(&id) {
            facet.handlers.push(handler);
        }
    }

    /// Removes facet `id` and every facet spawned inside it, children first; empty when
    /// `id` is not live (already stopped).
    pub fn remove_tree(&mut self, id: u64) -> Vec<Facet> {
        let children: Vec<u64> = self
            .live
            .iter()
            .filter(|(_, f)| f.parent == Some(id))
            .map(|(&child, _)| child)
            .collect();
        let mut removed: Vec<Facet> = children
            .into_iter()
            .flat_map(|child| self.remove_tree(child))
            .collect();
        removed.extend(self.live.remove(&id));
        removed
    }

    /// Removes every facet.
    pub fn remove_all(&mut self) -> Vec<Facet> {
        std::mem::take(&mut self.live).into_values().collect()
    }

    /// Whether facet `inner` is `outer` or was spawned (at any depth) inside it.
    pub fn within(&self, inner: u64, outer: u64) -> bool {
        let mut at = Some(inner);
        while let Some(id) = at {
            if id == outer {
                return true;
            }
            at = self.live.get(&id).and_then(|f| f.parent);
        }
        false
    }

    /// Whether `fiber` runs some facet's body.
    pub fn owns_fiber(&self, fiber: usize) -> bool {
        self.running_on(fiber).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopping_a_facet_stops_the_facets_spawned_inside_it_only() {
        let mut facets = Facets::default();
        facets.start(1, 5, None);
        facets.start(2, 6, Some(1));
        facets.start(3, 7, Some(2));
        facets.start(4, 8, None);
        facets.asserted(3, 30);
        assert!(facets.within(3, 1));
        assert!(!facets.within(1, 3));
        let removed = facets.remove_tree(1);
        assert_eq!(removed.len(), 3);
        assert_eq!(removed[0].handles, [30], "the innermost facet comes first");
        assert_eq!(facets.running_on(8), Some(4));
        assert!(facets.within(4, 4));
        assert!(!facets.within(4, 1));
        assert!(
            facets.remove_tree(1).is_empty(),
            "stopping twice does nothing"
        );
    }

    #[test]
    fn a_returned_body_leaves_its_facet_live() {
        let mut facets = Facets::default();
        facets.start(1, 5, None);
        assert!(facets.body_returned(5));
        assert!(!facets.owns_fiber(5));
        assert!(!facets.body_returned(5));
        assert_eq!(facets.remove_all().len(), 1);
    }
}
