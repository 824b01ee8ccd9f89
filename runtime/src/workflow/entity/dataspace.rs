//! `assert`, `send!` and `retract`: what the workflow says in its dataspace, done within
//! the turn. An assertion belongs to the facet its fiber works for, and is retracted when
//! that facet stops.

use duet_sam::Turn;
use duet_vm::EffectOp;
use duet_vm::value::{Object, Value};

use super::WorkflowEntity;
use super::output::Output;
use crate::workflow::convert::to_term;

impl WorkflowEntity {
    /// `(assert value)` or `(send! value)` (`op`) on `fiber`: an assertion returns its
    /// handle, a message nil.
    pub(super) fn publish(
        &mut self,
        t: &mut Turn,
        fiber: usize,
        op: EffectOp,
        value: Value,
    ) -> Result<Value, Value> {
        let facet = self.facet_of(fiber);
        let ctx = &mut self.vm.machine.ctx;
        match to_term(ctx, value) {
            Ok(term) if op == EffectOp::Assert => {
                self.state
                    .output
                    .extend(Output::agent_asked(&self.state.workflow.roles, &term));
                let handle = t.assert(&self.state.dataspace, term);
                let id = self.state.fresh_id();
                self.state.handles.insert(id, handle);
                if let Some(facet) = facet {
                    self.state.facets.asserted(facet, id);
                }
                Ok(ctx.heap.alloc(Object::Handle(id)))
            }
            Ok(term) => {
                t.message(&self.state.dataspace, term);
                Ok(Value::Nil)
            }
            Err(why) => Err(ctx.error_value("type", format!("`{}`: {why}", op.name()), Value::Nil)),
        }
    }

    /// `(retract handle)`: withdraws an assertion `assert` made.
    pub(super) fn retract(&mut self, t: &mut Turn, handle: Value) -> Result<Value, Value> {
        let ctx = &mut self.vm.machine.ctx;
        let id = match handle {
            Value::Obj(r) => match ctx.heap.get(r) {
                Object::Handle(id) => Some(*id),
                _ => None,
            },
            _ => None,
        };
        match id.and_then(|id| self.state.handles.remove(&id)) {
            Some(handle) => {
                t.retract(handle);
                Ok(Value::Nil)
            }
            None => Err(ctx.error_value(
                "type",
                "`retract` expects a handle from `assert` that is still asserted",
                Value::Nil,
            )),
        }
    }
}
