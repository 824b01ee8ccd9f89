//! Builtins that need the outside world. Each suspends the fiber with a request; the host
//! performs it (a script prints; a workflow run journals the result first) and resumes the
//! fiber with the result.

use serde::{Deserialize, Serialize};

use crate::value::Value;
use crate::{BuiltinResult, Cx, Flow, Request};

/// The display forms of `args` separated by spaces, charged to the step budget by size.
fn joined(cx: &mut Cx, who: &str, args: &[Value]) -> Result<String, Flow> {
    let mut out = String::new();
    for (i, &a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        super::strings::display_into(cx, who, a, &mut out, false)?;
    }
    cx.ctx
        .charge((out.len() / crate::run::BYTES_PER_STEP) as u64);
    Ok(out)
}

/// `(print …)`: the display forms separated by spaces.
pub fn print(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    Err(Flow::Request(Request::Print(joined(cx, "print", args)?)))
}

/// `(println …)`
pub fn println(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    let mut text = joined(cx, "println", args)?;
    text.push('\n');
    Err(Flow::Request(Request::Print(text)))
}

/// `(log …)`: a line in the run's log.
pub fn log(cx: &mut Cx, args: &[Value]) -> BuiltinResult {
    Err(Flow::Request(Request::Log(joined(cx, "log", args)?)))
}

/// The builtins that leave the VM as [`Request::Effect`]: whoever runs the VM performs them
/// (a workflow's interpreter, or a script's session) and resumes the fiber with the result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EffectOp {
    /// `(ask-user QUESTION :options […])`
    AskUser,
    /// `(assert VALUE)`
    Assert,
    /// `(list-files DIR)`
    ListFiles,
    /// `(now)`
    Now,
    /// `(prompt ROLE TEXT …)`
    Prompt,
    /// `(random-int N)`
    RandomInt,
    /// `(read-file PATH)`
    ReadFile,
    /// `(retract HANDLE)`
    Retract,
    /// `(send! VALUE)`
    Send,
    /// `(shell COMMAND …)`
    Shell,
    /// `(sleep DURATION)`
    Sleep,
    /// `(sleep-until MILLIS)`
    SleepUntil,
    /// `(stop FACET)`
    Stop,
    /// `(uuid)`
    Uuid,
    /// `(write-file PATH TEXT)`
    WriteFile,
    /// `(conversation ROLE)`
    Conversation,
    /// `(forget ROLE)`
    Forget,
    /// `(isolated body…)`, as `(%isolated (fn [] body…))`
    Isolated,
    /// `(attempt-value ATTEMPT)`
    AttemptValue,
    /// `(attempt-files ATTEMPT)`
    AttemptFiles,
    /// `(attempt-diff ATTEMPT)`
    AttemptDiff,
    /// `(adopt ATTEMPT)`
    Adopt,
}

impl EffectOp {
    /// The builtin's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            EffectOp::AskUser => "ask-user",
            EffectOp::Assert => "assert",
            EffectOp::ListFiles => "list-files",
            EffectOp::Now => "now",
            EffectOp::Prompt => "prompt",
            EffectOp::RandomInt => "random-int",
            EffectOp::ReadFile => "read-file",
            EffectOp::Retract => "retract",
            EffectOp::Send => "send!",
            EffectOp::Shell => "shell",
            EffectOp::Sleep => "sleep",
            EffectOp::SleepUntil => "sleep-until",
            EffectOp::Stop => "stop",
            EffectOp::Uuid => "uuid",
            EffectOp::WriteFile => "write-file",
            EffectOp::Conversation => "conversation",
            EffectOp::Forget => "forget",
            EffectOp::Isolated => "isolated",
            EffectOp::AttemptValue => "attempt-value",
            EffectOp::AttemptFiles => "attempt-files",
            EffectOp::AttemptDiff => "attempt-diff",
            EffectOp::Adopt => "adopt",
        }
    }
}

macro_rules! effects {
    ($($name:ident = $op:ident;)*) => {
        $(
            #[doc = concat!("`", stringify!($op), "`: performed by whoever runs the VM.")]
            pub fn $name(_cx: &mut Cx, args: &[Value]) -> BuiltinResult {
                Err(Flow::Request(Request::Effect {
                    op: EffectOp::$op,
                    args: args.to_vec(),
                }))
            }
        )*
    };
}

effects! {
    adopt = Adopt;
    ask_user = AskUser;
    assert = Assert;
    attempt_diff = AttemptDiff;
    attempt_files = AttemptFiles;
    attempt_value = AttemptValue;
    conversation = Conversation;
    forget = Forget;
    isolated = Isolated;
    list_files = ListFiles;
    now = Now;
    prompt = Prompt;
    random_int = RandomInt;
    read_file = ReadFile;
    retract = Retract;
    send = Send;
    shell = Shell;
    sleep = Sleep;
    sleep_until = SleepUntil;
    stop = Stop;
    uuid = Uuid;
    write_file = WriteFile;
}
