//! Time travel over a run's journal: `back` moves the current branch's head back, `fork`
//! starts a branch at any turn, `switch` makes another branch current. None deletes a turn
//! or performs anything; each leaves the run waiting, so following it again continues from
//! the new head, performing afresh every effect after it, while the turns left behind stay
//! readable on their own branch. The workspace's files follow (see `move_files`).

use duet_store::{RunId, Status, Store};

use super::checkpoint::Checkpoints;
use super::clock::Clock;
use super::error::EngineError;
use super::files::branch_checkpoints;
use super::history::History;
use super::{cursor, restore};
use crate::workflow::RunInput;

/// What a rewind did to the workspace's files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilesMoved {
    /// The checkpoint keeping what a person changed since the run's last one, if anything.
    pub person: Option<PersonCheckpoint>,
    /// The files put back (created, changed or deleted), sorted.
    pub restored: Vec<String>,
}

/// What a person changed in the workspace since the run's last checkpoint, kept before the
/// files were put back: a checkpoint journaled at the end of the branch left, so switching
/// back to that branch brings the changes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonCheckpoint {
    /// The checkpoint's commit.
    pub commit: String,
    /// The branch whose last turn it is.
    pub branch: String,
    /// That turn.
    pub turn: u64,
    /// The files the person changed, sorted.
    pub files: Vec<String>,
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
    if let Some(abandoned) = &outcome.abandoned {
        files = move_files(store, id, &before, abandoned, clock)?;
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
    let files = move_files(store, id, &before, &from, clock)?;
    rewound(store, id, turn, clock)?;
    Ok(Forked {
        files,
        from,
        name,
        turn,
    })
}

/// Where `switch` moved a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switched {
    /// What happened to the workspace's files; `None` when nothing moved or the run never
    /// changed them.
    pub files: Option<FilesMoved>,
    /// The branch that was current.
    pub from: String,
    /// The branch now current.
    pub to: String,
    /// Its head: where following the run continues.
    pub turn: u64,
}

/// Makes `branch` run `id`'s current branch, with its files and state: following the run
/// continues from that branch's head. Switching to the current branch changes nothing.
pub fn switch(
    store: &Store,
    id: RunId,
    branch: &str,
    clock: &dyn Clock,
) -> Result<Switched, EngineError> {
    let record = store.run(id).map_err(|e| EngineError::store(id, e))?;
    let from = record.current_branch;
    let turn = store
        .branch(id, branch)
        .map_err(|e| EngineError::store(id, e))?
        .head;
    let mut switched = Switched {
        files: None,
        from,
        to: branch.to_string(),
        turn,
    };
    if switched.from == branch {
        return Ok(switched);
    }
    let before = History::read(store, id, Some(&switched.from))?;
    store
        .set_current_branch(id, branch, now(clock))
        .map_err(|e| EngineError::store(id, e))?;
    switched.files = move_files(store, id, &before, &switched.from, clock)?;
    rewound(store, id, turn, clock)?;
    Ok(switched)
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

/// The workspace's files follow the run to its current branch's head, from the history
/// read `before` the move (whose turns branch `left` holds now). First, what a person changed
/// since the last checkpoint of `before` is recorded as a `person` checkpoint journaled at the
/// end of `left`, so nothing is lost and switching back brings it back; then the files are
/// put back as the current branch's last checkpoint has them (as before the run changed them
/// when it has none yet).
fn move_files(
    store: &Store,
    id: RunId,
    before: &History,
    left: &str,
    clock: &dyn Clock,
) -> Result<Option<FilesMoved>, EngineError> {
    let checkpoints: Vec<&str> = before
        .turns
        .iter()
        .filter_map(|(_, input)| match input {
            RunInput::Checkpoint { commit, .. } => Some(commit.as_str()),
            _ => None,
        })
        .collect();
    let current = store
        .run(id)
        .map_err(|e| EngineError::store(id, e))?
        .current_branch;
    let after = branch_checkpoints(store, id, &current)?;
    let (Some(baseline), Some(last)) = (
        after
            .first()
            .map(|c| c.commit.as_str())
            .or(checkpoints.first().copied()),
        checkpoints
            .last()
            .copied()
            .or(after.first().map(|c| c.commit.as_str())),
    ) else {
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
    let taken = repository
        .take("person", "changes made outside duet", Some(last))
        .map_err(failed)?;
    let mut person = None;
    if let Some(commit) = taken {
        repository
            .keep(&format!("person/{id}/{commit}"), &commit)
            .map_err(failed)?;
        let files = repository.changed(Some(last), &commit).map_err(failed)?;
        let turn = journal_person(store, id, left, &commit, &files, clock)?;
        person = Some(PersonCheckpoint {
            commit,
            branch: left.to_string(),
            turn,
            files,
        });
    }
    let now = person.as_ref().map_or(last, |p| p.commit.as_str());
    let target = after.last().map_or(baseline, |c| c.commit.as_str());
    let restored = repository.changed(Some(now), target).map_err(failed)?;
    repository.restore(now, target).map_err(failed)?;
    Ok(Some(FilesMoved { person, restored }))
}

/// Journals the `person` checkpoint `commit` (of `files`) as the next turn of `branch`,
/// applied to the state at its end; returns the turn.
fn journal_person(
    store: &Store,
    id: RunId,
    branch: &str,
    commit: &str,
    files: &[String],
    clock: &dyn Clock,
) -> Result<u64, EngineError> {
    let restored = restore::restore_branch(store, id, branch)?;
    let input = RunInput::Checkpoint {
        commit: commit.to_string(),
        author: "person".into(),
        files: files.to_vec(),
    };
    let state = restored.run.snapshot();
    cursor::append(store, id, branch, now(clock), &input, &state).map(|(turn, _)| turn)
}
