//! The whole front end (read, expand, resolve, lint) on any text, as `duet check` and the
//! language server run it before macros can be evaluated: no panic, and diagnostics point
//! inside the file.
#![no_main]

use duet_lang::frontend::{NoLoader, check_source};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let checked = check_source("fuzz.lisp", text, &mut NoLoader, None);
    for d in &checked.diagnostics {
        let file = checked.sources.get(d.span.file);
        assert!(d.span.range.end as usize <= file.text.len(), "{d:?}");
    }
});
