//! Time travel over a run's journal: `back` moves the current branch's head back, `fork`
//! starts a branch at any turn. Neither deletes a turn nor performs anything; both leave the
//! run waiting, so following it again continues from the turn chosen, performing afresh
//! every effect after it, while the turns left behind stay readable on their own branch.

use duet_store::{RunId, Status, Store};

use super::checkpoint::Checkpoints;
use super::clock::Clock;
use super::error::EngineError;
use super::history::History;
use crate::workflow::RunInput;

/// What a rewind did to the workspace's files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilesMoved {
    /// The checkpoint keeping what a person changed since the run's last one, if anything.
    pub person: Option<String>,
    /// The files put back (created, changed or deleted), sorted.
    pub restored: Vec<String>,
}

/// Where `back` moved a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    /// What happened to the workspace's files; `None` when the run never changed them.
    pub files: Option<FilesMoved>,
    /// The branch moved.
    pub branch: String,
    /// The turn it ends at now.
    pub turn: u64,
    /// The branch now holding the abandoned turns; `None` when nothing moved.
    pub abandoned: Option<String>,
}

/// The branch `fork` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forked {
    /// What happened to the workspace's files; `None` when the run never changed them.
    pub files: Option<FilesMoved>,
    /// The branch it came from.
    pub from: String,
    /// The new branch, now the run's current one.
    pub name: String,
    /// The turn it starts after.
    pub turn: u64,
}

fn now(clock: &dyn Clock) -> u64 {
    clock.now_ms().max(0) as u64
}

/// Moves the head of run `id`'s current branch back `count` turns; the abandoned turns stay
/// on a new branch `BRANCH~N`.
pub fn back(store: &Store, id: RunId, count: u64, clock: &dyn Clock) -> Result<Moved, EngineError> {
    let record = store.run(id).map_err(|e| EngineError::store(id, e))?;
    let branch = record.current_branch;
    let before = History::read(store, id, Some(&branch))?;
    let outcome = store
        .back(id, &branch, count, now(clock))
        .map_err(|e| EngineError::store(id, e))?;
    let turn = outcome.branch.head;
    let mut files = None;
    if outcome.abandoned.is_some() {
        files = move_files(store, id, &before, turn)?;
        rewound(store, id, turn, clock)?;
    }
    Ok(Moved {
        files,
        branch,
        turn,
        abandoned: outcome.abandoned,
    })
}

/// Forks a new branch of run `id` from its current branch at `turn`, named `name` (default
/// `fork-N`, the first free N), and makes it the run's current branch. The branch it came
/// from is untouched.
pub fn fork(
    store: &Store,
    id: RunId,
    turn: u64,
    name: Option<&str>,
    clock: &dyn Clock,
) -> Result<Forked, EngineError> {
    let record = store.run(id).map_err(|e| EngineError::store(id, e))?;
    let from = record.current_branch;
    let before = History::read(store, id, Some(&from))?;
    let name = match name {
        Some(name) => name.to_string(),
        None => free_fork_name(store, id)?,
    };
    store
        .fork(id, &from, turn, &name, now(clock))
        .map_err(|e| EngineError::store(id, e))?;
    store
        .set_current_branch(id, &name, now(clock))
        .map_err(|e| EngineError::store(id, e))?;
    let files = move_files(store, id, &before, turn)?;
    rewound(store, id, turn, clock)?;
    Ok(Forked {
        files,
        from,
        name,
        turn,
    })
}

/// The first `fork-N` that names no branch of `run` yet.
fn free_fork_name(store: &Store, run: RunId) -> Result<String, EngineError> {
    let taken: Vec<String> = store
        .branches(run)
        .map_err(|e| EngineError::store(run, e))?
        .into_iter()
        .map(|branch| branch.name)
        .collect();
    Ok((1..)
        .map(|n| format!("fork-{n}"))
        .find(|name| !taken.contains(name))
        .expect("some fork-N is free"))
}

/// Marks the run as waiting to be continued from `turn`, whatever state it had ended in.
fn rewound(store: &Store, run: RunId, turn: u64, clock: &dyn Clock) -> Result<(), EngineError> {
    let reason = format!("resumption from turn {turn} (`duet resume {run}`)");
    store
        .set_status(run, Status::Waiting { reason }, now(clock))
        .map(|_| ())
        .map_err(|e| EngineError::store(run, e))
}

/// The workspace's files follow the run back to turn `turn` of the history read `before` the
/// move: first, what a person changed since the run's last checkpoint is kept as a checkpoint
/// of its own, so nothing is lost; then the files are put back as the last checkpoint at or
/// before `turn` has them (the files before the run changed them, when `turn` comes first).
fn move_files(
    store: &Store,
    id: RunId,
    before: &History,
    turn: u64,
) -> Result<Option<FilesMoved>, EngineError> {
    let checkpoints: Vec<(u64, &str)> = before
        .turns
        .iter()
        .filter_map(|(t, input)| match input {
            RunInput::Checkpoint { commit, .. } => Some((t.turn, commit.as_str())),
            _ => None,
        })
        .collect();
    let (Some(&(_, baseline)), Some(&(_, last))) = (checkpoints.first(), checkpoints.last()) else {
        return Ok(None);
    };
    let failed = |why: String| EngineError::Workspace {
        run: id,
        path: before.manifest.workspace.clone(),
        why: format!("its files cannot be put back: {why}"),
    };
    let Some(repository) = Checkpoints::open(
        store.dir(),
        std::path::Path::new(&before.manifest.workspace),
    )
    .map_err(failed)?
    else {
        return Err(failed("git cannot be run here".into()));
    };
    let person = repository
        .take("person", "changes made outside duet", Some(last))
        .map_err(failed)?;
    if let Some(person) = &person {
        repository
            .keep(&format!("person/{id}/{person}"), person)
            .map_err(failed)?;
    }
    let current = person.as_deref().unwrap_or(last);
    let target = checkpoints
        .iter()
        .rev()
        .find(|(at, _)| *at <= turn)
        .map_or(baseline, |(_, commit)| commit);
    let restored = repository.changed(Some(current), target).map_err(failed)?;
    repository.restore(current, target).map_err(failed)?;
    Ok(Some(FilesMoved { person, restored }))
}
