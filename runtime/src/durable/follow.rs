//! Following a durable run: settle the system, snapshot it, perform the effects it asked
//! for, journal each result the moment it arrives, deliver it, and repeat until the run ends
//! or waits for something outside.
//!
//! Effects run concurrently on a tokio runtime — two agents asked in a `parallel` work at
//! the same time — and their results enter the run one at a time, in the order they
//! arrived. That order is journaled, so it is part of the run's history and replay sees
//! exactly it. An effect whose request is withdrawn while it runs (the loser of a `race`, a
//! state left by `goto`) is stopped: its task is aborted, which kills its subprocess.
//! Questions are asked once nothing else runs; with no one to ask, the run suspends.
//!
//! While effects run, an agent call's notes — the pieces of its reply as they stream, its
//! retries — come back over a channel and are reported at once as `agent-delta` and
//! `retry` events; they are never journaled (only the call's whole reply is).

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::task::Poll;

use duet_store::Status;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::task::{AbortHandle, JoinSet};

use super::attempts::{self, Worktrees};
use super::checkpoint::FileHistory;
use super::clock::Clock;
use super::cursor::Cursor;
use super::error::EngineError;
use super::events::{EventKind, RunEvent};
use super::{Ports, Poser, StopSignal, Stopped};
use crate::agents::usage::Prices;
use crate::agents::{Note, Notes, Policy};
use crate::effects::{self, Effect, EffectValue, Failure, Workspace};
use crate::workflow::entity::{Addressee, ExternalRequest};
use crate::workflow::host::WorkflowRun;
use crate::workflow::{Ending, Output, RunInput};

/// A request's identity among the run's requests.
type Key = (Addressee, u64);

fn key(request: &ExternalRequest) -> Key {
    (request.to, request.id)
}

/// An effect performed: the request and what came of it.
type Performed = (ExternalRequest, Result<EffectValue, Failure>);

/// The run being followed and what is under way for it.
struct Follower<'s, 'p, 'q> {
    cursor: Cursor<'s>,
    run: WorkflowRun,
    /// The state the next input will be applied to.
    state: Vec<u8>,
    workspace: Workspace,
    /// Effects running, by request.
    running: BTreeMap<Key, AbortHandle>,
    tasks: JoinSet<Performed>,
    /// Questions no one has answered yet.
    unasked: Vec<ExternalRequest>,
    /// Poses questions while other effects run, when the answers' source can.
    poser: Option<Arc<dyn Poser>>,
    /// What agent calls' tokens cost when the agents do not say.
    prices: Arc<Prices>,
    /// An answer given up front (`duet answer`), for the first question.
    answer: Option<String>,
    /// The workspace's checkpoints.
    files: FileHistory,
    /// The private copies of the workspace of the run's attempts (`isolated`).
    worktrees: Worktrees,
    /// Where running agent calls send their notes, as the events that report them.
    notes: UnboundedSender<(Key, EventKind)>,
    noted: UnboundedReceiver<(Key, EventKind)>,
    ports: &'q mut Ports<'p>,
    /// Stops following when given.
    stop: StopSignal,
}

/// What the follow loop waits for while effects run.
enum Next {
    /// A running agent call's note.
    Note(Key, EventKind),
    /// An effect finished (or was aborted); `None` when none runs.
    Done(Option<Result<Performed, tokio::task::JoinError>>),
    /// Following was told to stop.
    Stop,
}

