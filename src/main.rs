//! The `duet` command.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A Lisp workflow language for orchestrating LLM agents.
#[derive(Parser)]
#[command(name = "duet", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Format Duet source files in place (`-` reads stdin and writes stdout).
    Fmt(commands::fmt::FmtArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Fmt(args) => commands::fmt::run(&args),
    }
}
