//! Source files, their names and line tables.

use crate::span::{FileId, Span, TextRange};

/// One source text with its display name and precomputed line starts.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown in diagnostics: a path as the user gave it, `<stdin>`, or `std/NAME`.
    pub name: String,
    /// The text. It is valid UTF-8; files that are not are rejected before this point.
    pub text: String,
    line_starts: Vec<u32>,
    /// Whether each line is ASCII, so that its columns are its byte offsets (a file's
    /// diagnostics must not each count the characters of a long line).
    ascii_lines: Vec<bool>,
}

impl SourceFile {
    /// A file named `name` with `text`.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0u32];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| (i + 1) as u32),
        );
        let ascii_lines = (0..line_starts.len())
            .map(|i| {
                let start = line_starts[i] as usize;
                let end = line_starts.get(i + 1).map_or(text.len(), |&e| e as usize);
                text.as_bytes()[start..end].is_ascii()
            })
            .collect();
        SourceFile {
            name: name.into(),
            text,
            line_starts,
            ascii_lines,
        }
    }

    /// The 0-based line index holding byte `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// 1-based line and column of byte `offset`; the column counts characters (Unicode
    /// scalar values), so a tab or an `é` is one column.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts[line] as usize;
        let col = if self.ascii_lines[line] {
            offset - start
        } else {
            self.text
                .get(start..offset)
                .map_or(offset - start, |s| s.chars().count())
        };
        (line + 1, col + 1)
    }

    /// The 0-based line and UTF-16 column of byte `offset`, as the Language Server Protocol counts.
    pub fn line_utf16_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts[line] as usize;
        let col = if self.ascii_lines[line] {
            offset - start
        } else {
            self.text
                .get(start..offset)
                .map_or(0, |s| s.chars().map(char::len_utf16).sum())
        };
        (line, col)
    }

    /// Where the 0-based line `line` starts and ends, in bytes, without its line break.
    pub fn line_bounds(&self, line: usize) -> (usize, usize) {
        let start = self.line_starts[line] as usize;
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next as usize - 1);
        (start, end.max(start))
    }

    /// Number of lines (a file with no newline has one).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The text of `range`.
    pub fn slice(&self, range: TextRange) -> &str {
        &self.text[range.as_range()]
    }
}

/// All files taking part in one compilation, addressed by [`FileId`].
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId((self.files.len() - 1) as u32)
    }

    /// The file with `id`.
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// The id of the file named `name`, if it was added.
    pub fn find(&self, name: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.name == name)
            .map(|i| FileId(i as u32))
    }

    /// Every file with its id, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.get(span.file).slice(span.range)
    }
}
