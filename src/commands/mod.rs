//! One module per subcommand.

pub mod agent;
pub mod attach;
pub mod check;
pub mod daemon;
pub mod files;
pub mod fmt;
pub mod lsp;
pub mod reload;
pub mod run;
pub mod runs;
pub mod settings;
pub mod spending;
pub mod store;
