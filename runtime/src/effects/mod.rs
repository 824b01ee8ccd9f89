//! Effects: what a program asks of the outside world — commands, files, clocks, randomness,
//! timers. The VM suspends with a request; [`Effect::parse`] turns the request into a typed
//! effect, [`Effect::needs`] names every capability it needs, [`authorise`] checks them,
//! [`perform`] carries it out outside the VM, and the [`EffectValue`] (plain data, so a run can journal it) becomes the
//! program's value again with [`EffectValue::to_value`].

pub use duet_lang::duration;
pub mod capability;
pub mod person_question;
pub mod process;
pub mod workspace;

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

pub use capability::{Capabilities, Capability};
use duet_vm::value::{Object, Value};
use duet_vm::{Ctx, EffectOp};
pub use person_question::PersonQuestion;
pub use workspace::Workspace;

/// An effect a program asked for, with its arguments checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Effect {
    /// `(shell CMD :cwd :timeout :env)`
    Shell {
        /// The command line, run by `sh -c`.
        command: String,
        /// Working directory inside the workspace.
        cwd: Option<String>,
        /// Milliseconds before the command is killed.
        timeout_ms: Option<u64>,
        /// Extra environment variables.
        env: Vec<(String, String)>,
    },
    /// `(read-file P)`
    ReadFile(String),
    /// `(write-file P TEXT)`
    WriteFile(String, String),
    /// `(list-files DIR)`
    ListFiles(String),
    /// `(now)`
    Now,
    /// `(random-int N)`
    RandomInt(i64),
    /// `(uuid)`
    Uuid,
    /// `(sleep D)`
    Sleep(u64),
    /// `(sleep-until T)`
    SleepUntil(i64),
    /// `(ask-user QUESTION :options [..])`: answered by a person, not performed here.
    AskUser {
        /// The question.
        question: String,
        /// The answers offered, if any.
        options: Vec<String>,
    },
    /// A question to the agent playing `role` (a `prompt` or a raw `agent-request`); asked by
    /// the agent service, never by the program directly.
    Agent {
        /// The role asked.
        role: String,
        /// How the role is played.
        agent: Box<crate::agents::Agent>,
        /// The question.
        text: String,
        /// The role's conversation before the question, oldest first (empty when the
        /// question is asked outside it).
        conversation: Vec<crate::agents::Exchange>,
        /// `prompt :schema`: the JSON Schema (as JSON text) the reply must match, for the
        /// agent's structured output or an instruction after the question.
        schema: Option<String>,
    },
    /// `(isolated …)`: a private copy, for attempt `attempt`, of the files where the request
    /// acts (the run's workspace, or the enclosing attempt's copy) as of their last
    /// checkpoint; answered with that checkpoint, the attempt's base.
    Isolate {
        /// The attempt.
        attempt: u64,
    },
    /// The body of attempt `attempt` returned: its files recorded and compared with `base`;
    /// answered with [`EffectValue::Attempt`]. Its copy is removed once it is no longer needed.
    AttemptEnd {
        /// The attempt.
        attempt: u64,
        /// The checkpoint it started from.
        base: String,
    },
    /// `(attempt-diff A)`: a unified diff from checkpoint `base` to checkpoint `commit`.
    AttemptDiff {
        /// The attempt's base.
        base: String,
        /// Its last checkpoint.
        commit: String,
    },
    /// `(adopt A)`: the changes of attempt `attempt` (from `base` to `commit`, touching
    /// `files`) applied where the request acts; a file changed there since `base` is a
    /// conflict. Answered with the files changed.
    Adopt {
        /// The attempt.
        attempt: u64,
        /// The checkpoint it started from.
        base: String,
        /// Its last checkpoint.
        commit: String,
        /// The paths it changed.
        files: Vec<String>,
    },
    /// `(ask-user QUESTION :options [..] :multi true)`: the person chooses one or more of
    /// the options. (After the other variants, so the runs recorded before it read as
    /// they were.)
    Choose {
        /// The question.
        question: String,
        /// The answers offered.
        options: Vec<String>,
    },
}

