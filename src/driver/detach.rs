//! `duet run --detach`: the run is created in the foreground (so its id can be reported at
//! once), then followed by a `duet resume RUN` in the background, in a process group of its
//! own so that the terminal's Ctrl-C does not reach it. Its reports go to
//! `STORE/logs/RUN.log`; the foreground exits 3, like any run waiting for something outside.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use duet_runtime::durable::{EventKind, Observer, RunEvent};
use duet_store::RunId;

use super::events::Reporter;
use super::script::Exit;

/// The mode of a run's log file: its owner may read and write it, nobody else anything.
pub const LOG_MODE: u32 = 0o600;

/// Where the background process of run `id` writes its reports.
pub fn log_path(dir: &Path, id: RunId) -> PathBuf {
    dir.join("logs").join(format!("{id}.log"))
}

/// Where the daemon of the store in `dir` writes its log.
pub fn daemon_log(dir: &Path) -> PathBuf {
    dir.join("logs").join("daemon.log")
}

/// Starts `duet resume ID` on the store in `dir` in the background. The store must be
/// closed by now: the background process takes its lock.
pub(super) fn hand_over(dir: &Path, id: RunId, report: &mut Reporter) -> Exit {
    match spawn(dir, id) {
        Ok((pid, log)) => {
            report.event(RunEvent {
                kind: EventKind::Detached {
                    pid,
                    log: log.display().to_string(),
                },
                run: Some(id.to_string()),
                turn: None,
                at: duet_runtime::effects::now_ms(),
            });
            Exit::Waiting
        }
        Err(e) => {
            report.error(format!(
                "cannot start run {id} in the background: {e}; `duet resume {id}` runs it here"
            ));
            Exit::Waiting
        }
    }
}

fn spawn(dir: &Path, id: RunId) -> Result<(u32, PathBuf), String> {
    let dir = std::path::absolute(dir).map_err(|e| e.to_string())?;
    let log = log_path(&dir, id);
    // The log holds prompts and replies: its directory and it are the owner's alone.
    if let Some(parent) = log.parent() {
        duet_store::private_dir(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(LOG_MODE)
            .open(&log)
            .and_then(|file| super::store::tighten(&log, LOG_MODE).map(|()| file))
            .map_err(|e| format!("cannot create {}: {e}", log.display()))?
    };
    let err = file.try_clone().map_err(|e| e.to_string())?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find duet itself: {e}"))?;
    use std::os::unix::process::CommandExt;
    let child = Command::new(exe)
        .arg("resume")
        .arg(id.to_string())
        .arg("--store")
        .arg(&dir)
        // A command that opened the store meanwhile (`duet status`) holds it briefly.
        .args(["--wait-for-store", "60"])
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .env("NO_COLOR", "1")
        .process_group(0)
        .spawn()
        .map_err(|e| e.to_string())?;
    Ok((child.id(), log))
}
