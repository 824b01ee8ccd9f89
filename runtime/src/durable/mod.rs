//! The durable engine: the one implementation of running a workflow in the store. Every
//! input (an effect's result, a person's answer, a timer's deadline) is journaled before the
//! run sees it, and the run's whole state is snapshotted after each turn, so a run killed at
//! any moment continues exactly where its journal ends.
//!
//! State at turn N = the nearest snapshot at or before N (or the manifest's initial state),
//! then the journaled inputs after it, delivered one at a time as they were live. One
//! restore (`restore.rs`) builds it; one follow loop (`follow.rs`) drives a run; [`replay`]
//! checks a branch reproduces; [`back`], [`fork`] and [`switch`] travel in time; [`diff`]
//! and [`blame`] read the workspace's checkpoints.
//!
//! The engine talks to the outside through small ports ([`Ports`]): an [`Observer`] of typed
//! [`RunEvent`]s, a source of [`Answers`] for questions, and a [`Clock`] tests can set.
//! `duet run`, `duet resume`, `duet answer`, `duet replay`, `back`, `fork` and the test
//! corpus all go through here; the binary only renders events and asks people.

mod answers;
mod attempts;
mod blame;
pub mod checkpoint;
mod clock;
mod cursor;
mod error;
mod events;
mod files;
mod follow;
mod history;
mod manifest;
mod payload;
mod reload;
mod replay;
mod restore;
mod retention;
mod rewind;
mod spending;

use std::sync::Arc;

use duet_lang::compile::CompiledWorkflow;
use duet_store::{NewRun as NewRunRecord, RunId, Status, Store};
use duet_vm::Vm;

pub use answers::{Answer, Answers, NoOneToAsk, Poser};
pub use blame::{Blame, BlamedLine, LineOrigin, blame, blame_as};
pub use clock::{Clock, ManualClock, Sleep, SystemClock};
pub use cursor::{SNAPSHOT_EVERY_BYTES, SNAPSHOT_EVERY_TURNS};
pub use error::EngineError;
pub use events::{EndStatus, EventKind, Observer, RunEvent};
pub use files::{Checkpointed, Diff, FileChange, diff};
pub use history::find_run;
pub use manifest::{MAGIC as MANIFEST_MAGIC, VERSION as MANIFEST_VERSION};
pub use payload::{INLINE_LIMIT, read as read_input};
pub use reload::{NewCode, Reloaded, reload, source_of};
pub use replay::{Divergence, ReplayError, Verified, replay};
pub use retention::{Collected, collect, remove};
pub use rewind::{FilesMoved, Forked, Moved, PersonCheckpoint, Switched, back, fork, switch};
pub use spending::{conversation, roles, spending};

use crate::effects::{Capabilities, Capability, Workspace};
use crate::workflow::Ending;
use crate::workflow::RunInput;
use crate::workflow::agents::{Budget, Role};
use crate::workflow::host::WorkflowRun;
use cursor::Cursor;
use manifest::Manifest;

/// How the engine reaches the outside: where events go, who answers questions, what time
/// it is.
pub struct Ports<'p> {
    /// Takes every event of the run.
    pub observer: &'p mut dyn Observer,
    /// Answers questions, or says there is no one to ask.
    pub answers: &'p mut dyn Answers,
    /// The engine's clock.
    pub clock: Arc<dyn Clock>,
}

impl Ports<'_> {
    /// Reports an event not tied to a turn.
    fn emit(&mut self, run: Option<RunId>, turn: Option<u64>, kind: EventKind) {
        let at = self.clock.now_ms();
        self.observer.event(RunEvent {
            kind,
            run: run.map(|r| r.to_string()),
            turn,
            at,
        });
    }
}

/// A workflow to run, compiled and ready: its VM holds the program with the file's
/// top-level forms already run.
pub struct NewRun {
    /// The VM.
    pub vm: Vm,
    /// The workflow.
    pub workflow: CompiledWorkflow,
    /// Its roles and the agents that play them.
    pub roles: Vec<Role>,
    /// What it may do.
    pub capabilities: Capabilities,
    /// Where its effects work.
    pub workspace: Workspace,
    /// The file the workflow came from, if any (what `--reload` compiles again).
    pub source: Option<std::path::PathBuf>,
    /// What it may spend on agents, in micro-dollars (`--budget-usd`).
    pub budget_microusd: Option<u64>,
}

/// How following a run begins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resumption {
    /// A run just created: nothing to announce.
    Start,
    /// `duet resume`: continue where the journal ends.
    Resume,
    /// `duet answer`: answer the question the run waits on with this text, and continue.
    Answer(String),
}

/// Tells a follower ([`follow_until`]) to stop; clones share one signal.
#[derive(Debug, Clone, Default)]
pub struct StopSignal(Arc<tokio::sync::Notify>);

