//! The interpreter entity: a workflow's VM running inside the actor runtime. Each event it
//! receives (an awaited assertion arriving, an effect's result) is a turn in which it runs
//! the VM until every fiber waits again. States run one at a time: a state's function ends
//! in a `goto`, a `terminal`, or by returning (falling through to the next state).
//!
//! Dataspace operations (`assert`, `retract`, `send!`, `await`, `prompt`) happen inside the
//! turn; other effects (commands, files, clocks, timers, people) leave it as
//! [`ExternalRequest`]s that the host performs and answers with a message.

use std::collections::BTreeMap;

use duet_lang::compile::CompiledWorkflow;
use duet_lang::ir::Terminal;
use serde::{Deserialize, Serialize};

use super::convert::{from_term, to_pattern, to_term};
use super::facets::Facets;
use super::messages::Message;
use crate::effects::{self, Effect};
use duet_sam::{Entity, EntitySnapshot, Handle, Ref, Term, Turn, observe};
use duet_vm::value::{Object, Value};
use duet_vm::{EffectOp, Request, Step, Vm};

/// Something the host must do for the workflow or its agents, answered with
/// [`ExternalRequest::answer`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalRequest {
    /// Identifies the answer among its addressee's requests.
    pub id: u64,
    /// What to do.
    pub effect: Effect,
    /// Who asked, and gets the answer.
    pub to: Addressee,
}

/// Which entity of a run asked for an effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Addressee {
    /// The workflow itself (`shell`, `sleep`, `ask-user`, …).
    Workflow,
    /// The agent service (a call to an agent or a `human` role).
    Agents,
}

/// What a workflow shows of itself as it runs: what it printed and logged, the states it
/// enters, and its traffic with agents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Output {
    /// Standard output.
    Print(String),
    /// The run's log.
    Log(String),
    /// It entered the state of this name.
    State(String),
    /// It asked an agent: `<agent-request ROLE ID TEXT>`.
    AgentAsked {
        /// The role asked.
        role: String,
        /// The request's ID field.
        id: String,
        /// The question.
        text: String,
    },
    /// An agent's response arrived: `<agent-response ID REPLY ROLE …>`.
    AgentAnswered {
        /// The role that answered.
        role: String,
        /// The request's ID field.
        id: String,
        /// The reply, or what went wrong.
        text: String,
        /// Whether the call failed (`text` is then the error).
        failed: bool,
    },
}

/// A term as text: strings without quotes.
pub(crate) fn plain(term: &Term) -> String {
    match term {
        Term::Str(s) => s.to_string(),
        other => other.to_string(),
    }
}

/// How a workflow ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Ending {
    /// `(terminal)` or falling off the last state.
    Completed(Term),
    /// `(terminal :failed …)` or an uncaught error (its message).
    Failed(String),
    /// `(terminal :cancelled …)`.
    Cancelled(Term),
}

/// What an observer tells the workflow when its pattern first matches.
#[derive(Serialize, Deserialize)]
pub struct AwaitObserver {
    workflow: Ref,
    id: u64,
}

/// The snapshot kind of [`AwaitObserver`].
pub const AWAIT_KIND: &str = "duet/await";
/// The snapshot kind of [`WorkflowEntity`].
pub const WORKFLOW_KIND: &str = "duet/workflow";

impl AwaitObserver {
    /// An observer restored from its snapshot data.
    pub fn restore(data: &[u8]) -> Result<Self, String> {
        super::open_state(super::OBSERVER_MAGIC, "an await observer's state", data)
    }
}

impl Entity for AwaitObserver {
    fn snapshot(&self) -> EntitySnapshot {
        EntitySnapshot {
            kind: AWAIT_KIND.into(),
            data: super::seal_state(super::OBSERVER_MAGIC, self),
        }
    }

    fn assert(&mut self, t: &mut Turn, value: Term, _handle: Handle) -> duet_sam::Result {
        let whole = value
            .as_seq()
            .and_then(|caps| caps.first().cloned())
            .unwrap_or(Term::Nil);
        let matched = Message::Matched {
            wait: self.id,
            whole,
        };
        t.message(&self.workflow, matched.to_term());
        Ok(())
    }
}

/// What the scheduler does after a request.
enum Next {
    /// Continue the same fiber, with this value or error.
    Continue(Option<Result<Value, Value>>),
    /// The fiber waits; run the next runnable one.
    Wait,
    /// The state changed: only the main fiber runs now.
    Restart,
    /// The workflow ended.
    Stop,
}

/// Forwards the events an `on-…` handler's pattern sees to the workflow.
#[derive(Serialize, Deserialize)]
pub struct HandlerObserver {
    workflow: Ref,
    id: u64,
    /// What each handle asserted, to report it when it is retracted.
    seen: BTreeMap<Handle, Term>,
}

/// The snapshot kind of [`HandlerObserver`].
pub const HANDLER_KIND: &str = "duet/handler";

impl HandlerObserver {
    /// An observer restored from its snapshot data.
    pub fn restore(data: &[u8]) -> Result<Self, String> {
        super::open_state(super::OBSERVER_MAGIC, "a handler observer's state", data)
    }

    fn forward(&self, t: &mut Turn, event: &str, captures: &Term) {
        let whole = captures
            .as_seq()
            .and_then(|c| c.first().cloned())
            .unwrap_or(Term::Nil);
        let event = Message::Event {
            handler: self.id,
            event: event.into(),
            value: whole,
        };
        t.message(&self.workflow, event.to_term());
    }
}

