//! What the HTTP API's routes do: each runs the `duet` command it stands for — the same
//! parser, the same function, the same store — as the daemon serves it to a client of its
//! socket, and takes the command's `--json` output, its messages and its exit status.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use duet::driver::events::Reporter;
use duet::driver::script::Exit;
use duet::driver::served::{self, Host, Served};
use duet_runtime::durable::{Answers, Changes, Observer, Resumption};
use duet_store::RunId;

use crate::daemon::hub::{Hosting, Hub};
use crate::output::{self, Sink};

/// What a command wrote and how it exited.
#[derive(Debug, Default)]
pub struct Done {
    /// Its standard output.
    pub out: String,
    /// Its standard error.
    pub err: String,
    /// Its exit status.
    pub code: u8,
}

impl Done {
    /// The JSON objects it printed, one a line (a line that is not one is skipped).
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.out
            .lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// The lines it said on standard error, for people.
    pub fn said(&self) -> Vec<String> {
        self.err.lines().map(str::to_string).collect()
    }

    /// Its last error: an `error` event's message, or an `error: …` line.
    pub fn error(&self) -> Option<String> {
        let event = self.json_lines().into_iter().rev().find_map(|event| {
            (event["event"] == "error")
                .then(|| event["message"].as_str().map(str::to_string))
                .flatten()
        });
        event.or_else(|| {
            let at = self.err.rfind("error: ")?;
            Some(self.err[at + "error: ".len()..].trim_end().to_string())
        })
    }
}

/// The command's console: what it writes, kept.
#[derive(Default)]
struct Capture {
    out: Mutex<Vec<u8>>,
    err: Mutex<Vec<u8>>,
}

impl Sink for Capture {
    fn write(&self, err: bool, text: &[u8]) -> std::io::Result<()> {
        let kept = if err { &self.err } else { &self.out };
        kept.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(text);
        Ok(())
    }

    fn color(&self) -> bool {
        false
    }

    fn stdout_terminal(&self) -> bool {
        false
    }
}

/// How a command that continues a run (`answer`, `resume`) follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Following {
    /// Until the run has taken the change, then it goes on in the daemon.
    HandOver,
    /// Until the run ends or waits, as the command does at a terminal.
    ToTheEnd,
}

/// The daemon as a command run for the HTTP API sees it.
struct ApiHost {
    hub: Arc<Hub>,
    following: Following,
}

impl Host for ApiHost {
    fn follow(
        &self,
        id: RunId,
        how: Resumption,
        changes: Changes,
        answers: Box<dyn Answers + Send>,
        report: &mut dyn Observer,
    ) -> Exit {
        match self.following {
            Following::HandOver => self.hub.hand_over(id, how, changes, report),
            Following::ToTheEnd => {
                Hosting(self.hub.clone()).follow(id, how, changes, answers, report)
            }
        }
    }

    fn lasting(&self) -> bool {
        true
    }

    fn start(&self, id: RunId) -> Result<(), String> {
        Hosting(self.hub.clone()).start(id)
    }

    fn attach(&self, id: RunId, report: &mut Reporter) -> Option<Exit> {
        Hosting(self.hub.clone()).attach(id, report)
    }

    fn stop(&self, id: RunId) -> bool {
        Hosting(self.hub.clone()).stop(id)
    }
}

/// Runs the command `args` (the words after `duet`) in `cwd` on a thread of its own, as the
/// daemon runs a command for a client of its socket; what it wrote and its exit status.
pub async fn command(
    hub: Arc<Hub>,
    cwd: PathBuf,
    args: Vec<String>,
    following: Following,
) -> Result<Done, String> {
    let (tell, told) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("http command".into())
        .stack_size(crate::STACK_BYTES)
        .spawn(move || {
            let capture = Arc::new(Capture::default());
            let context = Served {
                store: hub.store().clone(),
                cwd,
                host: Arc::new(ApiHost { hub, following }),
                // No terminal: a run's questions wait for an answer through the API.
                env: Default::default(),
                poser: None,
            };
            let code = output::redirect(capture.clone(), || {
                served::serve(context, || crate::served_command(args))
            });
            let text = |bytes: &Mutex<Vec<u8>>| {
                String::from_utf8_lossy(&bytes.lock().unwrap_or_else(|e| e.into_inner()))
                    .into_owned()
            };
            let _ = tell.send(Done {
                out: text(&capture.out),
                err: text(&capture.err),
                code,
            });
        })
        .map_err(|e| format!("cannot start a thread for the command: {e}"))?;
    told.await
        .map_err(|_| "the command stopped without an answer; the daemon's log may say why".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_error_is_an_error_event_or_an_error_line() {
        let done = Done {
            out: "{\"event\":\"started\"}\n{\"event\":\"error\",\"message\":\"no run `r9`\"}\n"
                .into(),
            ..Done::default()
        };
        assert_eq!(done.error().as_deref(), Some("no run `r9`"));
        let done = Done {
            err: "run: r1\nerror: cannot read x.lisp: gone\n".into(),
            ..Done::default()
        };
        assert_eq!(done.error().as_deref(), Some("cannot read x.lisp: gone"));
        assert_eq!(done.said(), ["run: r1", "error: cannot read x.lisp: gone"]);
        assert_eq!(Done::default().error(), None);
    }
}
