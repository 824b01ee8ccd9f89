//! The standard library modules, written in Duet and embedded in the binary:
//! `(import std/NAME)` loads `stdlib/NAME.lisp`.

/// Every module as (name, source), sorted by name.
pub const MODULES: &[(&str, &str)] = &[
    ("retry", include_str!("../../stdlib/retry.lisp")),
    ("text", include_str!("../../stdlib/text.lisp")),
];

/// The source of module `name` (without the `std/` prefix).
pub fn module(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}