impl StopSignal {
    /// Stops the follower (now, or at its first wait if it has not reached one yet).
    pub fn stop(&self) {
        self.0.notify_one();
    }
}

/// The reason a run waiting for a person's answer gives (`an answer to: QUESTION`).
pub const ANSWER_REASON: &str = "an answer to: ";

/// Whether a run with `status` waits for a person to answer its question (`duet answer`),
/// and so has nothing to follow until then.
pub fn waits_for_person(status: &Status) -> bool {
    matches!(status, Status::Waiting { reason } if reason.starts_with(ANSWER_REASON))
}

/// Where following a run stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum Stopped {
    /// The run ended (now, or before this command: nothing was continued).
    Ended(Ending),
    /// It waits for something outside: a person, a timer no one follows, an assertion.
    Waiting,
}

/// Creates a run of `new` in `store` and reports it started (`store_name` says which store,
/// for people). The run is not followed yet: [`follow`] it, or hand it to another process.
pub fn create(
    store: &Store,
    new: NewRun,
    store_name: Option<String>,
    ports: &mut Ports,
) -> Result<RunId, EngineError> {
    let name = new.workflow.name.clone();
    let program = new.vm.program().encode();
    let run = WorkflowRun::start(
        new.vm,
        new.workflow.clone(),
        new.roles.clone(),
        new.capabilities.clone(),
        Budget::limited(new.budget_microusd),
    );
    let manifest = Manifest {
        program,
        workflow: new.workflow,
        roles: new.roles,
        capabilities: new.capabilities,
        workspace: new.workspace.root().to_string_lossy().into_owned(),
        initial: run.snapshot(),
        source: new.source.map(|path| path.to_string_lossy().into_owned()),
    };
    let hash = manifest.put(store)?;
    let record = store
        .create_run(NewRunRecord {
            workflow: name.clone(),
            program_hash: hash,
            at: ports.clock.now_ms().max(0) as u64,
        })
        .map_err(|source| EngineError::Store {
            run: None,
            source: Box::new(source),
        })?;
    ports.emit(
        Some(record.id),
        None,
        EventKind::Started {
            workflow: name,
            store: store_name,
        },
    );
    Ok(record.id)
}

/// Marks run `id` as waiting with `reason` (a run handed to a background process).
pub fn mark_waiting(
    store: &Store,
    id: RunId,
    reason: String,
    clock: &dyn Clock,
) -> Result<(), EngineError> {
    store
        .set_status(id, Status::Waiting { reason }, clock.now_ms().max(0) as u64)
        .map(|_| ())
        .map_err(|e| EngineError::store(id, e))
}

/// Follows run `id` from the end of its current branch until it ends or waits. A run that
/// had ended is reported and left as it is.
pub fn follow(
    store: &Store,
    id: RunId,
    how: Resumption,
    ports: &mut Ports,
) -> Result<Stopped, EngineError> {
    follow_with(store, id, how, &Changes::default(), ports)
}

/// What a person changes about a run as it continues (`duet resume --allow CAP
/// --budget-usd X`), for the rest of its life.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Capabilities granted.
    pub grant: Vec<Capability>,
    /// A new limit on what its agents may cost, in micro-dollars.
    pub budget_microusd: Option<u64>,
}

/// Like [`follow`], first making `changes`: each is a journaled turn of its own, so replay
/// and every later restore see it at the same point.
pub fn follow_with(
    store: &Store,
    id: RunId,
    how: Resumption,
    changes: &Changes,
    ports: &mut Ports,
) -> Result<Stopped, EngineError> {
    follow_until(store, id, how, changes, ports, &StopSignal::default())
}

/// Like [`follow_with`], until `stop` is given: then what the run started is stopped (its
/// effects' tasks aborted, their processes killed) and following returns
/// [`Stopped::Waiting`] with the run's status unchanged, so it continues from its journal
/// later (the daemon stopping, `duet stop`). A stop given before following began stops it
/// at its first wait. The run's effects run on a runtime of this thread's own.
pub fn follow_until(
    store: &Store,
    id: RunId,
    how: Resumption,
    changes: &Changes,
    ports: &mut Ports,
    stop: &StopSignal,
) -> Result<Stopped, EngineError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| EngineError::EffectRunner(e.to_string()))?;
    runtime.block_on(following(store, id, how, changes, ports, stop))
}

