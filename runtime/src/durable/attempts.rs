//! Attempts' private copies of the workspace (`isolated`, LANGUAGE.md §8; the workflow's
//! side is `crate::workflow::entity::attempts`). Each live attempt of the run being followed
//! has a copy, `STORE/worktrees/RUN/ID`, made from a checkpoint of the store's checkpoint
//! repository: its base when the attempt starts, its newest checkpoint when a restored run
//! needs it again. The effects the attempt asks for run there; after each turn that may
//! have changed the copy, its files are recorded as a checkpoint
//! ([`RunInput::AttemptCheckpoint`]), so the journal holds everything needed to make the
//! copy again.
//!
//! A copy is its own git repository whose HEAD is the attempt's base (its objects borrowed
//! from the checkpoint repository), so an agent working in it sees the attempt's changes
//! with `git status` and `git diff`, and no git command in it reaches a repository around
//! the store. The copy's `.git` is never part of a checkpoint.
//!
//! Copies are removed once no attempt needs them, when the follower stops, and — for those a
//! killed process left — before a run is followed again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use duet_store::RunId;

use super::checkpoint::{CheckpointError, Checkpoints, output, run};
use crate::effects::{Effect, EffectValue, Failure, Workspace};
use crate::workflow::RunInput;
use crate::workflow::entity::LiveAttempt;

/// The directory of the attempts' copies inside the store.
pub const WORKTREES: &str = "worktrees";

/// The copies of one run's attempts.
pub(crate) struct Worktrees {
    /// The store's directory, when checkpoints are on (copies need them).
    store: Option<PathBuf>,
    /// The run.
    run: RunId,
    /// `STORE/worktrees/RUN`.
    dir: Option<PathBuf>,
    /// Who may have changed each attempt's copy since its last checkpoint.
    pending: BTreeMap<u64, String>,
}

impl Worktrees {
    /// The copies of run `run`'s attempts, kept beside the checkpoint repository of
    /// `checkpoints` (none: attempts cannot run). Copies a killed process left are removed.
    pub(crate) fn new(checkpoints: Option<&Checkpoints>, run: RunId) -> Worktrees {
        let store = checkpoints.and_then(|c| c.git_dir().parent().map(Path::to_path_buf));
        let dir = store
            .as_ref()
            .map(|store| store.join(WORKTREES).join(run.to_string()));
        let worktrees = Worktrees {
            run,
            store,
            dir,
            pending: BTreeMap::new(),
        };
        worktrees.remove_all();
        worktrees
    }

    /// Where attempt `attempt`'s copy is.
    fn path(&self, attempt: u64) -> Option<PathBuf> {
        self.dir.as_ref().map(|dir| dir.join(attempt.to_string()))
    }

    /// The checkpoint repository seen from attempt `attempt`'s copy (which must exist), and
    /// the copy's path.
    pub(crate) fn repository(&self, attempt: u64) -> Result<(Checkpoints, PathBuf), Failure> {
        let (Some(store), Some(path)) = (&self.store, self.path(attempt)) else {
            return Err(no_git());
        };
        let checkpoints = Checkpoints::open(store, &path)
            .map_err(|why| failed(attempt, &why))?
            .ok_or_else(no_git)?;
        Ok((checkpoints, path))
    }

    /// The workspace effects of live attempt `attempt` act on: its copy, made again from
    /// its newest checkpoint when it is not there (a restored run).
    pub(crate) fn workspace(
        &self,
        run_workspace: &Workspace,
        attempt: u64,
        live: Option<&LiveAttempt>,
    ) -> Result<Workspace, Failure> {
        let path = self.path(attempt).ok_or_else(no_git)?;
        if !path.is_dir() {
            let Some(LiveAttempt {
                base: Some(base),
                head: Some(head),
            }) = live
            else {
                return Err(failed(attempt, "the attempt has no copy"));
            };
            self.make(attempt, head, base)?;
        }
        run_workspace
            .copy_at(&path)
            .map_err(|e| failed(attempt, &e.to_string()))
    }

