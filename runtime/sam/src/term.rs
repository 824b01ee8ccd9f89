//! [`Term`]: the heap-independent data model of assertions and messages.
//!
//! The VM's values live in a per-fiber heap and are referred to by index, so they cannot be
//! shared between actors. A `Term` is a self-contained, immutable, cheaply clonable copy
//! (compound parts are `Arc`-shared) that the dataspace can store, index and journal.
//!
//! Semantics follow duet's `=` and the equality and total order of the Preserves data
//! model:
//!
//! - **Equality** is structural with no coercions: `1 ≠ 1.0`, `"a" ≠ a ≠ :a`. Lists and
//!   vectors with equal elements are equal (as duet's `=` says), so both are one *sequence*
//!   kind for equality, order and hashing; they still print differently. Maps are equal when
//!   they hold the same keys with equal values, whatever the insertion order.
//! - **Floats** compare with [`f64::total_cmp`]: `-0.0 < 0.0`, and a NaN equals itself.
//! - **Total order** between kinds: nil < bool < float < int < string < symbol < keyword <
//!   record < sequence < map < ref. Within a kind: natural order; records by label then
//!   fields; sequences lexicographically; maps as their entry lists sorted by key.
//! - **Hash** is consistent with equality (maps hash their sorted entries).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ids::Ref;

