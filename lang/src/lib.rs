//! `duet-lang`: Duet source to IR. The reader (logos lexer, lossless tree), the diagnostics
//! every tool shares, the expander that lowers macros and workflow forms to core forms, and
//! the resolver and lints behind `duet check`.
//!
//! This crate does no I/O except reading source files through an [`expand::Loader`].

pub mod builtins;
pub mod codes;
pub mod compile;
pub mod core;
pub mod diagnostic;
pub mod duration;
pub mod envelope;
pub mod expand;
pub mod format;
pub mod frontend;
pub mod ir;
pub mod lint;
pub mod render;
pub mod source;
pub mod span;
pub mod special_forms;
pub mod stdlib;
pub mod syntax;