/// Drives `run` from the cursor's turn: `pending` are requests made before and still
/// unanswered; `answer` answers the first question asked.
// The one caller, `follow_until`, hands over what it restored; a struct would only name it twice.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn follow(
    cursor: Cursor<'_>,
    run: WorkflowRun,
    workspace: Workspace,
    pending: Vec<ExternalRequest>,
    answer: Option<String>,
    files: FileHistory,
    ports: &mut Ports<'_>,
    stop: &StopSignal,
) -> Result<Stopped, EngineError> {
    // Agents and commands run in process groups of their own; Ctrl-C must still end them.
    effects::process::kill_groups_on_exit_signals();
    let (notes, noted) = unbounded_channel();
    let worktrees = Worktrees::new(files.checkpoints(), cursor.run);
    let table = cursor.store_dir().join(PRICES_FILE);
    let (prices, unpriced) = match std::fs::read_to_string(&table) {
        Err(_) => (Prices::builtin(), None),
        Ok(json) => match Prices::with_table(&json) {
            Ok(prices) => (prices, None),
            Err(why) => (
                Prices::builtin(),
                Some(format!(
                    "{}: {why}; the built-in prices are used",
                    table.display()
                )),
            ),
        },
    };
    let mut follower = Follower {
        cursor,
        run,
        state: Vec::new(),
        workspace,
        running: BTreeMap::new(),
        tasks: JoinSet::new(),
        unasked: Vec::new(),
        poser: ports.answers.poser(),
        answer,
        files,
        worktrees,
        notes,
        noted,
        ports,
        prices: Arc::new(prices),
        stop: stop.clone(),
    };
    if let Some(message) = unpriced {
        follower.emit(EventKind::Error { message });
    }
    follower.go(pending).await
}

/// A timer whose deadline passed this long before it is started is reported as late
/// ([`EventKind::Late`]); one taken up a moment after its deadline is not news.
const LATE_MS: i64 = 1_000;

/// The store's own price table for agent calls (`crate::agents::usage::Prices`).
pub const PRICES_FILE: &str = "prices.json";

/// Where and how an effect is performed.
struct Setting {
    /// The workspace (or an attempt's copy of it).
    workspace: Workspace,
    /// The engine's clock.
    clock: Arc<dyn Clock>,
    /// Where an agent call's notes go.
    notes: Notes,
    /// What a command-line agent learns of where it runs.
    env: Vec<(String, String)>,
    /// What an agent call's tokens cost when the agent does not say.
    prices: Arc<Prices>,
}

/// Performs `effect`: the clock's effects on the engine's clock, the rest in the setting's
/// workspace; an agent's reply is priced before it is journaled.
async fn perform(effect: Effect, setting: Setting) -> Result<EffectValue, Failure> {
    let Setting {
        workspace,
        clock,
        notes,
        env,
        prices,
    } = setting;
    match effect {
        Effect::Now => Ok(EffectValue::Int(clock.now_ms())),
        Effect::SleepUntil(at) => {
            clock.sleep_until(at).await;
            Ok(EffectValue::Nil)
        }
        other => {
            let value =
                effects::perform_noting(&other, &workspace, &notes, &Policy::default(), &env)
                    .await?;
            Ok(match value {
                EffectValue::Reply {
                    text,
                    session,
                    usage,
                } => EffectValue::Reply {
                    text,
                    session,
                    usage: usage.map(|u| u.priced(&prices)),
                },
                value => value,
            })
        }
    }
}