impl Entity for HandlerObserver {
    fn assert(&mut self, t: &mut Turn, value: Term, handle: Handle) -> duet_sam::Result {
        self.forward(t, "asserted", &value);
        self.seen.insert(handle, value);
        Ok(())
    }

    fn retract(&mut self, t: &mut Turn, handle: Handle) -> duet_sam::Result {
        if let Some(value) = self.seen.remove(&handle) {
            self.forward(t, "retracted", &value);
        }
        Ok(())
    }

    fn message(&mut self, t: &mut Turn, body: Term) -> duet_sam::Result {
        self.forward(t, "message", &body);
        Ok(())
    }

    fn snapshot(&self) -> EntitySnapshot {
        EntitySnapshot {
            kind: HANDLER_KIND.into(),
            data: super::seal_state(super::OBSERVER_MAGIC, self),
        }
    }
}

/// An installed `on-…` handler.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Installed {
    /// `asserted`, `retracted` or `message`.
    event: String,
    /// The closure called with each matching value (pinned in the VM while installed).
    closure: Value,
    /// The `Observe` assertion.
    observe: Handle,
}

/// A pending wait on the dataspace.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Wait {
    /// The fiber waiting.
    fiber: usize,
    /// The `Observe` assertion to withdraw once it fires.
    observe: Handle,
    /// For `prompt`: the request to withdraw, and the field of the response to return.
    prompt: Option<(Handle, usize)>,
    /// The external timer (`:timeout`) that ends the wait, by request id.
    timer: Option<u64>,
    /// For `prompt :schema`: the JSON Schema (as JSON text) the reply must match.
    schema: Option<String>,
}

/// Fibers running the branches of a `parallel` or `race`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Group {
    /// `race`: the first result wins; otherwise every result, in order.
    race: bool,
    /// The fiber waiting for the group.
    parent: usize,
    /// The branches' fibers, in argument order.
    members: Vec<usize>,
    /// Results so far (data only: they outlive the branches' fibers).
    results: Vec<Option<Term>>,
}

/// Everything a workflow entity holds besides its VM, as data: what a snapshot saves.
#[derive(Clone, Serialize, Deserialize)]
struct Data {
    workflow: CompiledWorkflow,
    dataspace: Ref,
    me: Option<Ref>,
    state: usize,
    capabilities: effects::Capabilities,
    next_id: u64,
    waits: BTreeMap<u64, Wait>,
    external: BTreeMap<u64, (usize, Effect)>,
    /// Timers of waits with a `:timeout`: the wait each ends, by external request id.
    timers: BTreeMap<u64, u64>,
    handles: BTreeMap<u64, Handle>,
    /// Branch fibers: the group and position each belongs to.
    children: BTreeMap<usize, (u64, usize)>,
    groups: BTreeMap<u64, Group>,
    /// `on-…` handlers installed in the current state, and the fibers running them.
    handlers: BTreeMap<u64, Installed>,
    handler_fibers: std::collections::BTreeSet<usize>,
    /// Facets started by `spawn` in the current state.
    facets: Facets,
    /// Requests for the host, drained by it after each run of the system.
    requests: Vec<ExternalRequest>,
    /// What the workflow printed and logged, drained by the host.
    output: Vec<Output>,
    /// Set once the workflow has ended.
    ending: Option<Ending>,
}

/// The workflow's interpreter.
pub struct WorkflowEntity {
    vm: Vm,
    d: Data,
}

impl WorkflowEntity {
    /// A workflow ready to start: `vm` holds the compiled program with its top-level forms
    /// already run.
    pub fn new(
        vm: Vm,
        workflow: CompiledWorkflow,
        dataspace: Ref,
        capabilities: effects::Capabilities,
    ) -> Self {
        WorkflowEntity {
            vm,
            d: Data {
                workflow,
                dataspace,
                me: None,
                state: 0,
                capabilities,
                next_id: 0,
                waits: BTreeMap::new(),
                external: BTreeMap::new(),
                timers: BTreeMap::new(),
                handles: BTreeMap::new(),
                children: BTreeMap::new(),
                groups: BTreeMap::new(),
                handlers: BTreeMap::new(),
                handler_fibers: Default::default(),
                facets: Facets::default(),
                requests: Vec::new(),
                output: Vec::new(),
                ending: None,
            },
        }
    }

    /// Starts the workflow in its own turn: defines roles and variables, enters the first
    /// state and runs until it waits.
    pub fn start(&mut self, t: &mut Turn, me: Ref) {
        self.d.me = Some(me);
        self.vm.start(0, self.d.workflow.init);
        if let Some(step) = self.finish_call(t) {
            self.fail(t, step);
            return;
        }
        self.enter(0);
        self.drive(t, 0, None);
    }

    /// The effects asked for and not answered yet (after a restore, to perform again).
    pub fn unanswered(&self) -> Vec<ExternalRequest> {
        self.d
            .external
            .iter()
            .map(|(&id, (_, effect))| ExternalRequest {
                id,
                effect: effect.clone(),
                to: Addressee::Workflow,
            })
            .collect()
    }

    /// A workflow restored from its snapshot data, running `program`.
    pub fn restore(program: duet_lang::ir::Program, data: &[u8]) -> Result<Self, String> {
        let saved: SavedWorkflow =
            super::open_state(super::WORKFLOW_MAGIC, "the workflow's state", data)?;
        let vm = Vm::restore(program, &saved.machine).map_err(|e| e.to_string())?;
        Ok(WorkflowEntity { vm, d: saved.data })
    }

    /// What the workflow printed and logged since last asked.
    pub fn take_output(&mut self) -> Vec<Output> {
        std::mem::take(&mut self.d.output)
    }

