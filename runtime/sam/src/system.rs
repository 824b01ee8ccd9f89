//! [`System`]: all the actors of a run and the deterministic scheduler.
//!
//! Turns are queued with a sequence number from the run's turn counter and run strictly in
//! that order (FIFO), one at a time, so the same inputs in the same order always give the
//! same turns, ids and outputs. Three kinds of turn run at once instead of being queued,
//! always in the same place in that order: the boot turn of an actor spawned by a committed
//! turn (right after it), the cleanup turn of an actor whose turn failed (right after the
//! failure), and host activations ([`System::activate`], [`System::spawn`]).
//!
//! **Snapshots.** Between calls, the whole kernel state — actors, facets, entities' facets,
//! outbound handles, links, counters, exit statuses and the queue of pending turns — is data
//! ([`KernelState`]) and serialises as it is. What is *not* data is the behaviour of each
//! entity (a trait object). [`System::snapshot`] asks every entity for its
//! [`EntitySnapshot`]; [`System::restore`] rebuilds the kernel state and asks the host's
//! resolver for a behaviour for every live entity (the built-in dataspaces restore
//! themselves through [`builtin_entity`]). Boot functions never need saving: they only live
//! inside a single `System` call.

use std::any::Any;
use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::actor::ActorState;
use super::dataspace::{Dataspace, NAIVE_KIND, SKELETON_KIND};
use super::entity::{Entity, EntitySnapshot};
use super::error::Result;
use super::event::{Batch, Delivery, Event, ExitStatus, TurnInput, TurnOutcome, TurnRecord};
use super::ids::{ActorId, FacetId, Ref, TurnId};
use super::index::NaiveIndex;
use super::recorder::{RECORDER_KIND, Recorder};
use super::skeleton::SkeletonIndex;
use super::term::Term;
use super::turn::{BootFn, Turn};

/// Version of the snapshot format.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// A turn waiting to run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedTurn {
    /// Its sequence number.
    pub id: TurnId,
    /// The actor that will run it.
    pub actor: ActorId,
    /// The turn that queued it (`None`: the host).
    pub cause: Option<TurnId>,
    /// What it will process.
    pub input: TurnInput,
}

/// The kernel's state: plain data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KernelState {
    /// Counter for actor ids.
    pub next_actor: u64,
    /// Counter for turn ids.
    pub next_turn: u64,
    /// Live actors.
    pub actors: BTreeMap<ActorId, ActorState>,
    /// How ended actors ended.
    pub exited: BTreeMap<ActorId, ExitStatus>,
    /// Turns waiting to run, in id order.
    pub queue: VecDeque<QueuedTurn>,
}

/// A saved [`System`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// [`SNAPSHOT_FORMAT`] at the time it was made.
    pub format: u32,
    /// The kernel's state.
    pub kernel: KernelState,
    /// Every live entity's own state.
    pub entities: BTreeMap<Ref, EntitySnapshot>,
}

struct PendingBoot {
    actor: ActorId,
    boot: BootFn,
    cause: Option<TurnId>,
    parent: Option<ActorId>,
    /// Stop the child after it boots: its linking facet stopped in the spawning turn.
    stop_from: Option<FacetId>,
}

type Behaviours = BTreeMap<u64, Box<dyn Entity>>;

/// All the actors of a run.
pub struct System {
    kernel: KernelState,
    behaviours: BTreeMap<ActorId, Behaviours>,
    boots: VecDeque<PendingBoot>,
    log: Vec<TurnRecord>,
    logging: bool,
}

impl Default for System {
    fn default() -> Self {
        System::new()
    }
}

impl System {
    /// An empty system that records every turn (see [`System::take_log`]).
    pub fn new() -> System {
        System {
            kernel: KernelState {
                next_actor: 0,
                next_turn: 0,
                actors: BTreeMap::new(),
                exited: BTreeMap::new(),
                queue: VecDeque::new(),
            },
            behaviours: BTreeMap::new(),
            boots: VecDeque::new(),
            log: Vec::new(),
            logging: true,
        }
    }

    /// Whether turn records are kept (on by default).
    pub fn set_logging(&mut self, on: bool) {
        self.logging = on;
    }

    /// The turn records collected since the last call.
    pub fn take_log(&mut self) -> Vec<TurnRecord> {
        std::mem::take(&mut self.log)
    }