/// The result of an effect, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EffectValue {
    /// Nothing (sleeping, writing).
    Nil,
    /// A number.
    Int(i64),
    /// Text.
    Text(String),
    /// File names.
    Names(Vec<String>),
    /// What a command did.
    Shell {
        /// Its exit status (-1 when killed by a signal).
        exit: i64,
        /// Its standard output.
        stdout: String,
        /// Its standard error.
        stderr: String,
    },
    /// An agent's reply with what the agent said of it: the session of its command-line
    /// tool that now holds the conversation, the tokens it used and its cost (a reply with
    /// neither is [`EffectValue::Text`]).
    Reply {
        /// The reply.
        text: String,
        /// The tool's session.
        session: Option<crate::agents::Session>,
        /// Tokens and cost.
        usage: Option<crate::agents::Usage>,
    },
    /// How an attempt ended: its last checkpoint and the paths it changed since its base.
    Attempt {
        /// The checkpoint of its files.
        commit: String,
        /// The paths it changed, sorted.
        files: Vec<String>,
    },
}

/// Why an effect could not run or failed: an error kind (`type`, `capability`, `io`,
/// `timeout`, `agent`) and a message. Journaled with the turn that delivers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// The error kind the program's `catch` sees.
    pub kind: String,
    /// What happened and what to do.
    pub message: String,
}

impl Failure {
    pub(crate) fn new(kind: &str, message: impl Into<String>) -> Failure {
        Failure {
            kind: kind.to_string(),
            message: message.into(),
        }
    }
}

fn text(ctx: &Ctx, who: &str, v: Value) -> Result<String, Failure> {
    ctx.as_str(v)
        .map(str::to_string)
        .ok_or_else(|| Failure::new("type", format!("`{who}` expects a string")))
}

/// Milliseconds in a duration argument: `"30s"`-style text or an integer.
pub(crate) fn millis(ctx: &Ctx, who: &str, v: Value) -> Result<u64, Failure> {
    match v {
        Value::Int(ms) if ms >= 0 => Ok(ms as u64),
        _ => match ctx.as_str(v) {
            Some(s) => {
                duration::parse(s).map_err(|e| Failure::new("type", format!("`{who}`: {e}")))
            }
            None => Err(Failure::new(
                "type",
                format!("`{who}` expects a duration like \"30s\" or milliseconds"),
            )),
        },
    }
}

/// The `:key value` options after `positional` arguments.
pub(crate) fn options(ctx: &Ctx, args: &[Value], positional: usize) -> Vec<(String, Value)> {
    args.get(positional..)
        .unwrap_or_default()
        .chunks(2)
        .filter_map(|pair| match (pair[0], pair.get(1)) {
            (Value::Kw(k), Some(v)) => Some((ctx.symbols.name(k).to_string(), *v)),
            _ => None,
        })
        .collect()
}

impl Effect {
    /// The effect the builtin `op` asks for with `args`, or why the arguments are wrong.
    /// `None` for the builtins whose effects the workflow entity performs itself, on the
    /// dataspace or its own state (`assert`, `retract`, `send!`, `prompt`, `stop`,
    /// `conversation`, `forget`, and the attempts': `isolated`, `attempt-value`,
    /// `attempt-files`, `attempt-diff`, `adopt`).
    pub fn parse(ctx: &Ctx, op: EffectOp, args: &[Value]) -> Option<Result<Effect, Failure>> {
        let arg = |i: usize| args.get(i).copied().unwrap_or(Value::Nil);
        Some(match op {
            EffectOp::Shell => Self::shell(ctx, args),
            EffectOp::AskUser => Self::ask_user(ctx, args),
            EffectOp::ReadFile => text(ctx, "read-file", arg(0)).map(Effect::ReadFile),
            EffectOp::WriteFile => text(ctx, "write-file", arg(0))
                .map(|path| Effect::WriteFile(path, display(ctx, arg(1)))),
            EffectOp::ListFiles => text(ctx, "list-files", arg(0)).map(Effect::ListFiles),
            EffectOp::Now => Ok(Effect::Now),
            EffectOp::Uuid => Ok(Effect::Uuid),
            EffectOp::RandomInt => match arg(0) {
                Value::Int(n) if n > 0 => Ok(Effect::RandomInt(n)),
                _ => Err(Failure::new(
                    "type",
                    "`random-int` expects a positive integer",
                )),
            },
            EffectOp::Sleep => millis(ctx, "sleep", arg(0)).map(Effect::Sleep),
            EffectOp::SleepUntil => match arg(0) {
                Value::Int(t) => Ok(Effect::SleepUntil(t)),
                _ => Err(Failure::new(
                    "type",
                    "`sleep-until` expects a time in milliseconds since the Unix epoch",
                )),
            },
            EffectOp::Assert
            | EffectOp::Retract
            | EffectOp::Send
            | EffectOp::Prompt
            | EffectOp::Stop
            | EffectOp::Conversation
            | EffectOp::Forget
            | EffectOp::Isolated
            | EffectOp::AttemptValue
            | EffectOp::AttemptFiles
            | EffectOp::AttemptDiff
            | EffectOp::Adopt => return None,
        })
    }

