//! `duet-runtime`: runs the IR that `duet-lang` produces. The VM (explicit frames,
//! snapshot-able state, step budget), the values and heap it works on, the builtins of the
//! prelude, and the hosts that drive it: scripts today; the dataspace, actors, effects and
//! the durable store on fjall next. It depends on `duet-lang` for the IR types only.

pub mod agents;
pub mod builtins;
pub mod effects;
pub mod equal;
pub mod heap;
pub mod print;
pub mod sam;
pub mod snapshot;
pub mod store;
pub mod symbols;
pub mod value;
pub mod vm;
pub mod workflow;
