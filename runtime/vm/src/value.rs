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

/// What a heap slot holds.
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
        tail: Value,
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
