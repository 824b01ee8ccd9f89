//! What can go wrong in the store, said for people: what happened, to which run, branch,
//! turn or file, and what to do about it.

use std::fmt;
use std::path::PathBuf;

use duet_lang::envelope::EnvelopeError;

use super::runs::RunId;

/// The record a damage report or a lookup failure is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// The store's own description of itself (format version, run counter).
    Meta,
    /// A run's record.
    Run(RunId),
    /// A branch's record or the index from its name.
    Branch {
        /// The run.
        run: RunId,
        /// The branch's name (or `#id` when only its internal number is known).
        branch: String,
    },
    /// One turn of a run's journal.
    Turn {
        /// The run.
        run: RunId,
        /// The branch the turn was read through.
        branch: String,
        /// The turn's number.
        turn: u64,
    },
    /// A snapshot of a run's state.
    Snapshot {
        /// The run.
        run: RunId,
        /// The branch the snapshot was read through.
        branch: String,
        /// The turn the snapshot was taken after.
        turn: u64,
    },
    /// A content-addressed blob.
    Blob(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Meta => write!(f, "the store's format record"),
            Location::Run(run) => write!(f, "the record of run {run}"),
            Location::Branch { run, branch } => write!(f, "branch {branch} of run {run}"),
            Location::Turn { run, branch, turn } => {
                write!(f, "turn {turn} of run {run} (branch {branch})")
            }
            Location::Snapshot { run, branch, turn } => {
                write!(
                    f,
                    "the snapshot at turn {turn} of run {run} (branch {branch})"
                )
            }
            Location::Blob(hash) => write!(f, "blob {hash}"),
        }
    }
}

/// Why a stored record could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The record's envelope is truncated, damaged, of another format or from a newer duet.
    Envelope(EnvelopeError),
    /// The record decodes but contradicts where it is stored (a turn number that does not
    /// match its key, a blob whose contents do not match its hash, a missing turn).
    Inconsistent(String),
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Damage::Envelope(e) => write!(f, "{e}"),
            Damage::Inconsistent(why) => write!(f, "damaged: {why}"),
        }
    }
}

