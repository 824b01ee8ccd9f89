//! A fiber's operand stack: frame slots and operands, with room above the top.
//!
//! The interpreter loop keeps the top in a local and writes values into the room above it
//! through a plain slice, so a push is a compare with a length held in a register and a
//! store, instead of `Vec::push`'s reload of the vector's length and capacity through the
//! fiber after every call the loop makes (about half of `fib`'s instructions went there).
//! Everything else sees only the values below the top: it derefs to that slice, and it
//! serialises, compares and clones as it, so a snapshot holds exactly what it held as a
//! `Vec<Value>`. The room above the top holds `nil` or values left by earlier pops; the
//! collector does not look at it.

use std::ops::{Deref, DerefMut};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::value::Value;

/// How many values of room a stack keeps at least above what it holds when it grows.
const MIN_ROOM: usize = 256;

/// Slots and operands of a fiber, innermost frame at the top.
#[derive(Default)]
pub struct Stack {
    /// Every value the stack has room for; those at `top` and above are not part of it.
    values: Vec<Value>,
    /// How many values the stack holds.
    top: usize,
}

impl Stack {
    /// An empty stack.
    pub fn new() -> Self {
        Stack::default()
    }

    /// Pushes `value`.
    #[inline]
    pub fn push(&mut self, value: Value) {
        if self.top == self.values.len() {
            self.grow(self.top + 1);
        }
        self.values[self.top] = value;
        self.top += 1;
    }

    /// Removes and returns the top value.
    #[inline]
    pub fn pop(&mut self) -> Option<Value> {
        self.top = self.top.checked_sub(1)?;
        Some(self.values[self.top])
    }

    /// Drops the values from `len` up (nothing when it holds no more than `len`).
    #[inline]
    pub fn truncate(&mut self, len: usize) {
        self.top = self.top.min(len);
    }

    /// Makes it hold `len` values, filling new ones with `value`.
    pub fn resize(&mut self, len: usize, value: Value) {
        if len > self.top {
            self.grow(len);
            self.values[self.top..len].fill(value);
        }
        self.top = len;
    }

    /// Removes the values from `at` up and returns them.
    pub fn split_off(&mut self, at: usize) -> Vec<Value> {
        let taken = self.values[at..self.top].to_vec();
        self.top = at;
        taken
    }

    /// Pushes every value of `values`.
    pub fn extend_from_slice(&mut self, values: &[Value]) {
        let end = self.top + values.len();
        self.grow(end);
        self.values[self.top..end].copy_from_slice(values);
        self.top = end;
    }

    /// Removes the value at `index`, moving those above it down.
    pub fn remove(&mut self, index: usize) -> Value {
        let value = self.values[index];
        self.values.copy_within(index + 1..self.top, index);
        self.top -= 1;
        value
    }

    /// Every value it has room for, those above the top included: the interpreter loop
    /// writes pushes there, keeping the top in a local, and tells the stack with
    /// [`Stack::set_top`] before anything else looks at it.
    #[inline]
    pub fn room(&mut self) -> &mut [Value] {
        &mut self.values
    }

    /// Sets how many values it holds (at most [`Stack::room`]'s length).
    #[inline]
    pub fn set_top(&mut self, top: usize) {
        assert!(
            top <= self.values.len(),
            "stack top {top} past its room {}",
            self.values.len()
        );
        self.top = top;
    }

    /// Makes room for at least `len` values (and for some more, so growth is amortised).
    #[inline]
    pub fn grow(&mut self, len: usize) {
        if len > self.values.len() {
            self.grow_to(len);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow_to(&mut self, len: usize) {
        let room = len.max(self.values.len() * 2).max(MIN_ROOM);
        self.values.resize(room, Value::Nil);
    }
}

impl Deref for Stack {
    type Target = [Value];

    #[inline]
    fn deref(&self) -> &[Value] {
        &self.values[..self.top]
    }
}

impl DerefMut for Stack {
    #[inline]
    fn deref_mut(&mut self) -> &mut [Value] {
        &mut self.values[..self.top]
    }
}

impl Extend<Value> for Stack {
    fn extend<I: IntoIterator<Item = Value>>(&mut self, values: I) {
        for value in values {
            self.push(value);
        }
    }
}

impl From<Vec<Value>> for Stack {
    fn from(values: Vec<Value>) -> Self {
        let top = values.len();
        Stack { values, top }
    }
}

impl Clone for Stack {
    /// A copy of the values it holds (the room above is not copied).
    fn clone(&self) -> Self {
        Stack::from(self.to_vec())
    }
}

impl PartialEq for Stack {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Stack {
    /// As the sequence of values it holds: the encoding of the `Vec<Value>` it replaced.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Stack {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Value>::deserialize(deserializer).map(Stack::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_above_the_top_are_not_part_of_it() {
        let mut stack = Stack::new();
        stack.extend_from_slice(&[Value::Int(1), Value::Int(2), Value::Int(3)]);
        assert_eq!(stack.pop(), Some(Value::Int(3)));
        stack.truncate(1);
        assert_eq!(&*stack, &[Value::Int(1)]);
        // What the loop wrote above the top only counts once the top says so.
        stack.room()[1] = Value::Int(7);
        assert_eq!(stack.len(), 1);
        stack.set_top(2);
        assert_eq!(&*stack, &[Value::Int(1), Value::Int(7)]);
        assert_eq!(stack.remove(0), Value::Int(1));
        assert_eq!(&*stack, &[Value::Int(7)]);
        stack.resize(3, Value::Nil);
        assert_eq!(&*stack, &[Value::Int(7), Value::Nil, Value::Nil]);
        assert_eq!(stack.split_off(1), vec![Value::Nil, Value::Nil]);
        assert_eq!(stack.pop(), Some(Value::Int(7)));
        assert_eq!(stack.pop(), None);
    }

    #[test]
    fn it_serialises_clones_and_compares_as_the_values_it_holds() {
        let mut stack = Stack::new();
        stack.extend_from_slice(&[Value::Int(1), Value::Kw(2), Value::Int(3)]);
        stack.pop();
        let plain = vec![Value::Int(1), Value::Kw(2)];
        assert_eq!(
            postcard::to_allocvec(&stack).unwrap(),
            postcard::to_allocvec(&plain).unwrap()
        );
        let back: Stack = postcard::from_bytes(&postcard::to_allocvec(&stack).unwrap()).unwrap();
        assert_eq!(back, stack);
        assert_eq!(stack.clone(), Stack::from(plain));
        assert_eq!(format!("{stack:?}"), "[Int(1), Kw(2)]");
    }

    #[test]
    #[should_panic(expected = "past its room")]
    fn a_top_past_the_room_is_refused() {
        let mut stack = Stack::new();
        stack.grow(4);
        let room = stack.room().len();
        stack.set_top(room + 1);
    }
}
