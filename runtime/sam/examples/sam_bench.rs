//! Dataspace throughput through the whole SAM kernel: a driver actor asserts, retracts or
//! sends to a dataspace actor, and observers in their own actors count what they receive.
//! Run in release: `bench/sam/run.sh` (or `cargo run --release -p duet-runtime --example
//! sam_bench`). Prints a table of nanoseconds per operation (median of several rounds).
//!
//! Turn records are off (`System::set_logging(false)`) except in the row that says so.

use std::hint::black_box;
use std::time::Instant;

use duet_sam::*;

/// Counts what it receives.
#[derive(Default)]
struct Counter {
    asserts: u64,
    retracts: u64,
    messages: u64,
}

impl Entity for Counter {
    fn assert(&mut self, _t: &mut Turn, _v: Term, _h: Handle) -> Result {
        self.asserts += 1;
        Ok(())
    }
    fn retract(&mut self, _t: &mut Turn, _h: Handle) -> Result {
        self.retracts += 1;
        Ok(())
    }
    fn message(&mut self, _t: &mut Turn, _b: Term) -> Result {
        self.messages += 1;
        Ok(())
    }
}

fn kept(sys: &mut System, make: impl FnOnce(&mut Turn) + Send + 'static) -> FacetId {
    let a = sys.spawn(move |t| {
        t.prevent_inert_check();
        make(t);
        Ok(())
    });
    FacetId { actor: a, n: 1 }
}

struct Bench {
    sys: System,
    ds: Ref,
    driver: FacetId,
    counters: Vec<Ref>,
}

#[derive(Clone, Copy, PartialEq)]
enum Observers {
    None,
    /// One observer whose pattern matches every operation.
    OneMatching,
    /// `n` observers of other labels.
    UnrelatedLabels(usize),
    /// `n` observers of the same label with other constants.
    UnrelatedConstants(usize),
}

fn setup(naive: bool, observers: Observers, logging: bool) -> Bench {
    let mut sys = System::new();
    sys.set_logging(logging);
    let dsf = kept(&mut sys, move |t| {
        if naive {
            t.create(NaiveDataspace::new());
        } else {
            t.create(Dataspace::<SkeletonIndex>::new());
        }
    });
    let ds = Ref {
        actor: dsf.actor,
        oid: 0,
    };
    let driver = kept(&mut sys, |_| {});
    let patterns: Vec<Pattern> = match observers {
        Observers::None => vec![],
        Observers::OneMatching => vec![Pattern::parse("<bench ?x>").unwrap()],
        Observers::UnrelatedLabels(n) => (0..n)
            .map(|i| Pattern::parse(&format!("<other-{i} ?x>")).unwrap())
            .collect(),
        Observers::UnrelatedConstants(n) => (0..n)
            .map(|i| Pattern::parse(&format!("<bench {} ?x>", 1_000_000 + i)).unwrap())
            .collect(),
    };
    let mut counters = Vec::new();
    for p in &patterns {
        let cf = kept(&mut sys, |t| {
            t.create(Counter::default());
        });
        let c = Ref {
            actor: cf.actor,
            oid: 0,
        };
        counters.push(c);
        let p = p.clone();
        sys.activate(cf, |t| {
            t.assert(&ds, observe(&p, c));
            Ok(())
        });
    }
    sys.run();
    Bench {
        sys,
        ds,
        driver,
        counters,
    }
}

fn values(n: usize) -> Vec<Term> {
    (0..n as i64)
        .map(|i| Term::record("bench", vec![Term::Int(i), Term::str("payload")]))
        .collect()
}

/// Asserts `values` (batch per turn, or one per turn), then retracts them; ns per pair.
fn assert_retract(b: &mut Bench, values: &[Term], per_turn: usize) -> f64 {
    let ds = b.ds;
    let start = Instant::now();
    let mut handles = Vec::with_capacity(values.len());
    for chunk in values.chunks(per_turn) {
        b.sys.activate(b.driver, |t| {
            for v in chunk {
                handles.push(t.assert(&ds, v.clone()));
            }
            Ok(())
        });
        b.sys.run();
    }
    for chunk in handles.chunks(per_turn) {
        b.sys.activate(b.driver, |t| {
            for h in chunk {
                t.retract(*h);
            }
            Ok(())
        });
        b.sys.run();
    }
    black_box(b.sys.take_log());
    start.elapsed().as_nanos() as f64 / values.len() as f64
}

/// Sends `values` as messages, `per_turn` per turn; ns per message.
fn messages(b: &mut Bench, values: &[Term], per_turn: usize) -> f64 {
    let ds = b.ds;
    let start = Instant::now();
    for chunk in values.chunks(per_turn) {
        b.sys.activate(b.driver, |t| {
            for v in chunk {
                t.message(&ds, v.clone());
            }
            Ok(())
        });
        b.sys.run();
    }
    black_box(b.sys.take_log());
    start.elapsed().as_nanos() as f64 / values.len() as f64
}

