//! Workspace checkpoints: the files of a run's workspace recorded after every turn that may
//! have changed them, so that rewinding a run puts its files back too.
//!
//! Checkpoints use git's object model in a private bare repository in the store
//! (`STORE/checkpoints.git`), written with the git command line under a temporary index: the
//! person's own repository, index, HEAD and refs are never touched. The workspace's
//! `.gitignore` is honoured; its `.git` and the store are never recorded. Each checkpoint is a
//! commit authored as whoever changed the files (a role, the effect — `shell`, `write-file` —
//! for the run's own commands and writes, `person` for changes made outside duet), journaled as a turn of its own ([`RunInput::Checkpoint`]) so
//! it belongs to a branch like everything else. Without `git` on the machine, checkpoints are
//! off (the run says so once) and the run goes on.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::workflow::RunInput;

/// The private repository's directory inside the store.
pub const REPOSITORY: &str = "checkpoints.git";

/// The checkpoint repository of one store, for one workspace.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    git_dir: PathBuf,
    workspace: PathBuf,
    /// Paths (relative to the workspace) never recorded: the store, when it lies inside.
    excluded: Vec<String>,
}

/// Why a checkpoint could not be taken or put back.
pub type CheckpointError = String;

impl Checkpoints {
    /// The repository of the store in `store_dir` for `workspace` (made when the first
    /// checkpoint is taken); `None` when git cannot be run here.
    pub fn open(
        store_dir: &Path,
        workspace: &Path,
    ) -> Result<Option<Checkpoints>, CheckpointError> {
        if !git_runs() {
            return Ok(None);
        }
        let git_dir = std::path::absolute(store_dir.join(REPOSITORY))
            .map_err(|e| format!("cannot find {REPOSITORY}: {e}"))?;
        let workspace =
            std::fs::canonicalize(workspace).map_err(|e| format!("the workspace: {e}"))?;
        let store = std::fs::canonicalize(store_dir).unwrap_or_else(|_| store_dir.to_path_buf());
        let excluded = store
            .strip_prefix(&workspace)
            .ok()
            .map(|rel| rel.to_string_lossy().into_owned())
            .into_iter()
            .collect();
        Ok(Some(Checkpoints {
            git_dir,
            workspace,
            excluded,
        }))
    }

    /// Makes the private repository if it is not there yet.
    fn init(&self) -> Result<(), CheckpointError> {
        if self.git_dir.join("HEAD").is_file() {
            return Ok(());
        }
        run(Command::new("git")
            .args(["init", "--bare", "--quiet"])
            .arg(&self.git_dir))
    }

    /// Keeps `commit` reachable under `name` (a checkpoint no turn names, such as a person's
    /// changes found before a rewind).
    pub fn keep(&self, name: &str, commit: &str) -> Result<(), CheckpointError> {
        let index = self.index("keep");
        run(self
            .git(&index)
            .args(["update-ref", &format!("refs/duet/{name}"), commit]))
    }

    /// The private repository.
    pub(crate) fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    /// A git command on the private repository and the workspace, with its own index.
    pub(crate) fn git(&self, index: &Path) -> Command {
        let mut command = git_command(&self.git_dir);
        command
            .arg("--work-tree")
            .arg(&self.workspace)
            .current_dir(&self.workspace)
            .env("GIT_INDEX_FILE", index);
        command
    }

    /// A fresh temporary index file's path.
    pub(crate) fn index(&self, purpose: &str) -> PathBuf {
        self.git_dir
            .join(format!("index-{purpose}-{}", std::process::id()))
    }

