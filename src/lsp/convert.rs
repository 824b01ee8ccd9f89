//! Positions: byte offsets in UTF-8 text ↔ LSP positions (0-based line, UTF-16 column), and
//! `file://` URIs ↔ paths.
//!
//! Lines end at `\n`; a `\r` before it belongs to the line break, so a position past the last
//! character of a `\r\n` line lands before the `\r`. A lone `\r` is not a line break here (the
//! reader and `duet check` do not treat it as one either).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::{Position, Uri};

/// Where each line of a text starts, for converting between offsets and positions.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

/// A byte offset from a position, and whether the position had to be clamped to fit the
/// text (past the end of a line or the file, or inside a UTF-16 surrogate pair).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    /// The byte offset, always on a character boundary.
    pub offset: usize,
    /// True when the position did not name a place in the text exactly.
    pub clamped: bool,
}

impl LineIndex {
    /// The line table of `text`.
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { line_starts }
    }

    /// The LSP position of byte `offset` in `text` (the text this index was built from).
    /// Offsets past the end are clamped to the end; offsets inside a character are moved to
    /// its start.
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let character: usize = text[start..offset].chars().map(char::len_utf16).sum();
        Position::new(line as u32, character as u32)
    }

    /// The byte offset of `position` in `text` (the text this index was built from).
    pub fn offset(&self, text: &str, position: Position) -> Offset {
        let line = position.line as usize;
        if line >= self.line_starts.len() {
            return Offset {
                offset: text.len(),
                clamped: true,
            };
        }
        let start = self.line_starts[line];
        let mut end = self
            .line_starts
            .get(line + 1)
            .map_or(text.len(), |&next| next - 1);
        if end > start && text.as_bytes()[end - 1] == b'\r' && end < text.len() {
            end -= 1;
        }
        let wanted = position.character as usize;
        let mut units = 0;
        for (i, c) in text[start..end].char_indices() {
            if units == wanted {
                return Offset {
                    offset: start + i,
                    clamped: false,
                };
            }
            units += c.len_utf16();
            if units > wanted {
                // Inside a surrogate pair: round down to the character's start.
                return Offset {
                    offset: start + i,
                    clamped: true,
                };
            }
        }
        Offset {
            offset: end,
            clamped: units != wanted,
        }
    }
}

/// The path a `file://` URI names, or `None` for any other scheme.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // Skip the authority (usually empty, sometimes `localhost`).
    let path = &rest[rest.find('/')?..];
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = percent_decode(path)?;
    if cfg!(windows) {
        // `/C:/dir/file` names `C:/dir/file`.
        let bytes = decoded.as_bytes();
        if bytes.len() >= 3 && bytes[0] == b'/' && bytes[2] == b':' {
            return Some(PathBuf::from(&decoded[1..]));
        }
    }
    Some(PathBuf::from(decoded))
}

/// The `file://` URI of an absolute path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let text = path.to_str()?.replace('\\', "/");
    if !(text.starts_with('/') || text.as_bytes().get(1) == Some(&b':')) {
        return None;
    }
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position::new(line, character)
    }

    #[test]
    fn ascii_round_trips() {
        let text = "(a b)\n(c)\n";
        let index = LineIndex::new(text);
        for offset in 0..=text.len() {
            let p = index.position(text, offset);
            assert_eq!(index.offset(text, p).offset, offset, "{offset} {p:?}");
        }
        assert_eq!(index.position(text, 7), pos(1, 1));
        assert_eq!(index.position(text, text.len()), pos(2, 0));
    }

    #[test]
    fn columns_count_utf16_units() {
        // `é` is 2 bytes and 1 unit; `😀` is 4 bytes and 2 units (a surrogate pair).
        let text = "é😀x\n";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 0), pos(0, 0));
        assert_eq!(index.position(text, 2), pos(0, 1));
        assert_eq!(index.position(text, 6), pos(0, 3));
        assert_eq!(index.position(text, 7), pos(0, 4));
        let exact = |c| index.offset(text, pos(0, c));
        assert_eq!(exact(0).offset, 0);
        assert_eq!(exact(1).offset, 2);
        assert_eq!(exact(3).offset, 6);
        assert_eq!(exact(4).offset, 7);
        assert!(!exact(3).clamped);
    }

    #[test]
    fn positions_inside_a_surrogate_pair_round_down() {
        let text = "a😀b";
        let index = LineIndex::new(text);
        let inside = index.offset(text, pos(0, 2));
        assert_eq!(inside.offset, 1);
        assert!(inside.clamped);
    }

    #[test]
    fn offsets_inside_a_character_round_down() {
        let text = "😀";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 2), pos(0, 0));
        assert_eq!(index.position(text, 99), pos(0, 2));
    }

    #[test]
    fn out_of_range_positions_clamp() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        let past_line = index.offset(text, pos(0, 10));
        assert_eq!(past_line.offset, 2);
        assert!(past_line.clamped);
        let past_file = index.offset(text, pos(7, 0));
        assert_eq!(past_file.offset, text.len());
        assert!(past_file.clamped);
        assert_eq!(index.offset(text, pos(1, 2)).offset, 5);
        assert!(!index.offset(text, pos(1, 2)).clamped);
    }

    #[test]
    fn crlf_line_ends_before_the_carriage_return() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, pos(0, 2)).offset, 2);
        assert_eq!(index.offset(text, pos(0, 3)).offset, 2);
        assert_eq!(index.offset(text, pos(1, 0)).offset, 4);
        assert_eq!(index.position(text, 4), pos(1, 0));
    }

    #[test]
    fn empty_text() {
        let index = LineIndex::new("");
        assert_eq!(index.position("", 0), pos(0, 0));
        assert_eq!(index.offset("", pos(0, 0)).offset, 0);
        assert_eq!(index.offset("", pos(0, 5)).offset, 0);
    }

    #[test]
    fn file_uris() {
        let uri = Uri::from_str("file:///tmp/a%20dir/caf%C3%A9.lisp").unwrap();
        let path = uri_to_path(&uri).unwrap();
        assert_eq!(path, PathBuf::from("/tmp/a dir/café.lisp"));
        assert_eq!(path_to_uri(&path).unwrap(), uri);
        let other = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(uri_to_path(&other), None);
        assert_eq!(path_to_uri(Path::new("relative.lisp")), None);
    }
}
