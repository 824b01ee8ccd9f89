//! Property tests of the dataspace and the kernel's determinism.
//!
//! - **Differential**: random interleavings of assert, retract, observe (random patterns),
//!   unobserve and message, grouped into turns, are applied to a system whose dataspace uses
//!   the skeleton index and to one using the naive index. Every observer must receive the
//!   same events in the same order (same handles, same turns), the turn logs must be equal,
//!   and so must the dataspaces' saved states. Each observer's tuples are also checked
//!   against a brute-force match over the asserted values.
//! - **Determinism**: the same operations in the same order give byte-identical postcard
//!   snapshots and identical turn logs; a run snapshotted and restored half-way ends in the
//!   same bytes and logs as one that was not interrupted.

use std::collections::BTreeSet;

use duet_sam::dataspace::DataspaceState;
use duet_sam::*;
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Assert(Term),
    Retract(usize),
    Observe(usize, Pattern),
    Unobserve(usize),
    Message(Term),
}

fn label() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("a"), Just("b"), Just("c")]
}

fn key() -> impl Strategy<Value = Term> {
    prop_oneof![Just(Term::kw("k")), Just(Term::kw("j")), Just(Term::Int(0))]
}

fn atom() -> impl Strategy<Value = Term> {
    prop_oneof![
        4 => (0i64..3).prop_map(Term::Int),
        1 => Just(Term::Float(1.0)),
        1 => Just(Term::str("x")),
        1 => Just(Term::sym("x")),
        1 => Just(Term::kw("k")),
        1 => Just(Term::Nil),
    ]
}

fn term() -> impl Strategy<Value = Term> {
    atom().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            4 => (label(), vec(inner.clone(), 0..4)).prop_map(|(l, f)| Term::record(l, f)),
            1 => vec(inner.clone(), 0..3).prop_map(Term::vector),
            1 => vec(inner.clone(), 0..3).prop_map(Term::list),
            1 => vec((key(), inner), 0..3).prop_map(Term::map),
        ]
    })
}

fn pattern() -> impl Strategy<Value = Pattern> {
    let leaf = prop_oneof![
        2 => Just(Pattern::Discard),
        3 => Just(Pattern::bind()),
        2 => atom().prop_map(Pattern::Lit),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        let label = prop_oneof![5 => label(), 1 => Just("Observe")];
        prop_oneof![
            5 => (label, btree_map(0usize..3, inner.clone(), 0..3)).prop_map(|(l, fields)| {
                Pattern::Record {
                    label: l.into(),
                    fields,
                }
            }),
            1 => vec(inner.clone(), 0..3).prop_map(Pattern::Seq),
            1 => btree_map(key(), inner.clone(), 0..2).prop_map(Pattern::Map),
            1 => inner.prop_map(|p| Pattern::Bind(Box::new(p))),
            1 => term().prop_map(Pattern::Lit),
        ]
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        5 => term().prop_map(Op::Assert),
        3 => any::<usize>().prop_map(Op::Retract),
        3 => (0usize..3, pattern()).prop_map(|(o, p)| Op::Observe(o, p)),
        1 => any::<usize>().prop_map(Op::Unobserve),
        2 => term().prop_map(Op::Message),
    ]
}

fn turns() -> impl Strategy<Value = Vec<Vec<Op>>> {
    vec(vec(op(), 1..4), 1..30)
}

/// A dataspace actor, three recorder actors and a driver actor that performs the operations.
struct World {
    sys: System,
    ds: Ref,
    driver: FacetId,
    observers: Vec<Ref>,
    live: Vec<Handle>,
    observes: Vec<Handle>,
}

fn kept(sys: &mut System, make: impl FnOnce(&mut Turn) -> Option<Ref> + Send + 'static) -> FacetId {
    let a = sys.spawn(move |t| {
        t.prevent_inert_check();
        make(t);
        Ok(())
    });
    FacetId { actor: a, n: 1 }
}

fn world(naive: bool) -> World {
    let mut sys = System::new();
    let dsf = kept(&mut sys, move |t| {
        Some(if naive {
            t.create(NaiveDataspace::new())
        } else {
            t.create(Dataspace::<SkeletonIndex>::new())
        })
    });
    let ds = Ref {
        actor: dsf.actor,
        oid: 0,
    };
    let observers = (0..3)
        .map(|_| Ref {
            actor: kept(&mut sys, |t| Some(t.create(Recorder::new()))).actor,
            oid: 0,
        })
        .collect();
    let driver = kept(&mut sys, |_| None);
    World {
        sys,
        ds,
        driver,
        observers,
        live: Vec::new(),
        observes: Vec::new(),
    }
}

