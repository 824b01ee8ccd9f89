//! `duet replay RUN`: re-executes a run from its initial state and its journal, and checks
//! that every turn reproduces what the live run recorded.
//!
//! Two things are checked at each turn N of the branch:
//! - the digest journaled with turn N is that of the state the replay reached before
//!   delivering it (the journal records the state an input was applied to, since the input
//!   is durable before the workflow sees it);
//! - where a snapshot was stored after turn N, the replayed state is byte for byte the same.
//!
//! No effect is performed: every effect's result comes from the journal, so a replay is
//! safe to run on any run, ended or not, and changes nothing in the store.

use std::io::Write;

use duet_lang::ir::Program;
use duet_runtime::workflow::host::Run;
use duet_sam::Term;
use duet_store::{RunId, Store};

use super::durable::{find_run, load_manifest};
use super::script::Outcome;

/// What a replay found.
struct Verified {
    /// Turns replayed.
    turns: u64,
    /// Stored snapshots compared byte for byte.
    snapshots: u64,
}

/// Replays `branch` (default: the run's current branch) of run `id` in `store`, reporting
/// on `err`. `Done` when every turn reproduces, `Failed` at the first that does not,
/// `Rejected` when there is no such run or branch.
pub fn replay(store: &Store, id: &str, branch: Option<&str>, err: &mut dyn Write) -> Outcome {
    let Some((run, record)) = find_run(store, id, err) else {
        return Outcome::Rejected;
    };
    let branch = branch.unwrap_or(&record.current_branch).to_string();
    if let Err(e) = store.branch(run, &branch) {
        let _ = writeln!(err, "error: {e}");
        return Outcome::Rejected;
    }
    match verify(store, run, &record.program_hash, &branch) {
        Ok(v) => {
            let _ = writeln!(
                err,
                "replay: {run} branch {branch}: every turn reproduces ({}, {} identical)",
                counted(v.turns, "turn"),
                counted(v.snapshots, "snapshot")
            );
            Outcome::Done
        }
        Err(problem) => {
            let _ = writeln!(err, "replay: {run} branch {branch}: {problem}");
            Outcome::Failed
        }
    }
}

/// Replays every turn of `branch`, stopping at the first that does not reproduce.
fn verify(store: &Store, run: RunId, manifest: &str, branch: &str) -> Result<Verified, String> {
    let manifest = load_manifest(store, manifest)?;
    let program = Program::decode(&manifest.program).map_err(|e| format!("its program is {e}"))?;
    let turns = store
        .read_turns(run, branch, 1)
        .map_err(|partial| partial.error.to_string())?;
    let mut state = Run::restore(&program, &manifest.initial)?;
    let mut snapshots = 0;
    let mut check_snapshot = |state: &mut Run, turn: u64| -> Result<(), String> {
        state.settle();
        match store.nearest_snapshot(run, branch, turn) {
            Ok(Some(stored)) if stored.turn == turn => {
                if stored.state != state.snapshot() {
                    return Err(format!(
                        "diverges after turn {turn}: the replayed state differs from the \
                         snapshot stored then; the program or the runtime is not deterministic \
                         (report it with `duet history {run}`)"
                    ));
                }
                snapshots += 1;
                Ok(())
            }
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    };
    check_snapshot(&mut state, 0)?;
    for turn in &turns {
        let digest = *blake3::hash(&state.snapshot()).as_bytes();
        if digest != turn.state_digest {
            return Err(format!(
                "diverges at turn {}: the state it was applied to differs from the one \
                 journaled; the program or the runtime is not deterministic (report it with \
                 `duet history {run}`)",
                turn.turn
            ));
        }
        let input: Term = postcard::from_bytes(&turn.payload)
            .map_err(|e| format!("turn {} does not decode: {e}", turn.turn))?;
        state.deliver(input);
        check_snapshot(&mut state, turn.turn)?;
    }
    Ok(Verified {
        turns: turns.len() as u64,
        snapshots,
    })
}

/// `1 turn`, `2 turns`.
fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
