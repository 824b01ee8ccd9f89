//! The interface between the dataspace and its index, and the naive reference index.
//!
//! The dataspace keeps the bag of asserted values and calls the index only on the bag's
//! 0→1 and 1→0 transitions. The index keeps, for every observer, the bag of capture tuples
//! its pattern projects from the current assertions, and reports the tuples whose count
//! goes 0→1 or 1→0 (projection dedup). The dataspace turns those reports
//! into assertions and retractions at the observers, ordered by observer id, so two indexes
//! that agree on the tuples produce identical event sequences.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::pattern::Pattern;
use super::term::Term;

/// An observer registration at a dataspace, numbered by the dataspace's counter in the order
/// the `Observe` assertions first appeared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ObsId(pub u64);

/// A dataspace index. Capture tuples are vectors of the captured values.
pub trait Index: Default + Send + 'static {
    /// `v` became present. Appends `(observer, tuple)` for every tuple that became present.
    fn insert(&mut self, v: &Term, gained: &mut Vec<(ObsId, Term)>);
    /// `v` became absent. Appends `(observer, tuple)` for every tuple that became absent.
    fn remove(&mut self, v: &Term, lost: &mut Vec<(ObsId, Term)>);
    /// `v` is sent as a message. Appends `(observer, tuple)` for every observer it matches.
    fn message(&self, v: &Term, out: &mut Vec<(ObsId, Term)>);
    /// Registers an observer. Appends the distinct tuples the current assertions give it, in
    /// ascending order.
    fn add_observer(&mut self, id: ObsId, pattern: &Pattern, initial: &mut Vec<Term>);
    /// Unregisters an observer added with the same pattern.
    fn remove_observer(&mut self, id: ObsId, pattern: &Pattern);
}

/// The reference index: every assertion is matched against every observer (linear scans).
/// It is the oracle the skeleton index is tested against.
#[derive(Default)]
pub struct NaiveIndex {
    assertions: BTreeSet<Term>,
    observers: BTreeMap<ObsId, (Pattern, BTreeMap<Term, usize>)>,
}

fn tuple(p: &Pattern, v: &Term) -> Option<Term> {
    p.matches(v).map(Term::vector)
}

impl Index for NaiveIndex {
    fn insert(&mut self, v: &Term, gained: &mut Vec<(ObsId, Term)>) {
        self.assertions.insert(v.clone());
        for (id, (p, bag)) in &mut self.observers {
            if let Some(t) = tuple(p, v) {
                let n = bag.entry(t.clone()).or_insert(0);
                *n += 1;
                if *n == 1 {
                    gained.push((*id, t));
                }
            }
        }
    }

    fn remove(&mut self, v: &Term, lost: &mut Vec<(ObsId, Term)>) {
        self.assertions.remove(v);
        for (id, (p, bag)) in &mut self.observers {
            if let Some(t) = tuple(p, v)
                && let Some(n) = bag.get_mut(&t)
            {
                *n -= 1;
                if *n == 0 {
                    bag.remove(&t);
                    lost.push((*id, t));
                }
            }
        }
    }

    fn message(&self, v: &Term, out: &mut Vec<(ObsId, Term)>) {
        for (id, (p, _)) in &self.observers {
            if let Some(t) = tuple(p, v) {
                out.push((*id, t));
            }
        }
    }

    fn add_observer(&mut self, id: ObsId, pattern: &Pattern, initial: &mut Vec<Term>) {
        let mut bag = BTreeMap::new();
        for v in &self.assertions {
            if let Some(t) = tuple(pattern, v) {
                *bag.entry(t).or_insert(0) += 1;
            }
        }
        initial.extend(bag.keys().cloned());
        self.observers.insert(id, (pattern.clone(), bag));
    }

    fn remove_observer(&mut self, id: ObsId, _pattern: &Pattern) {
        self.observers.remove(&id);
    }
}