    /// The effects it asked for since last asked.
    pub fn take_requests(&mut self) -> Vec<ExternalRequest> {
        std::mem::take(&mut self.d.requests)
    }

    /// How it ended, once it has.
    pub fn ending(&self) -> Option<&Ending> {
        self.d.ending.as_ref()
    }

    /// The name of the state running.
    pub fn state_name(&self) -> &str {
        self.d
            .workflow
            .states
            .get(self.d.state)
            .map_or("?", |(n, _)| n.as_str())
    }

    fn enter(&mut self, state: usize) {
        self.d.state = state;
        let name = self.d.workflow.states[state].0.clone();
        self.d.output.push(Output::State(name));
        // A state starts on a fresh main fiber: whatever the last one was doing is over.
        self.reset_fiber(0);
        let fid = self.d.workflow.states[state].1;
        self.vm.start(0, fid);
    }

    fn reset_fiber(&mut self, fiber: usize) {
        if let Some(f) = self.vm.machine.fibers.get_mut(fiber) {
            *f = duet_vm::Fiber::default();
        }
    }

    /// A fiber with nothing on it, for a branch.
    fn alloc_fiber(&mut self) -> usize {
        let fibers = &self.vm.machine.fibers;
        match (1..fibers.len()).find(|&k| {
            fibers[k].frames.is_empty()
                && !self.d.children.contains_key(&k)
                && !self.d.handler_fibers.contains(&k)
                && !self.d.facets.owns_fiber(k)
        }) {
            Some(k) => k,
            None => {
                self.vm.machine.fibers.push(duet_vm::Fiber::default());
                self.vm.machine.fibers.len() - 1
            }
        }
    }

    /// Stops a branch fiber and everything it waits on or started.
    fn cancel_fiber(&mut self, t: &mut Turn, fiber: usize) {
        let waits: Vec<u64> = self
            .d
            .waits
            .iter()
            .filter(|(_, w)| w.fiber == fiber)
            .map(|(&id, _)| id)
            .collect();
        for id in waits {
            self.end_wait(t, id);
        }
        self.d.external.retain(|_, (f, _)| *f != fiber);
        let external = &self.d.external;
        self.d
            .timers
            .retain(|timer, _| external.contains_key(timer));
        let owned: Vec<u64> = self
            .d
            .groups
            .iter()
            .filter(|(_, g)| g.parent == fiber)
            .map(|(&id, _)| id)
            .collect();
        for gid in owned {
            if let Some(group) = self.d.groups.remove(&gid) {
                for member in group.members {
                    self.cancel_fiber(t, member);
                }
            }
        }
        self.d.children.remove(&fiber);
        self.reset_fiber(fiber);
    }

    /// Withdraws an `on-…` handler's observer and lets its closure be collected.
    fn uninstall(&mut self, t: &mut Turn, installed: Installed) {
        t.retract(installed.observe);
        self.vm
            .machine
            .ctx
            .pinned
            .retain(|v| *v != installed.closure);
    }

    /// Removes the `on-…` handlers of the state and stops the fibers running them.
    fn cancel_handlers(&mut self, t: &mut Turn) {
        for (_, installed) in std::mem::take(&mut self.d.handlers) {
            self.uninstall(t, installed);
        }
        for fiber in std::mem::take(&mut self.d.handler_fibers) {
            self.cancel_fiber(t, fiber);
        }
    }

    /// Stops every facet `spawn` started (a `goto` or `terminal` ends them all).
    fn stop_facets(&mut self, t: &mut Turn) {
        let all = self.d.facets.remove_all();
        self.stop_removed(t, all);
    }

    /// Stops facet `id` and the facets spawned inside it; nothing when it has stopped.
    fn stop_facet(&mut self, t: &mut Turn, id: u64) {
        let removed = self.d.facets.remove_tree(id);
        self.stop_removed(t, removed);
    }

    /// Ends removed facets: their bodies' fibers stop, their handlers go, and everything
    /// they asserted is retracted.
    fn stop_removed(&mut self, t: &mut Turn, facets: Vec<super::facets::Facet>) {
        for facet in facets {
            if let Some(fiber) = facet.fiber {
                self.cancel_fiber(t, fiber);
            }
            for id in facet.handlers {
                if let Some(installed) = self.d.handlers.remove(&id) {
                    self.uninstall(t, installed);
                }
            }
            for id in facet.handles {
                if let Some(handle) = self.d.handles.remove(&id) {
                    t.retract(handle);
                }
            }
        }
    }

    /// The facet `fiber` works for: the one whose body runs on it, or on the fiber that
    /// started its `parallel`/`race` branch.
    fn facet_of(&self, mut fiber: usize) -> Option<u64> {
        loop {
            if let Some(id) = self.d.facets.running_on(fiber) {
                return Some(id);
            }
            let (gid, _) = self.d.children.get(&fiber)?;
            fiber = self.d.groups.get(gid)?.parent;
        }
    }

    /// Stops every branch fiber (a `goto` or `terminal` ends them all).
    fn cancel_branches(&mut self, t: &mut Turn) {
        let branches: Vec<usize> = self.d.children.keys().copied().collect();
        for fiber in branches {
            self.cancel_fiber(t, fiber);
        }
        self.d.groups.clear();
    }

