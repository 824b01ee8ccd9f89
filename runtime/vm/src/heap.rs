//! The heap: an arena of [`Object`]s addressed by index, with a mark-and-sweep collector.
//! Collection happens only at instruction boundaries the VM chooses, from the roots it
//! gives, and depends only on how much was allocated, so it is deterministic.

use serde::{Deserialize, Serialize};

use crate::value::{ListTail, Object, Value};

/// The arena.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Heap {
    objects: Vec<Object>,
    free: Option<u32>,
    live: usize,
    /// Allocations since the last collection.
    allocated: usize,
    /// Collect when `allocated` passes this.
    threshold: usize,
    /// Approximate bytes allocated since the last collection.
    allocated_bytes: usize,
    /// Collect when `allocated_bytes` passes this.
    byte_threshold: usize,
    /// Approximate bytes the objects alive at the last collection hold. Not part of a
    /// snapshot: [`Heap::recount`] works it out again.
    #[serde(skip)]
    live_bytes: usize,
    /// The most the heap may hold, approximately, in bytes; the host's setting, not part of
    /// a snapshot.
    #[serde(skip, default = "default_max_bytes")]
    max_bytes: usize,
}

/// The default for [`Heap::set_max_bytes`]: 2 GiB.
pub const DEFAULT_MAX_BYTES: usize = 2 << 30;

fn default_max_bytes() -> usize {
    DEFAULT_MAX_BYTES
}

/// The most slots the heap has: slot `u32::MAX` would read as the empty list in a
/// [`ListTail`] (and at 32 bytes a slot the heap would hold 128 GiB before reaching it).
pub const MAX_SLOTS: usize = u32::MAX as usize;

const MIN_THRESHOLD: usize = 1 << 16;
const MIN_BYTE_THRESHOLD: usize = 8 << 20;

/// What one object costs beyond its contents, approximately: its slot and bookkeeping.
pub const OBJECT_BYTES: usize = 48;

/// Roughly how many bytes an object holds, for scheduling collections (a loop that builds
/// ever larger strings or vectors must collect by size, not only by count) and for the
/// memory limit.
pub fn size_of(object: &Object) -> usize {
    const BASE: usize = OBJECT_BYTES;
    const VALUE: usize = std::mem::size_of::<Value>();
    BASE + match object {
        Object::Str(s) => s.len(),
        Object::Vector(xs) => xs.len() * VALUE,
        Object::Map(pairs) => pairs.len() * 2 * VALUE,
        Object::Record { fields, .. } => fields.len() * VALUE,
        Object::Closure { captures, .. } => captures.len() * VALUE,
        Object::Pair { .. } | Object::Cell(_) | Object::Handle(_) | Object::Free(_) => 0,
    }
}

impl Default for Heap {
    fn default() -> Self {
        Heap::new()
    }
}

