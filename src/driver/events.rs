//! Rendering a run's events. By default the program's output goes to standard output and
//! everything about the run — its id, log lines, state changes, agent traffic, its end,
//! errors — to standard error as lines for people. With `--json` all of it, the program's
//! output included, goes to standard output as one JSON object per line: the serde form of
//! [`RunEvent`] (the format is listed in `docs/runtime.md`).
//!
//! In the lines for people every text that came from the run (names, log lines, agent
//! traffic, questions, results, errors) has its control characters made visible, and a text
//! of several lines keeps its later lines behind a gutter ([`super::visible`]): a reply
//! cannot clear the screen or pass for one of these lines. The program's output on standard
//! output, and the JSON, are exactly what the run produced.
//!
//! A reply that streams is shown as it comes: `agent: ROLE writes [ID]: ` and then its
//! pieces on the same line, its later lines behind the gutter, until anything else is to be
//! shown — the answer's own `agent: ROLE answered` line, another call's pieces, a log line,
//! the program's output — which first ends the line. Pieces of another call start a line of
//! their own; a call that goes on afterwards starts a new one.

use std::io::Write;

use duet_runtime::durable::{EndStatus, EventKind, Observer, RunEvent};
use duet_runtime::effects::now_ms;
use duet_runtime::workflow::Output;

use super::visible::{block, escaped, one_line};

/// Agent traffic longer than this is cut in the lines for people (never in JSON).
const TRAFFIC_CHARS: usize = 100;

/// Where a run's events go, and in which form.
pub struct Reporter<'w> {
    json: bool,
    out: &'w mut dyn Write,
    err: &'w mut dyn Write,
    /// The agent call (role, request id) whose streaming line is open on `err`.
    streaming: Option<(String, String)>,
    /// Leave out the run's start and its states in the lines for people (see
    /// [`Reporter::brief`]).
    brief: bool,
}

impl Drop for Reporter<'_> {
    fn drop(&mut self) {
        self.end_stream();
    }
}

impl Observer for Reporter<'_> {
    fn event(&mut self, event: RunEvent) {
        if matches!(&event.kind, EventKind::Output { text } if text.is_empty()) {
            return;
        }
        if self.json {
            let line = serde_json::to_string(&event).expect("events always encode");
            let _ = writeln!(self.out, "{line}");
            let _ = self.out.flush();
        } else {
            self.for_people(&event);
        }
    }
}

impl<'w> Reporter<'w> {
    /// Output to `out`, reports to `err` as lines, or with `json` everything to `out` as
    /// JSON events.
    pub fn new(json: bool, out: &'w mut dyn Write, err: &'w mut dyn Write) -> Self {
        Reporter {
            json,
            out,
            err,
            streaming: None,
            brief: false,
        }
    }

    /// Leaves out the run's start and its state changes in the lines for people: the REPL
    /// runs an expression as a workflow of one state, which is not news to the person who
    /// typed it. JSON events are all kept.
    pub fn brief(mut self) -> Self {
        self.brief = true;
        self
    }

    /// Ends the streaming line, if one is open, so the next line starts at the margin.
    fn end_stream(&mut self) {
        if self.streaming.take().is_some() {
            let _ = writeln!(self.err);
            let _ = self.err.flush();
        }
    }

    /// Shows a piece of `role`'s reply to request `id` on its streaming line.
    fn piece(&mut self, role: &str, id: &str, text: &str) {
        let call = (role.to_string(), id.to_string());
        if self.streaming.as_ref() != Some(&call) {
            self.end_stream();
            let _ = write!(
                self.err,
                "agent: {} writes [{}]: ",
                one_line(role),
                one_line(id)
            );
            self.streaming = Some(call);
        }
        let text = escaped(text).replace('\n', &format!("\n{}", super::visible::GUTTER));
        let _ = self.err.write_all(text.as_bytes());
        let _ = self.err.flush();
    }

    /// Reports `kind`, not tied to a run.
    pub fn report(&mut self, kind: EventKind) {
        self.event(RunEvent {
            kind,
            run: None,
            turn: None,
            at: now_ms(),
        });
    }

