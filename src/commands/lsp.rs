//! `duet lsp`: the language server on stdio (see `crate::lsp`).

use std::process::ExitCode;

use clap::Args;

/// Arguments of `duet lsp`.
#[derive(Debug, Args)]
pub struct LspArgs {
    /// Speak LSP on standard input and output (the default and only transport; accepted
    /// because some clients pass it).
    #[arg(long)]
    stdio: bool,
}

/// Runs the language server until the client says `exit` or closes its input.
pub fn run(args: &LspArgs) -> ExitCode {
    let _ = args.stdio;
    ExitCode::from(crate::lsp::run() as u8)
}
