//! Terminal conventions shared by the commands: colour, error lines, and the console they
//! write to — this process's standard output and error, or, for a command the daemon serves,
//! the client's (each write goes to it as a frame; see `daemon::protocol`).

use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::sync::Arc;

/// Where a served command's output goes: the client's connection.
pub trait Sink: Send + Sync {
    /// Writes `text` to the client's standard output (`err`: its standard error). An error
    /// when the client has gone.
    fn write(&self, err: bool, text: &[u8]) -> std::io::Result<()>;
    /// Whether the client's standard error takes colour.
    fn color(&self) -> bool;
    /// Whether the client's standard output is a terminal.
    fn stdout_terminal(&self) -> bool;
}

thread_local! {
    static CONSOLE: RefCell<Option<Arc<dyn Sink>>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's console going to `sink`.
pub fn redirect<T>(sink: Arc<dyn Sink>, f: impl FnOnce() -> T) -> T {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            CONSOLE.with(|c| c.borrow_mut().take());
        }
    }
    CONSOLE.with(|c| *c.borrow_mut() = Some(sink));
    let _reset = Reset;
    f()
}

fn sink() -> Option<Arc<dyn Sink>> {
    CONSOLE.with(|c| c.borrow().clone())
}

/// The console's standard output or error.
pub struct Console {
    err: bool,
    sink: Option<Arc<dyn Sink>>,
}

impl Write for Console {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match (&self.sink, self.err) {
            (Some(sink), err) => sink.write(err, buf).map(|()| buf.len()),
            (None, false) => std::io::stdout().write(buf),
            (None, true) => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match (&self.sink, self.err) {
            (Some(_), _) => Ok(()),
            (None, false) => std::io::stdout().flush(),
            (None, true) => std::io::stderr().flush(),
        }
    }
}

/// The console's standard output.
pub fn stdout() -> Console {
    Console {
        err: false,
        sink: sink(),
    }
}

/// The console's standard error.
pub fn stderr() -> Console {
    Console {
        err: true,
        sink: sink(),
    }
}

/// Writes `text` to the console whole (one frame for a served command).
pub fn write(err: bool, text: &str) {
    let mut console = if err { stderr() } else { stdout() };
    let _ = console.write_all(text.as_bytes());
}

/// `println!` to the console's standard output.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::output::write(false, &format!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` to the console's standard error.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::write(true, &format!("{}\n", format_args!($($arg)*)))
    };
}

pub(crate) use {errln, outln};

/// Whether to colour what goes to standard error: only on a terminal, and never when
/// `NO_COLOR` is set to anything (for a served command: as the client says).
pub fn stderr_color() -> bool {
    match sink() {
        Some(sink) => sink.color(),
        None => std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
    }
}

/// Whether standard output is a terminal (for a served command: the client's).
pub fn stdout_terminal() -> bool {
    match sink() {
        Some(sink) => sink.stdout_terminal(),
        None => std::io::stdout().is_terminal(),
    }
}

/// Prints `error: MESSAGE` to standard error.
pub fn error(message: &str) {
    if stderr_color() {
        errln!("\x1b[1;31merror\x1b[0m: {message}");
    } else {
        errln!("error: {message}");
    }
}