    /// The kernel's state.
    pub fn state(&self) -> &KernelState {
        &self.kernel
    }

    /// A live actor's state.
    pub fn actor(&self, id: ActorId) -> Option<&ActorState> {
        self.kernel.actors.get(&id)
    }

    /// Whether the actor is running.
    pub fn is_alive(&self, id: ActorId) -> bool {
        self.kernel.actors.contains_key(&id)
    }

    /// How an ended actor ended.
    pub fn exit_status(&self, id: ActorId) -> Option<&ExitStatus> {
        self.kernel.exited.get(&id)
    }

    /// Whether a facet exists.
    pub fn facet_alive(&self, f: FacetId) -> bool {
        self.kernel
            .actors
            .get(&f.actor)
            .is_some_and(|a| a.facets.contains_key(&f.n))
    }

    /// Number of turns waiting.
    pub fn pending(&self) -> usize {
        self.kernel.queue.len()
    }

    /// A live entity's behaviour, if it is a `T`.
    pub fn entity<T: Entity>(&self, r: &Ref) -> Option<&T> {
        let b = self.behaviours.get(&r.actor)?.get(&r.oid)?;
        (&**b as &dyn Any).downcast_ref::<T>()
    }

    /// A live entity's behaviour, mutably, if it is a `T`. (Changing an entity outside a
    /// turn is not journaled: meant for tests and tools.)
    pub fn entity_mut<T: Entity>(&mut self, r: &Ref) -> Option<&mut T> {
        let b = self.behaviours.get_mut(&r.actor)?.get_mut(&r.oid)?;
        (&mut **b as &mut dyn Any).downcast_mut::<T>()
    }

    /// Spawns a top-level actor and runs its boot turn now; returns its id.
    pub fn spawn(&mut self, boot: impl FnOnce(&mut Turn) -> Result + Send + 'static) -> ActorId {
        let id = ActorId(self.kernel.next_actor);
        self.kernel.next_actor += 1;
        self.kernel.actors.insert(id, ActorState::new(id));
        self.boots.push_back(PendingBoot {
            actor: id,
            boot: Box::new(boot),
            cause: None,
            parent: None,
            stop_from: None,
        });
        self.drain_boots();
        id
    }

    /// Runs `f` now as a turn of `facet`'s actor with `facet` active (host input: a timer,
    /// an effect's result, a test driver). Returns false, running nothing, if the facet is
    /// not alive.
    pub fn activate(&mut self, facet: FacetId, f: impl FnOnce(&mut Turn) -> Result) -> bool {
        if !self.facet_alive(facet) {
            return false;
        }
        let id = self.next_turn_id();
        self.run_turn(
            id,
            facet.actor,
            None,
            TurnInput::External { facet },
            |t, _| t.in_facet(facet, f),
        );
        self.drain_boots();
        true
    }

    /// Queues host input: one event for one entity, as a turn of its own.
    pub fn send(&mut self, target: Ref, event: Event) {
        self.enqueue(
            target.actor,
            None,
            TurnInput::Deliver(vec![Delivery { target, event }]),
        );
    }

    /// Runs the next queued turn; false if there was none.
    pub fn step(&mut self) -> bool {
        let Some(q) = self.kernel.queue.pop_front() else {
            return false;
        };
        self.run_turn(q.id, q.actor, q.cause, q.input, |t, input| match input {
            TurnInput::Deliver(batch) => {
                for d in batch {
                    t.deliver(d)?;
                }
                Ok(())
            }
            TurnInput::StopActor { .. } => t.stop_actor(),
            TurnInput::LinkExit { facet, .. } => t.stop_facet(*facet),
            // Never queued.
            TurnInput::Boot { .. } | TurnInput::External { .. } | TurnInput::Cleanup { .. } => {
                Ok(())
            }
        });
        self.drain_boots();
        true
    }

    /// Runs queued turns until none is left; returns how many ran.
    pub fn run(&mut self) -> usize {
        let mut n = 0;
        while self.step() {
            n += 1;
        }
        n
    }

    /// Runs at most `limit` queued turns; returns how many ran.
    pub fn run_at_most(&mut self, limit: usize) -> usize {
        let mut n = 0;
        while n < limit && self.step() {
            n += 1;
        }
        n
    }

    fn next_turn_id(&mut self) -> TurnId {
        let id = TurnId(self.kernel.next_turn);
        self.kernel.next_turn += 1;
        id
    }