    /// Something went wrong: `error: MESSAGE`, or an `error` event.
    pub fn error(&mut self, message: impl std::fmt::Display) {
        self.report(EventKind::Error {
            message: message.to_string(),
        });
    }

    /// Text already formatted for people (a rendered error with its source snippet), or an
    /// `error` event carrying it.
    pub fn rendered_error(&mut self, text: &str) {
        if self.json {
            self.error(text.trim_end());
        } else {
            let _ = write!(self.err, "{text}");
        }
    }

    /// What a script showed of itself.
    pub fn outputs(&mut self, outputs: &[Output]) {
        for output in outputs {
            self.report(EventKind::from_output(output));
        }
        let _ = self.out.flush();
    }

    fn line(&mut self, text: impl AsRef<str>) {
        let _ = writeln!(self.err, "{}", text.as_ref());
    }

    fn for_people(&mut self, event: &RunEvent) {
        if self.brief
            && matches!(
                event.kind,
                EventKind::Started { .. } | EventKind::State { .. }
            )
        {
            return;
        }
        let run = one_line(event.run.as_deref().unwrap_or("?"));
        match &event.kind {
            EventKind::AgentDelta { role, id, text } => return self.piece(role, id, text),
            // Nothing to show: the line stays open.
            EventKind::Diagnostics { .. } => return,
            EventKind::Output { .. } => {}
            _ => self.end_stream(),
        }
        match &event.kind {
            EventKind::Started { workflow, store } => {
                let workflow = one_line(workflow);
                match store {
                    Some(store) => self.line(format!(
                        "run: {run} started (workflow `{workflow}`, store {})",
                        one_line(store)
                    )),
                    None => self.line(format!("run: {run} started (workflow `{workflow}`)")),
                }
            }
            EventKind::Resumed { state } => self.line(format!(
                "run: {run} resumed in state `{}` after turn {}",
                one_line(state),
                event.turn.unwrap_or(0)
            )),
            EventKind::Answered { state } => self.line(format!(
                "run: {run} answered; continuing in state `{}`",
                one_line(state)
            )),
            EventKind::Detached { pid, log } => {
                self.line(format!(
                    "run: {run} continues in the background (pid {pid}); its reports go to {}",
                    one_line(log)
                ));
                self.line(format!(
                    "  `duet status {run}` shows where it is (the background process serves it)"
                ));
            }
            EventKind::CapabilitiesDenied {
                workflow,
                capabilities,
            } => {
                let flags: Vec<String> = capabilities
                    .iter()
                    .map(|c| format!("--allow {c}"))
                    .collect();
                self.line(format!(
                    "note: workflow `{}` asks for {}, not granted; run with {} to grant",
                    one_line(workflow),
                    one_line(&capabilities.join(", ")),
                    one_line(&flags.join(" "))
                ));
            }
            // Rendered with their source snippets by whoever checked the program.
            EventKind::Diagnostics { .. } => {}
            EventKind::Output { text } => {
                // On the same terminal, output must not land inside a streaming line.
                self.end_stream();
                // Flushed at once: a question asked next at the terminal comes after it.
                let _ = self.out.write_all(text.as_bytes());
                let _ = self.out.flush();
            }
            EventKind::Log { text } => {
                // Every line of a log text is a log line.
                let text = escaped(text);
                let text = text.strip_suffix('\n').unwrap_or(&text);
                for line in text.split('\n') {
                    self.line(format!("log: {line}"));
                }
            }
            EventKind::State { state } => self.line(format!("state: {}", one_line(state))),
            EventKind::AgentRequest { role, id, text } => self.line(format!(
                "agent: {} asked [{}]: {}",
                one_line(role),
                one_line(id),
                short(text)
            )),
            EventKind::AgentResponse { role, id, text } => self.line(format!(
                "agent: {} answered [{}]: {}",
                one_line(role),
                one_line(id),
                short(text)
            )),
            EventKind::AgentDelta { .. } => {}
            EventKind::Usage {
                role,
                model,
                input_tokens,
                output_tokens,
                cached_tokens,
                cost_usd,
                ..
            } => {
                let usage = duet_runtime::agents::Usage {
                    model: model.clone(),
                    input_tokens: *input_tokens,
                    output_tokens: *output_tokens,
                    cached_tokens: *cached_tokens,
                    cost_microusd: cost_usd.map(|c| (c * 1e6).round() as u64),
                };
                self.line(format!(
                    "usage: {} ({}): {usage}",
                    one_line(role),
                    one_line(model)
                ))
            }
            EventKind::Retry {
                role,
                id,
                attempt,
                delay_ms,
                reason,
            } => self.line(format!(
                "agent: {} retries [{}] in {} (attempt {attempt}): {}",
                one_line(role),
                one_line(id),
                seconds(*delay_ms),
                short(reason)
            )),
            EventKind::AgentError { role, id, text } => self.line(format!(
                "agent: {} failed [{}]: {}",
                one_line(role),
                one_line(id),
                short(text)
            )),
            EventKind::Question {
                question,
                options,
                multi,
            } => {
                self.line(format!(
                    "run: {run} waits for a person to answer: {}",
                    block(question)
                ));
                let asked = duet_runtime::effects::PersonQuestion {
                    text: question.clone(),
                    options: options.clone(),
                    several: *multi,
                };
                if let Some(offer) = asked.offer(one_line) {
                    self.line(format!("  ({offer})"));
                }
                self.line(format!("  answer it with `duet answer {run} TEXT`"));
            }
            // The workspace as a person left it: before the run's first change, or changes
            // made while no duet process followed the run.
            EventKind::Checkpoint { author, files, .. } if author == "person" => {
                self.line(format!(
                    "files: {} recorded as a person left them",
                    match files.as_slice() {
                        [one] => one_line(one),
                        many => format!("{} files", many.len()),
                    }
                ))
            }
            EventKind::Checkpoint { author, files, .. } => self.line(format!(
                "files: {} changed by {}",
                one_line(&files.join(", ")),
                one_line(author)
            )),
            EventKind::Late { due_at, late_ms } => self.line(format!(
                "run: {run} a timer due at {} fires {} late: no duet process followed the run then",
                super::times::local_time((*due_at).max(0) as u64),
                super::times::span(*late_ms)
            )),
            EventKind::Suspended { reason } => {
                self.line(format!("run: {run} suspended: {}", block(reason)))
            }
            EventKind::Ended {
                status: EndStatus::Failed,
                error: Some(error),
                already: false,
                backtrace,
                ..
            } if !backtrace.is_empty() => {
                // The error with its source line and backtrace, as a script's is shown.
                let shown = super::report::workflow_failure(error, backtrace, false);
                let _ = write!(self.err, "{shown}");
                self.line(format!("run: {run} failed"));
            }
            EventKind::Ended {
                status,
                result_text,
                error,
                already,
                ..
            } => {
                let error = block(error.as_deref().unwrap_or_default());
                let line = match (status, already) {
                    (EndStatus::Failed, true) => format!("run: {run} has already failed: {error}"),
                    (_, true) => format!("run: {run} has already ended; nothing to continue"),
                    (EndStatus::Completed, false) => match result_text {
                        Some(result) => format!("run: {run} completed with {}", block(result)),
                        None => format!("run: {run} completed"),
                    },
                    (EndStatus::Cancelled, false) => format!(
                        "run: {run} cancelled ({})",
                        block(result_text.as_deref().unwrap_or("nil"))
                    ),
                    (EndStatus::Failed, false) => format!("run: {run} failed: {error}"),
                };
                self.line(line);
            }
            EventKind::Error { message } => self.line(format!("error: {}", block(message))),
        }
    }
}

/// A delay for people: `250 ms`, `1.5 s`.
fn seconds(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// The first line of `text`, cut to [`TRAFFIC_CHARS`] characters, its control characters
/// made visible.
fn short(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let cut: String = line.chars().take(TRAFFIC_CHARS).collect();
    if cut.len() < text.trim_end().len() {
        format!("{}…", escaped(&cut))
    } else {
        escaped(&cut)
    }
}
