//! What can go wrong in the engine, typed, with the run, branch and turn it concerns and
//! what to do. Store errors keep the store's own locations.

use std::fmt;

use duet_lang::envelope::EnvelopeError;
use duet_store::{RunId, StoreError};

/// An engine operation that could not be done.
#[derive(Debug)]
pub enum EngineError {
    /// The store failed to read or write.
    Store {
        /// The run concerned, when there is one.
        run: Option<RunId>,
        /// The store's error, which names what and where (boxed: it is large).
        source: Box<StoreError>,
    },
    /// No run has that name.
    NoSuchRun {
        /// The name given.
        name: String,
        /// Why it is not there (not a run id, or not in this store).
        source: Box<StoreError>,
    },
    /// The run's manifest (its program, workflow, roles and grants) cannot be read.
    Manifest {
        /// The run.
        run: RunId,
        /// What is wrong with it.
        why: String,
    },
    /// A journaled turn does not read back.
    Turn {
        /// The run.
        run: RunId,
        /// The branch read.
        branch: String,
        /// The turn.
        turn: u64,
        /// What is wrong with its payload.
        source: EnvelopeError,
    },
    /// A turn's payload refers to a blob the store does not have.
    MissingBlob {
        /// The run.
        run: RunId,
        /// The branch read.
        branch: String,
        /// The turn.
        turn: u64,
        /// The blob's hash.
        hash: String,
    },
    /// The run's state cannot be rebuilt.
    Restore {
        /// The run.
        run: RunId,
        /// The turn the state was for.
        turn: u64,
        /// Why.
        why: String,
    },
    /// The run cannot continue in the new code (`--reload`): a state or variable it needs
    /// is gone. Nothing was written.
    CannotReload {
        /// The run.
        run: RunId,
        /// The head of its branch.
        turn: u64,
        /// Why.
        why: String,
    },
    /// The run's workspace directory is gone.
    Workspace {
        /// The run.
        run: RunId,
        /// The directory.
        path: String,
        /// Why it cannot be used.
        why: String,
    },
    /// `duet rm` of a run recorded as running.
    RunIsRunning {
        /// The run.
        run: RunId,
    },
    /// `duet answer` of a run that waits for no answer.
    NotWaitingForAnswer {
        /// The run.
        run: RunId,
        /// Whether it has ended.
        ended: bool,
    },
    /// `duet answer` with an answer the question does not offer.
    NotAnOption {
        /// The run.
        run: RunId,
        /// Why the answer is not taken.
        why: String,
        /// The answers offered.
        options: Vec<String>,
        /// Whether several may be chosen.
        several: bool,
    },
    /// `duet diff --turn N` of a turn that recorded no checkpoint.
    NoCheckpoint {
        /// The run.
        run: RunId,
        /// The branch read.
        branch: String,
        /// The turn asked for.
        turn: u64,
        /// The turns of the branch that have one.
        with: Vec<u64>,
    },
    /// The workspace's checkpoints cannot be read (git is missing, or fails).
    Checkpoints {
        /// What went wrong and what to do.
        why: String,
    },
    /// `duet blame` of a file it cannot tell about.
    CannotBlame {
        /// The file, as given.
        path: String,
        /// Why.
        why: String,
    },
    /// Effects cannot be performed in this process.
    EffectRunner(String),
    /// Performing an effect crashed: a bug in duet.
    EffectCrashed {
        /// The run.
        run: RunId,
        /// What the task said.
        why: String,
    },
}

impl EngineError {
    /// The error for a store failure concerning `run`.
    pub(crate) fn store(run: RunId, source: StoreError) -> EngineError {
        EngineError::Store {
            run: Some(run),
            source: Box::new(source),
        }
    }

