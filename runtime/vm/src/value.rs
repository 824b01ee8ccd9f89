//! Values. Immediate values (nil, booleans, numbers, symbols, keywords, builtins) are
//! copied; everything else lives in the [`crate::heap::Heap`] and is referred to by index,
//! so a running program's whole state is plain data that serialises as it is, cycles and all.

use serde::{Deserialize, Serialize};

use crate::persistent::{PMap, PVec};

/// A value: 16 bytes, `Copy`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// `nil`
    Nil,
    /// `true` / `false`
    Bool(bool),
    /// A 64-bit integer.
    Int(i64),
    /// A 64-bit float.
    Float(f64),
    /// A symbol, by its interned id.
    Sym(u32),
    /// A keyword, by the interned id of its name.
    Kw(u32),
    /// The empty list `()`.
    EmptyList,
    /// A heap object.
    Obj(u32),
    /// A builtin function, by its index in the program's builtin table.
    Builtin(u16),
}

impl Value {
    /// Only `nil` and `false` are falsy.
    #[inline]
    pub fn truthy(self) -> bool {
        !matches!(self, Value::Nil | Value::Bool(false))
    }
}

/// The rest of a list cell: another cell, by its heap index, or the empty list. A list's
/// rest is always a list (`cons` makes a list of any other collection first), so 4 bytes
/// hold it where a [`Value`] takes 16, which keeps [`Object`] at 32 bytes instead of 40.
/// It serialises as the [`Value`] it stands for, so snapshots are unchanged; reading one
/// that is not a list (damaged data) is an error.
#[derive(Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Value", try_from = "Value")]
pub struct ListTail(u32);

impl ListTail {
    /// The empty list. (The heap never has this many slots: see [`crate::heap::MAX_SLOTS`].)
    pub const EMPTY: ListTail = ListTail(u32::MAX);

    /// The list starting at the cell in heap slot `r`.
    #[inline]
    pub fn cell(r: u32) -> ListTail {
        debug_assert!(r != u32::MAX, "heap slot {r} would read as the empty list");
        ListTail(r)
    }

    /// The list `v` as a tail: `Some` for the empty list and heap objects (whether the
    /// object is a cell is the heap's to say: [`crate::heap::Heap::as_list`]).
    #[inline]
    pub fn of(v: Value) -> Option<ListTail> {
        match v {
            Value::EmptyList => Some(ListTail::EMPTY),
            Value::Obj(r) if r != u32::MAX => Some(ListTail(r)),
            _ => None,
        }
    }

    /// The list as a value: `Value::Obj` of the next cell, or `Value::EmptyList`.
    #[inline]
    pub fn value(self) -> Value {
        if self == ListTail::EMPTY {
            Value::EmptyList
        } else {
            Value::Obj(self.0)
        }
    }
}

impl From<ListTail> for Value {
    fn from(tail: ListTail) -> Value {
        tail.value()
    }
}

impl TryFrom<Value> for ListTail {
    type Error = String;

    fn try_from(v: Value) -> Result<ListTail, String> {
        ListTail::of(v).ok_or_else(|| format!("the rest of a list cell must be a list, not {v:?}"))
    }
}

impl std::fmt::Debug for ListTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.value().fmt(f)
    }
}

// The sizes the heap's memory rests on, checked at compile time: a list cell is its head
// (16 bytes), its tail (4) and its length (4), so no object is larger than 32 bytes.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(std::mem::size_of::<Value>() == 16);
    assert!(std::mem::size_of::<ListTail>() == 4);
    assert!(std::mem::size_of::<Object>() == 32);
};

/// What a heap slot holds: 32 bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Object {
    /// An immutable string (up to 24 bytes held inline, without an allocation of its own;
    /// serialised as a plain string).
    Str(compact_str::CompactString),
    /// A list cell: its first element, the rest (another cell or the empty list) and the
    /// length of the list starting here.
    Pair {
        /// The first element.
        head: Value,
        /// The rest of the list.
        tail: ListTail,
        /// Number of elements from here to the end.
        len: u32,
    },
    /// A persistent vector.
    Vector(PVec),
    /// A persistent map with keys in insertion order.
    Map(PMap),
    /// A record `<label field …>`.
    Record {
        /// The label symbol's id.
        label: u32,
        /// The fields in order.
        fields: Vec<Value>,
    },
    /// A function value: a compiled function and the values it captured.
    Closure {
        /// Index into the program's functions.
        func: u32,
        /// Captured values, in the order the function's `captures` lists them.
        captures: Vec<Value>,
    },
    /// A mutable box for a local that closures both capture and assign.
    Cell(Value),
    /// An assertion handle returned by `assert`.
    Handle(u64),
    /// A slot on the free list, pointing at the next free slot.
    Free(Option<u32>),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first two variants of [`Object`] as they were before list tails were compact, in
    /// the same order, so postcard numbers them alike.
    #[derive(Debug, Serialize)]
    enum OldObject {
        Str(compact_str::CompactString),
        Pair { head: Value, tail: Value, len: u32 },
    }

    #[test]
    fn list_cells_serialise_exactly_as_they_did_with_a_value_tail() {
        let old = vec![
            OldObject::Str("x".into()),
            OldObject::Pair {
                head: Value::Int(-7),
                tail: Value::EmptyList,
                len: 1,
            },
            // A slot past 127 takes more than one byte as a varint.
            OldObject::Pair {
                head: Value::Obj(0),
                tail: Value::Obj(300),
                len: 2,
            },
        ];
        let new = vec![
            Object::Str("x".into()),
            Object::Pair {
                head: Value::Int(-7),
                tail: ListTail::EMPTY,
                len: 1,
            },
            Object::Pair {
                head: Value::Obj(0),
                tail: ListTail::cell(300),
                len: 2,
            },
        ];
        let bytes = postcard::to_allocvec(&old).expect("encodes");
        assert_eq!(postcard::to_allocvec(&new).expect("encodes"), bytes);
        let decoded: Vec<Object> = postcard::from_bytes(&bytes).expect("decodes");
        assert_eq!(decoded, new);
    }

    #[test]
    fn a_list_cell_whose_tail_is_not_a_list_is_an_error_when_read() {
        for tail in [
            Value::Nil,
            Value::Int(3),
            Value::Kw(1),
            Value::Obj(u32::MAX),
        ] {
            let bytes = postcard::to_allocvec(&OldObject::Pair {
                head: Value::Nil,
                tail,
                len: 1,
            })
            .expect("encodes");
            assert!(
                postcard::from_bytes::<Object>(&bytes).is_err(),
                "a tail of {tail:?} was read"
            );
            assert!(
                ListTail::try_from(tail)
                    .expect_err("not a list")
                    .starts_with("the rest of a list cell must be a list"),
            );
        }
    }

    #[test]
    fn a_tail_stands_for_the_list_value_it_was_made_from() {
        for v in [Value::EmptyList, Value::Obj(0), Value::Obj(u32::MAX - 1)] {
            assert_eq!(ListTail::of(v).map(ListTail::value), Some(v));
        }
        assert_eq!(format!("{:?}", ListTail::cell(5)), "Obj(5)");
    }
}
