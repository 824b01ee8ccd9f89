//! Byte ranges in source text and spans that also name the file they belong to.

use serde::{Deserialize, Serialize};

/// A half-open byte range `start..end` within one source text.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct TextRange {
    /// Offset of the first byte.
    pub start: u32,
    /// Offset one past the last byte.
    pub end: u32,
}

impl TextRange {
    /// The range `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        debug_assert!(start <= end);
        TextRange {
            start: start as u32,
            end: end as u32,
        }
    }

    /// An empty range at `offset`.
    pub fn empty(offset: usize) -> Self {
        TextRange::new(offset, offset)
    }

    /// The smallest range covering both.
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// Length in bytes.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// True when the range covers no bytes.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Whether `offset` lies within the range (the end counts, for cursors).
    pub fn contains_inclusive(self, offset: usize) -> bool {
        self.start as usize <= offset && offset <= self.end as usize
    }

    /// As a `usize` range for slicing.
    pub fn as_range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// Identifies one file in a [`crate::source::SourceMap`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct FileId(pub u32);

/// A byte range in a particular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// The bytes.
    pub range: TextRange,
}

impl Span {
    /// A span of `range` in `file`.
    pub fn new(file: FileId, range: TextRange) -> Self {
        Span { file, range }
    }

    /// The smallest span covering both (which must be in the same file).
    pub fn cover(self, other: Span) -> Span {
        Span {
            file: self.file,
            range: self.range.cover(other.range),
        }
    }
}