    /// Whether the command was asked for something that does not exist or does not apply
    /// (a usage error, exit 2), rather than failing while doing it (exit 1).
    pub fn is_usage(&self) -> bool {
        match self {
            EngineError::NoSuchRun { .. }
            | EngineError::NotWaitingForAnswer { .. }
            | EngineError::RunIsRunning { .. }
            | EngineError::NotAnOption { .. }
            | EngineError::CannotReload { .. }
            | EngineError::NoCheckpoint { .. }
            | EngineError::CannotBlame { .. } => true,
            EngineError::Store { source, .. } => matches!(
                **source,
                StoreError::NoSuchRun(_)
                    | StoreError::BadRunId(_)
                    | StoreError::NoSuchBranch { .. }
                    | StoreError::NoSuchTurn { .. }
                    | StoreError::BranchExists { .. }
                    | StoreError::BadBranchName { .. }
                    | StoreError::BackTooFar { .. }
                    | StoreError::InUse { .. }
            ),
            _ => false,
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Store {
                run: Some(run),
                source,
            } => write!(f, "run {run}: {source}"),
            EngineError::Store { run: None, source } => write!(f, "{source}"),
            EngineError::NoSuchRun { name, source } => {
                write!(f, "no run `{name}`: {source}; `duet runs` lists them")
            }
            EngineError::Manifest { run, why } => write!(f, "cannot read run {run}: {why}"),
            EngineError::Turn {
                run,
                branch,
                turn,
                source,
            } => write!(
                f,
                "run {run}, branch {branch}, turn {turn}: the journaled input is {source}"
            ),
            EngineError::MissingBlob {
                run,
                branch,
                turn,
                hash,
            } => write!(
                f,
                "run {run}, branch {branch}, turn {turn}: its input is kept in blob {hash}, which \
                 the store does not have; the store is damaged (nothing was changed)"
            ),
            EngineError::CannotReload { run, turn, why } => write!(
                f,
                "run {run} cannot continue in the new code after turn {turn}: {why}; nothing was changed"
            ),
            EngineError::Restore { run, turn, why } => {
                write!(f, "cannot restore run {run} at turn {turn}: {why}")
            }
            EngineError::Workspace { run, path, why } => write!(
                f,
                "the workspace of run {run}, {path}, cannot be used ({why}); put it back to continue the run"
            ),
            EngineError::RunIsRunning { run } => write!(
                f,
                "run {run} is recorded as running: a process may be following it; stop that \
                 process first, or remove it anyway with `duet rm {run} --force`"
            ),
            EngineError::NotWaitingForAnswer { run, ended: true } => write!(
                f,
                "run {run} has already ended; there is no question to answer (`duet history \
                 {run}` shows what it did)"
            ),
            EngineError::NotWaitingForAnswer { run, ended: false } => write!(
                f,
                "run {run} is not waiting for an answer; `duet status {run}` shows what it waits for"
            ),
            EngineError::NotAnOption {
                run,
                why,
                options,
                several,
            } => {
                let example = match (several, options.as_slice()) {
                    (true, [a, b, ..]) => format!("\"{a}, {b}\""),
                    _ => options.first().map_or("ANSWER".into(), String::clone),
                };
                write!(
                    f,
                    "run {run} does not take that answer: {why}; it still waits: \
                     `duet answer {run} {example}`"
                )
            }
            EngineError::NoCheckpoint {
                run,
                branch,
                turn,
                with,
            } => {
                write!(
                    f,
                    "run {run}, branch {branch}: turn {turn} recorded no checkpoint; "
                )?;
                match with.as_slice() {
                    [] => write!(
                        f,
                        "no turn of it did: nothing it ran could change the files"
                    ),
                    turns => {
                        let turns: Vec<String> = turns.iter().map(u64::to_string).collect();
                        write!(f, "the turns with one are {}", turns.join(", "))
                    }
                }
            }
            EngineError::Checkpoints { why } => {
                write!(f, "cannot read the workspace's checkpoints: {why}")
            }
            EngineError::CannotBlame { path, why } => write!(f, "cannot blame {path}: {why}"),
            EngineError::EffectRunner(why) => write!(f, "cannot start the effect runner: {why}"),
            EngineError::EffectCrashed { run, why } => write!(
                f,
                "run {run}: performing an effect crashed ({why}); this is a bug in duet, please report it"
            ),
        }
    }
}

impl std::error::Error for EngineError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            EngineError::Store { source, .. } | EngineError::NoSuchRun { source, .. } => {
                Some(source.as_ref())
            }
            EngineError::Turn { source, .. } => Some(source),
            _ => None,
        }
    }
}