    /// A branch ended with `result`; returns the parent to continue, when the group is done.
    fn branch_done(
        &mut self,
        t: &mut Turn,
        fiber: usize,
        result: Result<Term, Term>,
    ) -> Option<(usize, Option<Result<Value, Value>>)> {
        let (gid, index) = self.d.children.remove(&fiber)?;
        self.reset_fiber(fiber);
        let finished = match (&result, self.d.groups.get_mut(&gid)) {
            (_, None) => return None,
            (Err(_), Some(_)) => true,
            (Ok(_), Some(group)) if group.race => true,
            (Ok(term), Some(group)) => {
                group.results[index] = Some(term.clone());
                group.results.iter().all(Option::is_some)
            }
        };
        if !finished {
            return None;
        }
        let group = self.d.groups.remove(&gid)?;
        for member in &group.members {
            if *member != fiber && self.d.children.contains_key(member) {
                self.cancel_fiber(t, *member);
            }
        }
        let ctx = &mut self.vm.machine.ctx;
        let resume = match result {
            Err(error) => Err(from_term(ctx, &error)),
            Ok(term) if group.race => Ok(from_term(ctx, &term)),
            Ok(_) => {
                let values = group
                    .results
                    .iter()
                    .map(|r| from_term(ctx, r.as_ref().unwrap_or(&Term::Nil)))
                    .collect();
                Ok(ctx.vector(values))
            }
        };
        Some((group.parent, Some(resume)))
    }

    /// Runs the init chunk to its end; `Some` with a description when it failed.
    fn finish_call(&mut self, t: &mut Turn) -> Option<String> {
        loop {
            match self.vm.run(0, u64::MAX) {
                Step::Done(_) => return None,
                Step::Error(e) => return Some(e.message),
                Step::Paused => {}
                Step::Request(r) => {
                    if let Some(v) = self.immediate(t, 0, &r) {
                        match v {
                            Ok(v) => self.vm.resume(0, v),
                            Err(e) => self.vm.resume_with_error(0, e),
                        }
                    } else {
                        return Some(
                            "the workflow's roles and variables must not wait for anything".into(),
                        );
                    }
                }
            }
        }
    }

    /// Handles requests that complete within the turn; `None` for those that wait.
    fn immediate(
        &mut self,
        t: &mut Turn,
        f: usize,
        request: &Request,
    ) -> Option<Result<Value, Value>> {
        match request {
            Request::Print(text) => {
                self.d.output.push(Output::Print(text.clone()));
                Some(Ok(Value::Nil))
            }
            Request::Log(text) => {
                self.d.output.push(Output::Log(text.clone()));
                Some(Ok(Value::Nil))
            }
            Request::Effect {
                op: op @ (EffectOp::Assert | EffectOp::Send),
                args,
            } => {
                let facet = self.facet_of(f);
                let ctx = &mut self.vm.machine.ctx;
                Some(match to_term(ctx, args[0]) {
                    Ok(term) if *op == EffectOp::Assert => {
                        self.d
                            .output
                            .extend(Self::asked(&self.d.workflow.roles, &term));
                        let handle = t.assert(&self.d.dataspace, term);
                        let id = self.d.next_id;
                        self.d.next_id += 1;
                        self.d.handles.insert(id, handle);
                        if let Some(facet) = facet {
                            self.d.facets.asserted(facet, id);
                        }
                        Ok(ctx.heap.alloc(Object::Handle(id)))
                    }
                    Ok(term) => {
                        t.message(&self.d.dataspace, term);
                        Ok(Value::Nil)
                    }
                    Err(why) => {
                        Err(ctx.error_value("type", format!("`{}`: {why}", op.name()), Value::Nil))
                    }
                })
            }
            Request::Effect {
                op: EffectOp::Retract,
                args,
            } => {
                let ctx = &mut self.vm.machine.ctx;
                let id = match args[0] {
                    Value::Obj(r) => match ctx.heap.get(r) {
                        Object::Handle(id) => Some(*id),
                        _ => None,
                    },
                    _ => None,
                };
                Some(match id.and_then(|id| self.d.handles.remove(&id)) {
                    Some(handle) => {
                        t.retract(handle);
                        Ok(Value::Nil)
                    }
                    None => Err(ctx.error_value(
                        "type",
                        "`retract` expects a handle from `assert` that is still asserted",
                        Value::Nil,
                    )),
                })
            }
            _ => None,
        }
    }

