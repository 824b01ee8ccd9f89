//! The client side: a command that works on a store a daemon serves is sent to it
//! ([`route`]) and its replies shown as if it ran here — the same output, the same exit
//! status. Ctrl-C while it follows a run stops following and leaves the run going.

use std::io::{BufReader, IsTerminal, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{RecvTimeoutError, channel};
use std::time::Duration;

use super::protocol::{self, Reply, Request};
use super::server::socket_path;
use crate::output;

/// A connection to the daemon serving the store in `dir`, if one does. A socket left by a
/// daemon that died refuses connections: no daemon then.
pub fn connect(dir: &Path) -> Option<UnixStream> {
    UnixStream::connect(socket_path(dir)).ok()
}

/// A connection to the process serving the store in `dir`, waiting for one while another
/// process holds the store without serving it yet: a `duet run` that has just opened it
/// serves it in a moment; a `duet status` lets go of it as soon. `None` once no process
/// holds the store, or after [`STORE_PATIENCE`]: the command then opens it itself.
///
/// [`STORE_PATIENCE`]: duet::driver::store::STORE_PATIENCE
pub fn connect_patiently(dir: &Path) -> Option<UnixStream> {
    let deadline = std::time::Instant::now() + duet::driver::store::STORE_PATIENCE;
    loop {
        if let Some(stream) = connect(dir) {
            return Some(stream);
        }
        if duet_store::holder(dir).is_none() || std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The daemon's own state, if one serves the store in `dir`.
pub fn status(dir: &Path) -> Option<Reply> {
    let mut stream = connect(dir)?;
    protocol::send(&mut stream, &Request::Status).ok()?;
    protocol::receive::<Reply>(&mut BufReader::new(stream)).ok()?
}

/// Sends the command `args` to the daemon on `stream` and shows its replies; its exit
/// status.
pub fn command(mut stream: UnixStream, dir: &Path, args: Vec<String>) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(e) => {
            output::error(&format!("cannot read the current directory: {e}"));
            return ExitCode::from(2);
        }
    };
    let request = Request::Command {
        args,
        cwd,
        color: output::stderr_color(),
        stdout_terminal: output::stdout_terminal(),
        env: duet::driver::served::CLIENT_ENV
            .iter()
            .filter_map(|name| Some((name.to_string(), std::env::var(name).ok()?)))
            .collect(),
        stdin_terminal: std::io::stdin().is_terminal(),
    };
    // What is typed at the terminal, once a question is asked, goes back on a clone.
    let mut answering = stream.try_clone().ok();
    if let Err(e) = protocol::send(&mut stream, &request) {
        output::error(&format!(
            "cannot reach the daemon of {}: {e}",
            dir.display()
        ));
        return ExitCode::from(1);
    }
    // Ctrl-C stops following; the replies are read on a thread so it is seen at once.
    let interrupted = Arc::new(AtomicBool::new(false));
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, interrupted.clone());
    let (tell, replies) = channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        loop {
            let reply = protocol::receive::<Reply>(&mut reader);
            let end = !matches!(reply, Ok(Some(_)));
            if tell.send(reply).is_err() || end {
                return;
            }
        }
    });
    let mut run: Option<String> = None;
    loop {
        if interrupted.load(Ordering::SeqCst) {
            return detached(run.as_deref());
        }
        let reply = match replies.recv_timeout(Duration::from_millis(100)) {
            Ok(reply) => reply,
            Err(RecvTimeoutError::Timeout) => continue,
            Err(RecvTimeoutError::Disconnected) => Ok(None),
        };
        match reply {
            Ok(Some(Reply::Out { text })) => {
                let mut out = std::io::stdout();
                let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
            }
            Ok(Some(Reply::Err { text })) => {
                let mut err = std::io::stderr();
                let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
            }
            Ok(Some(Reply::Ask { text })) => {
                let mut err = std::io::stderr();
                let _ = err.write_all(text.as_bytes()).and_then(|()| err.flush());
                if let Some(to) = answering.take() {
                    relay_typed(to);
                }
            }
            Ok(Some(Reply::Following { run: id })) => run = Some(id),
            Ok(Some(Reply::Exit { code })) => return ExitCode::from(code),
            Ok(Some(Reply::Daemon { .. })) => {}
            Ok(None) | Err(_) => {
                output::error(&format!(
                    "the daemon of {} stopped while serving this command; {} says why{}",
                    dir.display(),
                    duet::driver::detach::daemon_log(dir).display(),
                    run.map(|run| format!("; `duet status {run}` shows where the run is"))
                        .unwrap_or_default()
                ));
                return ExitCode::from(1);
            }
        }
    }
}

/// Sends every line typed at the terminal from now on to the daemon, on a thread of its own
/// (the end of the input as a last `None`).
fn relay_typed(mut to: UnixStream) {
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        loop {
            let mut line = String::new();
            let typed = match stdin.read_line(&mut line) {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
            };
            let ended = typed.is_none();
            if protocol::send(&mut to, &protocol::Typed { line: typed }).is_err() || ended {
                return;
            }
        }
    });
}

/// Ctrl-C: the command stops following; the run goes on in the daemon (exit 3).
fn detached(run: Option<&str>) -> ExitCode {
    match run {
        Some(run) => {
            eprintln!();
            eprintln!(
                "run: {run} goes on in the daemon; `duet attach {run}` follows it again, `duet \
                 stop {run}` ends it"
            );
            ExitCode::from(3)
        }
        None => ExitCode::from(130),
    }
}

/// Asks the daemon serving the store in `dir` to stop, and waits until it has let go of
/// the store. `false` when none serves it.
pub fn shutdown(dir: &Path) -> Result<bool, String> {
    let Some(mut stream) = connect(dir) else {
        return Ok(false);
    };
    protocol::send(&mut stream, &Request::Shutdown)
        .map_err(|e| format!("cannot reach the daemon of {}: {e}", dir.display()))?;
    let mut reader = BufReader::new(stream);
    let mut said = String::new();
    while let Ok(Some(reply)) = protocol::receive::<Reply>(&mut reader) {
        match reply {
            Reply::Err { text } => said.push_str(&text),
            Reply::Exit { code: 0 } => break,
            // A foreground `duet` says why it does not stop.
            Reply::Exit { .. } => {
                let said = said.trim_end();
                return Err(said.strip_prefix("error: ").unwrap_or(said).to_string());
            }
            _ => {}
        }
    }
    // The process lets go of the store's lock as it exits.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while duet_store::holder(dir).is_some() {
        if std::time::Instant::now() > deadline {
            return Err(format!(
                "the daemon of {} said it stopped but still holds the store",
                dir.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(true)
}

/// The words of this command after `duet`.
pub fn args() -> Vec<String> {
    std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// The store the command line names (`--store`), as `duet` resolves it.
pub fn store_of_command_line() -> PathBuf {
    use clap::CommandFactory;
    let given = crate::Cli::command()
        .try_get_matches_from(std::env::args_os())
        .ok()
        .and_then(|m| {
            m.subcommand()
                .and_then(|(_, sub)| sub.try_get_one::<PathBuf>("store").ok().flatten().cloned())
        });
    crate::commands::run::store_dir(given.as_deref())
}
