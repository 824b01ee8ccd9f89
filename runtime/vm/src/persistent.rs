//! Persistent vectors and maps: `conj`, `assoc`, `dissoc` and `update` make a new version in
//! O(log n) that shares all but a path of the old one (imbl's RRB vector and HAMT), instead of
//! copying the whole collection.
//!
//! Both serialise exactly as the plain `Vec`s they replaced (a sequence of values, a sequence
//! of pairs), so a snapshot holds no trace of the sharing or of the map's hash index, and
//! restoring one gives a collection equal in every observable way.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::value::Value;

/// What a new version of a vector or map costs before its elements: the boxed header
/// (the larger, a map's) and its allocation's bookkeeping.
pub const VERSION_BYTES: usize = std::mem::size_of::<MapInner>() + 16;

/// The most elements a sequence's shared tail holds before they move into its body.
pub const TAIL: usize = 32;

/// A tail buffer: slots filled once, in order, by the versions that share it.
type Tail<T> = [OnceLock<T>; TAIL];

fn new_tail<T>() -> Arc<Tail<T>> {
    Arc::new(std::array::from_fn(|_| OnceLock::new()))
}

/// A persistent sequence: a persistent RRB vector (imbl's), the body, and a tail of up to
/// [`TAIL`] more elements in a buffer that versions grown from one another share. A version
/// appends by filling the buffer's next slot; when another version filled it first, it
/// copies its own part of the tail (at most [`TAIL`] elements) into a new buffer. So building
/// a sequence one element at a time copies nothing but what versions branching off need,
/// where appending to a shared imbl vector copies a 64-element chunk every time. Slots are
/// filled once and never change, so each version sees exactly its own elements.
#[derive(Clone)]
struct Seq<T: Clone> {
    body: imbl::Vector<T>,
    /// None until something is appended (most collections are built whole, never grown).
    tail: Option<Arc<Tail<T>>>,
    /// How many of the tail buffer's slots are this version's.
    tail_len: usize,
}

impl<T: Clone> Default for Seq<T> {
    fn default() -> Self {
        Seq {
            body: imbl::Vector::new(),
            tail: None,
            tail_len: 0,
        }
    }
}

impl<T: Clone> Seq<T> {
    #[inline]
    fn len(&self) -> usize {
        self.body.len() + self.tail_len
    }

    #[inline]
    fn get(&self, i: usize) -> Option<&T> {
        let body = self.body.len();
        if i < body {
            return self.body.get(i);
        }
        let i = i - body;
        match &self.tail {
            Some(tail) if i < self.tail_len => tail[i].get(),
            _ => None,
        }
    }

    fn iter(&self) -> SeqIter<impl DoubleEndedIterator<Item = &T>> {
        let tail = self
            .tail
            .as_deref()
            .map_or(&[][..], |t| &t[..self.tail_len]);
        let tail = tail.iter().filter_map(OnceLock::get);
        SeqIter {
            inner: self.body.iter().chain(tail),
            left: self.len(),
        }
    }

    /// Calls `f` with every element, a leaf of the body at a time (much quicker than
    /// [`Seq::iter`], which finds each element's leaf again; the collector marks with it).
    fn for_each(&self, mut f: impl FnMut(&T)) {
        for leaf in self.body.leaves() {
            leaf.iter().for_each(&mut f);
        }
        if let Some(tail) = &self.tail {
            tail[..self.tail_len]
                .iter()
                .filter_map(OnceLock::get)
                .for_each(f);
        }
    }

    fn push_back(&mut self, value: T) {
        let tail = self.tail.get_or_insert_with(new_tail);
        if self.tail_len < TAIL {
            match tail[self.tail_len].set(value) {
                Ok(()) => self.tail_len += 1,
                Err(value) => {
                    // Another version filled this slot: copy this version's part.
                    let fresh = new_tail();
                    for (slot, x) in fresh.iter().zip(self.tail_values()) {
                        let _ = slot.set(x);
                    }
                    let _ = fresh[self.tail_len].set(value);
                    self.tail = Some(fresh);
                    self.tail_len += 1;
                }
            }
            return;
        }
        for x in self.tail_values() {
            self.body.push_back(x);
        }
        let fresh = new_tail();
        let _ = fresh[0].set(value);
        self.tail = Some(fresh);
        self.tail_len = 1;
    }

