//! Fibers and the concurrency groups of `parallel` and `race`: each branch runs on a fiber
//! of its own while the fiber that started the group waits; the group ends when every
//! branch has returned (`parallel`), the first one has (`race`), or one fails.

use duet_lang::ir::Concurrent;
use duet_sam::{Term, Turn};
use duet_vm::value::Value;

use super::WorkflowEntity;
use super::scheduler::{Next, Runnable};
use super::state::Group;
use crate::workflow::convert::from_term;

impl WorkflowEntity {
    /// Empties `fiber`: whatever it was running is gone.
    pub(super) fn reset_fiber(&mut self, fiber: usize) {
        if let Some(f) = self.vm.machine.fibers.get_mut(fiber) {
            *f = duet_vm::Fiber::default();
        }
    }

    /// A fiber with nothing on it, for a branch.
    pub(super) fn alloc_fiber(&mut self) -> usize {
        let fibers = &self.vm.machine.fibers;
        match (1..fibers.len()).find(|&k| {
            fibers[k].frames.is_empty()
                && !self.state.children.contains_key(&k)
                && !self.state.handler_fibers.contains(&k)
                && !self.state.facets.owns_fiber(k)
        }) {
            Some(k) => k,
            None => {
                self.vm.machine.fibers.push(duet_vm::Fiber::default());
                self.vm.machine.fibers.len() - 1
            }
        }
    }

    /// Stops a branch fiber and everything it waits on or started.
    pub(super) fn cancel_fiber(&mut self, t: &mut Turn, fiber: usize) {
        self.drop_attempts_of(t, fiber);
        let waits: Vec<u64> = self
            .state
            .waits
            .iter()
            .filter(|(_, w)| w.fiber == fiber)
            .map(|(&id, _)| id)
            .collect();
        for id in waits {
            self.end_wait(t, id);
        }
        self.state.external.retain(|_, (f, _)| *f != fiber);
        let external = &self.state.external;
        self.state
            .timers
            .retain(|timer, _| external.contains_key(timer));
        let owned: Vec<u64> = self
            .state
            .groups
            .iter()
            .filter(|(_, g)| g.parent == fiber)
            .map(|(&id, _)| id)
            .collect();
        for gid in owned {
            if let Some(group) = self.state.groups.remove(&gid) {
                for member in group.members {
                    self.cancel_fiber(t, member);
                }
            }
        }
        self.state.children.remove(&fiber);
        self.reset_fiber(fiber);
    }

    /// `(parallel …)` or `(race …)` on `fiber`: each thunk becomes a runnable branch and
    /// `fiber` waits for the group (an empty group is done at once).
    pub(super) fn start_group(
        &mut self,
        fiber: usize,
        kind: Concurrent,
        thunks: &[Value],
        runnable: &mut Runnable,
    ) -> Next {
        let race = kind == Concurrent::Race;
        if thunks.is_empty() {
            let ctx = &mut self.vm.machine.ctx;
            let empty = if race {
                Value::Nil
            } else {
                ctx.vector(Vec::new())
            };
            return Next::Continue(Some(Ok(empty)));
        }
        let gid = self.state.fresh_id();
        let mut members = Vec::with_capacity(thunks.len());
        for (index, thunk) in thunks.iter().enumerate() {
            let k = self.alloc_fiber();
            self.state.children.insert(k, (gid, index));
            members.push(k);
            // A thunk is a closure: `call` sets up its frame and runs nothing yet.
            let _ = self.vm.call(k, *thunk, &[]);
            runnable.push_back((k, None));
        }
        self.state.groups.insert(
            gid,
            Group {
                race,
                parent: fiber,
                results: vec![None; members.len()],
                members,
            },
        );
        Next::Wait
    }

    /// Branch `fiber` ended with `result`: when that ends its group, the group's other
    /// branches stop and its parent becomes runnable again.
    pub(super) fn branch_ended(
        &mut self,
        t: &mut Turn,
        fiber: usize,
        result: Result<Term, Term>,
        runnable: &mut Runnable,
    ) -> Next {
        if let Some(next) = self.attempt_body_ended(fiber, &result, runnable) {
            return next;
        }
        if let Some(next) = self.branch_done(t, fiber, result) {
            runnable.push_back(next);
        }
        Next::Wait
    }

    /// A branch ended with `result`; returns the parent to continue, when the group is done.
    fn branch_done(
        &mut self,
        t: &mut Turn,
        fiber: usize,
        result: Result<Term, Term>,
    ) -> Option<(usize, Option<Result<Value, Value>>)> {
        let (gid, index) = self.state.children.remove(&fiber)?;
        self.reset_fiber(fiber);
        let finished = match (&result, self.state.groups.get_mut(&gid)) {
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
        let group = self.state.groups.remove(&gid)?;
        for member in &group.members {
            if *member != fiber && self.state.children.contains_key(member) {
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

    /// Stops every branch fiber (a `goto` or `terminal` ends them all).
    pub(super) fn cancel_branches(&mut self, t: &mut Turn) {
        self.drop_all_attempts(t);
        let branches: Vec<usize> = self.state.children.keys().copied().collect();
        for fiber in branches {
            self.cancel_fiber(t, fiber);
        }
        self.state.groups.clear();
    }
}
