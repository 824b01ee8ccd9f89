//! `on-asserted`, `on-retracted` and `on-message` handlers: installing one (an `Observe`
//! whose [`HandlerObserver`] forwards what it sees), running its closure on a fiber of its
//! own for each event, and removing handlers when their state or facet ends.

use duet_lang::ir::Event;
use duet_sam::{Term, Turn, observe};
use duet_vm::value::Value;

use super::WorkflowEntity;
use super::observers::HandlerObserver;
use super::state::Installed;
use crate::workflow::convert::{from_term, to_pattern};

impl WorkflowEntity {
    /// Installs handler closure `handler` on `fiber`, called on each `event` matching
    /// pattern `pattern` with `args`; it belongs to the facet `fiber` works for, if any.
    /// `Err` with the error to raise when the pattern is not one.
    pub(super) fn install_handler(
        &mut self,
        t: &mut Turn,
        fiber: usize,
        event: Event,
        pattern: u32,
        args: &[Value],
        handler: Value,
    ) -> Result<Value, Value> {
        let program = self.vm.program().clone();
        let ctx = &mut self.vm.machine.ctx;
        let sam_pattern = to_pattern(ctx, &program.patterns[pattern as usize], args)
            .map_err(|why| ctx.error_value("type", why, Value::Nil))?;
        ctx.pinned.push(handler);
        let id = self.state.fresh_id();
        let observer = t.create(HandlerObserver::new(self.state.me(), id));
        let observe_handle = t.assert(&self.state.dataspace, observe(&sam_pattern, observer));
        let event = match event {
            Event::Asserted => "asserted",
            Event::Retracted => "retracted",
            Event::Message => "message",
        };
        self.state.handlers.insert(
            id,
            Installed {
                event: event.into(),
                closure: handler,
                observe: observe_handle,
            },
        );
        if let Some(facet) = self.facet_of(fiber) {
            self.state.facets.installed(facet, id);
        }
        Ok(Value::Nil)
    }

    /// Handler `id`'s pattern saw `event` with `value`: the handler runs on a fiber of its
    /// own.
    pub(super) fn handle_event(&mut self, t: &mut Turn, id: u64, event: &str, value: &Term) {
        let Some(installed) = self.state.handlers.get(&id) else {
            return;
        };
        if *installed.event != *event {
            return;
        }
        let closure = installed.closure;
        let fiber = self.alloc_fiber();
        self.state.handler_fibers.insert(fiber);
        let argument = from_term(&mut self.vm.machine.ctx, value);
        let _ = self.vm.call(fiber, closure, &[argument]);
        self.drive(t, fiber, None);
    }

    /// Withdraws an `on-…` handler's observer and lets its closure be collected.
    pub(super) fn uninstall(&mut self, t: &mut Turn, installed: Installed) {
        t.retract(installed.observe);
        self.vm
            .machine
            .ctx
            .pinned
            .retain(|v| *v != installed.closure);
    }

    /// Removes the `on-…` handlers of the state and stops the fibers running them.
    pub(super) fn cancel_handlers(&mut self, t: &mut Turn) {
        for (_, installed) in std::mem::take(&mut self.state.handlers) {
            self.uninstall(t, installed);
        }
        for fiber in std::mem::take(&mut self.state.handler_fibers) {
            self.cancel_fiber(t, fiber);
        }
    }
}
