//! The `duet` subcommands.

pub mod fmt;