    /// This version's tail elements.
    fn tail_values(&self) -> Vec<T> {
        let tail = self
            .tail
            .as_deref()
            .map_or(&[][..], |t| &t[..self.tail_len]);
        tail.iter().filter_map(OnceLock::get).cloned().collect()
    }

    /// Replaces element `i`, when there is one.
    fn set(&mut self, i: usize, value: T) {
        let body = self.body.len();
        if i < body {
            self.body.set(i, value);
            return;
        }
        if i - body >= self.tail_len {
            return;
        }
        let fresh = new_tail();
        for (j, (slot, x)) in fresh.iter().zip(self.tail_values()).enumerate() {
            let _ = slot.set(if j == i - body { value.clone() } else { x });
        }
        self.tail = Some(fresh);
    }
}

impl<T: Clone> FromIterator<T> for Seq<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Seq {
            body: iter.into_iter().collect(),
            ..Seq::default()
        }
    }
}

/// A sequence's elements: its body's, then its tail's, with their number known.
struct SeqIter<I> {
    inner: I,
    left: usize,
}

impl<I: Iterator> Iterator for SeqIter<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        let v = self.inner.next()?;
        self.left -= 1;
        Some(v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<I: DoubleEndedIterator> DoubleEndedIterator for SeqIter<I> {
    fn next_back(&mut self) -> Option<I::Item> {
        let v = self.inner.next_back()?;
        self.left -= 1;
        Some(v)
    }
}

impl<I: Iterator> ExactSizeIterator for SeqIter<I> {}

/// A persistent vector of values ([`Seq`]). Boxed so that it does not make every heap object
/// larger.
#[derive(Clone, Default)]
pub struct PVec(Box<Seq<Value>>);

impl PVec {
    /// An empty vector.
    pub fn new() -> Self {
        PVec::default()
    }

    /// The number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `i`.
    #[inline]
    pub fn get(&self, i: usize) -> Option<Value> {
        self.0.get(i).copied()
    }

    /// The first element.
    pub fn first(&self) -> Option<Value> {
        self.get(0)
    }

    /// The elements in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = Value> + ExactSizeIterator + '_ {
        self.0.iter().copied()
    }

    /// Calls `f` with every element in order, quicker than [`PVec::iter`].
    pub fn for_each(&self, mut f: impl FnMut(Value)) {
        self.0.for_each(|v| f(*v));
    }

    /// A new version with `values` appended.
    pub fn pushed(&self, values: &[Value]) -> PVec {
        let mut v = self.clone();
        for &x in values {
            v.push(x);
        }
        v
    }

    /// A new version with element `i` (which must exist) replaced by `value`.
    pub fn with(&self, i: usize, value: Value) -> PVec {
        let mut v = self.clone();
        v.0.set(i, value);
        v
    }

    /// Appends `value` to this version (other versions are unaffected).
    pub fn push(&mut self, value: Value) {
        self.0.push_back(value);
    }

    /// The elements as a plain vector.
    pub fn to_vec(&self) -> Vec<Value> {
        self.iter().collect()
    }
}

impl PartialEq for PVec {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl From<Vec<Value>> for PVec {
    fn from(values: Vec<Value>) -> Self {
        values.into_iter().collect()
    }
}

impl FromIterator<Value> for PVec {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        PVec(Box::new(iter.into_iter().collect()))
    }
}

impl std::fmt::Debug for PVec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for PVec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for PVec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<Value>::deserialize(d).map(PVec::from)
    }
}

/// Where entries are, by key hash, for a map and every map that grew from it by `assoc` and
/// `dissoc`: one index they share and only add to, instead of a persistent one per version
/// (copying and dropping a path of a hash trie on every `assoc` was most of its cost).
///
/// A position never changes its key within a family of versions except by becoming a hole,
/// so a version finds its keys among the positions the index gives for their hash: those
/// below its length whose entry, in that version, is a key equal to the one looked for. The
/// positions other versions added are skipped the same way. The first position for each
/// hash is a plain `u32`; the others (keys whose hashes are equal, or other versions' keys)
/// are in `more`. Nothing iterates the tables, so their order cannot show.
#[derive(Default)]
struct Shared {
    first: FxHashMap<u64, u32>,
    more: FxHashMap<u64, Vec<u32>>,
    /// How many positions it holds.
    pairs: usize,
}

