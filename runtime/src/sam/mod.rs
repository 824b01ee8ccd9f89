//! The Syndicated Actor Model kernel (syndicate.md; ARCHITECTURE.md): actors, facets,
//! entities, turns, assertions with handles, messages, sync, and the dataspace with its
//! skeleton index. A pure, deterministic library: no threads, clocks or randomness; every id
//! comes from a counter in the state; every map that is iterated is ordered; the kernel's
//! state serialises as it is (see [`system`] for what is behaviour and re-attached on
//! restore).
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
//! | [`system`] | [`System`]: the scheduler, commit and crash, snapshots |
//! | [`dataspace`] | the dataspace entity |
//! | [`index`] | the index interface and the naive reference index |
//! | [`skeleton`] | the skeleton index |
//! | [`recorder`] | an entity that records what it receives (tests, debugging) |

pub mod actor;
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
pub mod system;
pub mod term;
mod text;
pub mod turn;

pub use dataspace::{Dataspace, NaiveDataspace, observe, parse_observe};
pub use entity::{Entity, EntitySnapshot, FnEntity};
pub use error::{Error, Result};
pub use event::{Batch, Delivery, Event, ExitStatus, Outcome, TurnInput, TurnRecord};
pub use ids::{ActorId, FacetId, Handle, Ref, TurnId};
pub use index::{Index, NaiveIndex, ObsId};
pub use pattern::Pattern;
pub use recorder::Recorder;
pub use skeleton::SkeletonIndex;
pub use system::{Snapshot, System, builtin_entity};
pub use term::Term;
pub use turn::Turn;