    /// Runs fibers until every one waits or the workflow ends, starting with `fiber`, which
    /// continues with `resume` (a value, or an error to raise).
    fn drive(&mut self, t: &mut Turn, fiber: usize, resume: Option<Result<Value, Value>>) {
        let mut runnable: std::collections::VecDeque<(usize, Option<Result<Value, Value>>)> =
            std::collections::VecDeque::from([(fiber, resume)]);
        while let Some((f, mut resume)) = runnable.pop_front() {
            loop {
                if self.d.ending.is_some() {
                    return;
                }
                match resume.take() {
                    Some(Ok(v)) => self.vm.resume(f, v),
                    Some(Err(e)) => self.vm.resume_with_error(f, e),
                    None => {}
                }
                match self.vm.run(f, u64::MAX) {
                    Step::Paused => {}
                    Step::Done(value) if f == 0 => {
                        // The state's body ended: fall through to the next state, or complete.
                        let _ = value;
                        if self.d.state + 1 < self.d.workflow.states.len() {
                            self.enter(self.d.state + 1);
                        } else {
                            self.end(t, Ending::Completed(Term::Nil));
                            return;
                        }
                    }
                    Step::Done(_) if self.d.facets.body_returned(f) => {
                        // The facet lives on with what it asserted, until it is stopped.
                        self.reset_fiber(f);
                        break;
                    }
                    Step::Done(_) if self.d.handler_fibers.remove(&f) => {
                        self.reset_fiber(f);
                        break;
                    }
                    Step::Done(value) => {
                        let term = to_term(&self.vm.machine.ctx, value)
                            .map_err(|why| Term::Str(why.into()));
                        let result = match term {
                            Ok(term) => Ok(term),
                            Err(why) => Err(Term::record(
                                "error",
                                vec![Term::Keyword("type".into()), why, Term::Nil],
                            )),
                        };
                        if let Some(next) = self.branch_done(t, f, result) {
                            runnable.push_back(next);
                        }
                        break;
                    }
                    // Uncaught in the state's body, a facet's body or a handler: the run fails.
                    Step::Error(e)
                        if f == 0
                            || self.d.facets.owns_fiber(f)
                            || self.d.handler_fibers.contains(&f) =>
                    {
                        let what = if f == 0 {
                            ""
                        } else if self.d.facets.owns_fiber(f) {
                            "a `spawn`ed body failed: "
                        } else {
                            "an `on-…` handler failed: "
                        };
                        let message = format!(
                            "{what}{} [{}] in state `{}`",
                            e.message,
                            e.kind,
                            self.state_name()
                        );
                        self.fail(t, message);
                        return;
                    }
                    Step::Error(e) => {
                        let error = to_term(&self.vm.machine.ctx, e.value)
                            .unwrap_or_else(|_| Term::Str(e.message.into()));
                        if let Some(next) = self.branch_done(t, f, Err(error)) {
                            runnable.push_back(next);
                        }
                        break;
                    }
                    Step::Request(request) => {
                        if let Some(result) = self.immediate(t, f, &request) {
                            resume = Some(result);
                            continue;
                        }
                        match self.request(t, f, request, &mut runnable) {
                            Next::Continue(r) => resume = r,
                            Next::Wait => break,
                            Next::Restart => {
                                runnable.clear();
                                runnable.push_back((0, None));
                                break;
                            }
                            Next::Stop => return,
                        }
                    }
                }
            }
        }
    }

    /// Handles a request that does not complete at once.
    fn request(
        &mut self,
        t: &mut Turn,
        f: usize,
        request: Request,
        runnable: &mut std::collections::VecDeque<(usize, Option<Result<Value, Value>>)>,
    ) -> Next {
        match request {
            Request::Goto(state) => {
                self.stop_facets(t);
                self.cancel_branches(t);
                self.cancel_handlers(t);
                self.enter(state as usize);
                Next::Restart
            }
            Request::Terminal { status, result } => {
                let term = to_term(&self.vm.machine.ctx, result).unwrap_or(Term::Nil);
                let ending = match status {
                    Terminal::Completed => Ending::Completed(term),
                    Terminal::Cancelled => Ending::Cancelled(term),
                    Terminal::Failed => Ending::Failed(match &term {
                        Term::Str(s) => s.to_string(),
                        Term::Nil => "the workflow failed".into(),
                        other => other.to_string(),
                    }),
                };
                self.end(t, ending);
                Next::Stop
            }
            Request::Await {
                pattern,
                args,
                timeout,
            } => match self.wait(t, f, pattern, &args, timeout) {
                Ok(()) => Next::Wait,
                Err(e) => Next::Continue(Some(Err(e))),
            },
            Request::Effect {
                op: EffectOp::Stop,
                args,
            } => {
                let ctx = &mut self.vm.machine.ctx;
                let facet =
                    to_term(ctx, args[0])
                        .ok()
                        .and_then(|term| match term.record_fields("facet") {
                            Some([Term::Int(id)]) => Some(*id as u64),
                            _ => None,
                        });
                let Some(id) = facet else {
                    return Next::Continue(Some(Err(ctx.error_value(
                        "type",
                        "`stop` expects a facet, the value of `spawn`",
                        Value::Nil,
                    ))));
                };
                // A facet stopping itself (or the facet it runs in) ends this fiber too.
                let stops_itself = self
                    .facet_of(f)
                    .is_some_and(|mine| self.d.facets.within(mine, id));
                self.stop_facet(t, id);
                if stops_itself {
                    Next::Wait
                } else {
                    Next::Continue(Some(Ok(Value::Nil)))
                }
            }
            Request::Effect {
                op: EffectOp::Prompt,
                args,
            } => match self.prompt(t, f, &args) {
                Ok(()) => Next::Wait,
                Err(e) => Next::Continue(Some(Err(e))),
            },
            Request::Effect { op, args } => {
                let ctx = &mut self.vm.machine.ctx;
                let failure = match Effect::parse(ctx, op, &args) {
                    Some(Ok(effect)) => match effects::authorise(&effect, &self.d.capabilities) {
                        Ok(()) => {
                            let id = self.d.next_id;
                            self.d.next_id += 1;
                            self.d.external.insert(id, (f, effect.clone()));
                            self.d.requests.push(ExternalRequest {
                                id,
                                effect,
                                to: Addressee::Workflow,
                            });
                            return Next::Wait;
                        }
                        Err(failure) => failure,
                    },
                    Some(Err(failure)) => failure,
                    None => effects::Failure::new(
                        "effect",
                        format!("`{}` is not available in workflow runs yet", op.name()),
                    ),
                };
                Next::Continue(Some(Err(ctx.error_value(
                    &failure.kind,
                    failure.message,
                    Value::Nil,
                ))))
            }
            Request::Handler {
                event,
                pattern,
                args,
                handler,
            } => {
                let program = self.vm.program().clone();
                let ctx = &mut self.vm.machine.ctx;
                let sam_pattern = match to_pattern(ctx, &program.patterns[pattern as usize], &args)
                {
                    Ok(p) => p,
                    Err(why) => {
                        return Next::Continue(Some(Err(ctx.error_value("type", why, Value::Nil))));
                    }
                };
                ctx.pinned.push(handler);
                let id = self.d.next_id;
                self.d.next_id += 1;
                let me = self
                    .d
                    .me
                    .expect("the workflow knows its own ref once started");
                let observer = t.create(HandlerObserver {
                    workflow: me,
                    id,
                    seen: BTreeMap::new(),
                });
                let observe_handle = t.assert(&self.d.dataspace, observe(&sam_pattern, observer));
                let event = match event {
                    duet_lang::ir::Event::Asserted => "asserted",
                    duet_lang::ir::Event::Retracted => "retracted",
                    duet_lang::ir::Event::Message => "message",
                };
                self.d.handlers.insert(
                    id,
                    Installed {
                        event: event.into(),
                        closure: handler,
                        observe: observe_handle,
                    },
                );
                if let Some(facet) = self.facet_of(f) {
                    self.d.facets.installed(facet, id);
                }
                Next::Continue(Some(Ok(Value::Nil)))
            }
            Request::Concurrent {
                kind: duet_lang::ir::Concurrent::Spawn,
                thunks,
            } => {
                let parent = self.facet_of(f);
                let id = self.d.next_id;
                self.d.next_id += 1;
                let fiber = self.alloc_fiber();
                self.d.facets.start(id, fiber, parent);
                if let Some(thunk) = thunks.first() {
                    // A thunk is a closure: `call` sets up its frame and runs nothing yet.
                    let _ = self.vm.call(fiber, *thunk, &[]);
                    runnable.push_back((fiber, None));
                }
                let facet = Term::record("facet", vec![Term::Int(id as i64)]);
                Next::Continue(Some(Ok(from_term(&mut self.vm.machine.ctx, &facet))))
            }
            Request::Concurrent { kind, thunks } => {
                let race = kind == duet_lang::ir::Concurrent::Race;
                if thunks.is_empty() {
                    let ctx = &mut self.vm.machine.ctx;
                    let empty = if race {
                        Value::Nil
                    } else {
                        ctx.vector(Vec::new())
                    };
                    return Next::Continue(Some(Ok(empty)));
                }
                let gid = self.d.next_id;
                self.d.next_id += 1;
                let mut members = Vec::with_capacity(thunks.len());
                for (index, thunk) in thunks.iter().enumerate() {
                    let k = self.alloc_fiber();
                    self.d.children.insert(k, (gid, index));
                    members.push(k);
                    // A thunk is a closure: `call` sets up its frame and runs nothing yet.
                    let _ = self.vm.call(k, *thunk, &[]);
                    runnable.push_back((k, None));
                }
                self.d.groups.insert(
                    gid,
                    Group {
                        race,
                        parent: f,
                        results: vec![None; members.len()],
                        members,
                    },
                );
                Next::Wait
            }
            other => {
                let what = match other {
                    Request::Handler { .. } => "`on-asserted` handlers",
                    _ => "this request",
                };
                let ctx = &mut self.vm.machine.ctx;
                Next::Continue(Some(Err(ctx.error_value(
                    "effect",
                    format!("{what} is not available in workflow runs yet"),
                    Value::Nil,
                ))))
            }
        }
    }