    fn enqueue(&mut self, actor: ActorId, cause: Option<TurnId>, input: TurnInput) -> TurnId {
        let id = self.next_turn_id();
        self.kernel.queue.push_back(QueuedTurn {
            id,
            actor,
            cause,
            input,
        });
        id
    }

    fn drain_boots(&mut self) {
        while let Some(b) = self.boots.pop_front() {
            let id = self.next_turn_id();
            let boot = b.boot;
            self.run_turn(
                id,
                b.actor,
                b.cause,
                TurnInput::Boot { parent: b.parent },
                |t, _| t.facet(boot).map(|_| ()),
            );
            if let Some(parent) = b.stop_from
                && self.is_alive(b.actor)
            {
                self.enqueue(b.actor, Some(id), TurnInput::StopActor { parent });
            }
        }
    }

    /// Groups a committed turn's events by target actor (in order of first send) and queues
    /// one turn per target.
    fn enqueue_outputs(&mut self, cause: TurnId, out: Vec<Delivery>) -> Vec<Batch> {
        let mut order: Vec<(ActorId, Vec<Delivery>)> = Vec::new();
        let mut slot: BTreeMap<ActorId, usize> = BTreeMap::new();
        for d in out {
            let i = *slot.entry(d.target.actor).or_insert_with(|| {
                order.push((d.target.actor, Vec::new()));
                order.len() - 1
            });
            order[i].1.push(d);
        }
        let mut batches = Vec::new();
        for (to, events) in order {
            if !self.kernel.actors.contains_key(&to) {
                continue; // the target actor has ended: dropped
            }
            let record = self.logging.then(|| events.clone());
            let turn = self.enqueue(to, Some(cause), TurnInput::Deliver(events));
            if let Some(events) = record {
                batches.push(Batch { turn, to, events });
            }
        }
        batches
    }

    /// Runs one turn of `actor_id`: `body`, then pre-commit, then commit or crash.
    fn run_turn(
        &mut self,
        id: TurnId,
        actor_id: ActorId,
        cause: Option<TurnId>,
        input: TurnInput,
        body: impl FnOnce(&mut Turn, &TurnInput) -> Result,
    ) {
        let Some(mut actor) = self.kernel.actors.remove(&actor_id) else {
            return; // ended: the turn is dropped
        };
        let mut beh = self.behaviours.remove(&actor_id).unwrap_or_default();
        let mut t = Turn::new(id, &mut actor, &mut beh, &mut self.kernel.next_actor);
        let mut r = body(&mut t, &input);
        if r.is_ok() {
            r = t.pre_commit();
        }
        match r {
            Ok(()) => {
                let exiting = t.root_gone();
                if exiting {
                    t.finish(&ExitStatus::Normal, None);
                }
                let out = std::mem::take(&mut t.out);
                let spawns = std::mem::take(&mut t.spawns);
                let link_stops = std::mem::take(&mut t.link_stops);
                let dead = std::mem::take(&mut t.dead_entities);
                let notes = std::mem::take(&mut t.record);
                drop(t);
                for e in dead {
                    beh.remove(&e);
                }
                for (c, _) in &link_stops {
                    actor.linked_children.remove(c);
                }
                // Children exist before the outputs are queued, so events to them are kept.
                let mut spawned = Vec::new();
                for s in spawns {
                    let mut child = ActorState::new(s.id);
                    let mut stop_from = None;
                    if let Some(f) = s.link {
                        let fid = FacetId {
                            actor: actor_id,
                            n: f,
                        };
                        if s.stop_after_boot {
                            stop_from = Some(fid);
                        } else {
                            child.linked_to = Some(fid);
                            actor.linked_children.insert(s.id, f);
                        }
                    }
                    self.kernel.actors.insert(s.id, child);
                    spawned.push(s.id);
                    self.boots.push_back(PendingBoot {
                        actor: s.id,
                        boot: s.boot,
                        cause: Some(id),
                        parent: Some(actor_id),
                        stop_from,
                    });
                }
                let ended = if exiting {
                    Some(actor)
                } else {
                    self.kernel.actors.insert(actor_id, actor);
                    self.behaviours.insert(actor_id, beh);
                    None
                };
                let outputs = self.enqueue_outputs(id, out);
                for (c, f) in link_stops {
                    if self.kernel.actors.contains_key(&c) {
                        let parent = FacetId {
                            actor: actor_id,
                            n: f,
                        };
                        self.enqueue(c, Some(id), TurnInput::StopActor { parent });
                    }
                }
                let exit = if let Some(actor) = ended {
                    self.exited(actor, ExitStatus::Normal, id);
                    Some(ExitStatus::Normal)
                } else {
                    None
                };
                if self.logging {
                    self.log.push(TurnRecord {
                        id,
                        actor: actor_id,
                        cause,
                        input,
                        outputs,
                        facets_started: notes.facets_started,
                        facets_stopped: notes.facets_stopped,
                        spawned,
                        outcome: TurnOutcome::Committed,
                        exit,
                    });
                }
            }
            Err(e) => {
                t.rollback();
                let notes = std::mem::take(&mut t.record);
                drop(t);
                if self.logging {
                    self.log.push(TurnRecord {
                        id,
                        actor: actor_id,
                        cause,
                        input,
                        outputs: Vec::new(),
                        facets_started: notes.facets_started,
                        facets_stopped: notes.facets_stopped,
                        spawned: Vec::new(),
                        outcome: TurnOutcome::Failed(e.reason.clone()),
                        exit: None,
                    });
                }
                self.crash(actor, beh, e.reason, id);
            }
        }
    }

