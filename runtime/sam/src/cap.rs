//! [`Cap`]: a reference attenuated by caveats. Asserting or sending
//! through a cap ([`Turn::assert_via`], [`Turn::message_via`]) runs the value through the
//! caveats ([`super::caveat`]) before the event is queued. A value they reject is dropped
//! silently: no event, no handle, no error for the sender. Sync is not attenuated (there
//! is no value to filter), so a cap has no sync of its own: sync with its target.
//!
//! A cap is authority only for code that cannot reach the plain [`Ref`] inside it: the
//! kernel trusts its Rust callers, so it is for the layers above to hand out caps instead
//! of refs (duet's runtime hands out none yet). A cap cannot yet travel inside a [`Term`]:
//! an embedded value is a plain `Ref`, so a cap passed in a payload loses its caveats.
//! Restoring a persisted cap goes through a [`super::sturdy::SturdyRef`].
//!
//! [`Turn::assert_via`]: super::turn::Turn::assert_via
//! [`Turn::message_via`]: super::turn::Turn::message_via

use serde::{Deserialize, Serialize};

use super::caveat::{self, Caveat};
use super::ids::Ref;
use super::term::Term;

/// A reference and the caveats that attenuate it, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cap {
    target: Ref,
    attenuation: Vec<Caveat>,
}

impl Cap {
    /// The unattenuated capability to `target`.
    pub fn new(target: Ref) -> Cap {
        Cap {
            target,
            attenuation: Vec::new(),
        }
    }

    /// The entity the cap designates.
    pub fn target(&self) -> &Ref {
        &self.target
    }

    /// The caveats, oldest first (they apply newest first).
    pub fn attenuation(&self) -> &[Caveat] {
        &self.attenuation
    }

    /// A narrower cap: these caveats appended after the existing ones, so they apply
    /// before them (and the last of `caveats` first). An error, naming the caveat, if one
    /// fails [`Caveat::check`].
    pub fn attenuate(&self, caveats: &[Caveat]) -> Result<Cap, String> {
        for (i, c) in caveats.iter().enumerate() {
            c.check().map_err(|e| format!("caveat {i}: {e}"))?;
        }
        let mut attenuation = self.attenuation.clone();
        attenuation.extend_from_slice(caveats);
        Ok(Cap {
            target: self.target,
            attenuation,
        })
    }

    /// What reaches the target when `value` is sent through this cap; `None` if a caveat
    /// rejects it.
    pub fn rewrite(&self, value: Term) -> Option<Term> {
        caveat::rewrite(&self.attenuation, value)
    }
}