    /// Observes `pattern` in the dataspace; the match arrives as a `%matched` message.
    fn wait(
        &mut self,
        t: &mut Turn,
        fiber: usize,
        pattern: u32,
        args: &[Value],
        timeout: Option<Value>,
    ) -> Result<(), Value> {
        let program = self.vm.program().clone();
        let ctx = &mut self.vm.machine.ctx;
        let timeout = timeout
            .map(|v| effects::millis(ctx, "await :timeout", v))
            .transpose()
            .map_err(|f| ctx.error_value(&f.kind, f.message, Value::Nil))?;
        let sam_pattern = to_pattern(ctx, &program.patterns[pattern as usize], args)
            .map_err(|why| ctx.error_value("type", format!("`await`: {why}"), Value::Nil))?;
        self.observe(t, fiber, sam_pattern, None, timeout);
        Ok(())
    }

    /// Waits on `fiber` for `pattern`; with `timeout`, a durable timer (an external sleep)
    /// ends the wait if nothing matches first.
    fn observe(
        &mut self,
        t: &mut Turn,
        fiber: usize,
        pattern: duet_sam::Pattern,
        prompt: Option<(Handle, usize)>,
        timeout: Option<u64>,
    ) -> u64 {
        let id = self.d.next_id;
        self.d.next_id += 1;
        let me = self
            .d
            .me
            .expect("the workflow knows its own ref once started");
        let observer = t.create(AwaitObserver { workflow: me, id });
        let observe_handle = t.assert(&self.d.dataspace, observe(&pattern, observer));
        let timer = timeout.map(|ms| {
            let timer = self.d.next_id;
            self.d.next_id += 1;
            let effect = Effect::Sleep(ms);
            self.d.external.insert(timer, (fiber, effect.clone()));
            self.d.timers.insert(timer, id);
            self.d.requests.push(ExternalRequest {
                id: timer,
                effect,
                to: Addressee::Workflow,
            });
            timer
        });
        self.d.waits.insert(
            id,
            Wait {
                fiber,
                observe: observe_handle,
                prompt,
                timer,
                schema: None,
            },
        );
        id
    }