impl Heap {
    /// An empty heap.
    pub fn new() -> Self {
        Heap {
            objects: Vec::new(),
            free: None,
            live: 0,
            allocated: 0,
            threshold: MIN_THRESHOLD,
            allocated_bytes: 0,
            byte_threshold: MIN_BYTE_THRESHOLD,
            live_bytes: 0,
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }

    /// Stores `object` and returns a value referring to it.
    pub fn alloc(&mut self, object: Object) -> Value {
        let bytes = size_of(&object);
        self.alloc_sized(object, bytes)
    }

    /// Stores `object`, a new version of a persistent collection that shares all but about
    /// `bytes` with the version it came from, and returns a value referring to it.
    pub fn alloc_sized(&mut self, object: Object, bytes: usize) -> Value {
        Value::Obj(self.store(object, bytes))
    }

    /// Stores `object`, counting `bytes` towards the next collection, and returns its slot.
    fn store(&mut self, object: Object, bytes: usize) -> u32 {
        self.allocated += 1;
        self.allocated_bytes += bytes;
        self.live += 1;
        match self.free {
            Some(i) => {
                let slot = &mut self.objects[i as usize];
                let Object::Free(next) = *slot else {
                    unreachable!("the free list only links free slots")
                };
                self.free = next;
                *slot = object;
                i
            }
            None => {
                assert!(
                    self.objects.len() < MAX_SLOTS,
                    "the heap has {MAX_SLOTS} slots, the most it can address"
                );
                self.objects.push(object);
                (self.objects.len() - 1) as u32
            }
        }
    }

    /// The object behind a reference.
    #[inline]
    pub fn get(&self, r: u32) -> &Object {
        &self.objects[r as usize]
    }

    /// `v` as the rest of a new list cell, if it is a list: the empty list or a cell.
    #[inline]
    pub fn as_list(&self, v: Value) -> Option<ListTail> {
        self.list_and_len(v).map(|(list, _)| list)
    }

    /// The number of elements of the list `list`.
    #[inline]
    pub fn list_len(&self, list: ListTail) -> u32 {
        // A tail is a cell or the empty list (the snapshot check holds restored ones to that).
        self.list_and_len(list.value()).map_or(0, |(_, len)| len)
    }

    /// `v` as a list and its length, if it is one.
    #[inline]
    fn list_and_len(&self, v: Value) -> Option<(ListTail, u32)> {
        match v {
            Value::EmptyList => Some((ListTail::EMPTY, 0)),
            Value::Obj(r) => match self.get(r) {
                Object::Pair { len, .. } => Some((ListTail::cell(r), *len)),
                _ => None,
            },
            _ => None,
        }
    }

    /// A new list cell: `head` in front of `tail`.
    #[inline]
    pub fn cons(&mut self, head: Value, tail: ListTail) -> ListTail {
        let len = self.list_len(tail) + 1;
        self.pair(head, tail, len)
    }

    /// A new list cell with `head` in front of `tail`, if `tail` is a list (`None` if not).
    #[inline]
    pub fn cons_onto(&mut self, head: Value, tail: Value) -> Option<ListTail> {
        let (tail, len) = self.list_and_len(tail)?;
        Some(self.pair(head, tail, len + 1))
    }

    /// A list of `items`.
    pub fn list(&mut self, items: impl DoubleEndedIterator<Item = Value>) -> ListTail {
        let mut list = ListTail::EMPTY;
        for (len, item) in items.rev().enumerate() {
            list = self.pair(item, list, len as u32 + 1);
        }
        list
    }

    /// A new list cell of `len` elements.
    #[inline]
    fn pair(&mut self, head: Value, tail: ListTail, len: u32) -> ListTail {
        let object = Object::Pair { head, tail, len };
        let bytes = size_of(&object);
        ListTail::cell(self.store(object, bytes))
    }

    /// The object behind a reference, mutably: cells, and the pairs `%iterate` has just
    /// consed and turns around (everything else is immutable once a program can see it).
    #[inline]
    pub fn get_mut(&mut self, r: u32) -> &mut Object {
        &mut self.objects[r as usize]
    }

    /// Whether enough was allocated since the last collection to collect now: by count, by
    /// size, or because the heap may have outgrown its limit.
    #[inline]
    pub fn wants_collection(&self) -> bool {
        self.allocated > self.threshold
            || self.allocated_bytes > self.byte_threshold
            || self.over_limit()
    }

    /// Whether what was alive at the last collection plus what was allocated since passes
    /// the limit (garbage included: collect to know).
    #[inline]
    pub fn over_limit(&self) -> bool {
        self.live_bytes.saturating_add(self.allocated_bytes) > self.max_bytes
    }

    /// Whether the objects alive at the last collection alone pass the limit.
    pub fn live_over_limit(&self) -> bool {
        self.live_bytes > self.max_bytes
    }

    /// Whether `bytes` more could fit under the limit once garbage is collected.
    pub fn could_fit(&self, bytes: usize) -> bool {
        self.live_bytes.saturating_add(bytes) <= self.max_bytes
    }

    /// Bytes allocated since the last collection, approximately; it only grows between
    /// collections, so the difference across a builtin call is what the call allocated.
    #[inline]
    pub fn allocated_bytes(&self) -> usize {
        self.allocated_bytes
    }

    /// Approximate bytes held by the objects alive at the last collection.
    pub fn live_bytes(&self) -> usize {
        self.live_bytes
    }

    /// The limit, in approximate bytes.
    pub fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// Sets the limit: past it, the VM raises a `:memory` error.
    pub fn set_max_bytes(&mut self, bytes: usize) {
        self.max_bytes = bytes;
    }

    /// Works out the bytes of the live objects again (after restoring a snapshot, which does
    /// not store it).
    pub fn recount(&mut self) {
        self.live_bytes = self
            .objects
            .iter()
            .filter(|o| !matches!(o, Object::Free(_)))
            .map(size_of)
            .sum();
    }

    /// Number of slots, live or free.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the heap has no slots at all.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Number of live objects.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Frees every object not reachable from `roots`.
    pub fn collect(&mut self, roots: impl IntoIterator<Item = Value>) {
        let mut marked = vec![false; self.objects.len()];
        let mut stack: Vec<u32> = roots
            .into_iter()
            .filter_map(|v| match v {
                Value::Obj(r) => Some(r),
                _ => None,
            })
            .collect();
        // Live objects are counted and sized as they are marked, so the sweep reads only
        // the objects it frees.
        let mut live = 0;
        let mut live_bytes = 0;
        // Values looked at while marking: the collection's work. One persistent vector of
        // a million elements is one object but a million values to mark, so the next
        // collection waits for allocations in proportion to this, not to the object count,
        // and a loop that grows one large collection stays linear.
        let mut marked_values = 0usize;
        while let Some(r) = stack.pop() {
            if std::mem::replace(&mut marked[r as usize], true) {
                continue;
            }
            let object = &self.objects[r as usize];
            live += 1;
            live_bytes += size_of(object);
            let mut push = |v: &Value| {
                marked_values += 1;
                if let Value::Obj(c) = v
                    && !marked[*c as usize]
                {
                    stack.push(*c);
                }
            };
            match object {
                Object::Pair { head, tail, .. } => {
                    push(head);
                    push(&tail.value());
                }
                Object::Vector(items) => items.for_each(|v| push(&v)),
                Object::Map(pairs) => pairs.for_each(|k, v| {
                    push(&k);
                    push(&v);
                }),
                Object::Record { fields, .. } => fields.iter().for_each(&mut push),
                Object::Closure { captures, .. } => captures.iter().for_each(&mut push),
                Object::Cell(v) => push(v),
                Object::Str(_) | Object::Handle(_) | Object::Free(_) => {}
            }
        }
        // Sweep from the top so the free list hands out low slots first.
        self.free = None;
        self.live = live;
        for i in (0..self.objects.len()).rev() {
            if !marked[i] {
                self.objects[i] = Object::Free(self.free);
                self.free = Some(i as u32);
            }
        }
        self.allocated = 0;
        // Twice the collection's work, objects and values marked, so marking costs at most
        // half a value per allocation, amortised. (Twice the objects alone, or the larger of
        // that and the values, collected lists three times as often for no less memory:
        // strings ran 12% more instructions.)
        self.threshold = (live + marked_values).saturating_mul(2).max(MIN_THRESHOLD);
        self.allocated_bytes = 0;
        self.byte_threshold = (live_bytes * 2).max(MIN_BYTE_THRESHOLD);
        self.live_bytes = live_bytes;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_unreachable_objects_and_keeps_cycles_alive_while_rooted() {
        let mut heap = Heap::new();
        let cell = heap.alloc(Object::Cell(Value::Nil));
        let closure = heap.alloc(Object::Closure {
            func: 0,
            captures: vec![cell],
        });
        let Value::Obj(c) = cell else { panic!() };
        *heap.get_mut(c) = Object::Cell(closure);
        let garbage = heap.alloc(Object::Str("x".into()));
        heap.collect([closure]);
        assert_eq!(heap.live(), 2);
        let Value::Obj(g) = garbage else { panic!() };
        assert!(matches!(heap.get(g), Object::Free(_)));
        let reused = heap.alloc(Object::Str("y".into()));
        assert_eq!(reused, garbage);
        heap.collect([]);
        assert_eq!(heap.live(), 0);
    }

    #[test]
    fn a_collection_that_marked_a_large_vector_waits_longer_for_the_next() {
        let mut heap = Heap::new();
        let big = heap.alloc(Object::Vector((0..200_000).map(Value::Int).collect()));
        heap.collect([big]);
        // One live object, but 200,000 values to mark: the next collection waits for
        // allocations in proportion to that work, not for the minimum.
        for _ in 0..MIN_THRESHOLD + 1 {
            heap.alloc(Object::Cell(Value::Nil));
        }
        assert!(!heap.wants_collection());
        for _ in 0..400_000 {
            heap.alloc(Object::Cell(Value::Nil));
        }
        assert!(heap.wants_collection());
    }

    #[test]
    fn large_objects_ask_for_a_collection_before_many_small_ones_would() {
        let mut heap = Heap::new();
        assert!(!heap.wants_collection());
        for _ in 0..10 {
            heap.alloc(Object::Str("x".repeat(1 << 20).into()));
        }
        assert!(heap.wants_collection());
        heap.collect([]);
        assert!(!heap.wants_collection());
    }

    #[test]
    fn the_limit_asks_for_a_collection_and_says_when_live_data_passes_it() {
        let mut heap = Heap::new();
        heap.set_max_bytes(1 << 20);
        let big = heap.alloc(Object::Str("x".repeat(600 << 10).into()));
        assert!(!heap.over_limit());
        let second = heap.alloc(Object::Str("y".repeat(600 << 10).into()));
        assert!(heap.over_limit() && heap.wants_collection());
        heap.collect([big, second]);
        assert!(heap.live_over_limit());
        heap.collect([big]);
        assert!(!heap.over_limit() && !heap.live_over_limit());
        assert!(heap.could_fit(1 << 10));
        assert!(!heap.could_fit(600 << 10));
    }
}
