//! `duet lsp`: the language server, on stdio.
//!
//! Built on rust-analyzer's `lsp-server` (message types and the connection) and `lsp-types`,
//! with a single-threaded loop that applies `didChange` strictly in order
//! (see `server.rs`). Each feature lives in its own file and works on an [`analysis::Analysis`]
//! of one document version: the front end's result plus the lossless syntax tree.
//! Formatting (whole document and ranges) is `duet fmt`'s, see `formatting.rs`.

mod analysis;
mod completion;
mod convert;
mod definition;
mod diagnostics;
mod documents;
mod formatting;
mod hover;
mod meaning;
mod references;
mod rename;
mod semantic_tokens;
mod server;
mod symbols;
mod syntax;
mod transport;

/// Runs the server on stdin/stdout until `exit` or the end of input. The exit code is 0 when
/// the client sent `shutdown` before `exit`, 1 otherwise, as the protocol asks.
pub fn run() -> i32 {
    let (connection, writer) = transport::stdio();
    let code = server::serve(connection);
    // Dropping the connection's sender lets the writer finish what is queued and stop.
    if writer.join().is_err() {
        log("the writer thread panicked");
    }
    code
}

/// A line on standard error, which editors show in the server's log.
pub fn log(message: &str) {
    eprintln!("duet lsp: {message}");
}

#[cfg(test)]
mod tests;
