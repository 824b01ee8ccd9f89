//! Robustness: every feature at every position of every file in the diagnostics corpus
//! (`tests/check/`, which holds a file for each kind of error), of the standard library, and
//! of prefixes of them (text cut off mid-form, as while typing), without a panic. Formatting
//! runs on the whole file and on ranges every few lines (it formats the whole text each time).

use std::str::FromStr;

use lsp_types::Uri;

use super::analysis::Analysis;
use super::convert::LineIndex;
use super::{
    completion, definition, diagnostics, formatting, hover, references, rename, semantic_tokens,
    symbols,
};

fn exercise(text: &str, step: usize) {
    let uri = Uri::from_str("untitled:robustness").unwrap();
    let a = Analysis::new(&uri, text);
    diagnostics::diagnostics(&a);
    semantic_tokens::semantic_tokens(&a);
    symbols::document_symbols(&a);
    let index = LineIndex::new(text);
    formatting::format_document(text, &index);
    let lines = text.lines().count() as u32;
    for line in (0..lines + 2).step_by(7) {
        let start = lsp_types::Position::new(line, 0);
        let end = lsp_types::Position::new(line + 3, 2);
        formatting::format_range(text, &index, lsp_types::Range::new(start, end));
        formatting::format_range(text, &index, lsp_types::Range::new(end, start));
    }
    let offsets: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .step_by(step)
        .collect();
    for offset in offsets {
        hover::hover(&a, offset);
        definition::definition(&a, offset);
        references::references(&a, offset, true);
        references::highlights(&a, offset);
        completion::completion(&a, offset, None);
        completion::completion(&a, offset, Some(" "));
        let _ = rename::prepare(&a, offset);
        let _ = rename::rename(&a, offset, "renamed");
    }
}

fn corpus() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for dir in ["tests/check", "stdlib", "examples"] {
        for entry in std::fs::read_dir(dir).expect("the directory exists") {
            let path = entry.expect("an entry").path();
            if path.extension().is_some_and(|e| e == "lisp")
                && let Ok(text) = std::fs::read_to_string(&path)
                && text.len() < 20_000
            {
                out.push((path.display().to_string(), text));
            }
        }
    }
    out.sort();
    assert!(out.len() > 20);
    out
}

#[test]
fn every_feature_at_every_position_of_the_corpus() {
    for (_, text) in corpus() {
        exercise(&text, 1);
    }
}

#[test]
fn every_feature_on_cut_off_text() {
    for (_, text) in corpus() {
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(17).collect();
        for cut in cuts {
            exercise(&text[..cut], 5);
        }
    }
}
