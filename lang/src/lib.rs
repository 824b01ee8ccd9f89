//! `duet-lang`: Duet source to IR. The reader (logos lexer, lossless tree), the diagnostics
//! every tool shares, the expander that lowers macros and workflow forms to core forms, and
//! the resolver and lints behind `duet check`.
//!
//! This crate does no I/O except reading source files through a [`frontend::Loader`].

pub mod codes;
pub mod diagnostic;
pub mod format;
pub mod render;
pub mod source;
pub mod span;
pub mod syntax;