    /// Makes attempt `attempt`'s copy with the files of checkpoint `files`, as a repository
    /// whose HEAD is checkpoint `base`.
    pub(crate) fn make(&self, attempt: u64, files: &str, base: &str) -> Result<(), Failure> {
        let path = self.path(attempt).ok_or_else(no_git)?;
        discard(&path);
        if path.exists() {
            return Err(failed(
                attempt,
                &format!("the old copy at {} cannot be removed", path.display()),
            ));
        }
        std::fs::create_dir_all(&path).map_err(|e| failed(attempt, &e.to_string()))?;
        let (checkpoints, _) = self.repository(attempt)?;
        let made = (|| -> Result<(), CheckpointError> {
            // The copy's own repository first: the checkpoints' objects, HEAD at the base.
            run(plain_git(&path).args(["init", "--quiet"]))?;
            let objects = checkpoints.git_dir().join("objects");
            let alternates = path.join(".git/objects/info/alternates");
            std::fs::write(&alternates, format!("{}\n", objects.display()))
                .map_err(|e| format!("cannot write {}: {e}", alternates.display()))?;
            run(plain_git(&path).args(["update-ref", "HEAD", base]))?;
            // The files, written by several workers (a copy of many files is bound by the
            // file system); the copy's index is left describing them.
            run(checkpoints.git(&path.join(".git/index")).args([
                "-c",
                "checkout.workers=8",
                "read-tree",
                "--reset",
                "-u",
                files,
            ]))?;
            if files != base {
                // Made again from a later checkpoint: git shows the attempt's changes.
                run(plain_git(&path).args(["read-tree", base]))?;
                // Only refreshes the index's file times; files that differ are the attempt's.
                let _ = plain_git(&path)
                    .args(["update-index", "-q", "--refresh"])
                    .output();
            }
            Ok(())
        })();
        made.map_err(|why| failed(attempt, &why))
    }

    /// `effect`, which ran in attempt `attempt`'s copy, has its result: the copy may have
    /// changed.
    pub(crate) fn after(&mut self, attempt: u64, effect: &Effect) {
        if let Some(author) = super::checkpoint::author_of(effect) {
            self.pending.insert(attempt, author);
        }
    }

    /// Once the turn has settled: the next checkpoint of a copy an effect may have changed,
    /// among the live attempts `live` (each with its newest checkpoint). A copy that
    /// cannot be recorded is an error; its attempt's end reports it again.
    pub(crate) fn settled(
        &mut self,
        live: &BTreeMap<u64, LiveAttempt>,
    ) -> Result<Option<RunInput>, String> {
        while let Some((attempt, author)) = self.pending.pop_first() {
            let Some(head) = live.get(&attempt).and_then(|a| a.head.as_ref()) else {
                continue;
            };
            if let Some(input) = self.record(attempt, &author, head)? {
                return Ok(Some(input));
            }
        }
        Ok(None)
    }

    /// Attempt `attempt`'s files recorded after checkpoint `head` by `author`, if they
    /// changed.
    fn record(&self, attempt: u64, author: &str, head: &str) -> Result<Option<RunInput>, String> {
        if !self.path(attempt).is_some_and(|path| path.is_dir()) {
            return Ok(None);
        }
        let (checkpoints, _) = self.repository(attempt).map_err(|f| f.message)?;
        let message = format!("attempt {attempt}: the files after a turn");
        let Some(commit) = checkpoints.take(author, &message, Some(head))? else {
            return Ok(None);
        };
        let files = checkpoints.changed(Some(head), &commit)?;
        Ok(Some(RunInput::AttemptCheckpoint {
            attempt,
            commit,
            author: author.to_string(),
            files,
        }))
    }

    /// The end of attempt `attempt`, whose newest checkpoint is `head`: its files recorded a
    /// last time, and the paths changed since `base`.
    pub(crate) fn end(&self, attempt: u64, base: &str, head: &str) -> Result<EffectValue, Failure> {
        if !self.path(attempt).is_some_and(|path| path.is_dir()) {
            self.make(attempt, head, base)?;
        }
        let (checkpoints, _) = self.repository(attempt)?;
        let ended = (|| -> Result<EffectValue, CheckpointError> {
            let message = format!("attempt {attempt}: the files at its end");
            let last = checkpoints.take("duet", &message, Some(head))?;
            let commit = last.unwrap_or_else(|| head.to_string());
            let files = checkpoints.changed(Some(base), &commit)?;
            Ok(EffectValue::Attempt { commit, files })
        })();
        ended.map_err(|why| failed(attempt, &why))
    }

    /// Removes the copies of attempts not in `live`.
    pub(crate) fn sync(&mut self, live: &BTreeMap<u64, LiveAttempt>) {
        let Some(dir) = &self.dir else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let wanted = name
                .to_str()
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|id| live.contains_key(&id));
            if !wanted {
                discard(&entry.path());
            }
        }
        self.pending.retain(|id, _| live.contains_key(id));
    }

    /// Removes every copy of the run's attempts.
    fn remove_all(&self) {
        if let Some(store) = &self.store {
            remove_copies(store, self.run);
        }
    }
}

/// Removes every copy of run `run`'s attempts in the store at `store`.
pub(crate) fn remove_copies(store: &Path, run: RunId) {
    let dir = store.join(WORKTREES);
    discard(&dir.join(run.to_string()));
    // The directory of all runs' copies goes too once empty.
    let _ = std::fs::remove_dir(dir);
}