impl Shared {
    /// An index of `entries`.
    fn of(entries: &Seq<Option<(Value, Value)>>, hash: &dyn Fn(Value) -> u64) -> Self {
        let mut index = Shared::default();
        for (i, entry) in entries.iter().enumerate() {
            if let Some((k, _)) = entry {
                index.insert(hash(*k), i as u32);
            }
        }
        index
    }

    /// The positions recorded for hash `h`.
    fn positions(&self, h: u64) -> (Option<u32>, &[u32]) {
        let first = self.first.get(&h).copied();
        let more = match first {
            Some(_) => self.more.get(&h).map_or(&[][..], Vec::as_slice),
            None => &[],
        };
        (first, more)
    }

    /// Records an entry with hash `h` at `position` (once).
    fn insert(&mut self, h: u64, position: u32) {
        match self.first.get(&h) {
            None => {
                self.first.insert(h, position);
            }
            Some(&p) if p == position => return,
            Some(_) => {
                let more = self.more.entry(h).or_default();
                if more.contains(&position) {
                    return;
                }
                more.push(position);
            }
        }
        self.pairs += 1;
    }
}

/// The index a family of versions shares.
type Index = Arc<Mutex<Shared>>;

fn lock(index: &Index) -> MutexGuard<'_, Shared> {
    // Nothing panics while holding it; if something did, the tables are still consistent.
    index.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Maps of at most this many entries are searched key by key, without an index.
pub const SMALL_MAP: usize = 8;

/// A persistent map that keeps its keys in insertion order. Entries live in a persistent
/// vector (a removed one leaves a hole until holes outnumber entries); an index from key
/// hashes to positions, built the first time a larger map is searched, finds keys in
/// O(log n). Keys are compared as `=` compares them, so the caller supplies the hash and the
/// equality (both need the heap).
#[derive(Clone, Default)]
pub struct PMap(Box<MapInner>);

#[derive(Clone, Default)]
struct MapInner {
    entries: Seq<Option<(Value, Value)>>,
    len: usize,
    index: OnceLock<Index>,
}

impl PMap {
    /// An empty map.
    pub fn new() -> Self {
        PMap::default()
    }

    /// A map of `pairs`, whose keys must be distinct.
    pub fn from_distinct(pairs: impl IntoIterator<Item = (Value, Value)>) -> Self {
        let entries: Seq<_> = pairs.into_iter().map(Some).collect();
        PMap(Box::new(MapInner {
            len: entries.len(),
            entries,
            index: OnceLock::new(),
        }))
    }

    /// The number of entries.
    #[inline]
    pub fn len(&self) -> usize {
        self.0.len
    }

    /// Whether it has no entries.
    pub fn is_empty(&self) -> bool {
        self.0.len == 0
    }

