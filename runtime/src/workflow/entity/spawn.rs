//! `spawn` and `stop`: starting a facet's body on a fiber of its own, finding the facet a
//! fiber works for, and stopping facets — their fibers, their handlers and what they
//! asserted. The bookkeeping itself is [`crate::workflow::facets`].

use duet_sam::{Term, Turn};
use duet_vm::value::Value;

use super::WorkflowEntity;
use super::scheduler::{Next, Runnable};
use crate::workflow::convert::{from_term, to_term};
use crate::workflow::facets::Facet;

impl WorkflowEntity {
    /// `(spawn body)` on `fiber`: a facet, inside the one `fiber` works for, whose body is
    /// runnable on a fiber of its own. Returns the facet's value, `<facet ID>`.
    pub(super) fn spawn(
        &mut self,
        fiber: usize,
        thunks: &[Value],
        runnable: &mut Runnable,
    ) -> Value {
        let parent = self.facet_of(fiber);
        let id = self.state.fresh_id();
        let body = self.alloc_fiber();
        self.state.facets.start(id, body, parent);
        if let Some(thunk) = thunks.first() {
            // A thunk is a closure: `call` sets up its frame and runs nothing yet.
            let _ = self.vm.call(body, *thunk, &[]);
            runnable.push_back((body, None));
        }
        let facet = Term::record("facet", vec![Term::Int(id as i64)]);
        from_term(&mut self.vm.machine.ctx, &facet)
    }

    /// `(stop facet)` on `fiber`: the facet and those spawned inside it stop. A facet
    /// stopping itself (or the facet it runs in) ends `fiber` too.
    pub(super) fn stop(&mut self, t: &mut Turn, fiber: usize, facet: Value) -> Next {
        let ctx = &mut self.vm.machine.ctx;
        let facet = to_term(ctx, facet)
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
        let stops_itself = self
            .facet_of(fiber)
            .is_some_and(|mine| self.state.facets.within(mine, id));
        self.stop_facet(t, id);
        if stops_itself {
            Next::Wait
        } else {
            Next::Continue(Some(Ok(Value::Nil)))
        }
    }

    /// Stops every facet `spawn` started (a `goto` or `terminal` ends them all).
    pub(super) fn stop_facets(&mut self, t: &mut Turn) {
        let all = self.state.facets.remove_all();
        self.stop_removed(t, all);
    }

    /// Stops facet `id` and the facets spawned inside it; nothing when it has stopped.
    fn stop_facet(&mut self, t: &mut Turn, id: u64) {
        let removed = self.state.facets.remove_tree(id);
        self.stop_removed(t, removed);
    }

    /// Ends removed facets: their bodies' fibers stop, their handlers go, and everything
    /// they asserted is retracted.
    fn stop_removed(&mut self, t: &mut Turn, facets: Vec<Facet>) {
        for facet in facets {
            if let Some(fiber) = facet.fiber {
                self.cancel_fiber(t, fiber);
            }
            for id in facet.handlers {
                if let Some(installed) = self.state.handlers.remove(&id) {
                    self.uninstall(t, installed);
                }
            }
            for id in facet.handles {
                if let Some(handle) = self.state.handles.remove(&id) {
                    t.retract(handle);
                }
            }
        }
    }

    /// The facet `fiber` works for: the one whose body runs on it, or on the fiber that
    /// started its `parallel`/`race` branch.
    pub(super) fn facet_of(&self, mut fiber: usize) -> Option<u64> {
        loop {
            if let Some(id) = self.state.facets.running_on(fiber) {
                return Some(id);
            }
            let (gid, _) = self.state.children.get(&fiber)?;
            fiber = self.state.groups.get(gid)?.parent;
        }
    }
}
