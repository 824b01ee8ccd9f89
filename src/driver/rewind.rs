//! `duet back` and `duet fork`: time travel over a run's journal. Neither deletes a turn nor
//! performs anything; both leave the run waiting, so `duet resume` continues it from the turn
//! chosen, performing afresh every effect after it (an agent is asked again, a command runs
//! again) while the turns left behind stay readable on their own branch.

use std::io::Write;

use duet_store::{RunId, Status, Store};

use super::durable::{find_run, now_ms as now};
use super::script::Outcome;

/// Moves the head of run `id`'s current branch back `count` turns. The abandoned turns stay on
/// a new branch `BRANCH~N`, which the report names.
pub fn back(store: &Store, id: &str, count: u64, err: &mut dyn Write) -> Outcome {
    let Some((run, branch)) = current_branch(store, id, err) else {
        return Outcome::Rejected;
    };
    let outcome = match store.back(run, &branch, count, now()) {
        Ok(outcome) => outcome,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Outcome::Rejected;
        }
    };
    let Some(abandoned) = outcome.abandoned else {
        let _ = writeln!(
            err,
            "run: {run} branch {branch} did not move (0 turns back)"
        );
        return Outcome::Done;
    };
    let turn = outcome.branch.head;
    if !rewound(store, run, turn, err) {
        return Outcome::Failed;
    }
    let _ = writeln!(
        err,
        "run: {run} branch {branch} moved back to turn {turn}; the {count} turns after it are \
         kept on branch {abandoned}"
    );
    let _ = writeln!(err, "  `duet resume {run}` continues from turn {turn}");
    Outcome::Done
}

/// Forks a new branch of run `id` from its current branch at `turn`, named `name` (default
/// `fork-N`, the first free N), and makes it the run's current branch. The branch it came
/// from is untouched.
pub fn fork(
    store: &Store,
    id: &str,
    turn: u64,
    name: Option<&str>,
    err: &mut dyn Write,
) -> Outcome {
    let Some((run, from)) = current_branch(store, id, err) else {
        return Outcome::Rejected;
    };
    let name = match name {
        Some(name) => name.to_string(),
        None => match free_fork_name(store, run) {
            Ok(name) => name,
            Err(e) => {
                let _ = writeln!(err, "error: {e}");
                return Outcome::Failed;
            }
        },
    };
    if let Err(e) = store.fork(run, &from, turn, &name, now()) {
        let _ = writeln!(err, "error: {e}");
        return Outcome::Rejected;
    }
    if let Err(e) = store.set_current_branch(run, &name, now()) {
        let _ = writeln!(err, "error: cannot switch run {run} to branch {name}: {e}");
        return Outcome::Failed;
    }
    if !rewound(store, run, turn, err) {
        return Outcome::Failed;
    }
    let _ = writeln!(
        err,
        "run: {run} forked branch {name} from {from} at turn {turn}; it is now the run's \
         current branch"
    );
    let _ = writeln!(err, "  `duet resume {run}` continues it from turn {turn}");
    Outcome::Done
}

/// The run named `id` and its current branch, or `None` after saying why not.
fn current_branch(store: &Store, id: &str, err: &mut dyn Write) -> Option<(RunId, String)> {
    find_run(store, id, err).map(|(run, record)| (run, record.current_branch))
}

/// The first `fork-N` that names no branch of `run` yet.
fn free_fork_name(store: &Store, run: RunId) -> Result<String, String> {
    let taken: Vec<String> = store
        .branches(run)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|branch| branch.name)
        .collect();
    Ok((1..)
        .map(|n| format!("fork-{n}"))
        .find(|name| !taken.contains(name))
        .expect("some fork-N is free"))
}

/// Marks the run as waiting to be resumed from `turn`, whatever state it had ended in.
fn rewound(store: &Store, run: RunId, turn: u64, err: &mut dyn Write) -> bool {
    let reason = format!("resumption from turn {turn} (`duet resume {run}`)");
    match store.set_status(run, Status::Waiting { reason }, now()) {
        Ok(_) => true,
        Err(e) => {
            let _ = writeln!(err, "error: cannot mark run {run} as waiting: {e}");
            false
        }
    }
}
