//! Terminal conventions shared by the commands: colour and error lines.

use std::io::IsTerminal;

/// Whether to colour what goes to standard error: only on a terminal, and never when
/// `NO_COLOR` is set to anything.
pub fn stderr_color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

/// Prints `error: MESSAGE` to standard error.
pub fn error(message: &str) {
    if stderr_color() {
        eprintln!("\x1b[1;31merror\x1b[0m: {message}");
    } else {
        eprintln!("error: {message}");
    }
}
