//! Following a durable run: settle the system, snapshot it, perform the effects it asked
//! for, journal each result the moment it arrives, deliver it, and repeat until the run ends
//! or waits for something outside.
//!
//! Effects run concurrently on a tokio runtime — two agents asked in a `parallel` work at
//! the same time — and their results enter the run one at a time, in the order they
//! arrived. That order is journaled, so it is part of the run's history and replay sees
//! exactly it. An effect whose request is withdrawn while it runs (the loser of a `race`, a
//! state left by `goto`) is stopped: its task is aborted, which kills its subprocess.

use std::collections::{BTreeMap, VecDeque};

use duet_runtime::effects::{self, Effect, Failure, Outcome, Workspace};
use duet_runtime::workflow::entity::{Addressee, ExternalRequest};
use duet_runtime::workflow::host::Run;
use duet_runtime::workflow::{Ending, WorkflowEntity};
use duet_sam::Term;
use duet_store::{NewTurn, RunId, Status, Store};
use tokio::task::{AbortHandle, JoinSet};

use serde_json::json;

use super::durable::now_ms;
use super::events::Reporter;
use super::script::Outcome as RunOutcome;

/// Where a run being followed is journaled: its store, id and branch.
pub(super) struct Place<'a> {
    pub(super) store: &'a Store,
    pub(super) id: RunId,
    pub(super) branch: String,
}

impl Place<'_> {
    /// Appends `input` as the next turn of the branch, with the digest of `state`, the state
    /// it is applied to; returns its number once it is durable.
    fn journal(&self, input: &Term, state: &[u8]) -> Result<u64, String> {
        let payload = postcard::to_stdvec(input).map_err(store_failed)?;
        self.store
            .append_turn(
                self.id,
                &self.branch,
                &NewTurn {
                    at: now_ms(),
                    payload,
                    state_digest: *blake3::hash(state).as_bytes(),
                },
            )
            .map_err(store_failed)
    }

    /// Stores `state` as the state after `turn`.
    fn snapshot(&self, turn: u64, state: &[u8]) -> Result<(), String> {
        self.store
            .put_snapshot(self.id, &self.branch, turn, state)
            .map_err(store_failed)
    }

    fn set_status(&self, status: Status) -> Result<(), String> {
        self.store
            .set_status(self.id, status, now_ms())
            .map(|_| ())
            .map_err(store_failed)
    }
}

fn store_failed(e: impl std::fmt::Display) -> String {
    format!("the store failed: {e}")
}

/// Asks a person at the terminal; `None` when there is no terminal to ask at, or the person
/// ends the input (Ctrl-D) instead of answering.
fn ask_at_terminal(question: &str, options: &[String]) -> Option<String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return None;
    }
    eprintln!("question: {question}");
    if !options.is_empty() {
        eprintln!("  (one of: {})", options.join(", "));
    }
    eprint!("answer> ");
    let mut line = String::new();
    match std::io::stdin().read_line(&mut line) {
        Ok(0) | Err(_) => {
            eprintln!();
            None
        }
        Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
    }
}

/// A request's identity among the run's requests.
type Key = (Addressee, u64);

fn key(request: &ExternalRequest) -> Key {
    (request.to, request.id)
}

/// The run being followed and what is under way for it.
struct Follower<'a, 'w> {
    place: &'a Place<'a>,
    run: Run,
    /// The last journaled turn.
    turn: u64,
    /// The state the next input will be applied to.
    state: Vec<u8>,
    workspace: &'a Workspace,
    /// Effects running, by request.
    running: BTreeMap<Key, AbortHandle>,
    tasks: JoinSet<(ExternalRequest, Result<Outcome, Failure>)>,
    /// Questions no one can answer in this process.
    unasked: Vec<ExternalRequest>,
    /// An answer given on the command line (`duet answer`), for the first question.
    answer: Option<String>,
    report: &'a mut Reporter<'w>,
}

/// Drives `run` from after `turn`: `pending` are requests made before and still unanswered;
/// `answer` answers the first question asked.
#[allow(clippy::too_many_arguments)]
pub(super) fn follow(
    place: &Place,
    run: Run,
    turn: u64,
    pending: Vec<ExternalRequest>,
    answer: Option<String>,
    workspace: &Workspace,
    report: &mut Reporter,
) -> RunOutcome {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            report.error(format!("cannot start the effect runner: {e}"));
            return RunOutcome::Failed;
        }
    };
    let id = place.id;
    let mut follower = Follower {
        place,
        run,
        turn,
        state: Vec::new(),
        workspace,
        running: BTreeMap::new(),
        tasks: JoinSet::new(),
        unasked: Vec::new(),
        answer,
        report,
    };
    let _guard = runtime.enter();
    // Agents and commands run in process groups of their own; Ctrl-C must still end them.
    effects::process::kill_groups_on_exit_signals();
    match follower.go(&runtime, pending) {
        Ok(outcome) => outcome,
        Err(e) => {
            follower.report.error(format!(
                "{e}; the run stops here and `duet resume {id}` continues it"
            ));
            RunOutcome::Failed
        }
    }
}