    /// Records the workspace's files as a commit authored by `author` with `message`, after
    /// `parent`; returns the commit, or `None` when the files are those of `parent`.
    pub fn take(
        &self,
        author: &str,
        message: &str,
        parent: Option<&str>,
    ) -> Result<Option<String>, CheckpointError> {
        let index = self.kept_index();
        // `add --all` honours the workspace's .gitignore.
        let add = || {
            let mut add = self.git(&index);
            add.args(["add", "--all", "--", ".", ":(exclude).git"]);
            add.args(self.excluded.iter().map(|e| format!(":(exclude){e}")));
            run(&mut add)
        };
        self.init()?;
        if add().is_err() {
            // The kept index may be what is wrong: once more from none.
            let _ = std::fs::remove_file(&index);
            add()?;
        }
        self.forget_ignored(&index)?;
        let tree = output(self.git(&index).arg("write-tree"))?;
        if let Some(parent) = parent {
            let parent_tree = output(
                self.git(&index)
                    .args(["rev-parse", &format!("{parent}^{{tree}}")]),
            )?;
            if parent_tree == tree {
                return Ok(None);
            }
        }
        let mut commit = self.git(&index);
        commit
            .args(["commit-tree", &tree, "-m", message])
            .env("GIT_AUTHOR_NAME", author)
            .env("GIT_AUTHOR_EMAIL", format!("{author}@duet"))
            .env("GIT_COMMITTER_NAME", "duet")
            .env("GIT_COMMITTER_EMAIL", "duet@duet")
            // Fixed dates: a checkpoint's id depends only on the files and its history.
            .env("GIT_AUTHOR_DATE", "1700000000 +0000")
            .env("GIT_COMMITTER_DATE", "1700000000 +0000");
        if let Some(parent) = parent {
            commit.args(["-p", parent]);
        }
        output(&mut commit).map(Some)
    }

    /// The index `take` keeps for this workspace from one checkpoint to the next, so that git
    /// reads again only the files whose size or time changed, not the whole tree.
    fn kept_index(&self) -> PathBuf {
        let key = blake3::hash(self.workspace.as_os_str().as_encoded_bytes()).to_hex();
        self.git_dir.join(format!("index-{}", &key[..16]))
    }

    /// Drops from the kept index the files `.gitignore` now ignores (`add` never drops a file
    /// it already holds), so that a checkpoint holds what one taken afresh would.
    fn forget_ignored(&self, index: &Path) -> Result<(), CheckpointError> {
        let listed = raw_output(self.git(index).args([
            "ls-files",
            "-z",
            "--cached",
            "--ignored",
            "--exclude-standard",
        ]))?;
        let ignored: Vec<&str> = listed.split('\0').filter(|p| !p.is_empty()).collect();
        if ignored.is_empty() {
            return Ok(());
        }
        run(self
            .git(index)
            .env("GIT_LITERAL_PATHSPECS", "1")
            .args(["rm", "--cached", "--quiet", "--"])
            .args(ignored))
    }

    /// Puts the workspace's files back from the files of `from` (what they are now) to those
    /// of `to`: created, changed and deleted as `to` has them. Files neither commit tracks
    /// (ignored ones among them) are left as they are.
    pub fn restore(&self, from: &str, to: &str) -> Result<(), CheckpointError> {
        let index = self.index("restore");
        let _ = std::fs::remove_file(&index);
        // The index is `from`, refreshed against the files as they are (which are `from`'s),
        // then moved to `to` with the files updated: git's two-tree merge.
        let result = run(self.git(&index).args(["read-tree", from])).and_then(|()| {
            // Refreshing reports files that differ; none do, so its answer is not needed.
            let _ = self
                .git(&index)
                .args(["update-index", "-q", "--refresh"])
                .output();
            run(self.git(&index).args(["read-tree", "-m", "-u", from, to]))
        });
        let _ = std::fs::remove_file(&index);
        result
    }

    /// The files that differ between two checkpoints, sorted.
    pub fn changed(&self, from: Option<&str>, to: &str) -> Result<Vec<String>, CheckpointError> {
        let index = self.index("diff");
        let listed = match from {
            Some(from) => output(self.git(&index).args([
                "diff-tree",
                "-r",
                "--name-only",
                "--no-commit-id",
                from,
                to,
            ])),
            None => output(self.git(&index).args(["ls-tree", "-r", "--name-only", to])),
        }?;
        let mut files: Vec<String> = listed.lines().map(str::to_string).collect();
        files.sort();
        Ok(files)
    }
}