impl World {
    fn apply(&mut self, turn: &[Op]) {
        let World {
            sys,
            ds,
            driver,
            observers,
            live,
            observes,
        } = self;
        sys.activate(*driver, |t| {
            for op in turn {
                match op {
                    Op::Assert(v) => live.push(t.assert(ds, v.clone())),
                    Op::Retract(i) if !live.is_empty() => {
                        let h = live.swap_remove(i % live.len());
                        t.retract(h);
                    }
                    Op::Observe(o, p) => observes.push(t.assert(ds, observe(p, observers[*o]))),
                    Op::Unobserve(i) if !observes.is_empty() => {
                        let h = observes.swap_remove(i % observes.len());
                        t.retract(h);
                    }
                    Op::Message(v) => t.message(ds, v.clone()),
                    Op::Retract(_) | Op::Unobserve(_) => {}
                }
            }
            Ok(())
        });
        sys.run();
    }

    fn events(&self, o: usize) -> Vec<recorder::Received> {
        self.sys
            .entity::<Recorder>(&self.observers[o])
            .unwrap()
            .log
            .clone()
    }

    fn ds_state(&self) -> DataspaceState {
        if let Some(d) = self.sys.entity::<Dataspace<SkeletonIndex>>(&self.ds) {
            d.state().clone()
        } else {
            self.sys
                .entity::<NaiveDataspace>(&self.ds)
                .unwrap()
                .state()
                .clone()
        }
    }
}

/// Every observer holds exactly the tuples its pattern projects from the asserted values.
fn check_against_brute_force(state: &DataspaceState) -> std::result::Result<(), TestCaseError> {
    for o in state.observers.values() {
        let expected: BTreeSet<Term> = state
            .bag
            .keys()
            .filter_map(|v| o.pattern.matches(v).map(Term::vector))
            .collect();
        let held: BTreeSet<Term> = o.tuples.keys().cloned().collect();
        prop_assert_eq!(held, expected, "observer of {}", o.pattern);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn skeleton_and_naive_dataspaces_agree(turns in turns()) {
        let mut a = world(false);
        let mut b = world(true);
        for turn in &turns {
            a.apply(turn);
            b.apply(turn);
        }
        for o in 0..3 {
            prop_assert_eq!(a.events(o), b.events(o), "observer {}", o);
        }
        prop_assert_eq!(a.sys.take_log(), b.sys.take_log());
        let sa = a.ds_state();
        prop_assert_eq!(&sa, &b.ds_state());
        check_against_brute_force(&sa)?;
    }

    #[test]
    fn same_operations_same_bytes(turns in turns(), split in any::<prop::sample::Index>()) {
        let mut a = world(false);
        let mut b = world(false);
        for turn in &turns {
            a.apply(turn);
            b.apply(turn);
        }
        prop_assert_eq!(a.sys.snapshot_bytes(), b.sys.snapshot_bytes());
        let log_a = a.sys.take_log();
        prop_assert_eq!(&log_a, &b.sys.take_log());

        // Interrupted half-way: snapshot, restore in a fresh system, go on.
        let k = split.index(turns.len() + 1);
        let mut c = world(false);
        for turn in &turns[..k] {
            c.apply(turn);
        }
        let before = c.sys.take_log();
        let bytes = c.sys.snapshot_bytes();
        c.sys = System::restore_bytes(&bytes, |_, _| None).unwrap();
        prop_assert_eq!(c.sys.snapshot_bytes(), bytes);
        for turn in &turns[k..] {
            c.apply(turn);
        }
        let mut log_c = before;
        log_c.extend(c.sys.take_log());
        prop_assert_eq!(&log_c, &log_a);
        prop_assert_eq!(c.sys.snapshot_bytes(), a.sys.snapshot_bytes());
    }
}

#[test]
fn the_driver_facet_is_where_the_helper_expects() {
    let w = world(false);
    assert!(w.sys.facet_alive(w.driver));
    assert!(w.sys.entity::<Dataspace>(&w.ds).is_some());
    assert!(w.sys.entity::<Recorder>(&w.observers[2]).is_some());
}
