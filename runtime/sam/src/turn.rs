//! [`Turn`]: the context in which an actor handles one batch of events. A turn is a
//! transaction: events it sends (assert, retract, message, sync) and the
//! actors it spawns are buffered, and on success committed together, one batch per target
//! actor in the order they were sent; on failure they are discarded and the actor crashes.
//! Creating and stopping facets and creating entities take effect at once.

use std::collections::BTreeMap;

use super::actor::{ActorState, Outbound};
use super::cap::Cap;
use super::entity::Entity;
use super::error::{Error, Result};
use super::event::{Delivery, Event};
use super::facet::{FacetState, StopAction};
use super::ids::{ActorId, FacetId, Handle, Ref, TurnId};
use super::term::Term;

/// The boot function of a spawned actor. It is behaviour and lives only until the spawning
/// turn commits and the child's boot turn runs (within the same `System` call).
pub type BootFn = Box<dyn FnOnce(&mut Turn) -> Result + Send>;

pub(crate) struct Spawn {
    pub(crate) id: ActorId,
    pub(crate) boot: BootFn,
    /// The facet of the spawning actor it is linked to.
    pub(crate) link: Option<u64>,
    /// The linking facet stopped in the spawning turn: stop the child once it has booted.
    pub(crate) stop_after_boot: bool,
}

/// How to undo a change to the actor's outbound assertions if the turn fails.
pub(crate) enum Undo {
    Added(u64),
    Removed(u64, Outbound),
    ExitHook,
}

#[derive(Default)]
pub(crate) struct TurnNotes {
    pub(crate) facets_started: Vec<FacetId>,
    pub(crate) facets_stopped: Vec<FacetId>,
}

/// The running turn of one actor.
pub struct Turn<'a> {
    pub(crate) id: TurnId,
    pub(crate) actor: &'a mut ActorState,
    pub(crate) behaviours: &'a mut BTreeMap<u64, Box<dyn Entity>>,
    pub(crate) next_actor: &'a mut u64,
    /// The active facet's number.
    pub(crate) facet: u64,
    pub(crate) out: Vec<Delivery>,
    pub(crate) undo: Vec<Undo>,
    pub(crate) spawns: Vec<Spawn>,
    pub(crate) inert_checks: Vec<u64>,
    pub(crate) link_stops: Vec<(ActorId, u64)>,
    pub(crate) deferred_stops: Vec<(u64, Term, u64)>,
    pub(crate) dead_entities: Vec<u64>,
    pub(crate) record: TurnNotes,
}

