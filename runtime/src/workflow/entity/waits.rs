//! Waits on the dataspace: `await` (and `prompt`, which waits for its response) observes a
//! pattern through an [`AwaitObserver`]; the first match, or the timer of a `:timeout`,
//! ends the wait and its fiber continues.

use duet_sam::{Handle, Pattern, Term, Turn, observe};
use duet_vm::value::Value;

use super::WorkflowEntity;
use super::observers::AwaitObserver;
use super::output::Output;
use super::prompt;
use super::state::Wait;
use crate::effects::{self, Effect};
use crate::workflow::convert::{from_term, to_pattern};

impl WorkflowEntity {
    /// `(await pattern … :timeout t)` on `fiber`: observes pattern `pattern` with `args` in
    /// the dataspace; the match arrives as a `%matched` message. `Err` with the error to
    /// raise when the pattern or the timeout is not one.
    pub(super) fn wait(
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
    /// ends the wait if nothing matches first. Returns the wait's id.
    pub(super) fn observe(
        &mut self,
        t: &mut Turn,
        fiber: usize,
        pattern: Pattern,
        prompt: Option<(Handle, usize)>,
        timeout: Option<u64>,
    ) -> u64 {
        let id = self.state.fresh_id();
        let observer = t.create(AwaitObserver::new(self.state.me(), id));
        let observe_handle = t.assert(&self.state.dataspace, observe(&pattern, observer));
        let timer = timeout.map(|ms| {
            let timer = self.ask_host(fiber, Effect::Sleep(ms));
            self.state.timers.insert(timer, id);
            timer
        });
        self.state.waits.insert(
            id,
            Wait {
                fiber,
                observe: observe_handle,
                prompt,
                timer,
                schema: None,
                exchange: None,
            },
        );
        id
    }

    /// Withdraws wait `id` (matched, timed out or cancelled): its observer, its `prompt`
    /// request and its timer.
    pub(super) fn end_wait(&mut self, t: &mut Turn, id: u64) -> Option<Wait> {
        let wait = self.state.waits.remove(&id)?;
        t.retract(wait.observe);
        if let Some((request, _)) = wait.prompt {
            t.retract(request);
        }
        if let Some(timer) = wait.timer {
            self.state.external.remove(&timer);
            self.state.timers.remove(&timer);
        }
        Some(wait)
    }

    /// Wait `id` matched `whole`: its fiber continues with the match (for a `prompt`, the
    /// reply, checked against its schema; a failed call raises).
    pub(super) fn matched(&mut self, t: &mut Turn, id: u64, whole: &Term) {
        let Some(wait) = self.end_wait(t, id) else {
            return;
        };
        self.state.output.extend(Output::agent_answered(whole));
        self.state.output.extend(Output::agent_usage(whole));
        if let Some((role, prompt)) = &wait.exchange {
            self.remember(role, prompt, whole);
        }
        let ctx = &mut self.vm.machine.ctx;
        let value = match wait.prompt {
            Some((_, field)) => prompt::reply(ctx, whole, field, wait.schema.as_deref()),
            None => Ok(from_term(ctx, whole)),
        };
        self.drive(t, wait.fiber, Some(value));
    }

    /// The timer of a wait with a `:timeout` ran out before the wait matched.
    pub(super) fn timed_out(&mut self, t: &mut Turn, timer: u64) {
        let Some(wait) = self.state.timers.get(&timer).copied() else {
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
}
