//! `duet daemon start [--foreground] [--http ADDR [--http-public]]`, `duet daemon stop`,
//! `duet daemon status [--json]`: the long-running service that holds a store (see
//! `docs/daemon.md`, and `docs/api.md` for its HTTP API).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};

use super::run::store_dir;
use crate::daemon::protocol::Reply;
use crate::daemon::{client, http, server};
use crate::output;

/// How long `duet daemon start` waits for the daemon to be ready.
const READY_PATIENCE: Duration = Duration::from_secs(20);

/// Arguments of `duet daemon`.
#[derive(Debug, Args)]
pub struct DaemonCommand {
    #[command(subcommand)]
    action: DaemonAction,
    /// The store (default: `$DUET_STORE`, else `.duet` here).
    #[arg(long, value_name = "DIR", global = true)]
    store: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum DaemonAction {
    /// Start the daemon for the store; returns once it is ready.
    Start {
        /// Stay in the terminal instead of going to the background.
        #[arg(long)]
        foreground: bool,
        /// Also serve the HTTP API on this address, e.g. 127.0.0.1:8080 (port 0: any free
        /// port; `duet daemon status` says which). Loopback addresses only, unless
        /// `--http-public`.
        #[arg(long, value_name = "ADDR")]
        http: Option<SocketAddr>,
        /// Allow an `--http` address other machines can reach.
        #[arg(long, requires = "http")]
        http_public: bool,
    },
    /// Stop it, leaving every run resumable.
    Stop,
    /// Whether one runs, its process id, the runs it follows and its HTTP API's address
    /// (exit 3: none runs).
    Status {
        /// One JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Runs `duet daemon …`.
pub fn run(args: &DaemonCommand) -> ExitCode {
    let dir = store_dir(args.store.as_deref());
    match args.action {
        DaemonAction::Start {
            foreground,
            http,
            http_public,
        } => {
            let http = http.map(|addr| http::Options {
                addr,
                public: http_public,
            });
            if let Some(Err(e)) = http.as_ref().map(http::Options::check) {
                output::error(&e);
                return ExitCode::from(2);
            }
            match foreground {
                true => self::foreground(&dir, http.as_ref()),
                false => start(&dir, http.as_ref()),
            }
        }
        DaemonAction::Stop => stop(&dir),
        DaemonAction::Status { json } => status(&dir, json),
    }
}

/// What `start` says of the HTTP API at `addr`, for people.
fn api_said(store: &Path, addr: Option<SocketAddr>) -> String {
    addr.map(|addr| {
        format!(
            "; its HTTP API is on http://{addr} (token in {})",
            http::token::path(store).display()
        )
    })
    .unwrap_or_default()
}

fn foreground(dir: &Path, http: Option<&http::Options>) -> ExitCode {
    let served = server::serve(dir, http, |dir, addr| {
        eprintln!(
            "daemon: pid {} serves {}{}; `duet daemon stop` stops it",
            std::process::id(),
            dir.display(),
            api_said(dir, addr)
        );
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            output::error(&format!("the daemon cannot start: {e}"));
            ExitCode::from(1)
        }
    }
}

fn start(dir: &Path, http: Option<&http::Options>) -> ExitCode {
    match client::status(dir) {
        Some(Reply::Daemon {
            pid,
            foreground: true,
            ..
        }) => {
            output::error(&format!(
                "pid {pid}, a foreground `duet` following a run, holds {}; start the daemon \
                 once it ends (meanwhile it serves every other command)",
                dir.display()
            ));
            return ExitCode::from(1);
        }
        Some(Reply::Daemon {
            pid,
            store,
            http: serving,
            ..
        }) => {
            eprintln!(
                "daemon: pid {pid} already serves {}{}",
                store.display(),
                api_said(&store, serving)
            );
            if http.is_some() && serving.is_none() {
                output::error(&format!(
                    "the daemon serving {} has no HTTP API; `duet daemon stop`, then start it \
                     with `--http`",
                    store.display()
                ));
                return ExitCode::from(1);
            }
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let started = spawn(dir, http).and_then(|child| ready(dir, child));
    match started {
        Ok((pid, store, addr)) => {
            eprintln!(
                "daemon: pid {pid} serves {}; its log is {}{}; `duet daemon stop` stops it",
                store.display(),
                duet::driver::detach::daemon_log(&store).display(),
                api_said(&store, addr)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            output::error(&format!("the daemon did not start: {e}"));
            ExitCode::from(1)
        }
    }
}

/// Starts `duet daemon start --foreground` in the background, in a process group of its
/// own (the terminal's Ctrl-C does not reach it), its output going to the daemon's log.
fn spawn(dir: &Path, http: Option<&http::Options>) -> Result<std::process::Child, String> {
    let dir = std::path::absolute(dir).map_err(|e| e.to_string())?;
    duet_store::private_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let log = duet::driver::detach::daemon_log(&dir);
    if let Some(parent) = log.parent() {
        duet_store::private_dir(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(duet::driver::detach::LOG_MODE)
            .open(&log)
            .map_err(|e| format!("cannot open {}: {e}", log.display()))?
    };
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find duet itself: {e}"))?;
    use std::os::unix::process::CommandExt;
    let mut command = Command::new(exe);
    command
        .args(["daemon", "start", "--foreground", "--store"])
        .arg(&dir);
    if let Some(http) = http {
        command.arg("--http").arg(http.addr.to_string());
        if http.public {
            command.arg("--http-public");
        }
    }
    command
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .env("NO_COLOR", "1")
        .process_group(0)
        .spawn()
        .map_err(|e| e.to_string())
}

/// Waits until the daemon answers on its socket; its pid, store and HTTP API's address. A
/// daemon that exits first failed: its log says why.
fn ready(
    dir: &Path,
    mut child: std::process::Child,
) -> Result<(u32, PathBuf, Option<SocketAddr>), String> {
    let deadline = Instant::now() + READY_PATIENCE;
    loop {
        if let Some(Reply::Daemon {
            pid,
            store,
            http,
            foreground: false,
            ..
        }) = client::status(dir)
        {
            return Ok((pid, store, http));
        }
        if let Ok(Some(exit)) = child.try_wait() {
            let log = duet::driver::detach::daemon_log(dir);
            let why = std::fs::read_to_string(&log)
                .ok()
                .and_then(|text| text.lines().last().map(str::to_string))
                .unwrap_or_default();
            return Err(format!("it exited ({exit}): {why}"));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "it was not ready after {} s; {} may say why",
                READY_PATIENCE.as_secs(),
                duet::driver::detach::daemon_log(dir).display()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn stop(dir: &Path) -> ExitCode {
    match client::shutdown(dir) {
        Ok(true) => {
            eprintln!(
                "daemon: stopped; every run it followed is left to continue (`duet daemon start` \
                 takes them up)"
            );
            ExitCode::SUCCESS
        }
        Ok(false) => {
            eprintln!("daemon: none serves {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            output::error(&e);
            ExitCode::from(1)
        }
    }
}

fn status(dir: &Path, json: bool) -> ExitCode {
    match client::status(dir) {
        Some(Reply::Daemon {
            pid,
            foreground: true,
            ..
        }) => {
            println!(
                "no daemon serves {}; pid {pid}, a foreground duet following a run, holds it",
                dir.display()
            );
            ExitCode::from(3)
        }
        Some(Reply::Daemon {
            pid,
            store,
            since,
            following,
            http,
            ..
        }) => {
            if json {
                let token = http.map(|_| http::token::path(&store));
                let value = serde_json::json!({
                    "pid": pid,
                    "store": store,
                    "since": since,
                    "following": following,
                    "http": http.map(|addr| format!("http://{addr}")),
                    "token": token,
                });
                println!("{value}");
                return ExitCode::SUCCESS;
            }
            println!("daemon pid {pid}");
            println!("store {}", store.display());
            println!("since {since}");
            println!("following {}", following.join(" "));
            if let Some(addr) = http {
                println!("http http://{addr}");
                println!("token {}", http::token::path(&store).display());
            }
            ExitCode::SUCCESS
        }
        _ if json => {
            println!("{}", serde_json::json!({ "store": dir, "pid": null }));
            ExitCode::from(3)
        }
        _ => {
            println!("no daemon serves {}", dir.display());
            ExitCode::from(3)
        }
    }
}