impl Follower<'_, '_> {
    fn go(
        &mut self,
        runtime: &tokio::runtime::Runtime,
        pending: Vec<ExternalRequest>,
    ) -> Result<RunOutcome, String> {
        let mut queue: VecDeque<ExternalRequest> = pending.into();
        loop {
            let progress = self.run.settle();
            self.report.outputs(&progress.outputs);
            self.state = self.run.snapshot();
            self.place.snapshot(self.turn, &self.state)?;
            if let Some(ending) = progress.ending {
                // Whatever still runs is no longer wanted.
                self.tasks.abort_all();
                return self.end(ending);
            }
            queue.extend(progress.requests);
            self.stop_unwanted();
            // Timers asked for together count from the same moment.
            let now = effects::now_ms();
            while let Some(request) = queue.pop_front() {
                if self.run.wants(&request) && !self.running.contains_key(&key(&request)) {
                    self.start(request, now)?;
                }
            }
            if self.tasks.is_empty() {
                // Only questions are left: ask the person, one at a time, or suspend.
                let Some(question) = self.next_question() else {
                    return self.suspend();
                };
                let Effect::AskUser {
                    question: text,
                    options,
                } = &question.effect
                else {
                    return self.suspend();
                };
                let answer = match self.answer.take() {
                    Some(answer) => answer,
                    None => match ask_at_terminal(text, options) {
                        Some(answer) => answer,
                        None => return self.suspend(),
                    },
                };
                self.unasked.retain(|r| key(r) != key(&question));
                self.input(question.answer(Ok(Outcome::Text(answer))))?;
                continue;
            }
            let Some(done) = runtime.block_on(self.tasks.join_next()) else {
                continue;
            };
            let (request, result) = match done {
                Ok(done) => done,
                // Aborted: its request was withdrawn.
                Err(e) if e.is_cancelled() => continue,
                Err(e) => {
                    return Err(format!(
                        "performing an effect crashed ({e}); this is a bug in duet, please report it"
                    ));
                }
            };
            self.running.remove(&key(&request));
            if self.run.wants(&request) {
                self.input(request.answer(result))?;
            }
        }
    }

    /// Journals `input`, then delivers it: nothing enters a run before it is durable.
    fn input(&mut self, input: Term) -> Result<(), String> {
        self.turn = self.place.journal(&input, &self.state)?;
        self.run.deliver(input);
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
    fn start(&mut self, mut request: ExternalRequest, now: i64) -> Result<(), String> {
        match &request.effect {
            Effect::Sleep(ms) => {
                // Fix the deadline in the journal first, so a restart waits for the same
                // moment; the deadline is a turn of its own.
                let at = now.saturating_add(i64::try_from(*ms).unwrap_or(i64::MAX));
                self.input(WorkflowEntity::deadline(request.id, at))?;
                let outputs = self.run.settle().outputs;
                self.report.outputs(&outputs);
                self.state = self.run.snapshot();
                self.place.snapshot(self.turn, &self.state)?;
                request.effect = Effect::SleepUntil(at);
            }
            // Questions are asked once nothing else runs (see `go`).
            Effect::AskUser { .. } => {
                self.unasked.push(request);
                return Ok(());
            }
            _ => {}
        }
        let k = key(&request);
        let workspace = self.workspace.clone();
        let handle = self.tasks.spawn(async move {
            let result = effects::perform(&request.effect, &workspace).await;
            (request, result)
        });
        self.running.insert(k, handle);
        Ok(())
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
    fn suspend(&mut self) -> Result<RunOutcome, String> {
        let id = self.place.id;
        let question = self.next_question().and_then(|r| match r.effect {
            Effect::AskUser { question, options } => Some((question, options)),
            _ => None,
        });
        if let Some((question, options)) = question {
            let reason = format!("an answer to: {question}");
            self.place.set_status(Status::Waiting { reason })?;
            self.report.report(
                format!("run: {id} waits for a person to answer: {question}"),
                json!({
                    "event": "question",
                    "run": id.to_string(),
                    "question": question,
                    "options": options,
                }),
            );
            self.report
                .note(format!("  answer it with `duet answer {id} TEXT`"));
            return Ok(RunOutcome::Waiting);
        }
        let reason = self.run.waiting_reason();
        self.place.set_status(Status::Waiting {
            reason: reason.clone(),
        })?;
        self.report.report(
            format!("run: {id} suspended: {reason}"),
            json!({"event": "suspended", "run": id.to_string(), "reason": reason}),
        );
        Ok(RunOutcome::Waiting)
    }

    fn end(&mut self, ending: Ending) -> Result<RunOutcome, String> {
        let id = self.place.id.to_string();
        let (status, outcome, message, event) = match ending {
            Ending::Completed(Term::Nil) => (
                Status::Completed,
                RunOutcome::Done,
                "completed".to_string(),
                json!({"event": "ended", "run": id, "status": "completed"}),
            ),
            Ending::Completed(result) => (
                Status::Completed,
                RunOutcome::Done,
                format!("completed with {result}"),
                json!({"event": "ended", "run": id, "status": "completed", "result": result.to_string()}),
            ),
            Ending::Cancelled(result) => (
                Status::Cancelled,
                RunOutcome::Done,
                format!("cancelled ({result})"),
                json!({"event": "ended", "run": id, "status": "cancelled", "result": result.to_string()}),
            ),
            Ending::Failed(error) => (
                Status::Failed {
                    error: error.clone(),
                },
                RunOutcome::Failed,
                format!("failed: {error}"),
                json!({"event": "ended", "run": id, "status": "failed", "error": error}),
            ),
        };
        self.place.set_status(status)?;
        self.report.report(format!("run: {id} {message}"), event);
        Ok(outcome)
    }
}