    /// The entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &(Value, Value)> + '_ {
        self.0.entries.iter().flatten()
    }

    /// Calls `f` with every entry's key and value in order, quicker than [`PMap::iter`].
    pub fn for_each(&self, mut f: impl FnMut(Value, Value)) {
        self.0.entries.for_each(|entry| {
            if let Some((k, v)) = entry {
                f(*k, *v)
            }
        });
    }

    /// The entries as a plain vector.
    pub fn to_vec(&self) -> Vec<(Value, Value)> {
        self.iter().copied().collect()
    }

    fn index(&self, hash: &dyn Fn(Value) -> u64) -> &Index {
        self.0
            .index
            .get_or_init(|| Arc::new(Mutex::new(Shared::of(&self.0.entries, hash))))
    }

    /// The position of `key`'s entry and how many keys were compared to find out; `hash`
    /// and `eq` are the key hash and key equality.
    pub fn find(
        &self,
        key: Value,
        hash: &dyn Fn(Value) -> u64,
        eq: &dyn Fn(Value, Value) -> bool,
    ) -> (Option<usize>, usize) {
        // By the keys it holds, not its entries: a map with holes searches (and is charged)
        // as the map without them that a snapshot restores.
        if self.0.len <= SMALL_MAP {
            let mut looked = 0;
            for (i, entry) in self.0.entries.iter().enumerate() {
                if let Some((k, _)) = entry {
                    looked += 1;
                    if eq(*k, key) {
                        return (Some(i), looked);
                    }
                }
            }
            return (None, looked);
        }
        let h = hash(key);
        let index = lock(self.index(hash));
        let (first, more) = index.positions(h);
        // This version's entries among the positions (others' are skipped).
        let key_at = |p: u32| match self.0.entries.get(p as usize) {
            Some(Some((k, _))) => Some(*k),
            _ => None,
        };
        let candidates = first.into_iter().chain(more.iter().copied());
        let found = candidates
            .clone()
            .find(|&p| key_at(p).is_some_and(|k| eq(k, key)));
        if more.is_empty() {
            return (found.map(|p| p as usize), 1);
        }
        // Keys compared: this version's keys with the same hash, up to the one found, as a
        // search of only this version's entries would have compared.
        let looked = candidates
            .filter(|&p| found.is_none_or(|f| p <= f))
            .filter(|&p| key_at(p).is_some_and(|k| hash(k) == h))
            .count();
        (found.map(|p| p as usize), looked.max(1))
    }

    /// The value of the entry at `position` (from [`PMap::find`]).
    pub fn value_at(&self, position: usize) -> Value {
        match self.0.entries.get(position) {
            Some(Some((_, v))) => *v,
            _ => Value::Nil,
        }
    }

    /// A new version with `key` set to `value`: the value replaced in place when `position`
    /// (from [`PMap::find`]) is its entry, else appended.
    pub fn with(
        &self,
        position: Option<usize>,
        key: Value,
        value: Value,
        hash: &dyn Fn(Value) -> u64,
    ) -> PMap {
        let mut inner = MapInner {
            entries: self.0.entries.clone(),
            len: self.0.len,
            index: OnceLock::new(),
        };
        if let Some(p) = position {
            // The key stays as it was first given (`0.0` stays `0.0` when `-0.0` replaces its
            // value), as it always has.
            let kept = match self.0.entries.get(p) {
                Some(Some((k, _))) => *k,
                _ => key,
            };
            inner.entries.set(p, Some((kept, value)));
            if let Some(index) = self.0.index.get() {
                let _ = inner.index.set(index.clone());
            }
            return PMap(Box::new(inner));
        }
        let p = inner.entries.len() as u32;
        inner.entries.push_back(Some((key, value)));
        inner.len += 1;
        if inner.entries.len() > SMALL_MAP {
            // Keep the index up to date (building it if this map never needed one).
            let index = self.index(hash);
            let mut shared = lock(index);
            if shared.pairs > 2 * inner.entries.len() + 64 {
                // Mostly other versions' keys: this one starts an index of its own.
                drop(shared);
                let _ = inner
                    .index
                    .set(Arc::new(Mutex::new(Shared::of(&inner.entries, hash))));
            } else {
                shared.insert(hash(key), p);
                drop(shared);
                let _ = inner.index.set(index.clone());
            }
        }
        PMap(Box::new(inner))
    }

    /// A new version without the entry at `position` (from [`PMap::find`]).
    pub fn without(&self, position: usize) -> PMap {
        let mut inner = MapInner {
            entries: self.0.entries.clone(),
            len: self.0.len - 1,
            index: OnceLock::new(),
        };
        inner.entries.set(position, None);
        let holes = inner.entries.len() - inner.len;
        if holes > inner.len.max(SMALL_MAP) {
            // More holes than entries: compact (the index is rebuilt when next needed).
            inner.entries = inner.entries.iter().flatten().copied().map(Some).collect();
        } else if let Some(index) = self.0.index.get() {
            // The hole is skipped where the index points at it.
            let _ = inner.index.set(index.clone());
        }
        PMap(Box::new(inner))
    }
}

impl PartialEq for PMap {
    /// The same entries in the same order (for tests; `=` compares maps in any order).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl From<Vec<(Value, Value)>> for PMap {
    /// A map of `pairs`, whose keys must be distinct.
    fn from(pairs: Vec<(Value, Value)>) -> Self {
        PMap::from_distinct(pairs)
    }
}

impl FromIterator<(Value, Value)> for PMap {
    /// A map of the pairs, whose keys must be distinct.
    fn from_iter<I: IntoIterator<Item = (Value, Value)>>(iter: I) -> Self {
        PMap::from_distinct(iter)
    }
}