/// [`follow_until`] as a future, for a host that follows many runs on one runtime (the
/// daemon): the run's effects are spawned on the runtime it is polled on, and it waits
/// without blocking the thread. It is not `Send` (the ports are plain references): poll it
/// on a current-thread runtime or in a `LocalSet`.
pub async fn following(
    store: &Store,
    id: RunId,
    how: Resumption,
    changes: &Changes,
    ports: &mut Ports<'_>,
    stop: &StopSignal,
) -> Result<Stopped, EngineError> {
    let record = store.run(id).map_err(|e| EngineError::store(id, e))?;
    let ended = match &record.status {
        Status::Completed => Some(Ending::Completed(duet_sam::Term::Nil)),
        Status::Cancelled => Some(Ending::Cancelled(duet_sam::Term::Nil)),
        Status::Failed { error } => Some(Ending::Failed(error.clone())),
        Status::Running | Status::Waiting { .. } => None,
    };
    if let Some(ending) = ended {
        // An answer to a run that has ended is not taken: say so as a usage error.
        if matches!(how, Resumption::Answer(_)) {
            return Err(EngineError::NotWaitingForAnswer {
                run: id,
                ended: true,
            });
        }
        ports.emit(Some(id), None, EventKind::ended(&ending, true));
        return Ok(Stopped::Ended(ending));
    }
    let restored = restore::restore(store, id)?;
    let last = restored.history.last_turn();
    let mut pending = restored.run.unanswered();
    let state = restored.run.state_name();
    let answer = match how {
        Resumption::Start => None,
        Resumption::Resume => {
            ports.emit(Some(id), Some(last), EventKind::Resumed { state });
            None
        }
        Resumption::Answer(text) => {
            let Some((position, question)) = pending
                .iter()
                .enumerate()
                .find_map(|(i, p)| Some((i, p.effect.question()?)))
            else {
                return Err(EngineError::NotWaitingForAnswer {
                    run: id,
                    ended: false,
                });
            };
            // Only the answers offered are taken; the run goes on waiting otherwise.
            let text = question
                .accept(&text)
                .map_err(|why| EngineError::NotAnOption {
                    run: id,
                    why,
                    options: question.options.clone(),
                    several: question.several,
                })?;
            // The answer is journaled and delivered like any effect's result, first in line.
            let question = pending.remove(position);
            pending.insert(0, question);
            ports.emit(Some(id), Some(last), EventKind::Answered { state });
            Some(text)
        }
    };
    for kind in follow::replayed_events(&restored.replayed) {
        ports.emit(Some(id), Some(last), kind);
    }
    let mut cursor = Cursor::new(
        store,
        id,
        restored.history.branch.clone(),
        last,
        restored.snapshot_turn,
        ports.clock.clone(),
    );
    // From here the run goes on: one recorded as waiting (for the answer just taken, or for
    // a deadline this follower takes up) is recorded as running until it next stops, so a
    // process that dies meanwhile leaves it to be taken up (`duet resume`, the daemon's
    // start) instead of shown waiting for an answer it has had. A run waiting for a person
    // that is only resumed stays as it is: it will ask again.
    if matches!(record.status, Status::Waiting { .. })
        && (answer.is_some() || !waits_for_person(&record.status))
    {
        cursor.set_status(Status::Running)?;
    }
    let mut run = restored.run;
    let grant = (!changes.grant.is_empty()).then(|| RunInput::Grant {
        capabilities: changes.grant.clone(),
    });
    let budget = changes
        .budget_microusd
        .map(|limit_microusd| RunInput::Budget { limit_microusd });
    for input in grant.into_iter().chain(budget) {
        cursor.append(&input, &run.snapshot())?;
        run.deliver(&input);
        // Settled as replay settles after each turn; neither change asks for anything.
        pending.extend(run.settle().requests);
    }
    // The workspace's checkpoints: on when git can run, continuing from the branch's last.
    let last_checkpoint = restored
        .history
        .turns
        .iter()
        .rev()
        .find_map(|(_, input)| match input {
            RunInput::Checkpoint { commit, .. } => Some(commit.clone()),
            _ => None,
        })
        // A restore from a snapshot read only the turns after it; the rest are read only
        // when those hold no checkpoint.
        .or_else(|| {
            restored
                .snapshot_turn
                .is_some()
                .then(|| last_checkpoint_before(store, id, &restored.history.branch))
                .flatten()
        });
    let checkpoints = checkpoint::Checkpoints::open(store.dir(), restored.workspace.root())
        .ok()
        .flatten();
    let files = checkpoint::FileHistory::new(checkpoints, last_checkpoint);
    follow::follow(
        cursor,
        run,
        restored.workspace,
        pending,
        answer,
        files,
        ports,
        stop,
    )
    .await
}

/// The branch's last checkpoint among all its turns (a restore reads only those after the
/// nearest snapshot).
fn last_checkpoint_before(store: &Store, id: RunId, branch: &str) -> Option<String> {
    let history = history::History::read(store, id, Some(branch)).ok()?;
    history
        .turns
        .iter()
        .rev()
        .find_map(|(_, input)| match input {
            RunInput::Checkpoint { commit, .. } => Some(commit.clone()),
            _ => None,
        })
}