    /// The cleanup turn of an actor whose turn `failed`: no stop actions run; exit hooks
    /// run; every assertion still established is retracted in a defined order — the facet
    /// tree in post-order (children before their parent, siblings by number), each facet's
    /// handles oldest first — so that replay sees exactly the same retractions (syndicate-rs
    /// retracts newest handle first and notes that this ignores the tree).
    fn crash(&mut self, mut actor: ActorState, mut beh: Behaviours, reason: Term, failed: TurnId) {
        let id = self.next_turn_id();
        let actor_id = actor.id;
        let order = crash_order(&actor);
        actor.facets.clear();
        actor.entities.clear();
        let status = ExitStatus::Error(reason.clone());
        let mut t = Turn::new(id, &mut actor, &mut beh, &mut self.kernel.next_actor);
        t.finish(&status, Some(order));
        let out = std::mem::take(&mut t.out);
        drop(t);
        drop(beh);
        let outputs = self.enqueue_outputs(id, out);
        self.exited(actor, status.clone(), id);
        if self.logging {
            self.log.push(TurnRecord {
                id,
                actor: actor_id,
                cause: Some(failed),
                input: TurnInput::Cleanup { reason },
                outputs,
                facets_started: Vec::new(),
                facets_stopped: Vec::new(),
                spawned: Vec::new(),
                outcome: TurnOutcome::Committed,
                exit: Some(status),
            });
        }
    }

    /// Bookkeeping for an ended actor: tell the facet it was linked to, stop its linked
    /// children, remember its status.
    fn exited(&mut self, actor: ActorState, status: ExitStatus, turn: TurnId) {
        self.behaviours.remove(&actor.id);
        if let Some(f) = actor.linked_to
            && self.kernel.actors.contains_key(&f.actor)
        {
            let input = TurnInput::LinkExit {
                child: actor.id,
                status: status.clone(),
                facet: f,
            };
            self.enqueue(f.actor, Some(turn), input);
        }
        for (c, f) in &actor.linked_children {
            if self.kernel.actors.contains_key(c) {
                let parent = FacetId {
                    actor: actor.id,
                    n: *f,
                };
                self.enqueue(*c, Some(turn), TurnInput::StopActor { parent });
            }
        }
        self.kernel.exited.insert(actor.id, status);
    }

    /// Saves the system: the kernel's state plus every live entity's own snapshot.
    pub fn snapshot(&self) -> Snapshot {
        let mut entities = BTreeMap::new();
        for (actor, beh) in &self.behaviours {
            for (oid, b) in beh {
                entities.insert(
                    Ref {
                        actor: *actor,
                        oid: *oid,
                    },
                    b.snapshot(),
                );
            }
        }
        Snapshot {
            format: SNAPSHOT_FORMAT,
            kernel: self.kernel.clone(),
            entities,
        }
    }

    /// [`System::snapshot`] encoded with postcard.
    pub fn snapshot_bytes(&self) -> Vec<u8> {
        postcard::to_stdvec(&self.snapshot()).expect("a snapshot always encodes")
    }

