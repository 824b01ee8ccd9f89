//! The workspace's history read back from its checkpoints: which turns of a branch recorded
//! the files, and the unified diff of one turn or of a whole run (`duet diff`). Reading
//! needs only the store's private repository, never the workspace itself.

use std::path::PathBuf;
use std::process::Command;

use duet_store::{RunId, Store};

use super::checkpoint::{self, REPOSITORY};
use super::error::EngineError;
use super::payload;
use crate::workflow::RunInput;

/// One checkpoint turn of a branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpointed {
    /// The turn that journaled it.
    pub turn: u64,
    /// When (milliseconds since the epoch).
    pub at: u64,
    /// Its commit in the store's checkpoint repository.
    pub commit: String,
    /// Who changed the files: a role, an effect (`shell`, `write-file`) or `person`.
    pub author: String,
    /// The files it changed, sorted.
    pub files: Vec<String>,
}

/// The checkpoints of run `id`'s `branch`, oldest first.
pub(crate) fn branch_checkpoints(
    store: &Store,
    id: RunId,
    branch: &str,
) -> Result<Vec<Checkpointed>, EngineError> {
    let turns = store
        .read_turns(id, branch, 1)
        .map_err(|partial| EngineError::store(id, *partial.error))?;
    let mut found = Vec::new();
    for turn in &turns {
        if let RunInput::Checkpoint {
            commit,
            author,
            files,
        } = payload::read(store, id, branch, turn)?
        {
            found.push(Checkpointed {
                turn: turn.turn,
                at: turn.at,
                commit,
                author,
                files,
            });
        }
    }
    Ok(found)
}

/// How a file changed between two checkpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// `added`, `modified`, `deleted` (or git's word for another change, such as `type`).
    pub status: String,
    /// Its path in the workspace.
    pub path: String,
}

/// The store's checkpoint repository, opened for reading.
pub(crate) struct Recorded {
    git_dir: PathBuf,
}

impl Recorded {
    /// The repository of `store`: an error when git cannot be run here.
    pub(crate) fn open(store: &Store) -> Result<Recorded, EngineError> {
        if !checkpoint::git_runs() {
            return Err(EngineError::Checkpoints {
                why: "git cannot be run here; install git (the checkpoints are a git \
                      repository in the store) and try again"
                    .into(),
            });
        }
        let git_dir = std::path::absolute(store.dir().join(REPOSITORY)).map_err(|e| {
            EngineError::Checkpoints {
                why: format!("cannot find {REPOSITORY}: {e}"),
            }
        })?;
        Ok(Recorded { git_dir })
    }

    /// A git command on the repository.
    pub(crate) fn git(&self) -> Command {
        checkpoint::git_command(&self.git_dir)
    }

    /// What `command` printed, trimmed; a failure as an engine error.
    pub(crate) fn output(&self, command: &mut Command) -> Result<String, EngineError> {
        checkpoint::output(command).map_err(|why| self.failed(why))
    }

    /// What `command` printed, untouched.
    fn raw_output(&self, command: &mut Command) -> Result<String, EngineError> {
        checkpoint::raw_output(command).map_err(|why| self.failed(why))
    }

    fn failed(&self, why: String) -> EngineError {
        EngineError::Checkpoints {
            why: format!("{} cannot be read: {why}", self.git_dir.display()),
        }
    }

    /// The empty tree: what is before a run's first checkpoint.
    fn empty_tree(&self) -> Result<String, EngineError> {
        self.output(self.git().args(["hash-object", "-t", "tree", "/dev/null"]))
    }

    /// The unified diff from `from` (nothing: the empty tree) to `to`.
    pub(crate) fn diff(&self, from: Option<&str>, to: &str) -> Result<String, EngineError> {
        let from = match from {
            Some(from) => from.to_string(),
            None => self.empty_tree()?,
        };
        self.raw_output(self.git().args([
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            &from,
            to,
        ]))
    }

    /// The files that differ from `from` (nothing: the empty tree) to `to`, sorted by path.
    pub(crate) fn changes(
        &self,
        from: Option<&str>,
        to: &str,
    ) -> Result<Vec<FileChange>, EngineError> {
        let from = match from {
            Some(from) => from.to_string(),
            None => self.empty_tree()?,
        };
        let listed = self.raw_output(self.git().args([
            "diff-tree",
            "-r",
            "-z",
            "--no-renames",
            "--name-status",
            &from,
            to,
        ]))?;
        let mut fields = listed.split('\0').filter(|f| !f.is_empty());
        let mut changes = Vec::new();
        while let (Some(status), Some(path)) = (fields.next(), fields.next()) {
            let status = match status {
                "A" => "added",
                "M" => "modified",
                "D" => "deleted",
                "T" => "type",
                other => other,
            };
            changes.push(FileChange {
                status: status.to_string(),
                path: path.to_string(),
            });
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(changes)
    }
}

/// The workspace changes of one turn of a run, or of the whole run.
#[derive(Debug, Clone)]
pub struct Diff {
    /// The branch read (the run's current one).
    pub branch: String,
    /// The checkpoint compared against: `None` for the empty workspace (a run's first
    /// checkpoint records the files as they were before it).
    pub from: Option<Checkpointed>,
    /// The checkpoint shown.
    pub to: Checkpointed,
    /// The files that differ.
    pub files: Vec<FileChange>,
    /// The unified diff.
    pub patch: String,
}

/// The workspace changes of run `id` on its current branch: with `turn`, that turn's
/// checkpoint against the branch's checkpoint before it; without, the branch's first
/// checkpoint (the files before the run changed them) against its last. `None` when the
/// branch has no checkpoint (nothing it did could change the files).
pub fn diff(store: &Store, id: RunId, turn: Option<u64>) -> Result<Option<Diff>, EngineError> {
    let branch = store
        .run(id)
        .map_err(|e| EngineError::store(id, e))?
        .current_branch;
    let checkpoints = branch_checkpoints(store, id, &branch)?;
    let (from, to) = match turn {
        Some(turn) => {
            let Some(at) = checkpoints.iter().position(|c| c.turn == turn) else {
                return Err(EngineError::NoCheckpoint {
                    run: id,
                    branch,
                    turn,
                    with: checkpoints.iter().map(|c| c.turn).collect(),
                });
            };
            let from = at.checked_sub(1).map(|before| checkpoints[before].clone());
            (from, checkpoints[at].clone())
        }
        None => match (checkpoints.first(), checkpoints.last()) {
            (Some(first), Some(last)) => (Some(first.clone()), last.clone()),
            _ => return Ok(None),
        },
    };
    let recorded = Recorded::open(store)?;
    let base = from.as_ref().map(|c| c.commit.as_str());
    Ok(Some(Diff {
        files: recorded.changes(base, &to.commit)?,
        patch: recorded.diff(base, &to.commit)?,
        branch,
        from,
        to,
    }))
}
