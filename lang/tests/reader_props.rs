//! Property tests of the reader: it never panics, on any bytes, and its tree gives back the
//! exact input.

use duet_lang::frontend::{NoLoader, check_bytes};
use duet_lang::span::FileId;
use duet_lang::syntax::{datum, reader};
use proptest::prelude::*;

/// Source-like text: delimiters, prefixes, quotes, comment starters, escapes, non-ASCII and
/// CRLF in a soup that often nests and often breaks.
fn lisp_soup() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "'",
        "`",
        ",",
        ",@",
        "#;",
        "#|",
        "|#",
        "#",
        "\"",
        "\\",
        "\\u{",
        ";",
        "\n",
        "\r\n",
        "\t",
        " ",
        "x",
        "?y",
        ":k",
        ":",
        "42",
        "-1.5e3",
        "12abc",
        "é",
        "🌍",
        "nil",
        "defn",
        "workflow",
        "state",
        "goto",
        "let",
        "fn",
        "recur",
        "await",
        "record",
        "terminal",
        "match",
        "_",
        "&",
        "import",
        "\"lib.lisp\"",
        "std/text",
        "prompt",
        "roles",
    ]);
    prop::collection::vec(pieces, 0..80).prop_map(|v| v.join(""))
}

fn spans_are_in_bounds(bytes: &[u8]) -> Result<(), TestCaseError> {
    let checked = check_bytes("fuzz.lisp", bytes, &mut NoLoader, None);
    for d in &checked.diagnostics {
        let file = checked.sources.get(d.span.file);
        let (start, end) = (d.span.range.start as usize, d.span.range.end as usize);
        prop_assert!(start <= end && end <= file.text.len());
        prop_assert!(file.text.is_char_boundary(start) && file.text.is_char_boundary(end));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn reading_lisp_soup_round_trips(text in lisp_soup()) {
        let parse = reader::read(FileId(0), &text);
        prop_assert_eq!(parse.root.token_text(&text), text.clone());
        let _ = datum::data(FileId(0), &text, &parse.root);
    }

    #[test]
    fn reading_any_unicode_round_trips(text in "\\PC*") {
        let parse = reader::read(FileId(0), &text);
        prop_assert_eq!(parse.root.token_text(&text), text);
    }

    #[test]
    fn checking_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        spans_are_in_bounds(&bytes)?;
    }

    #[test]
    fn checking_lisp_soup_never_panics(text in lisp_soup()) {
        spans_are_in_bounds(text.as_bytes())?;
    }
}
