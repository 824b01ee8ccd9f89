//! One module per subcommand.

pub mod check;
pub mod files;
pub mod fmt;
pub mod lsp;
pub mod run;
pub mod runs;
pub mod store;