impl Follower<'_, '_, '_> {
    async fn go(&mut self, pending: Vec<ExternalRequest>) -> Result<Stopped, EngineError> {
        let mut queue: VecDeque<ExternalRequest> = pending.into();
        loop {
            let progress = self.settle()?;
            // What the last turn's effect changed in the workspace, or in an attempt's copy
            // of it, is a turn of its own.
            let live = self.run.live_attempts();
            self.worktrees.sync(&live);
            let checkpoint = match self.files.settled() {
                Ok(None) => self.worktrees.settled(&live).unwrap_or_else(|message| {
                    self.emit(EventKind::Error { message });
                    None
                }),
                Ok(some) => some,
                Err(why) => self.files_off(&why),
            };
            if let Some(checkpoint) = checkpoint {
                queue.extend(progress.requests);
                self.checkpoint(checkpoint)?;
                continue;
            }
            if let Some(ending) = progress.ending {
                // Whatever still runs is no longer wanted.
                self.tasks.abort_all();
                return self.end(ending);
            }
            queue.extend(progress.requests);
            self.stop_unwanted();
            // Timers asked for together count from the same moment.
            let now = self.ports.clock.now_ms();
            while let Some(request) = queue.pop_front() {
                if self.run.wants(&request) && !self.running.contains_key(&key(&request)) {
                    self.start(request, now)?;
                }
            }
            self.pose_next_question();
            if self.tasks.is_empty() {
                // Only questions are left: ask them one at a time, or suspend.
                let Some(request) = self.next_question() else {
                    return self.suspend();
                };
                let Some(question) = request.effect.question() else {
                    return self.suspend();
                };
                let answer = match self.answer.take() {
                    // Taken already (`duet answer` checks it first).
                    Some(answer) => answer,
                    // Only the answers offered are taken: ask again until one is.
                    None => loop {
                        let Some(answer) = self.ports.answers.ask(&question) else {
                            return self.suspend();
                        };
                        match question.accept(&answer) {
                            Ok(taken) => break taken,
                            Err(why) => self.not_offered(why),
                        }
                    },
                };
                self.unasked.retain(|r| key(r) != key(&request));
                self.input(RunInput::person(&request, answer))?;
                continue;
            }
            let done = match self.next().await {
                Next::Note(k, event) => {
                    // A call withdrawn since it wrote this is no longer news.
                    if self.running.contains_key(&k) {
                        self.emit(event);
                    }
                    continue;
                }
                Next::Done(None) => continue,
                Next::Stop => {
                    // Aborting a task kills its process; the journal has every result so far.
                    self.tasks.abort_all();
                    return Ok(Stopped::Waiting);
                }
                Next::Done(Some(done)) => done,
            };
            let (request, result) = match done {
                Ok(done) => done,
                // Aborted: its request was withdrawn.
                Err(e) if e.is_cancelled() => continue,
                Err(e) => {
                    return Err(EngineError::EffectCrashed {
                        run: self.cursor.run,
                        why: e.to_string(),
                    });
                }
            };
            self.running.remove(&key(&request));
            if !self.run.wants(&request) {
                continue;
            }
            if let Some(question) = request.effect.question() {
                match result.map(|value| match value {
                    EffectValue::Text(answer) => question.accept(&answer),
                    _ => Err(String::new()),
                }) {
                    Ok(Ok(taken)) => {
                        self.unasked.retain(|r| key(r) != key(&request));
                        self.input(RunInput::person(&request, taken))?;
                    }
                    // Posed again by the next round.
                    Ok(Err(why)) => self.not_offered(why),
                    // The input ended: no one answers here; the run waits for `duet answer`.
                    Err(_) => self.poser = None,
                }
                continue;
            }
            match request.attempt {
                Some(attempt) => self.worktrees.after(attempt, &request.effect),
                None => self.files.after(&request.effect),
            }
            self.input(RunInput::effect(&request, result))?;
        }
    }

    /// Poses the next question at once when the answers' source can while other effects
    /// run (one question at a time): a question raced against a timer is really asked. A
    /// question withdrawn before it is answered is aborted with its request.
    fn pose_next_question(&mut self) {
        let Some(poser) = self.poser.clone() else {
            return;
        };
        let posed = self
            .running
            .keys()
            .any(|k| self.unasked.iter().any(|u| key(u) == *k));
        // An answer given up front (`duet answer`) goes to the first question, as before.
        if posed || self.answer.is_some() {
            return;
        }
        let Some(question) = self.next_question() else {
            return;
        };
        let Some(asked) = question.effect.question() else {
            return;
        };
        let answer = poser.pose(asked);
        let k = key(&question);
        let handle = self.tasks.spawn(async move {
            let result = answer
                .await
                .map(EffectValue::Text)
                .ok_or_else(|| Failure::new("no-answer", "the input ended"));
            (question, result)
        });
        self.running.insert(k, handle);
    }

    /// Says why an answer was not taken: the question is asked again.
    fn not_offered(&mut self, why: String) {
        let message = format!("{why}; answer again");
        self.emit(EventKind::Error { message });
    }

    /// Waits for the next note of a running call or the next effect to finish. Notes come
    /// first: a call's pieces are all reported before its reply enters the run.
    async fn next(&mut self) -> Next {
        let (tasks, noted) = (&mut self.tasks, &mut self.noted);
        let stop = self.stop.0.clone();
        let stopped = stop.notified();
        let mut stopped = std::pin::pin!(stopped);
        std::future::poll_fn(|cx| {
            if stopped.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Next::Stop);
            }
            if let Poll::Ready(Some((k, event))) = noted.poll_recv(cx) {
                return Poll::Ready(Next::Note(k, event));
            }
            tasks.poll_join_next(cx).map(Next::Done)
        })
        .await
    }

    /// Runs the system until it waits, reports what the workflow showed, and keeps its
    /// state (for the next turn's digest), snapshotting it when the policy says so.
    fn settle(&mut self) -> Result<crate::workflow::host::Progress, EngineError> {
        let mut progress = self.run.settle();
        for output in std::mem::take(&mut progress.outputs) {
            self.emit(EventKind::from_output(&output));
        }
        self.state = self.run.snapshot();
        if self.cursor.snapshot_due() {
            self.cursor.snapshot(&self.state)?;
        }
        Ok(progress)
    }

    /// Reports `kind` as an event of this run at the current turn.
    fn emit(&mut self, kind: EventKind) {
        let event = RunEvent {
            kind,
            run: Some(self.cursor.run.to_string()),
            turn: Some(self.cursor.turn),
            at: self.ports.clock.now_ms(),
        };
        self.ports.observer.event(event);
    }

    /// Journals a checkpoint of the workspace's files and reports it.
    fn checkpoint(&mut self, input: RunInput) -> Result<(), EngineError> {
        if let RunInput::Checkpoint {
            commit,
            author,
            files,
        } = &input
        {
            self.emit(EventKind::Checkpoint {
                commit: commit.clone(),
                author: author.clone(),
                files: files.clone(),
            });
        }
        self.input(input)
    }

    /// Checkpoints could not be taken: said once; the run goes on without them.
    fn files_off(&mut self, why: &str) -> Option<RunInput> {
        self.emit(EventKind::Error {
            message: format!(
                "cannot record the workspace's files ({why}); workspace checkpoints are off for \
                 the rest of this run, which goes on"
            ),
        });
        None
    }

    /// Journals `input`, then delivers it: nothing enters a run before it is durable.
    fn input(&mut self, input: RunInput) -> Result<(), EngineError> {
        self.cursor.append(&input, &self.state)?;
        self.run.deliver(&input);
        Ok(())
    }

    /// The question to ask or report first: the first still waiting in the run's own order
    /// of requests, which is also the one `duet answer` answers.
    fn next_question(&self) -> Option<ExternalRequest> {
        self.run
            .unanswered()
            .into_iter()
            .find(|r| self.unasked.iter().any(|u| key(u) == key(r)))
    }

    /// Starts performing `request`; `now` is when the batch it belongs to started.
    fn start(&mut self, mut request: ExternalRequest, now: i64) -> Result<(), EngineError> {
        match &request.effect {
            Effect::Sleep(ms) => {
                // Fix the deadline in the journal first, so a restart waits for the same
                // moment; the deadline is a turn of its own.
                let at = now.saturating_add(i64::try_from(*ms).unwrap_or(i64::MAX));
                self.input(RunInput::Deadline { id: request.id, at })?;
                self.settle()?;
                request.effect = Effect::SleepUntil(at);
            }
            // A deadline that passed while no one followed the run fires at once; say so.
            Effect::SleepUntil(at) if now.saturating_sub(*at) >= LATE_MS => {
                let due_at = *at;
                self.emit(EventKind::Late {
                    due_at,
                    late_ms: now.saturating_sub(due_at).unsigned_abs(),
                });
            }
            // Questions are asked once nothing else runs (see `go`).
            Effect::AskUser { .. } | Effect::Choose { .. } => {
                self.unasked.push(request);
                return Ok(());
            }
            _ => {}
        }
        // Before the run first changes the workspace, its files as they were.
        let baseline = match request.attempt {
            None => self
                .files
                .before(&request.effect)
                .unwrap_or_else(|why| self.files_off(&why)),
            Some(_) => None,
        };
        if let Some(baseline) = baseline {
            self.checkpoint(baseline)?;
            self.settle()?;
        }
        let k = key(&request);
        // The attempts' own effects are the store's work, done here; their results enter
        // the run like any other's.
        if let Some(result) = self.attempt_effect(&request)? {
            let handle = self.tasks.spawn(async move { (request, result) });
            self.running.insert(k, handle);
            return Ok(());
        }
        let workspace = match request.attempt {
            None => Ok(self.workspace.clone()),
            Some(attempt) => {
                let live = self.run.live_attempts();
                self.worktrees
                    .workspace(&self.workspace, attempt, live.get(&attempt))
            }
        };
        let workspace = match workspace {
            Ok(workspace) => workspace,
            Err(failure) => {
                let handle = self.tasks.spawn(async move { (request, Err(failure)) });
                self.running.insert(k, handle);
                return Ok(());
            }
        };
        let clock = self.ports.clock.clone();
        let notes = match self.run.agent_call(&request) {
            Some((role, id)) => {
                let sender = self.notes.clone();
                Notes::to(move |note| {
                    let (role, id) = (role.clone(), id.clone());
                    let event = match note {
                        Note::Delta(text) => EventKind::AgentDelta { role, id, text },
                        Note::Retry {
                            attempt,
                            delay_ms,
                            reason,
                        } => EventKind::Retry {
                            role,
                            id,
                            attempt,
                            delay_ms,
                            reason,
                        },
                    };
                    // The loop has stopped listening only when the run is over.
                    let _ = sender.send((k, event));
                })
            }
            None => Notes::none(),
        };
        let setting = Setting {
            workspace,
            clock,
            notes,
            env: self.agent_env(&request),
            prices: self.prices.clone(),
        };
        let handle = self.tasks.spawn(async move {
            let result = perform(request.effect.clone(), setting).await;
            (request, result)
        });
        self.running.insert(k, handle);
        Ok(())
    }

    /// What an agent started for `request` learns of where it runs: `DUET_RUN`,
    /// `DUET_BRANCH`, `DUET_TURN` (the last turn journaled when it was asked), `DUET_ROLE`,
    /// and inside `isolated` `DUET_ATTEMPT`.
    fn agent_env(&self, request: &ExternalRequest) -> Vec<(String, String)> {
        let Effect::Agent { role, .. } = &request.effect else {
            return Vec::new();
        };
        let mut env = vec![
            ("DUET_RUN".into(), self.cursor.run.to_string()),
            ("DUET_BRANCH".into(), self.cursor.branch.clone()),
            ("DUET_TURN".into(), self.cursor.turn.to_string()),
            ("DUET_ROLE".into(), role.clone()),
        ];
        if let Some(attempt) = request.attempt {
            env.push(("DUET_ATTEMPT".into(), attempt.to_string()));
        }
        env
    }

    /// Performs `request` when it is one of the attempts' own effects (`isolated` making a
    /// copy or ending, `attempt-diff`, `adopt`), which work on the store's checkpoints;
    /// `None` for any other effect.
    fn attempt_effect(
        &mut self,
        request: &ExternalRequest,
    ) -> Result<Option<Result<EffectValue, Failure>>, EngineError> {
        let live = |run: &WorkflowRun, attempt: u64| run.live_attempts().remove(&attempt);
        let head_of = |run: &WorkflowRun, attempt: u64| live(run, attempt).and_then(|a| a.head);
        Ok(Some(match &request.effect {
            Effect::Isolate { attempt } => {
                // The copy starts from the last checkpoint of the files the request acts on.
                let base = match request.attempt {
                    Some(enclosing) => head_of(&self.run, enclosing),
                    None => {
                        let (baseline, base) = self
                            .files
                            .base()
                            .unwrap_or_else(|why| (self.files_off(&why), None));
                        if let Some(baseline) = baseline {
                            self.checkpoint(baseline)?;
                            self.settle()?;
                        }
                        base
                    }
                };
                match base {
                    Some(base) => self
                        .worktrees
                        .make(*attempt, &base, &base)
                        .map(|()| EffectValue::Text(base)),
                    None => Err(attempts::no_git()),
                }
            }
            Effect::AttemptEnd { attempt, base } => match head_of(&self.run, *attempt) {
                Some(head) => self.worktrees.end(*attempt, base, &head),
                None => Err(attempts::no_git()),
            },
            Effect::AttemptDiff { base, commit } => match self.files.checkpoints() {
                Some(checkpoints) => {
                    attempts::diff(checkpoints, base, commit).map(EffectValue::Text)
                }
                None => Err(attempts::no_git()),
            },
            Effect::Adopt {
                attempt,
                base,
                commit,
                files,
            } => match request.attempt {
                None => match self.files.checkpoints() {
                    Some(target) => attempts::adopt(target, *attempt, base, commit, files),
                    None => Err(attempts::no_git()),
                },
                Some(enclosing) => self
                    .worktrees
                    .workspace(
                        &self.workspace,
                        enclosing,
                        live(&self.run, enclosing).as_ref(),
                    )
                    .and_then(|_| self.worktrees.repository(enclosing))
                    .and_then(|(target, _)| {
                        attempts::adopt(&target, *attempt, base, commit, files)
                    }),
            },
            _ => return Ok(None),
        }))
    }

    /// Aborts effects whose requests were withdrawn.
    fn stop_unwanted(&mut self) {
        let wanted: Vec<Key> = self.run.unanswered().iter().map(key).collect();
        self.running.retain(|k, handle| {
            let keep = wanted.contains(k);
            if !keep {
                handle.abort();
            }
            keep
        });
        self.unasked.retain(|r| wanted.contains(&key(r)));
    }

    /// Nothing runs: the run waits for a person, or for something nothing here will do.
    fn suspend(&mut self) -> Result<Stopped, EngineError> {
        // A run at rest is snapshotted, so continuing it later redelivers nothing.
        self.cursor.snapshot(&self.state)?;
        let question = self.next_question().and_then(|r| r.effect.question());
        if let Some(question) = question {
            let reason = format!("{}{}", super::ANSWER_REASON, question.text);
            self.cursor.set_status(Status::Waiting { reason })?;
            self.emit(EventKind::Question {
                question: question.text,
                options: question.options,
                multi: question.several,
            });
            return Ok(Stopped::Waiting);
        }
        let reason = self.run.waiting_reason();
        self.cursor.set_status(Status::Waiting {
            reason: reason.clone(),
        })?;
        self.emit(EventKind::Suspended { reason });
        Ok(Stopped::Waiting)
    }

    fn end(&mut self, ending: Ending) -> Result<Stopped, EngineError> {
        self.cursor.snapshot(&self.state)?;
        self.cursor.set_status(status_of(&ending))?;
        let mut ended = EventKind::ended(&ending, false);
        if let EventKind::Ended { backtrace, .. } = &mut ended {
            *backtrace = self.run.failure();
        }
        self.emit(ended);
        Ok(Stopped::Ended(ending))
    }
}

/// The status a run that ended so has in the store.
pub(crate) fn status_of(ending: &Ending) -> Status {
    match ending {
        Ending::Completed(_) => Status::Completed,
        Ending::Cancelled(_) => Status::Cancelled,
        Ending::Failed(error) => Status::Failed {
            error: error.clone(),
        },
    }
}

/// The outputs a restore redelivered, reported as events.
pub(crate) fn replayed_events(outputs: &[Output]) -> impl Iterator<Item = EventKind> + '_ {
    outputs.iter().map(EventKind::from_output)
}