    /// Withdraws wait `id` (matched, timed out or cancelled): its observer, its `prompt`
    /// request and its timer.
    fn end_wait(&mut self, t: &mut Turn, id: u64) -> Option<Wait> {
        let wait = self.d.waits.remove(&id)?;
        t.retract(wait.observe);
        if let Some((request, _)) = wait.prompt {
            t.retract(request);
        }
        if let Some(timer) = wait.timer {
            self.d.external.remove(&timer);
            self.d.timers.remove(&timer);
        }
        Some(wait)
    }

    /// `(prompt role text …)`: asserts `<agent-request ROLE ID TEXT>` and waits for
    /// `<agent-response ID REPLY …>`, returning REPLY.
    fn prompt(&mut self, t: &mut Turn, fiber: usize, args: &[Value]) -> Result<(), Value> {
        let ctx = &mut self.vm.machine.ctx;
        let role = to_term(ctx, args[0])
            .map_err(|why| ctx.error_value("type", format!("`prompt`: {why}"), Value::Nil))?;
        let role_name = match role.record_fields("role") {
            Some([Term::Str(name), ..]) => Term::Str(name.clone()),
            _ => {
                return Err(ctx.error_value(
                    "type",
                    "`prompt` expects a role of the workflow as its first argument",
                    Value::Nil,
                ));
            }
        };
        let text = to_term(ctx, args[1])
            .map_err(|why| ctx.error_value("type", format!("`prompt`: {why}"), Value::Nil))?;
        let mut timeout = None;
        let mut schema = None;
        for (key, value) in effects::options(ctx, args, 2) {
            match key.as_str() {
                "timeout" => {
                    timeout = Some(
                        effects::millis(ctx, "prompt :timeout", value)
                            .map_err(|f| ctx.error_value(&f.kind, f.message, Value::Nil))?,
                    )
                }
                "schema" => {
                    let json = to_term(ctx, value)
                        .and_then(|term| crate::agents::schema::to_json(&term))
                        .and_then(|json| crate::agents::schema::check(&json).map(|()| json))
                        .map_err(|why| {
                            ctx.error_value("type", format!("`prompt :schema`: {why}"), Value::Nil)
                        })?;
                    schema = Some(json.to_string());
                }
                _ => {}
            }
        }
        let request_id = Term::Str(format!("prompt-{}", self.d.next_id).into());
        self.d.next_id += 1;
        let request_term = Term::record(
            "agent-request",
            vec![
                role_name,
                request_id.clone(),
                text,
                // A failed call comes back as an error this `prompt` raises; a schema tells
                // the agent what to answer with.
                Term::map(
                    [(
                        Term::Keyword("on-error".into()),
                        Term::Keyword("raise".into()),
                    )]
                    .into_iter()
                    .chain(schema.iter().map(|json| {
                        (
                            Term::Keyword("schema".into()),
                            Term::Str(json.as_str().into()),
                        )
                    })),
                ),
            ],
        );
        self.d
            .output
            .extend(Self::asked(&self.d.workflow.roles, &request_term));
        let request = t.assert(&self.d.dataspace, request_term);
        let pattern = duet_sam::Pattern::Bind(Box::new(duet_sam::Pattern::Record {
            label: "agent-response".into(),
            fields: [(0, duet_sam::Pattern::Lit(request_id))]
                .into_iter()
                .collect(),
        }));
        let wait = self.observe(t, fiber, pattern, Some((request, 1)), timeout);
        if let Some(wait) = self.d.waits.get_mut(&wait) {
            wait.schema = schema;
        }
        Ok(())
    }

    /// The traffic record of `term`, when it is a request to an agent (one without a role
    /// goes to the first of `roles`).
    fn asked(roles: &[String], term: &Term) -> Option<Output> {
        let (role, id, text) = match term.record_fields("agent-request")? {
            [id, text] => (roles.first()?.clone(), id, text),
            [role, id, text, ..] => (
                super::agents::role_name(role).unwrap_or_else(|| plain(role)),
                id,
                text,
            ),
            _ => return None,
        };
        Some(Output::AgentAsked {
            role,
            id: plain(id),
            text: plain(text),
        })
    }

    /// The traffic record of `term`, when it is an agent's response.
    fn answered_output(term: &Term) -> Option<Output> {
        let fields = term.record_fields("agent-response")?;
        let failure = fields
            .get(3)
            .and_then(|f| match f.record_fields("agent-error") {
                Some([_, message]) => Some(plain(message)),
                _ => None,
            });
        Some(Output::AgentAnswered {
            role: fields.get(2).map(plain).unwrap_or_default(),
            id: fields.first().map(plain).unwrap_or_default(),
            failed: failure.is_some(),
            text: failure.unwrap_or_else(|| fields.get(1).map(plain).unwrap_or_default()),
        })
    }

    fn fail(&mut self, t: &mut Turn, message: String) {
        self.end(t, Ending::Failed(message));
    }

    fn end(&mut self, t: &mut Turn, ending: Ending) {
        self.stop_facets(t);
        self.cancel_branches(t);
        self.cancel_handlers(t);
        self.d.ending = Some(ending);
        let waits: Vec<u64> = self.d.waits.keys().copied().collect();
        for id in waits {
            self.end_wait(t, id);
        }
        for (_, handle) in std::mem::take(&mut self.d.handles) {
            t.retract(handle);
        }
    }
}

/// A workflow entity's snapshot: its VM's snapshot and its other state.
#[derive(Serialize, Deserialize)]
struct SavedWorkflow {
    machine: Vec<u8>,
    data: Data,
}