    /// Rebuilds a system from a snapshot. `resolve` gives the behaviour of each live entity
    /// from its saved state (try [`builtin_entity`] first for dataspaces); an entity it
    /// cannot resolve is an error naming it.
    pub fn restore(
        snapshot: Snapshot,
        mut resolve: impl FnMut(Ref, &EntitySnapshot) -> Option<Box<dyn Entity>>,
    ) -> std::result::Result<System, String> {
        if snapshot.format != SNAPSHOT_FORMAT {
            return Err(format!(
                "snapshot format {} is not the supported format {SNAPSHOT_FORMAT}",
                snapshot.format
            ));
        }
        let empty = EntitySnapshot::default();
        let mut behaviours = BTreeMap::new();
        for (id, actor) in &snapshot.kernel.actors {
            let mut beh: Behaviours = BTreeMap::new();
            for oid in actor.entities.keys() {
                let r = Ref {
                    actor: *id,
                    oid: *oid,
                };
                let saved = snapshot.entities.get(&r).unwrap_or(&empty);
                let b = match builtin_entity(saved) {
                    Some(b) => b?,
                    None => resolve(r, saved).ok_or_else(|| {
                        format!("no behaviour for entity {r} (kind {:?})", saved.kind)
                    })?,
                };
                beh.insert(*oid, b);
            }
            behaviours.insert(*id, beh);
        }
        Ok(System {
            kernel: snapshot.kernel,
            behaviours,
            boots: VecDeque::new(),
            log: Vec::new(),
            logging: true,
        })
    }

    /// Decodes and restores postcard bytes from [`System::snapshot_bytes`].
    pub fn restore_bytes(
        bytes: &[u8],
        resolve: impl FnMut(Ref, &EntitySnapshot) -> Option<Box<dyn Entity>>,
    ) -> std::result::Result<System, String> {
        // The format comes first in the encoding: read it alone, so a snapshot of another
        // format is named as such instead of failing to decode as this one.
        let (format, _) = postcard::take_from_bytes::<u32>(bytes)
            .map_err(|e| format!("damaged snapshot: {e}"))?;
        if format != SNAPSHOT_FORMAT {
            return Err(format!(
                "snapshot format {format} is not the supported format {SNAPSHOT_FORMAT}"
            ));
        }
        let snapshot: Snapshot =
            postcard::from_bytes(bytes).map_err(|e| format!("damaged snapshot: {e}"))?;
        System::restore(snapshot, resolve)
    }
}

/// Restores the built-in entity kinds (the two dataspaces and the recorder); `None` for
/// other kinds.
pub fn builtin_entity(
    saved: &EntitySnapshot,
) -> Option<std::result::Result<Box<dyn Entity>, String>> {
    match saved.kind.as_str() {
        SKELETON_KIND => Some(
            Dataspace::<SkeletonIndex>::restore(&saved.data)
                .map(|d| Box::new(d) as Box<dyn Entity>),
        ),
        NAIVE_KIND => Some(
            Dataspace::<NaiveIndex>::restore(&saved.data).map(|d| Box::new(d) as Box<dyn Entity>),
        ),
        RECORDER_KIND => {
            Some(Recorder::restore(&saved.data).map(|r| Box::new(r) as Box<dyn Entity>))
        }
        _ => None,
    }
}

/// The handles of `actor`'s live assertions in crash-cleanup order: facet tree post-order
/// from the root, each facet's handles ascending; handles no facet lists (none, normally)
/// last, ascending.
fn crash_order(actor: &ActorState) -> Vec<u64> {
    let mut order = Vec::with_capacity(actor.outbound.len());
    let mut seen = std::collections::BTreeSet::new();
    // Explicit stack (facet, children visited?) so deep facet trees cannot overflow.
    let mut stack = vec![(actor.root, false)];
    while let Some((facet, expanded)) = stack.pop() {
        let Some(state) = actor.facets.get(&facet) else {
            continue;
        };
        if expanded {
            for n in &state.outbound {
                if actor.outbound.contains_key(n) && seen.insert(*n) {
                    order.push(*n);
                }
            }
        } else {
            stack.push((facet, true));
            for child in state.children.iter().rev() {
                stack.push((*child, false));
            }
        }
    }
    order.extend(actor.outbound.keys().filter(|n| !seen.contains(n)));
    order
}
