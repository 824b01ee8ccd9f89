//! The heap: an arena of [`Object`]s addressed by index, with a mark-and-sweep collector.
//! Collection happens only at instruction boundaries the VM chooses, from the roots it
//! gives, and depends only on how much was allocated, so it is deterministic.

use serde::{Deserialize, Serialize};

use crate::value::{Object, Value};

/// The arena.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
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
}

const MIN_THRESHOLD: usize = 1 << 16;
const MIN_BYTE_THRESHOLD: usize = 8 << 20;

/// Roughly how many bytes an object holds, for scheduling collections: a loop that builds
/// ever larger strings or vectors must collect by size, not only by count.
fn size_of(object: &Object) -> usize {
    const BASE: usize = 48;
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

impl Heap {
    /// An empty heap.
    pub fn new() -> Self {
        Heap {
            threshold: MIN_THRESHOLD,
            byte_threshold: MIN_BYTE_THRESHOLD,
            ..Heap::default()
        }
    }

    /// Stores `object` and returns a value referring to it.
    pub fn alloc(&mut self, object: Object) -> Value {
        self.allocated += 1;
        self.allocated_bytes += size_of(&object);
        self.live += 1;
        match self.free {
            Some(i) => {
                let slot = &mut self.objects[i as usize];
                let Object::Free(next) = *slot else {
                    unreachable!("the free list only links free slots")
                };
                self.free = next;
                *slot = object;
                Value::Obj(i)
            }
            None => {
                self.objects.push(object);
                Value::Obj((self.objects.len() - 1) as u32)
            }
        }
    }

    /// The object behind a reference.
    #[inline]
    pub fn get(&self, r: u32) -> &Object {
        &self.objects[r as usize]
    }

    /// The object behind a reference, mutably (cells only; everything else is immutable).
    #[inline]
    pub fn get_mut(&mut self, r: u32) -> &mut Object {
        &mut self.objects[r as usize]
    }

    /// Whether enough was allocated since the last collection to collect now.
    #[inline]
    pub fn wants_collection(&self) -> bool {
        self.allocated > self.threshold || self.allocated_bytes > self.byte_threshold
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
        while let Some(r) = stack.pop() {
            if std::mem::replace(&mut marked[r as usize], true) {
                continue;
            }
            let mut push = |v: &Value| {
                if let Value::Obj(c) = v
                    && !marked[*c as usize]
                {
                    stack.push(*c);
                }
            };
            match &self.objects[r as usize] {
                Object::Pair { head, tail, .. } => {
                    push(head);
                    push(tail);
                }
                Object::Vector(items) => items.iter().for_each(&mut push),
                Object::Map(pairs) => pairs.iter().for_each(|(k, v)| {
                    push(k);
                    push(v);
                }),
                Object::Record { fields, .. } => fields.iter().for_each(&mut push),
                Object::Closure { captures, .. } => captures.iter().for_each(&mut push),
                Object::Cell(v) => push(v),
                Object::Str(_) | Object::Handle(_) | Object::Free(_) => {}
            }
        }
        // Sweep from the top so the free list hands out low slots first.
        self.free = None;
        self.live = 0;
        let mut live_bytes = 0;
        for i in (0..self.objects.len()).rev() {
            if marked[i] {
                self.live += 1;
                live_bytes += size_of(&self.objects[i]);
            } else {
                self.objects[i] = Object::Free(self.free);
                self.free = Some(i as u32);
            }
        }
        self.allocated = 0;
        self.threshold = (self.live * 2).max(MIN_THRESHOLD);
        self.allocated_bytes = 0;
        self.byte_threshold = (live_bytes * 2).max(MIN_BYTE_THRESHOLD);
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
    fn large_objects_ask_for_a_collection_before_many_small_ones_would() {
        let mut heap = Heap::new();
        assert!(!heap.wants_collection());
        for _ in 0..10 {
            heap.alloc(Object::Str("x".repeat(1 << 20)));
        }
        assert!(heap.wants_collection());
        heap.collect([]);
        assert!(!heap.wants_collection());
    }
}