impl Entity for WorkflowEntity {
    fn snapshot(&self) -> EntitySnapshot {
        let saved = SavedWorkflow {
            machine: self.vm.snapshot(),
            data: self.d.clone(),
        };
        EntitySnapshot {
            kind: WORKFLOW_KIND.into(),
            data: super::seal_state(super::WORKFLOW_MAGIC, &saved),
        }
    }

    fn message(&mut self, t: &mut Turn, body: Term) -> duet_sam::Result {
        if self.d.ending.is_some() {
            return Ok(());
        }
        match Message::parse(&body) {
            Some(Message::Start(me)) if self.d.me.is_none() => self.start(t, me),
            Some(Message::Matched { wait, whole }) => self.matched(t, wait, &whole),
            Some(Message::Event {
                handler,
                event,
                value,
            }) => self.handle_event(t, handler, &event, &value),
            Some(Message::Deadline { timer, at }) => {
                if let Some((_, effect)) = self.d.external.get_mut(&timer) {
                    *effect = Effect::SleepUntil(at);
                }
            }
            Some(Message::Answer { request, .. }) if self.d.timers.contains_key(&request) => {
                self.timed_out(t, request)
            }
            Some(Message::Answer { request, result }) => self.answered(t, request, result),
            _ => {}
        }
        Ok(())
    }
}

impl WorkflowEntity {
    /// Wait `id` matched `whole`: its fiber continues with the match (for a `prompt`, the
    /// reply, checked against its schema; a failed call raises).
    fn matched(&mut self, t: &mut Turn, id: u64, whole: &Term) {
        let Some(wait) = self.end_wait(t, id) else {
            return;
        };
        self.d.output.extend(Self::answered_output(whole));
        let ctx = &mut self.vm.machine.ctx;
        let value = match wait.prompt {
            Some((_, field)) => {
                let fields = match whole {
                    Term::Record(r) => r.fields.as_slice(),
                    _ => &[],
                };
                // A failed call's response carries `<agent-error KIND MESSAGE>`.
                let failed = fields
                    .iter()
                    .find_map(|f| match f.record_fields("agent-error") {
                        Some([Term::Keyword(kind), Term::Str(message)]) => {
                            Some((kind.clone(), message.clone()))
                        }
                        _ => None,
                    });
                let reply = fields.get(field).unwrap_or(&Term::Nil);
                match (failed, &wait.schema) {
                    (Some((kind, message)), _) => {
                        Err(ctx.error_value(&kind, message.to_string(), Value::Nil))
                    }
                    (None, Some(schema)) => checked_reply(reply, schema, fields.get(2))
                        .map(|json| from_term(ctx, &json))
                        .map_err(|why| ctx.error_value("agent", why, Value::Nil)),
                    (None, None) => Ok(from_term(ctx, reply)),
                }
            }
            None => Ok(from_term(ctx, whole)),
        };
        self.drive(t, wait.fiber, Some(value));
    }

    /// Handler `id`'s pattern saw `event` with `value`: the handler runs on a fiber of its
    /// own.
    fn handle_event(&mut self, t: &mut Turn, id: u64, event: &str, value: &Term) {
        let Some(installed) = self.d.handlers.get(&id) else {
            return;
        };
        if *installed.event != *event {
            return;
        }
        let closure = installed.closure;
        let fiber = self.alloc_fiber();
        self.d.handler_fibers.insert(fiber);
        let argument = from_term(&mut self.vm.machine.ctx, value);
        let _ = self.vm.call(fiber, closure, &[argument]);
        self.drive(t, fiber, None);
    }

    /// The timer of a wait with a `:timeout` ran out before the wait matched.
    fn timed_out(&mut self, t: &mut Turn, timer: u64) {
        let Some(wait) = self.d.timers.get(&timer).copied() else {
            return;
        };
        let Some(wait) = self.end_wait(t, wait) else {
            return;
        };
        let ctx = &mut self.vm.machine.ctx;
        let resume = match wait.prompt {
            // `prompt` has no reply to give, so it raises.
            Some(_) => Err(ctx.error_value(
                "timeout",
                "the agent did not answer within the prompt's `:timeout`",
                Value::Nil,
            )),
            None => Ok(Value::Nil),
        };
        self.drive(t, wait.fiber, Some(resume));
    }

    /// External request `id` was answered: the fiber that asked continues.
    fn answered(
        &mut self,
        t: &mut Turn,
        id: u64,
        result: Result<Term, (std::sync::Arc<str>, std::sync::Arc<str>)>,
    ) {
        let Some((fiber, _)) = self.d.external.remove(&id) else {
            return;
        };
        let ctx = &mut self.vm.machine.ctx;
        let resume = match result {
            Ok(outcome) => Ok(from_term(ctx, &outcome)),
            Err((kind, message)) => Err(ctx.error_value(&kind, message.to_string(), Value::Nil)),
        };
        self.drive(t, fiber, Some(resume));
    }
}

/// A `prompt :schema` reply as the JSON value it must be, or why it is not: `role` names who
/// answered.
fn checked_reply(reply: &Term, schema: &str, role: Option<&Term>) -> Result<Term, String> {
    let schema: serde_json::Value =
        serde_json::from_str(schema).map_err(|e| format!("a damaged prompt schema: {e}"))?;
    let text = match reply {
        Term::Str(s) => s.to_string(),
        other => other.to_string(),
    };
    let role = role.map_or_else(|| "?".to_string(), plain);
    crate::agents::schema::parse_reply(&text, &schema)
        .map(|json| crate::agents::schema::to_term(&json))
        .map_err(|why| {
            format!("the agent of role `{role}` did not answer as the `:schema` asks: {why}")
        })
}
