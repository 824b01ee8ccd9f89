//! Reading source text: tokens, the lossless tree, and data read from it.

pub mod datum;
pub mod lexer;
pub mod reader;
pub mod tree;