impl<'a> Turn<'a> {
    pub(crate) fn new(
        id: TurnId,
        actor: &'a mut ActorState,
        behaviours: &'a mut BTreeMap<u64, Box<dyn Entity>>,
        next_actor: &'a mut u64,
    ) -> Turn<'a> {
        let facet = actor.root;
        Turn {
            id,
            actor,
            behaviours,
            next_actor,
            facet,
            out: Vec::new(),
            undo: Vec::new(),
            spawns: Vec::new(),
            inert_checks: Vec::new(),
            link_stops: Vec::new(),
            deferred_stops: Vec::new(),
            dead_entities: Vec::new(),
            record: TurnNotes::default(),
        }
    }

    /// This turn's id.
    pub fn id(&self) -> TurnId {
        self.id
    }

    /// The actor running this turn.
    pub fn actor(&self) -> ActorId {
        self.actor.id
    }

    /// The active facet.
    pub fn current_facet(&self) -> FacetId {
        self.actor.facet_id(self.facet)
    }

    /// The actor's root facet.
    pub fn root_facet(&self) -> FacetId {
        self.actor.facet_id(self.actor.root)
    }

    /// Whether a facet of this actor exists and is not stopping.
    pub fn facet_alive(&self, f: FacetId) -> bool {
        f.actor == self.actor.id && self.actor.facets.get(&f.n).is_some_and(|f| !f.stopping)
    }

    /// Asserts `value` at `target` on behalf of the active facet, and returns its handle.
    /// The assertion lasts until retracted, until the facet stops or until the actor ends.
    /// (If the active facet no longer exists, nothing is sent.)
    pub fn assert(&mut self, target: &Ref, value: Term) -> Handle {
        let n = self.actor.next_handle;
        self.actor.next_handle += 1;
        let handle = self.actor.handle(n);
        if let Some(f) = self.actor.facets.get_mut(&self.facet) {
            f.outbound.insert(n);
            self.actor.outbound.insert(
                n,
                Outbound {
                    target: *target,
                    facet: self.facet,
                },
            );
            self.undo.push(Undo::Added(n));
            self.out.push(Delivery {
                target: *target,
                event: Event::Assert { value, handle },
            });
        }
        handle
    }

    /// Asserts `value` through an attenuated capability: the value goes through the cap's
    /// caveats first and what comes out is asserted at its target ([`Turn::assert`]). A
    /// value the caveats reject is dropped silently: no event, no handle (`None`), no error.
    pub fn assert_via(&mut self, cap: &Cap, value: Term) -> Option<Handle> {
        let value = cap.rewrite(value)?;
        Some(self.assert(cap.target(), value))
    }

    /// Retracts an assertion this actor made, from any of its facets. Unknown or already
    /// retracted handles, and other actors' handles, are ignored.
    pub fn retract(&mut self, handle: Handle) {
        if handle.actor != self.actor.id {
            return;
        }
        if let Some(ob) = self.actor.outbound.get(&handle.n)
            && let Some(f) = self.actor.facets.get_mut(&ob.facet)
        {
            f.outbound.remove(&handle.n);
        }
        self.retract_number(handle.n);
    }

    /// Retracts handle number `n` (already removed from its facet's set).
    pub(crate) fn retract_number(&mut self, n: u64) {
        if let Some(ob) = self.actor.outbound.remove(&n) {
            let handle = self.actor.handle(n);
            self.out.push(Delivery {
                target: ob.target,
                event: Event::Retract { handle },
            });
            self.undo.push(Undo::Removed(n, ob));
        }
    }

    /// Replaces the assertion in `slot` by `value` (or by nothing): the new one is asserted
    /// *before* the old one is retracted, so observers of both see no flicker.
    pub fn update(&mut self, slot: &mut Option<Handle>, target: &Ref, value: Option<Term>) {
        let new = value.map(|v| self.assert(target, v));
        if let Some(old) = slot.take() {
            self.retract(old);
        }
        *slot = new;
    }

    /// Sends a message.
    pub fn message(&mut self, target: &Ref, body: Term) {
        self.out.push(Delivery {
            target: *target,
            event: Event::Message { body },
        });
    }

    /// Sends a message through an attenuated capability: the body goes through the cap's
    /// caveats first; a body they reject is dropped silently.
    pub fn message_via(&mut self, cap: &Cap, body: Term) {
        if let Some(body) = cap.rewrite(body) {
            self.message(cap.target(), body);
        }
    }

    /// Asks `target` to reply to `peer` once it has handled everything this actor sent it
    /// before.
    pub fn sync(&mut self, target: &Ref, peer: Ref) {
        self.out.push(Delivery {
            target: *target,
            event: Event::Sync { peer },
        });
    }

    /// Creates an entity in the active facet and returns a reference to it.
    pub fn create(&mut self, entity: impl Entity) -> Ref {
        self.create_boxed(Box::new(entity))
    }

    /// [`Turn::create`] for an already boxed entity.
    pub fn create_boxed(&mut self, entity: Box<dyn Entity>) -> Ref {
        let oid = self.actor.next_entity;
        self.actor.next_entity += 1;
        if let Some(f) = self.actor.facets.get_mut(&self.facet) {
            f.entities.insert(oid);
            self.actor.entities.insert(oid, self.facet);
            self.behaviours.insert(oid, entity);
        }
        Ref {
            actor: self.actor.id,
            oid,
        }
    }

    /// Starts a child facet of the active facet, runs `boot` in it, and returns it. If the
    /// facet is inert when the turn is about to commit, it is stopped then. Refused (an
    /// error) when the active facet is stopping or gone.
    pub fn facet(&mut self, boot: impl FnOnce(&mut Turn) -> Result) -> Result<FacetId> {
        match self.actor.facets.get(&self.facet) {
            Some(f) if !f.stopping => {}
            _ => {
                return Err(Error::msg(
                    "cannot start a facet under a facet that has stopped",
                ));
            }
        }
        let n = self.actor.next_facet;
        self.actor.next_facet += 1;
        self.actor
            .facets
            .insert(n, FacetState::new(Some(self.facet)));
        self.actor
            .facets
            .get_mut(&self.facet)
            .unwrap()
            .children
            .insert(n);
        let id = self.actor.facet_id(n);
        self.record.facets_started.push(id);
        let saved = std::mem::replace(&mut self.facet, n);
        let r = boot(self);
        self.facet = saved;
        r?;
        self.inert_checks.push(n);
        Ok(id)
    }

    /// Runs `f` with another facet of this actor active. Does nothing if it is not alive.
    pub fn in_facet(&mut self, facet: FacetId, f: impl FnOnce(&mut Turn) -> Result) -> Result {
        if !self.facet_alive(facet) {
            return Ok(());
        }
        let saved = std::mem::replace(&mut self.facet, facet.n);
        let r = f(self);
        self.facet = saved;
        r
    }

    /// Stops a facet of this actor (see [`super::facet`]). Stopping an unknown or already
    /// stopped facet does nothing.
    pub fn stop_facet(&mut self, facet: FacetId) -> Result {
        if facet.actor != self.actor.id {
            return Ok(());
        }
        self.terminate(facet.n, true)
    }

    /// Stops the active facet.
    pub fn stop(&mut self) -> Result {
        self.terminate(self.facet, true)
    }

    /// Stops the root facet: the actor ends normally when the turn commits.
    pub fn stop_actor(&mut self) -> Result {
        self.terminate(self.actor.root, true)
    }

    /// Registers a stop action on the active facet: when it stops, `entity` (of this actor)
    /// gets `Entity::stop(payload)` in the parent facet's context. Stop actions do not run
    /// when the actor crashes.
    pub fn on_stop(&mut self, entity: &Ref, payload: Term) {
        if entity.actor != self.actor.id {
            return;
        }
        if let Some(f) = self.actor.facets.get_mut(&self.facet) {
            f.stop_actions.push(StopAction {
                entity: entity.oid,
                payload,
            });
        }
    }

    /// Keeps the active facet from being stopped as inert (a facet holding only entities,
    /// such as one hosting a dataspace, is otherwise collected).
    pub fn prevent_inert_check(&mut self) {
        if let Some(f) = self.actor.facets.get_mut(&self.facet) {
            f.inert_preventers += 1;
        }
    }

    /// Undoes one [`Turn::prevent_inert_check`] on the active facet; if it is then inert it
    /// is stopped before the turn commits.
    pub fn allow_inert_check(&mut self) {
        if let Some(f) = self.actor.facets.get_mut(&self.facet) {
            f.inert_preventers = f.inert_preventers.saturating_sub(1);
            self.inert_checks.push(self.facet);
        }
    }

    /// Calls `Entity::exit_hook` on `entity` (of this actor) when the actor ends, normally or
    /// not.
    pub fn add_exit_hook(&mut self, entity: &Ref) {
        if entity.actor == self.actor.id {
            self.actor.exit_hooks.push(entity.oid);
            self.undo.push(Undo::ExitHook);
        }
    }

    /// Spawns a new actor. It boots (in a facet under its root) in its own turn after this
    /// turn commits; if this turn fails, it never exists.
    pub fn spawn(&mut self, boot: impl FnOnce(&mut Turn) -> Result + Send + 'static) -> ActorId {
        self.spawn_inner(Box::new(boot), None)
    }

    /// Spawns a new actor linked to the active facet: when the child ends, the facet stops;
    /// when the facet stops, the child stops (retracting its assertions).
    pub fn spawn_link(
        &mut self,
        boot: impl FnOnce(&mut Turn) -> Result + Send + 'static,
    ) -> ActorId {
        self.spawn_inner(Box::new(boot), Some(self.facet))
    }

    fn spawn_inner(&mut self, boot: BootFn, link: Option<u64>) -> ActorId {
        let id = ActorId(*self.next_actor);
        *self.next_actor += 1;
        self.spawns.push(Spawn {
            id,
            boot,
            link,
            stop_after_boot: false,
        });
        id
    }

    /// Calls entity `oid`'s behaviour with facet `context` active, then any stop actions that
    /// were aimed at it while it ran.
    pub(crate) fn with_entity(
        &mut self,
        oid: u64,
        context: u64,
        f: impl FnOnce(&mut dyn Entity, &mut Turn) -> Result,
    ) -> Result {
        let Some(mut b) = self.behaviours.remove(&oid) else {
            return Ok(());
        };
        let saved = std::mem::replace(&mut self.facet, context);
        let mut r = f(&mut *b, self);
        while r.is_ok() {
            let Some(i) = self.deferred_stops.iter().position(|d| d.0 == oid) else {
                break;
            };
            let (_, payload, ctx) = self.deferred_stops.remove(i);
            self.facet = ctx;
            r = b.stop(self, payload);
        }
        self.facet = saved;
        self.behaviours.insert(oid, b);
        r
    }

    /// Delivers one event to a live entity of this actor (dropped if it is gone).
    pub(crate) fn deliver(&mut self, d: &Delivery) -> Result {
        let Some(&facet) = self.actor.entities.get(&d.target.oid) else {
            return Ok(());
        };
        let event = d.event.clone();
        self.with_entity(d.target.oid, facet, |e, t| match event {
            Event::Assert { value, handle } => e.assert(t, value, handle),
            Event::Retract { handle } => e.retract(t, handle),
            Event::Message { body } => e.message(t, body),
            Event::Sync { peer } => e.sync(t, peer),
        })
    }

    /// Before commit: stop facets that are inert after their boot (and anything that
    /// cascades from that).
    pub(crate) fn pre_commit(&mut self) -> Result {
        while !self.inert_checks.is_empty() {
            let checks = std::mem::take(&mut self.inert_checks);
            for n in checks {
                if self.actor.facets.get(&n).is_some_and(|f| !f.stopping) && self.is_inert(n) {
                    self.terminate(n, true)?;
                }
            }
        }
        Ok(())
    }

    /// Whether the root facet is gone (the actor is ending).
    pub(crate) fn root_gone(&self) -> bool {
        !self.actor.facets.contains_key(&self.actor.root)
    }

    /// The actor is ending: run its exit hooks, then retract whatever it still asserts, in
    /// `order` (handle numbers), or newest handle first when `None`.
    pub(crate) fn finish(&mut self, status: &super::event::ExitStatus, order: Option<Vec<u64>>) {
        let hooks = std::mem::take(&mut self.actor.exit_hooks);
        for e in hooks {
            let root = self.actor.root;
            let status = status.clone();
            let _ = self.with_entity(e, root, |b, t| {
                b.exit_hook(t, &status);
                Ok(())
            });
        }
        let left: Vec<u64> =
            order.unwrap_or_else(|| self.actor.outbound.keys().rev().copied().collect());
        for n in left {
            self.retract_number(n);
        }
    }

    /// Undoes the outbound bookkeeping of a failed turn.
    pub(crate) fn rollback(&mut self) {
        for u in std::mem::take(&mut self.undo).into_iter().rev() {
            match u {
                Undo::Added(n) => {
                    self.actor.outbound.remove(&n);
                }
                Undo::Removed(n, ob) => {
                    self.actor.outbound.insert(n, ob);
                }
                Undo::ExitHook => {
                    self.actor.exit_hooks.pop();
                }
            }
        }
        self.out.clear();
        self.spawns.clear();
    }
}
