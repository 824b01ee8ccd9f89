//! The dataspace: an ordinary entity.
//!
//! - It keeps `handle → value` for every assertion made at it, and a *bag* of values:
//!   observers hear about a value only when its count goes 0→1 or 1→0.
//! - `<Observe PATTERN #observer>` (see [`observe`]) is an assertion like any other: it is
//!   first indexed as data (so observers of `Observe` see it), then, on its own 0→1, it
//!   subscribes `observer`: every capture tuple the current assertions give is asserted at
//!   the observer at once, and later changes follow. On its 1→0 everything asserted at the
//!   observer for it is retracted. An `Observe` whose pattern does not decode, or whose
//!   observer is not a ref, is just data.
//! - Each observer hears each distinct capture tuple once, however many assertions produce
//!   it; the tuple is asserted at the observer under a handle of the dataspace's actor (so
//!   if the dataspace's facet stops, its observers see everything retracted).
//! - Messages go to the observers present now, as `message(tuple)`, and are never stored.
//! - A second assert under a handle already in use is a protocol violation and is ignored
//!   (syndicate-rs overwrites the entry and leaks a count); retracting an unknown handle
//!   does nothing.
//!
//! Notifications caused by one event go out in ascending observer id order (ids come from
//! the dataspace's counter), and the initial tuples of a new observer in ascending order.
//!
//! The generic parameter picks the index: [`SkeletonIndex`] (the default) or
//! [`NaiveIndex`], the linear-scan oracle. Both produce the same events.
//!
//! A snapshot saves [`DataspaceState`] only; the index is rebuilt on restore without
//! emitting anything, and the rebuilt capture tuples are checked against the saved ones.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::entity::{Entity, EntitySnapshot};
use super::error::Result;
use super::ids::{Handle, Ref};
use super::index::{Index, NaiveIndex, ObsId};
use super::pattern::Pattern;
use super::skeleton::SkeletonIndex;
use super::term::Term;
use super::turn::Turn;

/// Snapshot kind of a dataspace with the skeleton index.
pub const SKELETON_KIND: &str = "duet/dataspace/skeleton";
/// Snapshot kind of a dataspace with the naive index.
pub const NAIVE_KIND: &str = "duet/dataspace/naive";

/// The label of subscription assertions.
pub const OBSERVE: &str = "Observe";

/// `<Observe PATTERN #observer>`: the assertion that subscribes `observer` to `pattern`.
pub fn observe(pattern: &Pattern, observer: Ref) -> Term {
    Term::record(OBSERVE, vec![pattern.to_term(), Term::Ref(observer)])
}

/// The pattern and observer of an `Observe` assertion.
pub fn parse_observe(v: &Term) -> Option<(Pattern, Ref)> {
    match v.record_fields(OBSERVE)? {
        [p, Term::Ref(r)] => Some((Pattern::from_term(p)?, *r)),
        _ => None,
    }
}

/// One subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observer {
    /// Its pattern.
    pub pattern: Pattern,
    /// Where its tuples go.
    pub target: Ref,
    /// The `Observe` assertion that made it.
    pub observe: Term,
    /// Each capture tuple currently asserted at the target, and its handle.
    pub tuples: BTreeMap<Term, Handle>,
}

/// The part of a dataspace that is saved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataspaceState {
    /// Every assertion made here, by handle.
    pub handles: BTreeMap<Handle, Term>,
    /// How many handles assert each value.
    pub bag: BTreeMap<Term, u64>,
    /// Counter for observer ids.
    pub next_observer: u64,
    /// Subscriptions by their `Observe` assertion.
    pub by_observe: BTreeMap<Term, ObsId>,
    /// Subscriptions by id.
    pub observers: BTreeMap<ObsId, Observer>,
}

/// A dataspace entity over index `I`.
#[derive(Default)]
pub struct Dataspace<I: Index = SkeletonIndex> {
    state: DataspaceState,
    index: I,
    scratch: Vec<(ObsId, Term)>,
}

/// A dataspace with the naive index.
pub type NaiveDataspace = Dataspace<NaiveIndex>;

impl<I: Index> Dataspace<I> {
    /// An empty dataspace.
    pub fn new() -> Self {
        Self::default()
    }

    /// Its saved state.
    pub fn state(&self) -> &DataspaceState {
        &self.state
    }

    /// The index.
    pub fn index(&self) -> &I {
        &self.index
    }

    /// Number of assertions (handles) made here.
    pub fn assertion_count(&self) -> usize {
        self.state.handles.len()
    }

    /// Number of distinct values asserted here.
    pub fn distinct_count(&self) -> usize {
        self.state.bag.len()
    }

    /// Number of subscriptions.
    pub fn observer_count(&self) -> usize {
        self.state.observers.len()
    }

    /// Whether `v` is asserted here.
    pub fn contains(&self, v: &Term) -> bool {
        self.state.bag.contains_key(v)
    }