/// Removes the directory at `path`. A process no one follows any more (an agent a killed
/// duet left running) may still be writing into it, which can make a removal fail half
/// way and leave a directory whose files are gone but whose git index still lists them —
/// a copy made there would miss files. So it is first renamed aside, which frees `path` at
/// once for a fresh copy, and removed from there.
fn discard(path: &Path) {
    static DISCARDED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if !path.exists() {
        return;
    }
    let n = DISCARDED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("copy");
    let aside = path.with_file_name(format!(".discarded-{name}-{}-{n}", std::process::id()));
    let doomed = match std::fs::rename(path, &aside) {
        Ok(()) => aside,
        Err(_) => path.to_path_buf(),
    };
    // Such a process may also write a file between the removal's listing of a directory
    // and its removing the emptied directory; a few more tries outlast a last write. What
    // still stays is removed by the next sweep of the copies (`sync`, `remove_copies`).
    for wait in [0, 10, 40, 160] {
        std::thread::sleep(std::time::Duration::from_millis(wait));
        if std::fs::remove_dir_all(&doomed).is_ok() || !doomed.exists() {
            return;
        }
    }
}

impl Drop for Worktrees {
    fn drop(&mut self) {
        self.remove_all();
    }
}

/// A unified diff from checkpoint `base` to checkpoint `commit` (`attempt-diff`).
pub(crate) fn diff(checkpoints: &Checkpoints, base: &str, commit: &str) -> Result<String, Failure> {
    let index = checkpoints.index("attempt-diff");
    let diff = output(checkpoints.git(&index).args([
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--no-renames",
        base,
        commit,
    ]))
    .map_err(|why| Failure::new("io", format!("`attempt-diff`: {why}")))?;
    Ok(if diff.is_empty() { diff } else { diff + "\n" })
}

/// `adopt`: the changes of attempt `attempt` (from checkpoint `base` to `commit`, touching
/// `files`) applied to the files of `target` (the run's workspace, or an enclosing
/// attempt's copy); the paths it changed. A path the attempt changed that also changed in
/// `target` since `base`, to something else, is a conflict: nothing is applied.
pub(crate) fn adopt(
    target: &Checkpoints,
    attempt: u64,
    base: &str,
    commit: &str,
    files: &[String],
) -> Result<EffectValue, Failure> {
    let problem = |why: String| Failure::new("io", format!("`adopt` of attempt {attempt}: {why}"));
    let now = target
        .take("person", "the files when an attempt was adopted", None)
        .map_err(problem)?
        .ok_or_else(|| problem("the files could not be recorded".into()))?;
    let since = target.changed(Some(base), &now).map_err(problem)?;
    let different = target.changed(Some(&now), commit).map_err(problem)?;
    let to_change: Vec<String> = files
        .iter()
        .filter(|f| different.contains(f))
        .cloned()
        .collect();
    let conflicts: Vec<&str> = to_change
        .iter()
        .filter(|f| since.contains(f))
        .map(String::as_str)
        .collect();
    if !conflicts.is_empty() {
        return Err(Failure::new(
            "conflict",
            format!(
                "`adopt` of attempt {attempt}: {} changed in the workspace since the attempt began, and the attempt changed {} too; nothing was applied; adopt an attempt before changing the files it changes, or merge by hand with `attempt-diff`",
                conflicts.join(", "),
                if conflicts.len() == 1 { "it" } else { "them" }
            ),
        ));
    }
    // The index is the files as they are; git's two-tree merge carries the attempt's
    // changes onto them (every path it touches is unchanged since `base`).
    let index = target.index("adopt");
    let _ = std::fs::remove_file(&index);
    let applied = run(target.git(&index).args(["read-tree", &now])).and_then(|()| {
        let _ = target
            .git(&index)
            .args(["update-index", "-q", "--refresh"])
            .output();
        run(target
            .git(&index)
            .args(["read-tree", "-m", "-u", base, commit]))
    });
    let _ = std::fs::remove_file(&index);
    applied.map_err(problem)?;
    Ok(EffectValue::Names(to_change))
}

/// A git command in the copy at `path`, on its own repository.
fn plain_git(path: &Path) -> std::process::Command {
    let mut command = std::process::Command::new("git");
    command
        .current_dir(path)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    command
}

/// Attempts need the checkpoints, which need git.
pub(crate) fn no_git() -> Failure {
    Failure::new(
        "effect",
        "`isolated` copies the workspace with git, which cannot run here (workspace checkpoints are off); install git",
    )
}

fn failed(attempt: u64, why: &str) -> Failure {
    Failure::new(
        "io",
        format!("the private copy of the workspace for attempt {attempt}: {why}"),
    )
}