    fn shell(ctx: &Ctx, args: &[Value]) -> Result<Effect, Failure> {
        let command = text(ctx, "shell", args.first().copied().unwrap_or(Value::Nil))?;
        let (mut cwd, mut timeout_ms, mut env) = (None, None, Vec::new());
        for (key, value) in options(ctx, args, 1) {
            match key.as_str() {
                "cwd" => cwd = Some(text(ctx, "shell :cwd", value)?),
                "timeout" => timeout_ms = Some(millis(ctx, "shell :timeout", value)?),
                "env" => env = string_map(ctx, value)?,
                _ => {}
            }
        }
        Ok(Effect::Shell {
            command,
            cwd,
            timeout_ms,
            env,
        })
    }

    fn ask_user(ctx: &Ctx, args: &[Value]) -> Result<Effect, Failure> {
        let question = text(ctx, "ask-user", args.first().copied().unwrap_or(Value::Nil))?;
        let mut options = Vec::new();
        let mut several = false;
        for (key, value) in self::options(ctx, args, 1) {
            match key.as_str() {
                "options" => {
                    let items = duet_vm::equal::sequence(ctx, value).ok_or_else(|| {
                        Failure::new("type", "`ask-user :options` expects a vector of strings")
                    })?;
                    options = items.into_iter().map(|v| display(ctx, v)).collect();
                }
                "multi" => {
                    several = match value {
                        Value::Bool(b) => b,
                        Value::Nil => false,
                        _ => {
                            return Err(Failure::new(
                                "type",
                                "`ask-user :multi` expects true or false",
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        if !several {
            return Ok(Effect::AskUser { question, options });
        }
        if options.is_empty() {
            return Err(Failure::new(
                "argument",
                "`ask-user :multi true` needs `:options` to choose from",
            ));
        }
        if let Some(option) = options
            .iter()
            .find(|o| o.contains(person_question::SEPARATOR))
        {
            return Err(Failure::new(
                "argument",
                format!(
                    "`ask-user :multi true` cannot offer {option:?}: the options chosen are \
                     separated by commas, so an option cannot contain one"
                ),
            ));
        }
        Ok(Effect::Choose { question, options })
    }

    /// The question, when this effect is one for a person.
    pub fn question(&self) -> Option<PersonQuestion> {
        match self {
            Effect::AskUser { question, options } => Some(PersonQuestion {
                text: question.clone(),
                options: options.clone(),
                several: false,
            }),
            Effect::Choose { question, options } => Some(PersonQuestion {
                text: question.clone(),
                options: options.clone(),
                several: true,
            }),
            _ => None,
        }
    }

    /// Every capability the effect needs, each with what it is needed for (for messages).
    /// Most effects need one or none; an agent needs what its role's options reach for
    /// beyond its kind's defaults ([`crate::agents::Agent::needs`]). An attempt's own
    /// effects need nothing: `adopt` only moves changes that authorised effects made.
    pub fn needs(&self) -> Vec<(Capability, String)> {
        let plain = |c: Capability| vec![(c, format!("`{}`", self.name()))];
        match self {
            Effect::Shell { .. } => plain(Capability::Shell),
            Effect::ReadFile(_) | Effect::ListFiles(_) => plain(Capability::WorkspaceRead),
            Effect::WriteFile(..) => plain(Capability::WorkspaceWrite),
            Effect::Agent { role, agent, .. } => agent
                .needs()
                .into_iter()
                .map(|(c, what)| (c, format!("role `{role}` ({what})")))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Every capability the effect needs.
    pub fn capabilities(&self) -> Vec<Capability> {
        self.needs().into_iter().map(|(c, _)| c).collect()
    }

    /// The effect's builtin name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Effect::Shell { .. } => "shell",
            Effect::ReadFile(_) => "read-file",
            Effect::WriteFile(..) => "write-file",
            Effect::ListFiles(_) => "list-files",
            Effect::Now => "now",
            Effect::RandomInt(_) => "random-int",
            Effect::Uuid => "uuid",
            Effect::Sleep(_) => "sleep",
            Effect::SleepUntil(_) => "sleep-until",
            Effect::AskUser { .. } | Effect::Choose { .. } => "ask-user",
            Effect::Agent { .. } => "prompt",
            Effect::Isolate { .. } => "isolated",
            Effect::AttemptEnd { .. } => "isolated",
            Effect::AttemptDiff { .. } => "attempt-diff",
            Effect::Adopt { .. } => "adopt",
        }
    }
}

fn display(ctx: &Ctx, v: Value) -> String {
    match ctx.as_str(v) {
        Some(s) => s.to_string(),
        None => match v {
            Value::Int(i) => i.to_string(),
            Value::Nil => String::new(),
            _ => format!("{v:?}"),
        },
    }
}

fn string_map(ctx: &Ctx, v: Value) -> Result<Vec<(String, String)>, Failure> {
    let Value::Obj(r) = v else {
        return Err(Failure::new(
            "type",
            "`shell :env` expects a map of strings",
        ));
    };
    let Object::Map(pairs) = ctx.heap.get(r) else {
        return Err(Failure::new(
            "type",
            "`shell :env` expects a map of strings",
        ));
    };
    pairs
        .iter()
        .map(|&(k, v)| {
            let key = match k {
                Value::Kw(k) => ctx.symbols.name(k).to_string(),
                _ => text(ctx, "shell :env", k)?,
            };
            Ok((key, text(ctx, "shell :env", v)?))
        })
        .collect()
}

/// Checks every capability an effect needs against what was granted; the failure names
/// each one missing, what needs it, and the `--allow` flags that grant them.
pub fn authorise(effect: &Effect, granted: &Capabilities) -> Result<(), Failure> {
    let missing: Vec<(Capability, String)> = effect
        .needs()
        .into_iter()
        .filter(|(c, _)| !granted.allows(*c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let reasons: Vec<String> = missing
        .iter()
        .map(|(c, what)| format!("{what} needs the `{c}` capability"))
        .collect();
    let mut flags: Vec<String> = missing
        .iter()
        .map(|(c, _)| format!("--allow {c}"))
        .collect();
    flags.dedup();
    Err(Failure::new(
        "capability",
        format!(
            "{}, which this run was not granted; run with `{}`",
            reasons.join("; "),
            flags.join(" ")
        ),
    ))
}

/// The label of the term an agent's reply with a session or usage is delivered as:
/// `<agent-reply TEXT SESSION USAGE>` (SESSION `[KIND ID]` or nil, USAGE a map or nil).
pub const REPLY_LABEL: &str = "agent-reply";

/// The label of the term an attempt's end is delivered as: `<attempt-end COMMIT [FILES…]>`.
pub const ATTEMPT_END_LABEL: &str = "attempt-end";

/// Performs an authorised effect in `workspace`.
pub async fn perform(effect: &Effect, workspace: &Workspace) -> Result<EffectValue, Failure> {
    perform_noting(
        effect,
        workspace,
        &crate::agents::Notes::none(),
        &crate::agents::Policy::default(),
        &[],
    )
    .await
}

/// Performs an authorised effect in `workspace`; an agent's call reports its progress to
/// `notes` (the pieces of its reply, its retries), is as patient as `policy` says, and a
/// command-line agent runs with the variables `env` besides the host's own.
pub async fn perform_noting(
    effect: &Effect,
    workspace: &Workspace,
    notes: &crate::agents::Notes,
    policy: &crate::agents::Policy,
    env: &[(String, String)],
) -> Result<EffectValue, Failure> {
    match effect {
        Effect::Shell {
            command,
            cwd,
            timeout_ms,
            env,
        } => {
            let dir = match cwd {
                Some(dir) => workspace.directory(dir)?,
                None => workspace.root().to_path_buf(),
            };
            let mut cmd = tokio::process::Command::new("sh");
            cmd.arg("-c")
                .arg(command)
                .current_dir(&dir)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            for (k, v) in env {
                cmd.env(k, v);
            }
            let (child, group) = process::spawn(&mut cmd)
                .map_err(|e| Failure::new("io", format!("cannot run `{command}`: {e}")))?;
            let run = child.wait_with_output();
            let output = match timeout_ms {
                Some(ms) => match tokio::time::timeout(Duration::from_millis(*ms), run).await {
                    Ok(result) => result,
                    Err(_) => {
                        return Err(Failure::new(
                            "timeout",
                            format!(
                                "`{command}` ran longer than its {ms} ms timeout and was killed"
                            ),
                        ));
                    }
                },
                None => run.await,
            }
            .map_err(|e| Failure::new("io", format!("cannot run `{command}`: {e}")))?;
            group.finished();
            Ok(EffectValue::Shell {
                exit: output.status.code().map_or(-1, i64::from),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            })
        }
        Effect::ReadFile(path) => workspace.read(path).map(EffectValue::Text),
        Effect::WriteFile(path, text) => workspace.write(path, text).map(|()| EffectValue::Nil),
        Effect::ListFiles(dir) => workspace.list(dir).map(EffectValue::Names),
        Effect::Now => Ok(EffectValue::Int(now_ms())),
        Effect::RandomInt(below) => Ok(EffectValue::Int((random_u64() % *below as u64) as i64)),
        Effect::Uuid => Ok(EffectValue::Text(uuid_v4())),
        Effect::Sleep(ms) => {
            tokio::time::sleep(Duration::from_millis(*ms)).await;
            Ok(EffectValue::Nil)
        }
        Effect::SleepUntil(at) => {
            let wait = at.saturating_sub(now_ms()).max(0) as u64;
            tokio::time::sleep(Duration::from_millis(wait)).await;
            Ok(EffectValue::Nil)
        }
        Effect::Agent {
            role,
            agent,
            text,
            conversation,
            schema,
        } => {
            // Checked when the prompt was made; a schema that no longer reads is dropped
            // (the reply is still checked against it by the workflow).
            let schema: Option<serde_json::Value> =
                schema.as_deref().and_then(|s| serde_json::from_str(s).ok());
            let question = crate::agents::Question {
                role,
                agent,
                text,
                conversation,
                schema: schema.as_ref(),
                env,
            };
            crate::agents::ask_with(&question, workspace, notes, policy)
                .await
                .map(|reply| match (&reply.session, &reply.usage) {
                    (None, None) => EffectValue::Text(reply.text),
                    _ => EffectValue::Reply {
                        text: reply.text,
                        session: reply.session,
                        usage: reply.usage,
                    },
                })
        }
        Effect::AskUser { question, .. } | Effect::Choose { question, .. } => Err(Failure::new(
            "effect",
            format!(
                "`ask-user` needs a person to answer {question:?}; run the workflow with `duet run`"
            ),
        )),
        // The durable engine performs these with the store's checkpoints.
        Effect::Isolate { .. }
        | Effect::AttemptEnd { .. }
        | Effect::AttemptDiff { .. }
        | Effect::Adopt { .. } => Err(Failure::new(
            "effect",
            format!(
                "`{}` needs a durable workflow run; run the workflow with `duet run`",
                effect.name()
            ),
        )),
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn random_u64() -> u64 {
    getrandom::u64().unwrap_or_else(|_| now_ms() as u64)
}

fn uuid_v4() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        bytes[..8].copy_from_slice(&random_u64().to_le_bytes());
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl EffectValue {
    /// The effect's value as a term, the way a workflow's program sees it.
    pub fn to_term(&self) -> duet_sam::Term {
        use duet_sam::Term;
        match self {
            EffectValue::Nil => Term::Nil,
            EffectValue::Int(i) => Term::Int(*i),
            EffectValue::Text(s) => Term::Str(s.as_str().into()),
            EffectValue::Reply {
                text,
                session,
                usage,
            } => Term::record(
                REPLY_LABEL,
                vec![
                    Term::Str(text.as_str().into()),
                    session
                        .as_ref()
                        .map_or(Term::Nil, crate::agents::conversation::session_to_term),
                    usage
                        .as_ref()
                        .map_or(Term::Nil, crate::agents::Usage::to_term),
                ],
            ),
            EffectValue::Names(names) => {
                Term::vector(names.iter().map(|n| Term::Str(n.as_str().into())).collect())
            }
            EffectValue::Attempt { commit, files } => Term::record(
                ATTEMPT_END_LABEL,
                vec![
                    Term::Str(commit.as_str().into()),
                    Term::vector(files.iter().map(|n| Term::Str(n.as_str().into())).collect()),
                ],
            ),
            EffectValue::Shell {
                exit,
                stdout,
                stderr,
            } => Term::map([
                (Term::Keyword("exit".into()), Term::Int(*exit)),
                (
                    Term::Keyword("stdout".into()),
                    Term::Str(stdout.as_str().into()),
                ),
                (
                    Term::Keyword("stderr".into()),
                    Term::Str(stderr.as_str().into()),
                ),
            ]),
        }
    }

    /// The effect's value in `ctx`'s heap.
    pub fn to_value(&self, ctx: &mut Ctx) -> Value {
        match self {
            EffectValue::Nil => Value::Nil,
            EffectValue::Int(i) => Value::Int(*i),
            EffectValue::Text(s) | EffectValue::Reply { text: s, .. } => ctx.string(s.clone()),
            EffectValue::Names(names) | EffectValue::Attempt { files: names, .. } => {
                let values = names.iter().map(|n| ctx.string(n.clone())).collect();
                ctx.vector(values)
            }
            EffectValue::Shell {
                exit,
                stdout,
                stderr,
            } => {
                let pairs = vec![
                    (ctx.keyword("exit"), Value::Int(*exit)),
                    (ctx.keyword("stdout"), ctx.string(stdout.clone())),
                    (ctx.keyword("stderr"), ctx.string(stderr.clone())),
                ];
                ctx.heap.alloc(Object::Map(pairs.into()))
            }
        }
    }
}

/// Performs an effect to completion on the calling thread, for hosts without an async
/// runtime of their own (scripts, the REPL).
pub fn perform_blocking(effect: &Effect, workspace: &Workspace) -> Result<EffectValue, Failure> {
    effect_runner()?.block_on(perform(effect, workspace))
}

/// Like [`perform_blocking`], but gives up with an `interrupted` failure soon after
/// `interrupt` is set (the REPL's Ctrl-C): a `sleep` ends, a command's processes are
/// killed.
pub fn perform_interruptible(
    effect: &Effect,
    workspace: &Workspace,
    interrupt: &AtomicBool,
) -> Result<EffectValue, Failure> {
    /// How often the flag is looked at while the effect goes on.
    const EVERY: Duration = Duration::from_millis(25);
    effect_runner()?.block_on(async {
        let mut work = std::pin::pin!(perform(effect, workspace));
        let mut look = tokio::time::interval(EVERY);
        std::future::poll_fn(|cx| {
            if let Poll::Ready(result) = work.as_mut().poll(cx) {
                return Poll::Ready(result);
            }
            if interrupt.swap(false, Ordering::SeqCst) {
                // Dropping the effect's future stops what it started.
                return Poll::Ready(Err(Failure::new("interrupted", "interrupted by Ctrl-C")));
            }
            while look.poll_tick(cx).is_ready() {}
            Poll::Pending
        })
        .await
    })
}

/// A runtime on the calling thread to perform one effect on.
fn effect_runner() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .enable_io()
        .build()
        .map_err(|e| Failure::new("io", format!("cannot start the effect runner: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_look_like_uuids() {
        let u = uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(u, uuid_v4());
    }

    #[test]
    fn capabilities_are_checked() {
        let mut granted = Capabilities::default();
        let shell = Effect::Shell {
            command: "true".into(),
            cwd: None,
            timeout_ms: None,
            env: vec![],
        };
        let denied = authorise(&shell, &granted).unwrap_err();
        assert_eq!(denied.kind, "capability");
        assert!(denied.message.contains("--allow shell"));
        granted.grant(Capability::Shell);
        assert!(authorise(&shell, &granted).is_ok());
        assert!(authorise(&Effect::Now, &Capabilities::default()).is_ok());
    }
}