/// (best, median) of `rounds` runs after a warm-up. On a shared machine the best round is
/// the better estimate of the code's cost; the median shows the noise.
fn measure(rounds: usize, mut f: impl FnMut() -> f64) -> (f64, f64) {
    f(); // warm-up
    let mut xs: Vec<f64> = (0..rounds).map(|_| f()).collect();
    xs.sort_by(f64::total_cmp);
    (xs[0], xs[xs.len() / 2])
}

fn main() {
    let n = 10_000;
    let rounds = 7;
    let vals = values(n);
    let mut rows: Vec<(String, String, String, (f64, f64))> = Vec::new();
    let cases: &[(&str, Observers, usize, bool, bool)] = &[
        ("assert+retract", Observers::None, 1000, false, false),
        ("assert+retract", Observers::None, 1, false, false),
        ("assert+retract", Observers::None, 1000, false, true),
        ("assert+retract", Observers::OneMatching, 1000, false, false),
        (
            "assert+retract",
            Observers::UnrelatedLabels(1),
            1000,
            false,
            false,
        ),
        (
            "assert+retract",
            Observers::UnrelatedLabels(1000),
            1000,
            false,
            false,
        ),
        (
            "assert+retract",
            Observers::UnrelatedConstants(1),
            1000,
            false,
            false,
        ),
        (
            "assert+retract",
            Observers::UnrelatedConstants(1000),
            1000,
            false,
            false,
        ),
        (
            "assert+retract",
            Observers::UnrelatedLabels(1000),
            1000,
            true,
            false,
        ),
        (
            "assert+retract",
            Observers::UnrelatedConstants(1000),
            1000,
            true,
            false,
        ),
        ("message", Observers::None, 1000, false, false),
        ("message", Observers::OneMatching, 1000, false, false),
        ("message", Observers::OneMatching, 1, false, false),
        (
            "message",
            Observers::UnrelatedConstants(1000),
            1000,
            false,
            false,
        ),
    ];
    for &(what, obs, per_turn, naive, logging) in cases {
        let mut b = setup(naive, obs, logging);
        let ns = if what == "message" {
            measure(rounds, || messages(&mut b, &vals, per_turn))
        } else {
            measure(rounds, || assert_retract(&mut b, &vals, per_turn))
        };
        if obs == Observers::OneMatching {
            let c = b.sys.entity::<Counter>(&b.counters[0]).unwrap();
            let expected = (rounds as u64 + 1) * n as u64;
            if what == "message" {
                assert_eq!(c.messages, expected);
            } else {
                assert_eq!((c.asserts, c.retracts), (expected, expected));
            }
        }
        for c in &b.counters {
            if obs != Observers::OneMatching {
                let c = b.sys.entity::<Counter>(c).unwrap();
                assert_eq!(
                    c.asserts + c.messages,
                    0,
                    "unrelated observers hear nothing"
                );
            }
        }
        let observers = match obs {
            Observers::None => "0".to_string(),
            Observers::OneMatching => "1 (matching)".to_string(),
            Observers::UnrelatedLabels(1) => "1 (other label)".to_string(),
            Observers::UnrelatedConstants(1) => "1 (other constant)".to_string(),
            Observers::UnrelatedLabels(n) => format!("{n} (other labels)"),
            Observers::UnrelatedConstants(n) => format!("{n} (other constants)"),
        };
        let mut how = format!(
            "{} index, {per_turn}/turn",
            if naive { "naive" } else { "skeleton" }
        );
        if logging {
            how.push_str(", turn records on");
        }
        rows.push((what.to_string(), observers, how, ns));
    }
    println!(
        "SAM dataspace through the kernel: {n} operations per round, best and median of {rounds} rounds"
    );
    println!();
    println!(
        "| {:<15} | {:<23} | {:<42} | {:>10} | {:>12} | {:>10} |",
        "operation", "observers", "setup", "best ns/op", "best ops/s", "median ns"
    );
    println!(
        "|{}|{}|{}|{}|{}|{}|",
        "-".repeat(17),
        "-".repeat(25),
        "-".repeat(44),
        "-".repeat(12),
        "-".repeat(14),
        "-".repeat(12)
    );
    for (what, obs, how, (best, med)) in rows {
        println!(
            "| {what:<15} | {obs:<23} | {how:<42} | {best:>10.0} | {:>12.0} | {med:>10.0} |",
            1e9 / best
        );
    }
    println!();
    println!("assert+retract: ns per pair (one assert and its retraction, with any notifications");
    println!("and the observers' turns); message: ns per message delivered through the dataspace.");
}
