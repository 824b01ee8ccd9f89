//! `duet-sam`, the Syndicated Actor Model kernel, after syndicate-rs: actors, facets,
//! entities, turns, assertions with handles, messages, sync, and the dataspace with its
//! skeleton index. A pure, deterministic library: no threads, clocks or randomness; every id
//! comes from a counter in the state; every map that is iterated is ordered; the kernel's
//! state serialises as it is.
//!
//! It knows nothing of duet (no duet crate among its dependencies; the workspace's
//! `tests/layers.rs` checks it). `duet-runtime` runs each workflow run as a [`System`] of a
//! dataspace, an agent service and the workflow's interpreter entity; the repository's
//! `docs/architecture.md` has the whole map.
//!
//! | module | concept |
//! |---|---|
//! | [`term`] | [`Term`], the heap-independent data model of assertions |
//! | [`pattern`] | [`Pattern`], matching, term encoding, analysis for the index |
//! | [`ids`] | actor, facet, entity ([`Ref`]), handle and turn ids |
//! | [`event`] | the four events, turn records for the journal |
//! | [`entity`] | the [`Entity`] trait |
//! | [`actor`] | an actor's state |
//! | [`facet`] | the facet tree, stop cascades, inertness |
//! | [`turn`] | [`Turn`]: the transactional context handlers run in |
//! | [`caveat`] | [`Caveat`]s: the attenuation language, [`caveat::rewrite`] |
//! | [`cap`] | [`Cap`]: a reference attenuated by caveats |
//! | [`sturdy`] | [`SturdyRef`]: a capability as signed data |
//! | [`system`] | [`System`]: the scheduler, commit and crash, snapshots |
//! | [`dataspace`] | the dataspace entity |
//! | [`index`] | the index interface and the naive reference index |
//! | [`skeleton`] | the skeleton index |
//! | [`recorder`] | an entity that records what it receives (tests, debugging) |
//!
//! **Data and behaviour.** Everything in [`system::KernelState`] (actors, facet trees,
//! outbound handles, links, exit statuses, id counters, the queue of pending turns) and every
//! [`TurnRecord`] is plain serde data. Entities are behaviour (trait objects); the built-in
//! ones (dataspaces, [`Recorder`]) save their own state through [`Entity::snapshot`] and come
//! back through [`builtin_entity`]; any other entity is re-attached on restore by the host's
//! resolver, from its `(kind, data)`. Boot functions and host closures passed to
//! [`System::activate`] are behaviour that never outlives one `System` call, so a snapshot
//! taken between calls never needs them; a journal should record host input as events
//! ([`System::send`]) where it can.
//!
//! ```
//! use duet_sam::*;
//!
//! let mut sys = System::new();
//! // A dataspace in its own actor; the facet holds only an entity, so keep it alive.
//! let ds_actor = sys.spawn(|t| {
//!     t.prevent_inert_check();
//!     t.create(Dataspace::<SkeletonIndex>::new());
//!     Ok(())
//! });
//! let ds = Ref { actor: ds_actor, oid: 0 };
//! // An observer of `<greeting ?who>`.
//! let obs_actor = sys.spawn(move |t| {
//!     t.prevent_inert_check();
//!     let me = t.create(Recorder::new());
//!     t.assert(&ds, observe(&Pattern::parse("<greeting ?who>").unwrap(), me));
//!     Ok(())
//! });
//! // A publisher: its assertion lives as long as its facet.
//! sys.spawn(move |t| {
//!     t.assert(&ds, Term::parse(r#"<greeting "world">"#).unwrap());
//!     Ok(())
//! });
//! sys.run();
//! let rec = sys.entity::<Recorder>(&Ref { actor: obs_actor, oid: 0 }).unwrap();
//! assert_eq!(rec.summary(), [r#"+["world"]"#]);
//! // The publisher's facet held an assertion, so it was not inert: it is still running.
//! let bytes = sys.snapshot_bytes();
//! let restored = System::restore_bytes(&bytes, |_, _| None).unwrap();
//! assert_eq!(restored.snapshot_bytes(), bytes);
//! ```

pub mod actor;
pub mod cap;
pub mod caveat;
pub mod dataspace;
pub mod entity;
pub mod error;
pub mod event;
pub mod facet;
pub mod ids;
pub mod index;
pub mod pattern;
pub mod recorder;
pub mod skeleton;
pub mod sturdy;
pub mod system;
pub mod term;
mod text;
pub mod turn;

pub use cap::Cap;
pub use caveat::{Caveat, CaveatPattern, Rewrite, Template, TypeTest};
pub use dataspace::{Dataspace, NaiveDataspace, observe, parse_observe};
pub use entity::{Entity, EntitySnapshot, FnEntity};
pub use error::{Error, Result};
pub use event::{Batch, Delivery, Event, ExitStatus, TurnInput, TurnOutcome, TurnRecord};
pub use ids::{ActorId, FacetId, Handle, Ref, TurnId};
pub use index::{Index, NaiveIndex, ObsId};
pub use pattern::Pattern;
pub use recorder::Recorder;
pub use skeleton::SkeletonIndex;
pub use sturdy::SturdyRef;
pub use system::{Snapshot, System, builtin_entity};
pub use term::Term;
pub use turn::Turn;