/// An immutable value that can be asserted, sent, indexed and journaled.
#[derive(Clone, Serialize, Deserialize)]
pub enum Term {
    /// `nil`
    Nil,
    /// `true` / `false`
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float, ordered with `total_cmp`.
    Float(f64),
    /// A string.
    Str(#[serde(with = "arc_str")] Arc<str>),
    /// A symbol, by name.
    Symbol(#[serde(with = "arc_str")] Arc<str>),
    /// A keyword, by name without the colon.
    Keyword(#[serde(with = "arc_str")] Arc<str>),
    /// A list `(a b)`.
    List(#[serde(with = "arc_slice")] Arc<[Term]>),
    /// A vector `[a b]`.
    Vector(#[serde(with = "arc_slice")] Arc<[Term]>),
    /// A map `{k v}` with unique keys kept in insertion order.
    Map(#[serde(with = "arc_sized")] Arc<TermMap>),
    /// A record `<label field …>`.
    Record(#[serde(with = "arc_sized")] Arc<Record>),
    /// An embedded entity reference (a capability).
    Ref(Ref),
}

/// The parts of a record: a symbol label and positional fields.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Record {
    /// The label's symbol name.
    #[serde(with = "arc_str")]
    pub label: Arc<str>,
    /// The fields in order.
    pub fields: Vec<Term>,
}

/// A map: unique keys in insertion order, plus a precomputed by-key permutation so that
/// comparison, hashing and lookup never allocate.
#[derive(Clone)]
pub struct TermMap {
    entries: Vec<(Term, Term)>,
    /// Indices into `entries`, sorted by key.
    sorted: Vec<u32>,
}

impl TermMap {
    /// Builds a map from pairs; a repeated key keeps its first position and its last value
    /// (like successive `assoc`s).
    pub fn new(pairs: impl IntoIterator<Item = (Term, Term)>) -> TermMap {
        let mut entries: Vec<(Term, Term)> = Vec::new();
        for (k, v) in pairs {
            match entries.iter_mut().find(|(k2, _)| *k2 == k) {
                Some(slot) => slot.1 = v,
                None => entries.push((k, v)),
            }
        }
        let mut sorted: Vec<u32> = (0..entries.len() as u32).collect();
        sorted.sort_by(|a, b| entries[*a as usize].0.cmp(&entries[*b as usize].0));
        TermMap { entries, sorted }
    }

    /// The entries in insertion order.
    pub fn entries(&self) -> &[(Term, Term)] {
        &self.entries
    }

    /// The entries in ascending key order.
    pub fn sorted(&self) -> impl Iterator<Item = &(Term, Term)> + '_ {
        self.sorted.iter().map(|i| &self.entries[*i as usize])
    }

    /// The value at `key` (binary search over the sorted permutation).
    pub fn get(&self, key: &Term) -> Option<&Term> {
        self.sorted
            .binary_search_by(|i| self.entries[*i as usize].0.cmp(key))
            .ok()
            .map(|i| &self.entries[self.sorted[i] as usize].1)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Serialize for TermMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.entries.serialize(s)
    }
}

impl<'de> Deserialize<'de> for TermMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TermMap, D::Error> {
        let entries = Vec::<(Term, Term)>::deserialize(d)?;
        let n = entries.len();
        let map = TermMap::new(entries);
        if map.len() != n {
            return Err(serde::de::Error::custom("map with a repeated key"));
        }
        Ok(map)
    }
}

impl PartialEq for TermMap {
    fn eq(&self, other: &TermMap) -> bool {
        self.len() == other.len() && self.sorted().eq(other.sorted())
    }
}
impl Eq for TermMap {}
impl PartialOrd for TermMap {
    fn partial_cmp(&self, other: &TermMap) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for TermMap {
    fn cmp(&self, other: &TermMap) -> Ordering {
        self.sorted().cmp(other.sorted())
    }
}
impl Hash for TermMap {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_usize(self.len());
        for (k, v) in self.sorted() {
            k.hash(h);
            v.hash(h);
        }
    }
}
impl fmt::Debug for TermMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

impl Term {
    /// A string.
    pub fn str(s: &str) -> Term {
        Term::Str(Arc::from(s))
    }

    /// A symbol.
    pub fn sym(name: &str) -> Term {
        Term::Symbol(Arc::from(name))
    }

    /// A keyword (name without the colon).
    pub fn kw(name: &str) -> Term {
        Term::Keyword(Arc::from(name))
    }

    /// A list.
    pub fn list(items: Vec<Term>) -> Term {
        Term::List(Arc::from(items))
    }

    /// A vector.
    pub fn vector(items: Vec<Term>) -> Term {
        Term::Vector(Arc::from(items))
    }

    /// A map from pairs (see [`TermMap::new`]).
    pub fn map(pairs: impl IntoIterator<Item = (Term, Term)>) -> Term {
        Term::Map(Arc::new(TermMap::new(pairs)))
    }

    /// A record `<label fields…>`.
    pub fn record(label: &str, fields: Vec<Term>) -> Term {
        Term::Record(Arc::new(Record {
            label: Arc::from(label),
            fields,
        }))
    }

    /// The elements, if this is a list or a vector.
    pub fn as_seq(&self) -> Option<&[Term]> {
        match self {
            Term::List(xs) | Term::Vector(xs) => Some(xs),
            _ => None,
        }
    }

    /// Label and fields, if this is a record.
    pub fn as_record(&self) -> Option<&Record> {
        match self {
            Term::Record(r) => Some(r),
            _ => None,
        }
    }

    /// The record's fields if this is a record labelled `label`.
    pub fn record_fields(&self, label: &str) -> Option<&[Term]> {
        match self {
            Term::Record(r) if &*r.label == label => Some(&r.fields),
            _ => None,
        }
    }

    /// The map, if this is one.
    pub fn as_map(&self) -> Option<&TermMap> {
        match self {
            Term::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The reference, if this is one.
    pub fn as_ref(&self) -> Option<&Ref> {
        match self {
            Term::Ref(r) => Some(r),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Term::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The symbol's name, if this is a symbol.
    pub fn as_symbol(&self) -> Option<&str> {
        match self {
            Term::Symbol(s) => Some(s),
            _ => None,
        }
    }

    /// Rank of the kind in the total order.
    fn rank(&self) -> u8 {
        match self {
            Term::Nil => 0,
            Term::Bool(_) => 1,
            Term::Float(_) => 2,
            Term::Int(_) => 3,
            Term::Str(_) => 4,
            Term::Symbol(_) => 5,
            Term::Keyword(_) => 6,
            Term::Record(_) => 7,
            Term::List(_) | Term::Vector(_) => 8,
            Term::Map(_) => 9,
            Term::Ref(_) => 10,
        }
    }

    /// Parses duet's printed form: `nil true false 42 -1.5 "s" sym :kw (…) […] {k v …}
    /// <label field …>`. Meant for tests, tools and examples; it is not the language's reader
    /// (no quoting, comments or reader macros; refs cannot be written).
    pub fn parse(src: &str) -> Result<Term, String> {
        let mut r = super::text::Reader::new(src);
        let t = r.term()?;
        r.end()?;
        Ok(t)
    }
}

impl PartialEq for Term {
    fn eq(&self, other: &Term) -> bool {
        match (self, other) {
            (Term::Nil, Term::Nil) => true,
            (Term::Bool(a), Term::Bool(b)) => a == b,
            (Term::Int(a), Term::Int(b)) => a == b,
            (Term::Float(a), Term::Float(b)) => a.total_cmp(b) == Ordering::Equal,
            (Term::Str(a), Term::Str(b))
            | (Term::Symbol(a), Term::Symbol(b))
            | (Term::Keyword(a), Term::Keyword(b)) => a == b,
            (Term::Record(a), Term::Record(b)) => Arc::ptr_eq(a, b) || a == b,
            (Term::Map(a), Term::Map(b)) => Arc::ptr_eq(a, b) || a == b,
            (Term::Ref(a), Term::Ref(b)) => a == b,
            (Term::List(a) | Term::Vector(a), Term::List(b) | Term::Vector(b)) => {
                std::ptr::eq(a.as_ptr(), b.as_ptr()) && a.len() == b.len() || a[..] == b[..]
            }
            _ => false,
        }
    }
}

impl Eq for Term {}

impl PartialOrd for Term {
    fn partial_cmp(&self, other: &Term) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Term {
    fn cmp(&self, other: &Term) -> Ordering {
        match (self, other) {
            (Term::Nil, Term::Nil) => Ordering::Equal,
            (Term::Bool(a), Term::Bool(b)) => a.cmp(b),
            (Term::Int(a), Term::Int(b)) => a.cmp(b),
            (Term::Float(a), Term::Float(b)) => a.total_cmp(b),
            (Term::Str(a), Term::Str(b))
            | (Term::Symbol(a), Term::Symbol(b))
            | (Term::Keyword(a), Term::Keyword(b)) => a.cmp(b),
            (Term::Record(a), Term::Record(b)) => {
                if Arc::ptr_eq(a, b) {
                    Ordering::Equal
                } else {
                    a.cmp(b)
                }
            }
            (Term::Map(a), Term::Map(b)) => {
                if Arc::ptr_eq(a, b) {
                    Ordering::Equal
                } else {
                    a.cmp(b)
                }
            }
            (Term::Ref(a), Term::Ref(b)) => a.cmp(b),
            (Term::List(a) | Term::Vector(a), Term::List(b) | Term::Vector(b)) => a[..].cmp(&b[..]),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl Hash for Term {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u8(self.rank());
        match self {
            Term::Nil => {}
            Term::Bool(b) => b.hash(h),
            Term::Int(i) => i.hash(h),
            // total_cmp equality is bit equality, so hashing the bits is consistent.
            Term::Float(f) => f.to_bits().hash(h),
            Term::Str(s) | Term::Symbol(s) | Term::Keyword(s) => s.hash(h),
            Term::List(xs) | Term::Vector(xs) => xs[..].hash(h),
            Term::Map(m) => m.hash(h),
            Term::Record(r) => r.hash(h),
            Term::Ref(r) => r.hash(h),
        }
    }
}

impl From<i64> for Term {
    fn from(i: i64) -> Term {
        Term::Int(i)
    }
}
impl From<bool> for Term {
    fn from(b: bool) -> Term {
        Term::Bool(b)
    }
}
impl From<f64> for Term {
    fn from(f: f64) -> Term {
        Term::Float(f)
    }
}
impl From<Ref> for Term {
    fn from(r: Ref) -> Term {
        Term::Ref(r)
    }
}

/// Deeper structures print as `…` rather than recursing further.
const MAX_DEPTH: usize = 200;

fn write_term(t: &Term, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
    if depth > MAX_DEPTH {
        return f.write_str("…");
    }
    let items = |f: &mut fmt::Formatter<'_>, xs: &mut dyn Iterator<Item = &Term>| {
        for (i, x) in xs.enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write_term(x, f, depth + 1)?;
        }
        Ok(())
    };
    match t {
        Term::Nil => f.write_str("nil"),
        Term::Bool(b) => f.write_str(if *b { "true" } else { "false" }),
        Term::Int(i) => write!(f, "{i}"),
        Term::Float(x) => f.write_str(&super::text::float(*x)),
        Term::Str(s) => {
            let mut out = String::new();
            super::text::quoted(s, &mut out);
            f.write_str(&out)
        }
        Term::Symbol(s) => f.write_str(s),
        Term::Keyword(k) => write!(f, ":{k}"),
        Term::List(xs) => {
            f.write_str("(")?;
            items(f, &mut xs.iter())?;
            f.write_str(")")
        }
        Term::Vector(xs) => {
            f.write_str("[")?;
            items(f, &mut xs.iter())?;
            f.write_str("]")
        }
        Term::Map(m) => {
            f.write_str("{")?;
            items(f, &mut m.entries().iter().flat_map(|(k, v)| [k, v]))?;
            f.write_str("}")
        }
        Term::Record(r) => {
            write!(f, "<{}", r.label)?;
            for x in &r.fields {
                f.write_str(" ")?;
                write_term(x, f, depth + 1)?;
            }
            f.write_str(">")
        }
        Term::Ref(r) => write!(f, "{r}"),
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_term(self, f, 0)
    }
}

impl fmt::Debug for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_term(self, f, 0)
    }
}

pub(crate) mod arc_str {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<str>, D::Error> {
        Ok(Arc::from(String::deserialize(d)?))
    }
}

mod arc_slice {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Term;

    pub fn serialize<S: Serializer>(v: &Arc<[Term]>, s: S) -> Result<S::Ok, S::Error> {
        v[..].serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<[Term]>, D::Error> {
        Ok(Arc::from(Vec::<Term>::deserialize(d)?))
    }
}

pub(crate) mod arc_sized {
    use std::sync::Arc;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<T: Serialize, S: Serializer>(v: &Arc<T>, s: S) -> Result<S::Ok, S::Error> {
        (**v).serialize(s)
    }

    pub fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Arc<T>, D::Error> {
        Ok(Arc::new(T::deserialize(d)?))
    }
}
