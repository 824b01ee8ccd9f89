//! A workflow's states, one at a time: entering one, leaving it with `goto`, falling
//! through to the next, and how the run ends ([`Ending`]) with `terminal`, an uncaught
//! error, or the last state returning.

use duet_lang::ir::Terminal;
use duet_sam::{Term, Turn};
use duet_vm::value::Value;
use serde::{Deserialize, Serialize};

use super::WorkflowEntity;
use super::output::Output;
use super::scheduler::Next;
use crate::workflow::convert::to_term;

/// One frame of where an uncaught error was raised, innermost first: the function and the
/// source range (a file of the program, byte offsets), for the host to show with the
/// source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TracePoint {
    /// The function's name.
    pub function: String,
    /// The source file, as the program names it.
    pub file: String,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
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

impl WorkflowEntity {
    /// The name of the state running.
    pub fn state_name(&self) -> &str {
        self.state
            .workflow
            .states
            .get(self.state.current)
            .map_or("?", |(n, _)| n.as_str())
    }

    /// Enters state `index`: its body starts on a fresh main fiber.
    pub(super) fn enter(&mut self, index: usize) {
        self.state.current = index;
        let name = self.state.workflow.states[index].0.clone();
        self.state.output.push(Output::State(name));
        // A state starts on a fresh main fiber: whatever the last one was doing is over.
        self.reset_fiber(0);
        let fid = self.state.workflow.states[index].1;
        self.vm.start(0, fid);
    }

    /// `(goto state)`: what the state started stops, and the next one begins.
    pub(super) fn goto(&mut self, t: &mut Turn, index: usize) -> Next {
        self.stop_facets(t);
        self.cancel_branches(t);
        self.cancel_handlers(t);
        self.enter(index);
        Next::Restart
    }

    /// The state's body returned: the next state begins, or the workflow completes after the
    /// last.
    pub(super) fn fall_through(&mut self, t: &mut Turn) -> Next {
        if self.state.current + 1 < self.state.workflow.states.len() {
            self.enter(self.state.current + 1);
            Next::Continue(None)
        } else {
            self.end(t, Ending::Completed(Term::Nil));
            Next::Stop
        }
    }

    /// `(terminal status result)`: the workflow ends.
    pub(super) fn terminal(&mut self, t: &mut Turn, status: Terminal, result: Value) -> Next {
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

    /// The workflow fails with `message`.
    pub(super) fn fail(&mut self, t: &mut Turn, message: String) {
        self.end(t, Ending::Failed(message));
    }

    /// The workflow ends: everything it started stops, every wait is withdrawn and
    /// everything it asserted is retracted.
    pub(super) fn end(&mut self, t: &mut Turn, ending: Ending) {
        self.stop_facets(t);
        self.cancel_branches(t);
        self.cancel_handlers(t);
        self.state.ending = Some(ending);
        let waits: Vec<u64> = self.state.waits.keys().copied().collect();
        for id in waits {
            self.end_wait(t, id);
        }
        for (_, handle) in std::mem::take(&mut self.state.handles) {
            t.retract(handle);
        }
    }
}