impl<'a> IntoIterator for &'a PMap {
    type Item = &'a (Value, Value);
    type IntoIter = Box<dyn Iterator<Item = &'a (Value, Value)> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl std::fmt::Debug for PMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for PMap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        // The length first, as a `Vec` has it (the holes make the iterator's length unknown).
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for entry in self.iter() {
            seq.serialize_element(entry)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for PMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<(Value, Value)>::deserialize(d).map(PMap::from_distinct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(v: Value) -> u64 {
        match v {
            // Every key collides, to exercise buckets.
            Value::Int(i) => (i % 3) as u64,
            _ => 99,
        }
    }

    fn eq(a: Value, b: Value) -> bool {
        a == b
    }

    fn set(m: &PMap, k: i64, v: i64) -> PMap {
        let (p, _) = m.find(Value::Int(k), &hash, &eq);
        m.with(p, Value::Int(k), Value::Int(v), &hash)
    }

    fn get(m: &PMap, k: i64) -> Option<Value> {
        m.find(Value::Int(k), &hash, &eq).0.map(|p| m.value_at(p))
    }

    #[test]
    fn maps_keep_insertion_order_and_old_versions_through_updates_and_removals() {
        let mut m = PMap::new();
        let mut versions = Vec::new();
        for k in 0..40 {
            versions.push(m.clone());
            m = set(&m, k, k * 10);
        }
        m = set(&m, 5, -5);
        assert_eq!(m.len(), 40);
        assert_eq!(get(&m, 5), Some(Value::Int(-5)));
        assert_eq!(get(&versions[10], 5), Some(Value::Int(50)));
        assert_eq!(get(&versions[10], 10), None);
        for k in 0..30 {
            let (p, _) = m.find(Value::Int(k), &hash, &eq);
            m = m.without(p.expect("present"));
            assert_eq!(get(&m, k), None);
        }
        let keys: Vec<Value> = m.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, (30..40).map(Value::Int).collect::<Vec<_>>());
        for k in 30..40 {
            assert_eq!(get(&m, k), Some(Value::Int(k * 10)));
        }
        let m = set(&m, 100, 1);
        assert_eq!(m.iter().last(), Some(&(Value::Int(100), Value::Int(1))));
        assert_eq!(versions[39].len(), 39);
    }

    /// What `find` answers for key `k`: the value and the keys compared.
    fn lookup(m: &PMap, k: i64) -> (Option<Value>, usize) {
        let (p, looked) = m.find(Value::Int(k), &hash, &eq);
        (p.map(|p| m.value_at(p)), looked)
    }

    #[test]
    fn a_small_map_with_holes_is_searched_and_charged_as_it_would_be_restored() {
        // Twelve keys, then six removed: the holes stay (there are fewer of them than
        // keys), so the map has more entries than a small map but only six keys, and a
        // snapshot restores it as a small map without holes.
        let mut m = PMap::new();
        for k in 0..12 {
            m = set(&m, k, k);
        }
        for k in 0..6 {
            let (p, _) = m.find(Value::Int(k * 2), &hash, &eq);
            m = m.without(p.expect("present"));
        }
        assert_eq!(m.len(), 6);
        let fresh = PMap::from_distinct(m.to_vec());
        for k in 0..14 {
            assert_eq!(lookup(&m, k), lookup(&fresh, k), "key {k}");
        }
    }

    #[test]
    fn versions_that_branch_from_one_map_find_only_their_own_keys() {
        let mut base = PMap::new();
        for k in 0..20 {
            base = set(&base, k, k);
        }
        // Two versions append different keys at the same position; a third removes one.
        let left = set(&set(&base, 100, 1), 103, 2);
        let right = set(&set(&base, 200, 3), 100, 4);
        let (p, _) = left.find(Value::Int(4), &hash, &eq);
        let holed = left.without(p.expect("present"));
        for (m, present, absent) in [
            (&base, vec![(4, 4)], vec![100, 103, 200]),
            (&left, vec![(100, 1), (103, 2), (4, 4)], vec![200]),
            (&right, vec![(200, 3), (100, 4)], vec![103]),
            (&holed, vec![(100, 1), (7, 7)], vec![4, 200]),
        ] {
            // The same answers, keys compared included, as the same map built afresh (as a
            // restored snapshot builds it), so the step count does not depend on history.
            let fresh = PMap::from_distinct(m.to_vec());
            for (k, v) in present {
                assert_eq!(lookup(m, k).0, Some(Value::Int(v)), "key {k}");
            }
            for k in absent {
                assert_eq!(lookup(m, k).0, None, "key {k}");
            }
            for k in (0..20).chain([100, 103, 200, 300]) {
                assert_eq!(lookup(m, k), lookup(&fresh, k), "key {k}");
            }
        }
    }

    #[test]
    fn a_version_among_many_discarded_siblings_gets_an_index_of_its_own() {
        // Distinct hashes, so every sibling adds a position to the shared index.
        let distinct = |v: Value| match v {
            Value::Int(i) => i as u64,
            _ => 0,
        };
        let set = |m: &PMap, k: i64, v: i64| {
            let (p, _) = m.find(Value::Int(k), &distinct, &eq);
            m.with(p, Value::Int(k), Value::Int(v), &distinct)
        };
        let get = |m: &PMap, k: i64| {
            m.find(Value::Int(k), &distinct, &eq)
                .0
                .map(|p| m.value_at(p))
        };
        let mut base = PMap::new();
        for k in 0..20 {
            base = set(&base, k, k);
        }
        for k in 1000..1500 {
            let _ = set(&base, k, k);
        }
        // The shared index grows until it holds mostly other versions' keys, then stops.
        let shared = lock(base.0.index.get().expect("an index")).pairs;
        assert!(
            (100..=2 * 21 + 64 + 1).contains(&shared),
            "{shared} positions"
        );
        let child = set(&base, 7, 70);
        let grown = set(&child, 5000, 1);
        assert_eq!(get(&grown, 5000), Some(Value::Int(1)));
        assert_eq!(get(&grown, 1200), None);
        assert_eq!(get(&grown, 7), Some(Value::Int(70)));
        assert_eq!(get(&base, 7), Some(Value::Int(7)));
        let own = lock(grown.0.index.get().expect("an index")).pairs;
        assert_eq!(own, 21, "positions in the new version's index");
    }

    fn ints(v: &PVec) -> Vec<i64> {
        v.iter()
            .map(|x| match x {
                Value::Int(i) => i,
                other => panic!("not an integer: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn vectors_that_branch_from_one_version_keep_their_own_elements() {
        let mut v = PVec::new();
        let mut versions = Vec::new();
        for i in 0..100 {
            versions.push(v.clone());
            v = v.pushed(&[Value::Int(i)]);
        }
        // Versions that append to an older version, in the body and in the tail.
        let left = versions[70].pushed(&[Value::Int(-1), Value::Int(-2)]);
        let right = versions[70].pushed(&[Value::Int(-3)]);
        let early = versions[10].with(3, Value::Int(-4));
        let late = v.with(97, Value::Int(-5)).pushed(&[Value::Int(-6)]);
        assert_eq!(ints(&v), (0..100).collect::<Vec<_>>());
        for (i, old) in versions.iter().enumerate() {
            assert_eq!(ints(old), (0..i as i64).collect::<Vec<_>>());
        }
        let prefix =
            |n: i64, extra: &[i64]| (0..n).chain(extra.iter().copied()).collect::<Vec<_>>();
        assert_eq!(ints(&left), prefix(70, &[-1, -2]));
        assert_eq!(ints(&right), prefix(70, &[-3]));
        let mut expected = prefix(10, &[]);
        expected[3] = -4;
        assert_eq!(ints(&early), expected);
        let mut expected = prefix(100, &[-6]);
        expected[97] = -5;
        assert_eq!(ints(&late), expected);
        assert_eq!(left.get(71), Some(Value::Int(-2)));
        assert_eq!(left.get(72), None);
        assert_eq!(v.iter().next_back(), Some(Value::Int(99)));
        assert_eq!(v.iter().len(), 100);
    }

    #[test]
    fn serialises_as_the_plain_sequences_it_replaced() {
        let v: PVec = (0..5).map(Value::Int).collect();
        let plain: Vec<Value> = (0..5).map(Value::Int).collect();
        assert_eq!(
            postcard::to_allocvec(&v).unwrap(),
            postcard::to_allocvec(&plain).unwrap()
        );
        let m = set(&set(&set(&PMap::new(), 1, 2), 3, 4), 1, 5);
        let pairs = vec![
            (Value::Int(1), Value::Int(5)),
            (Value::Int(3), Value::Int(4)),
        ];
        let bytes = postcard::to_allocvec(&m).unwrap();
        assert_eq!(bytes, postcard::to_allocvec(&pairs).unwrap());
        let back: PMap = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, m);
    }
}