/// Whether `git` can be run here.
pub(crate) fn git_runs() -> bool {
    Command::new("git")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A git command on the private repository `git_dir` alone, untouched by the person's
/// configuration and environment.
pub(crate) fn git_command(git_dir: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("--git-dir")
        .arg(git_dir)
        // Nothing of the person's configuration changes what is recorded or shown.
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    command
}

pub(crate) fn run(command: &mut Command) -> Result<(), CheckpointError> {
    output(command).map(|_| ())
}

/// What `command` printed, trimmed, or what went wrong.
pub(crate) fn output(command: &mut Command) -> Result<String, CheckpointError> {
    raw_output(command).map(|out| out.trim().to_string())
}

/// What `command` printed, as it printed it, or what went wrong.
pub(crate) fn raw_output(command: &mut Command) -> Result<String, CheckpointError> {
    let out = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A run's files as the follow loop sees them: whether checkpoints are on, the last one on
/// the branch, and who changed the files since (an effect that may have written some).
pub(crate) struct FileHistory {
    checkpoints: Option<Checkpoints>,
    /// The branch's last checkpoint, if it has one.
    last: Option<String>,
    /// Who may have changed the files since the last checkpoint.
    pending: Option<String>,
    /// Whether the files were looked at for a person's changes since this process took the
    /// run up (changes made while no duet process followed it: waiting, or rewound).
    looked: bool,
}

/// Who changes the workspace's files when `effect` runs, if it may change them at all.
pub(crate) fn author_of(effect: &crate::effects::Effect) -> Option<String> {
    use crate::effects::Effect;
    match effect {
        Effect::Shell { .. } => Some("shell".into()),
        Effect::WriteFile(..) => Some("write-file".into()),
        Effect::Agent { role, agent, .. }
            if matches!(agent.kind.as_str(), "claude-code" | "codex") =>
        {
            Some(role.clone())
        }
        Effect::Adopt { attempt, .. } => Some(format!("attempt-{attempt}")),
        _ => None,
    }
}

impl FileHistory {
    /// Checkpoints with `checkpoints` (none: off), the branch's last being `last`.
    pub(crate) fn new(checkpoints: Option<Checkpoints>, last: Option<String>) -> FileHistory {
        FileHistory {
            checkpoints,
            last,
            pending: None,
            looked: false,
        }
    }

    /// Before `effect` starts: when it is the first effect that may change the files since
    /// this process took the run up, a `person` checkpoint of the files as they are — the
    /// baseline a rewind puts back when the run has none yet, else what a person changed
    /// while no duet process followed the run (nothing when they are as last recorded).
    pub(crate) fn before(
        &mut self,
        effect: &crate::effects::Effect,
    ) -> Result<Option<RunInput>, String> {
        if self.looked || author_of(effect).is_none() {
            return Ok(None);
        }
        self.looked = true;
        match self.last {
            None => self.record("person", "the files before the run changed them"),
            Some(_) => self.record("person", "changes made outside duet"),
        }
    }

    /// The checkpoints, when they are on.
    pub(crate) fn checkpoints(&self) -> Option<&Checkpoints> {
        self.checkpoints.as_ref()
    }

    /// The branch's last checkpoint, for an attempt to start from (`isolated`); when there is
    /// none yet, the files as they are are recorded first, as the run's baseline (the input to
    /// journal). `None` when checkpoints are off.
    pub(crate) fn base(&mut self) -> Result<(Option<RunInput>, Option<String>), String> {
        let baseline = match self.last {
            Some(_) => None,
            None => self.record("person", "the files before the run changed them")?,
        };
        Ok((baseline, self.last.clone()))
    }

    /// `effect`'s result is in: the files may have changed.
    pub(crate) fn after(&mut self, effect: &crate::effects::Effect) {
        if let Some(author) = author_of(effect) {
            self.pending = Some(author);
        }
    }

    /// Once the turn has settled: the checkpoint of what the last effect changed, if it
    /// changed anything.
    pub(crate) fn settled(&mut self) -> Result<Option<RunInput>, String> {
        match self.pending.take() {
            Some(author) => self.record(&author, "the files after a turn"),
            None => Ok(None),
        }
    }

    fn record(&mut self, author: &str, message: &str) -> Result<Option<RunInput>, String> {
        let Some(checkpoints) = &self.checkpoints else {
            return Ok(None);
        };
        let taken = checkpoints.take(author, message, self.last.as_deref());
        let commit = match taken {
            Ok(Some(commit)) => commit,
            Ok(None) => return Ok(None),
            Err(why) => {
                // Checkpoints go off; the run goes on.
                self.checkpoints = None;
                return Err(why);
            }
        };
        let files = checkpoints.changed(self.last.as_deref(), &commit)?;
        self.last = Some(commit.clone());
        Ok(Some(RunInput::Checkpoint {
            commit,
            author: author.to_string(),
            files,
        }))
    }
}
