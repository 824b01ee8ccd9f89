//! The standard library, written in Duet and embedded in the binary, in one place: the
//! prelude every program starts with, and the modules `(import std/NAME)` loads from
//! `stdlib/NAME.lisp`.

/// The prelude's functions written in Duet (`map`, `filter`, `reduce`, …), loaded into
/// every session before a program runs.
pub const PRELUDE: &str = include_str!("../../stdlib/prelude.lisp");

/// The file name the prelude's errors and backtraces show.
pub const PRELUDE_NAME: &str = "std/prelude";

/// Every module as (name, source), sorted by name.
pub const MODULES: &[(&str, &str)] = &[
    ("retry", include_str!("../../stdlib/retry.lisp")),
    ("text", include_str!("../../stdlib/text.lisp")),
];

/// The source of module `name` (without the `std/` prefix).
pub fn module(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}
