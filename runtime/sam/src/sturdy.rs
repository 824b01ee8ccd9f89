//! SturdyRefs: capabilities as plain data, macaroon style, as in syndicate. A live
//! [`Ref`] names an entity of a running system and cannot be persisted or printed; a
//! [`SturdyRef`] can be stored, journaled and handed around as bytes, and its issuer turns
//! it back into an attenuated [`Cap`] after checking its signature.
//!
//! **Shape.** `oid` is the issuer's name for the service (any term; the issuer maps it to
//! a live ref), `caveats` the attenuation oldest first, `sig` a 16-byte signature chain:
//!
//! ```text
//! sig = f(…f(f(k, e(oid)), e(c1))…, e(cn))
//! ```
//!
//! - `k` is the issuer's secret 16-byte key (random, chosen by the host: the kernel has no
//!   randomness of its own).
//! - `e(x)` is the postcard encoding of `x`'s serde form.
//! - `f(key, data)` is `blake3::keyed_hash(K, data)` truncated to 16 bytes, where the
//!   32-byte `K = blake3::derive_key(SIG_CONTEXT, key)` (a KDF instead of padding, and a
//!   context string that separates these signatures from any other use of the key).
//!
//! **Attenuation needs no key.** Anyone holding a SturdyRef can append a caveat `c` and
//! replace `sig` with `f(sig, e(c))`. Nobody can remove or change a caveat, or the oid,
//! without `k`: the issuer validates by recomputing the whole chain from `k`
//! ([`SturdyRef::validate`]; the comparison is constant time). Then
//! [`SturdyRef::to_cap`] attenuates the live target with the same caveats.
//!
//! **Encoding stability.** The signature covers the exact encoding, so a SturdyRef must
//! travel as its serde data. A change that keeps a term equal but changes its encoding (a
//! list for a vector, map entries reordered) invalidates it, which fails closed. The caveat
//! and term encodings are part of the format: changing them means a new [`SIG_CONTEXT`].
//!
//! Resolution (syndicate's gatekeeper protocol, `<resolve …>` / `<bind …>`) is not part of
//! the kernel; a host or service entity holding the key does it with these functions.

use serde::{Deserialize, Serialize};

use super::cap::Cap;
use super::caveat::Caveat;
use super::ids::Ref;
use super::term::Term;

/// The `blake3::derive_key` context of the signature chain; it names the format version.
pub const SIG_CONTEXT: &str = "duet sam 2025 sturdyref signature chain v1";

/// A capability as data: a service name, caveats and a signature over both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SturdyRef {
    /// The issuer's name for the target.
    pub oid: Term,
    /// The attenuation, oldest first (applied newest first).
    pub caveats: Vec<Caveat>,
    /// The signature chain over `oid` and `caveats`.
    pub sig: [u8; 16],
}

impl SturdyRef {
    /// A new, unattenuated SturdyRef for `oid`, signed with the issuer's `key`.
    pub fn mint(key: &[u8; 16], oid: Term) -> SturdyRef {
        let sig = chain(key, &encode(&oid));
        SturdyRef {
            oid,
            caveats: Vec::new(),
            sig,
        }
    }

    /// A narrower SturdyRef: `caveat` appended and the chain extended. Needs no key. An
    /// error if the caveat fails [`Caveat::check`].
    pub fn attenuate(&self, caveat: Caveat) -> Result<SturdyRef, String> {
        caveat.check()?;
        let sig = chain(&self.sig, &encode(&caveat));
        let mut caveats = self.caveats.clone();
        caveats.push(caveat);
        Ok(SturdyRef {
            oid: self.oid.clone(),
            caveats,
            sig,
        })
    }

    /// Whether this SturdyRef was minted with `key` and only attenuated since.
    pub fn validate(&self, key: &[u8; 16]) -> bool {
        let first = chain(key, &encode(&self.oid));
        let expected = self
            .caveats
            .iter()
            .fold(first, |sig, c| chain(&sig, &encode(c)));
        constant_time_eq(&expected, &self.sig)
    }

    /// The live capability this SturdyRef stands for: `target` (the live ref the issuer
    /// resolved `oid` to) attenuated with its caveats. An error if it does not validate
    /// with `key` or a caveat fails [`Caveat::check`].
    pub fn to_cap(&self, key: &[u8; 16], target: Ref) -> Result<Cap, String> {
        if !self.validate(key) {
            return Err(format!("SturdyRef for {} does not validate", self.oid));
        }
        Cap::new(target).attenuate(&self.caveats)
    }
}

/// One link of the chain: `f(key, data)`.
fn chain(key: &[u8; 16], data: &[u8]) -> [u8; 16] {
    let k = blake3::derive_key(SIG_CONTEXT, key);
    let h = blake3::keyed_hash(&k, data);
    let mut sig = [0; 16];
    sig.copy_from_slice(&h.as_bytes()[..16]);
    sig
}

fn encode<T: Serialize>(x: &T) -> Vec<u8> {
    postcard::to_stdvec(x).expect("terms and caveats always encode")
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8; 16], b: &[u8; 16]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_is_the_documented_formula() {
        let key = [7; 16];
        let oid = Term::sym("svc");
        let c = Caveat::Unknown(Term::sym("x"));
        let f = |k: &[u8; 16], d: &[u8]| {
            let h = blake3::keyed_hash(&blake3::derive_key(SIG_CONTEXT, k), d);
            <[u8; 16]>::try_from(&h.as_bytes()[..16]).unwrap()
        };
        let s0 = f(&key, &postcard::to_stdvec(&oid).unwrap());
        let s1 = f(&s0, &postcard::to_stdvec(&c).unwrap());
        let minted = SturdyRef::mint(&key, oid);
        assert_eq!(minted.sig, s0);
        assert_eq!(minted.attenuate(c).unwrap().sig, s1);
    }

    #[test]
    fn attenuate_checks_the_caveat() {
        let r = SturdyRef::mint(&[1; 16], Term::Int(1));
        let bad = Caveat::Rewrite(crate::caveat::Rewrite {
            pattern: crate::caveat::CaveatPattern::Discard,
            template: crate::caveat::Template::Ref(0),
        });
        assert!(r.attenuate(bad).is_err());
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq(&[3; 16], &[3; 16]));
        let mut b = [3; 16];
        b[15] = 4;
        assert!(!constant_time_eq(&[3; 16], &b));
    }
}