/// Everything the store can fail with.
#[derive(Debug)]
pub enum StoreError {
    /// Another process (or another `Store` in this process) has the store open for writing.
    InUse {
        /// The store's directory.
        dir: PathBuf,
        /// The process holding it, when its lock file names one.
        pid: Option<u32>,
    },
    /// The store was written by a newer duet.
    NewerStore {
        /// The store's directory.
        dir: PathBuf,
        /// The format version found.
        found: u16,
        /// The newest format this build reads.
        supported: u16,
    },
    /// A file-system operation outside the database failed (creating the directory, the lock
    /// file).
    Io {
        /// What the store was doing.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The embedded database (fjall) failed.
    Database {
        /// What the store was doing.
        action: &'static str,
        /// The database directory.
        path: PathBuf,
        /// fjall's error.
        source: fjall::Error,
    },
    /// A stored record is damaged, truncated or from a newer duet. Every record before it
    /// stays readable.
    Damaged {
        /// The record.
        at: Location,
        /// What is wrong with it.
        damage: Damage,
        /// The database directory it lives in.
        path: PathBuf,
    },
    /// Files the store's database must have are gone: opening it would start it over.
    MissingFiles {
        /// The store's directory.
        dir: PathBuf,
        /// What is missing.
        missing: Vec<PathBuf>,
    },
    /// The database holds fewer writes than were acknowledged: its journal was damaged.
    LostWrites {
        /// The store's directory.
        dir: PathBuf,
        /// The number of the last write acknowledged.
        acknowledged: u64,
        /// The number of the last write the database holds.
        found: u64,
    },
    /// No run has this id.
    NoSuchRun(RunId),
    /// The run has no branch of this name.
    NoSuchBranch {
        /// The run.
        run: RunId,
        /// The name asked for.
        branch: String,
        /// The branches it does have.
        known: Vec<String>,
    },
    /// A turn number past the branch's head.
    NoSuchTurn {
        /// The run.
        run: RunId,
        /// The branch.
        branch: String,
        /// The turn asked for.
        turn: u64,
        /// The branch's last turn.
        head: u64,
    },
    /// A branch of this name already exists.
    BranchExists {
        /// The run.
        run: RunId,
        /// The name.
        branch: String,
    },
    /// A branch name the store does not accept.
    BadBranchName {
        /// The name.
        name: String,
        /// Why.
        why: &'static str,
    },
    /// A text that is not a run id.
    BadRunId(String),
    /// A blob hash that is not 64 hexadecimal digits.
    BadBlobHash(String),
    /// `back` asked to go further back than the branch's first turn.
    BackTooFar {
        /// The run.
        run: RunId,
        /// The branch.
        branch: String,
        /// Turns asked for.
        count: u64,
        /// The branch's head.
        head: u64,
    },
    /// An earlier write failed to reach the disk; the store accepts no more writes because
    /// what is on disk can no longer be vouched for.
    Poisoned {
        /// The database directory.
        path: PathBuf,
        /// The first failure.
        cause: String,
    },
}

impl StoreError {
    /// The location of a damaged record, if this is a damage report.
    pub fn damaged_at(&self) -> Option<&Location> {
        match self {
            StoreError::Damaged { at, .. } => Some(at),
            _ => None,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::InUse {
                dir,
                pid: Some(pid),
            } => write!(
                f,
                "store in use by pid {pid}: {} is open for writing in another process; \
                 wait for it to finish, or stop it (a lock left by a process that died is taken over automatically)",
                dir.display()
            ),
            StoreError::InUse { dir, pid: None } => write!(
                f,
                "store in use by another process: {} is locked for writing; wait for it to finish or stop it",
                dir.display()
            ),
            StoreError::NewerStore {
                dir,
                found,
                supported,
            } => write!(
                f,
                "the store at {} was written by a newer duet (store format {found}; this build reads up to {supported}); upgrade duet",
                dir.display()
            ),
            StoreError::Io {
                action,
                path,
                source,
            } => write!(f, "could not {action} {}: {source}", path.display()),
            StoreError::Database {
                action,
                path,
                source,
            } => {
                write!(
                    f,
                    "the store's database at {} failed while {action}: ",
                    path.display()
                )?;
                match source {
                    fjall::Error::JournalRecovery(why) => write!(
                        f,
                        "its write-ahead journal is damaged ({why:?}); the store cannot be opened \
                         safely. Restore the directory from a backup, or move it aside to start afresh"
                    ),
                    fjall::Error::Locked => write!(
                        f,
                        "it is locked by another process; stop the other duet process first"
                    ),
                    fjall::Error::InvalidVersion(None) => write!(
                        f,
                        "its version file is damaged; nothing was changed. Put the directory \
                         back from a copy, or move it aside and report the damage"
                    ),
                    fjall::Error::InvalidVersion(v) => write!(
                        f,
                        "its files are in a database format this build does not read ({v:?})"
                    ),
                    fjall::Error::Io(e) => write!(f, "{e}"),
                    other => write!(
                        f,
                        "its files are damaged ({other:?}); nothing was changed. Put the \
                         directory back from a copy, or move it aside and report the damage"
                    ),
                }
            }
            StoreError::Damaged { at, damage, path } => {
                write!(
                    f,
                    "{at} {} (store database {}). ",
                    describe(damage),
                    path.display()
                )?;
                if let Damage::Envelope(EnvelopeError::NewerVersion { .. }) = damage {
                    return write!(f, "Upgrade duet to read it");
                }
                match at {
                    Location::Turn { turn, .. } if *turn > 1 => write!(
                        f,
                        "Turns 1 to {} are intact: fork or go back to turn {} to continue from there, or restore the store from a backup",
                        turn - 1,
                        turn - 1
                    ),
                    Location::Snapshot { .. } => write!(
                        f,
                        "Snapshots are an optimisation: use an earlier one, or replay the journal from the start"
                    ),
                    _ => write!(f, "Restore the store from a backup"),
                }
            }
            StoreError::MissingFiles { dir, missing } => {
                let names: Vec<String> = missing.iter().map(|p| p.display().to_string()).collect();
                write!(
                    f,
                    "the store at {} is damaged: {} {} missing ({}); it was not opened, so \
                     nothing in it was changed. Put the file back from a copy of the store, or \
                     copy the store aside and report the damage",
                    dir.display(),
                    names.len(),
                    if names.len() == 1 {
                        "file is"
                    } else {
                        "files are"
                    },
                    names.join(", ")
                )
            }
            StoreError::LostWrites {
                dir,
                acknowledged,
                found,
            } => write!(
                f,
                "the store at {} is damaged: its journal lost acknowledged writes (it holds \
                 writes up to number {found}, but {acknowledged} were acknowledged). Nothing \
                 more was changed; put the directory back from a copy, or copy it aside and \
                 report the damage",
                dir.display()
            ),
            StoreError::NoSuchRun(run) => {
                write!(f, "no run {run} in this store; `duet runs` lists the runs")
            }
            StoreError::NoSuchBranch { run, branch, known } => write!(
                f,
                "run {run} has no branch {branch}; its branches are: {}",
                known.join(", ")
            ),
            StoreError::NoSuchTurn {
                run,
                branch,
                turn,
                head,
            } => write!(
                f,
                "branch {branch} of run {run} has no turn {turn}: its last turn is {head}"
            ),
            StoreError::BranchExists { run, branch } => write!(
                f,
                "run {run} already has a branch {branch}; choose another name"
            ),
            StoreError::BadBranchName { name, why } => {
                write!(f, "{name:?} cannot name a branch: {why}")
            }
            StoreError::BadRunId(text) => {
                write!(f, "{text:?} is not a run id; run ids look like r1, r2, …")
            }
            StoreError::BadBlobHash(text) => write!(
                f,
                "{text:?} is not a blob hash; blob hashes are 64 hexadecimal digits"
            ),
            StoreError::BackTooFar {
                run,
                branch,
                count,
                head,
            } => write!(
                f,
                "cannot move branch {branch} of run {run} back {count} turns: it has only {head}"
            ),
            StoreError::Poisoned { path, cause } => write!(
                f,
                "an earlier write to the store at {} failed to reach the disk ({cause}); \
                 no more writes are accepted. Restart duet: reopening recovers every acknowledged turn",
                path.display()
            ),
        }
    }
}

/// "is damaged: …" or "was written by a newer duet …", to follow the record's name.
fn describe(damage: &Damage) -> String {
    match damage {
        Damage::Envelope(EnvelopeError::NewerVersion { supported, found }) => format!(
            "was written by a newer duet (format version {found}; this build reads up to {supported})"
        ),
        Damage::Envelope(EnvelopeError::OlderVersion { supported, found }) => format!(
            "was written by an earlier duet (format version {found}; this build reads {supported})"
        ),
        Damage::Envelope(EnvelopeError::Truncated { expected, found }) => {
            format!("is damaged: truncated (expected {expected} bytes, found {found})")
        }
        Damage::Envelope(EnvelopeError::WrongFormat { expected, .. }) => format!(
            "is damaged: it is not a {} record",
            String::from_utf8_lossy(expected)
        ),
        Damage::Envelope(EnvelopeError::Checksum) => {
            "is damaged: its checksum does not match its contents".to_string()
        }
        Damage::Envelope(EnvelopeError::Decode(why)) => {
            format!("is damaged: its contents do not decode ({why})")
        }
        Damage::Inconsistent(why) => format!("is damaged: {why}"),
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            StoreError::Database { source, .. } => Some(source),
            StoreError::Damaged {
                damage: Damage::Envelope(e),
                ..
            } => Some(e),
            _ => None,
        }
    }
}

/// Shorthand for the store's results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
