//! The formatter on any text: no panic; what it formats reads back to the same forms (no
//! read errors) and formatting it again changes nothing.
#![no_main]

use duet_lang::format::format_source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(formatted) = format_source(text) else {
        return;
    };
    let again = format_source(&formatted).expect("formatted text reads without errors");
    assert_eq!(again, formatted, "formatting is idempotent");
});
