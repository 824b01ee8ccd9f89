//! `duet-lang`: Duet source to IR. The reader (logos lexer, lossless tree), the diagnostics
//! every tool shares, the expander that lowers macros and workflow forms to core forms, the
//! resolver and lints behind `duet check`, the compiler to the IR ([`ir`]), the envelope every
//! persisted format is sealed in ([`envelope`]), the formatter behind `duet fmt`, and the
//! tables of builtins and special forms that the checker, the REPL and the language server
//! read.
//!
//! This crate does no I/O except reading source files through an [`expand::Loader`], and
//! depends on no other duet crate (the workspace's `tests/layers.rs` checks that it reaches
//! none of the runtime's).

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
pub mod vocabulary;
