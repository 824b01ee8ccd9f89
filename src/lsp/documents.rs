//! Open documents: their text and version, edits applied strictly in the order they arrive,
//! and the analysis of the current text, computed when first needed after a change.

use std::collections::HashMap;
use std::rc::Rc;

use lsp_types::{TextDocumentContentChangeEvent, Uri};

use super::analysis::Analysis;
use super::convert::LineIndex;
use super::log;

/// One open document.
#[derive(Debug)]
pub struct Document {
    /// The version the client gave with the last change.
    pub version: i32,
    /// The current text.
    pub text: String,
    index: LineIndex,
    analysis: Option<Rc<Analysis>>,
    /// The document changed since diagnostics were last published.
    pub diagnostics_due: bool,
}

impl Document {
    fn new(version: i32, text: String) -> Self {
        Document {
            version,
            index: LineIndex::new(&text),
            text,
            analysis: None,
            diagnostics_due: true,
        }
    }

    /// Applies one content change: a range edit, or a whole new text when it has no range.
    /// Positions outside the text are clamped (and logged) rather than refused, so a client
    /// that is out of step cannot crash the server.
    pub fn apply(&mut self, uri: &Uri, change: TextDocumentContentChangeEvent) {
        match change.range {
            None => self.text = change.text,
            Some(range) => {
                let start = self.index.offset(&self.text, range.start);
                let end = self.index.offset(&self.text, range.end);
                if start.clamped || end.clamped {
                    log(&format!(
                        "{}: edit range {:?} is outside the text; clamped to bytes {}..{}",
                        uri.as_str(),
                        range,
                        start.offset,
                        end.offset
                    ));
                }
                let (mut start, mut end) = (start.offset, end.offset);
                if start > end {
                    log(&format!(
                        "{}: edit range {range:?} ends before it starts; swapped",
                        uri.as_str()
                    ));
                    std::mem::swap(&mut start, &mut end);
                }
                self.text.replace_range(start..end, &change.text);
            }
        }
        self.index = LineIndex::new(&self.text);
        self.analysis = None;
        self.diagnostics_due = true;
    }

    /// The analysis of the current text.
    pub fn analysis(&mut self, uri: &Uri) -> Rc<Analysis> {
        self.analysis
            .get_or_insert_with(|| Rc::new(Analysis::new(uri, &self.text)))
            .clone()
    }

    /// The line table of the current text.
    pub fn line_index(&self) -> &LineIndex {
        &self.index
    }

    /// Drops the analysis, e.g. because an imported file may have changed on disk.
    pub fn invalidate(&mut self) {
        self.analysis = None;
        self.diagnostics_due = true;
    }
}

/// Every open document by URI.
#[derive(Debug, Default)]
pub struct Documents {
    docs: HashMap<Uri, Document>,
}

impl Documents {
    /// Opens (or reopens) a document.
    pub fn open(&mut self, uri: Uri, version: i32, text: String) {
        self.docs.insert(uri, Document::new(version, text));
    }

    /// Closes a document; true if it was open.
    pub fn close(&mut self, uri: &Uri) -> bool {
        self.docs.remove(uri).is_some()
    }

    /// Applies changes in order. Returns false when the document is not open.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) -> bool {
        let Some(doc) = self.docs.get_mut(uri) else {
            return false;
        };
        if version <= doc.version {
            log(&format!(
                "{}: version {version} after version {}; applying it anyway",
                uri.as_str(),
                doc.version
            ));
        }
        for change in changes {
            doc.apply(uri, change);
        }
        doc.version = version;
        true
    }

    /// The document at `uri`, if open.
    pub fn get_mut(&mut self, uri: &Uri) -> Option<&mut Document> {
        self.docs.get_mut(uri)
    }

    /// The analysis of the document at `uri`, if it is open.
    pub fn analysis(&mut self, uri: &Uri) -> Option<Rc<Analysis>> {
        self.docs.get_mut(uri).map(|d| d.analysis(uri))
    }

    /// Every open document.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&Uri, &mut Document)> {
        self.docs.iter_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};
    use std::str::FromStr;

    fn edit(l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: text.into(),
        }
    }

    #[test]
    fn edits_apply_in_order_with_utf16_columns() {
        let uri = Uri::from_str("untitled:x").unwrap();
        let mut docs = Documents::default();
        docs.open(uri.clone(), 1, "(str \"😀é\" x)\n".into());
        // Column 9 is after `(str "😀é` (5 + 1 + 2 + 1 units); insert before the quote.
        assert!(docs.change(&uri, 2, vec![edit(0, 9, 0, 9, "!"), edit(0, 0, 0, 1, "[")]));
        let doc = docs.get_mut(&uri).unwrap();
        assert_eq!(doc.text, "[str \"😀é!\" x)\n");
        assert_eq!(doc.version, 2);
    }

    #[test]
    fn bad_ranges_are_clamped() {
        let uri = Uri::from_str("untitled:x").unwrap();
        let mut docs = Documents::default();
        docs.open(uri.clone(), 1, "ab\ncd".into());
        docs.change(&uri, 2, vec![edit(9, 9, 12, 0, "!")]);
        docs.change(&uri, 3, vec![edit(1, 1, 0, 1, "-")]);
        docs.change(&uri, 4, vec![edit(0, 99, 0, 99, "?")]);
        assert_eq!(docs.get_mut(&uri).unwrap().text, "a-d!?");
        assert!(!docs.change(&Uri::from_str("untitled:y").unwrap(), 1, vec![]));
    }
}
