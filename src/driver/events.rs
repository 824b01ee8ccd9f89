//! What a run reports about itself. By default the program's output goes to standard output
//! and everything about the run — its id, log lines, state changes, agent traffic, its end,
//! errors — to standard error as lines for people. With `--json` all of it, the program's
//! output included, goes to standard output as one JSON object per line, each with an
//! `event` field (LANGUAGE.md §7; the events are listed in `docs/runtime.md`).

use std::io::Write;

use duet_runtime::workflow::Output;
use serde_json::{Value, json};

/// Agent traffic longer than this is cut in the lines for people (never in JSON).
const TRAFFIC_CHARS: usize = 100;

/// Where a run's reports go, and in which form.
pub struct Reporter<'w> {
    json: bool,
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
}

impl<'w> Reporter<'w> {
    /// Output to `out`, reports to `err` as lines, or with `json` everything to `out` as
    /// JSON events.
    pub fn new(json: bool, out: &'w mut dyn Write, err: &'w mut dyn Write) -> Self {
        Reporter { json, out, err }
    }

    /// Reports something about the run: `line` for people, `event` as JSON.
    pub fn report(&mut self, line: impl AsRef<str>, event: Value) {
        if self.json {
            let _ = writeln!(self.out, "{event}");
            let _ = self.out.flush();
        } else {
            let _ = writeln!(self.err, "{}", line.as_ref());
        }
    }

    /// A line for people only (advice that the JSON events carry in their fields).
    pub fn note(&mut self, line: impl AsRef<str>) {
        if !self.json {
            let _ = writeln!(self.err, "{}", line.as_ref());
        }
    }

    /// Something went wrong: `error: MESSAGE`, or an `error` event.
    pub fn error(&mut self, message: impl AsRef<str>) {
        let message = message.as_ref();
        self.report(
            format!("error: {message}"),
            json!({"event": "error", "message": message}),
        );
    }

    /// Text already formatted for people (a rendered error with its source snippet), or an
    /// `error` event carrying it.
    pub fn rendered_error(&mut self, text: &str) {
        if self.json {
            self.report("", json!({"event": "error", "message": text.trim_end()}));
        } else {
            let _ = write!(self.err, "{text}");
        }
    }

    /// What the workflow showed of itself.
    pub fn outputs(&mut self, outputs: &[Output]) {
        for output in outputs {
            self.output(output);
        }
        let _ = self.out.flush();
    }

    fn output(&mut self, output: &Output) {
        match output {
            Output::Print(text) if text.is_empty() => {}
            Output::Print(text) if self.json => {
                let _ = writeln!(self.out, "{}", json!({"event": "output", "text": text}));
            }
            Output::Print(text) => {
                let _ = self.out.write_all(text.as_bytes());
            }
            Output::Log(text) => self.report(
                format!("log: {text}"),
                json!({"event": "log", "text": text}),
            ),
            Output::State(name) => self.report(
                format!("state: {name}"),
                json!({"event": "state", "state": name}),
            ),
            Output::AgentAsked { role, id, text } => self.report(
                format!("agent: {role} asked [{id}]: {}", short(text)),
                json!({"event": "agent-request", "role": role, "id": id, "text": text}),
            ),
            Output::AgentAnswered {
                role,
                id,
                text,
                failed,
            } => {
                let verb = if *failed { "failed" } else { "answered" };
                self.report(
                    format!("agent: {role} {verb} [{id}]: {}", short(text)),
                    json!({
                        "event": if *failed { "agent-error" } else { "agent-response" },
                        "role": role,
                        "id": id,
                        "text": text,
                    }),
                )
            }
        }
    }
}

/// The first line of `text`, cut to [`TRAFFIC_CHARS`] characters.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let cut: String = line.chars().take(TRAFFIC_CHARS).collect();
    if cut.len() < text.trim_end().len() {
        format!("{cut}…")
    } else {
        cut
    }
}