    /// Rebuilds a dataspace from [`DataspaceState`] encoded with postcard, re-indexing it
    /// silently and checking the observers' tuples against the rebuilt index.
    pub fn restore(bytes: &[u8]) -> std::result::Result<Self, String> {
        let state: DataspaceState =
            postcard::from_bytes(bytes).map_err(|e| format!("damaged dataspace state: {e}"))?;
        let mut index = I::default();
        let mut ignore = Vec::new();
        for v in state.bag.keys() {
            index.insert(v, &mut ignore);
        }
        for (id, o) in &state.observers {
            let mut initial = Vec::new();
            index.add_observer(*id, &o.pattern, &mut initial);
            if !initial.iter().eq(o.tuples.keys()) {
                return Err(format!(
                    "dataspace state is inconsistent: observer {} of {} holds {} tuples, the \
                     assertions give {}",
                    id.0,
                    o.pattern,
                    o.tuples.len(),
                    initial.len()
                ));
            }
        }
        Ok(Dataspace {
            state,
            index,
            scratch: Vec::new(),
        })
    }

    fn emit_gained(&mut self, t: &mut Turn, mut gained: Vec<(ObsId, Term)>) {
        gained.sort_by_key(|a| a.0);
        for (id, tuple) in gained.drain(..) {
            if let Some(o) = self.state.observers.get_mut(&id) {
                let h = t.assert(&o.target, tuple.clone());
                o.tuples.insert(tuple, h);
            }
        }
        self.scratch = gained;
    }

    fn emit_lost(&mut self, t: &mut Turn, mut lost: Vec<(ObsId, Term)>) {
        lost.sort_by_key(|a| a.0);
        for (id, tuple) in lost.drain(..) {
            if let Some(o) = self.state.observers.get_mut(&id)
                && let Some(h) = o.tuples.remove(&tuple)
            {
                t.retract(h);
            }
        }
        self.scratch = lost;
    }

    fn subscribe(&mut self, t: &mut Turn, v: &Term, pattern: Pattern, target: Ref) {
        let id = ObsId(self.state.next_observer);
        self.state.next_observer += 1;
        let mut initial = Vec::new();
        self.index.add_observer(id, &pattern, &mut initial);
        let mut tuples = BTreeMap::new();
        for tuple in initial {
            let h = t.assert(&target, tuple.clone());
            tuples.insert(tuple, h);
        }
        self.state.by_observe.insert(v.clone(), id);
        self.state.observers.insert(
            id,
            Observer {
                pattern,
                target,
                observe: v.clone(),
                tuples,
            },
        );
    }

    fn unsubscribe(&mut self, t: &mut Turn, v: &Term) {
        let Some(id) = self.state.by_observe.remove(v) else {
            return;
        };
        let Some(o) = self.state.observers.remove(&id) else {
            return;
        };
        self.index.remove_observer(id, &o.pattern);
        for h in o.tuples.values() {
            t.retract(*h);
        }
    }

    fn kind() -> &'static str {
        if std::any::TypeId::of::<I>() == std::any::TypeId::of::<NaiveIndex>() {
            NAIVE_KIND
        } else {
            SKELETON_KIND
        }
    }
}

impl<I: Index> Entity for Dataspace<I> {
    fn assert(&mut self, t: &mut Turn, value: Term, handle: Handle) -> Result {
        if self.state.handles.contains_key(&handle) {
            return Ok(());
        }
        self.state.handles.insert(handle, value.clone());
        let n = self.state.bag.entry(value.clone()).or_insert(0);
        *n += 1;
        if *n == 1 {
            let mut gained = std::mem::take(&mut self.scratch);
            self.index.insert(&value, &mut gained);
            self.emit_gained(t, gained);
            if let Some((pattern, target)) = parse_observe(&value) {
                self.subscribe(t, &value, pattern, target);
            }
        }
        Ok(())
    }

    fn retract(&mut self, t: &mut Turn, handle: Handle) -> Result {
        let Some(value) = self.state.handles.remove(&handle) else {
            return Ok(());
        };
        let Some(n) = self.state.bag.get_mut(&value) else {
            return Ok(());
        };
        *n -= 1;
        if *n == 0 {
            self.state.bag.remove(&value);
            let mut lost = std::mem::take(&mut self.scratch);
            self.index.remove(&value, &mut lost);
            self.emit_lost(t, lost);
            self.unsubscribe(t, &value);
        }
        Ok(())
    }

    fn message(&mut self, t: &mut Turn, body: Term) -> Result {
        let mut out = std::mem::take(&mut self.scratch);
        self.index.message(&body, &mut out);
        out.sort_by_key(|a| a.0);
        for (id, tuple) in out.drain(..) {
            if let Some(o) = self.state.observers.get(&id) {
                t.message(&o.target, tuple);
            }
        }
        self.scratch = out;
        Ok(())
    }

    fn snapshot(&self) -> EntitySnapshot {
        EntitySnapshot {
            kind: Self::kind().to_string(),
            data: postcard::to_stdvec(&self.state).expect("dataspace state always encodes"),
        }
    }
}
