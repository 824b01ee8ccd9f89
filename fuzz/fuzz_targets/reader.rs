//! The reader on any bytes: no panic, the tree holds every byte of the text, every error has
//! a span inside it, and a text read without errors closes every form it opens.
#![no_main]

use duet_lang::span::FileId;
use duet_lang::syntax::{datum, reader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let parse = reader::read(FileId(0), text);
    assert_eq!(parse.root.token_text(text), text, "the tree is lossless");
    for error in &parse.errors {
        assert!(error.span.range.end as usize <= text.len(), "{error:?}");
    }
    if parse.errors.is_empty() {
        let mut stack = vec![&parse.root];
        while let Some(node) = stack.pop() {
            assert!(
                node.kind.closer().is_none() || node.is_closed(),
                "an unclosed form without an error: {node:?}"
            );
            stack.extend(node.children.iter().filter_map(|c| c.as_node()));
        }
    }
    let _ = datum::data(FileId(0), text, &parse.root);
});
