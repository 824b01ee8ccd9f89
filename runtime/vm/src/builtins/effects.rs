//! Builtins that need the outside world. Each suspends the fiber with a request; the host
//! performs it (a script prints; a workflow run journals the result first) and resumes the
//! fiber with the result.

use crate::print;
use crate::value::Value;
use crate::{Cx, Flow, Outcome, Request};

fn joined(cx: &Cx, args: &[Value]) -> String {
    args.iter()
        .map(|&a| print::display(cx.ctx, cx.program, a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `(print …)`: the display forms separated by spaces.
pub fn print(cx: &mut Cx, args: &[Value]) -> Outcome {
    Err(Flow::Request(Request::Print(joined(cx, args))))
}

/// `(println …)`
pub fn println(cx: &mut Cx, args: &[Value]) -> Outcome {
    let mut text = joined(cx, args);
    text.push('\n');
    Err(Flow::Request(Request::Print(text)))
}

/// `(log …)`: a line in the run's log.
pub fn log(cx: &mut Cx, args: &[Value]) -> Outcome {
    Err(Flow::Request(Request::Log(joined(cx, args))))
}

macro_rules! effects {
    ($($name:ident = $text:literal;)*) => {
        $(
            #[doc = concat!("`(", $text, " …)`: performed by the runtime.")]
            pub fn $name(_cx: &mut Cx, args: &[Value]) -> Outcome {
                Err(Flow::Request(Request::Effect {
                    name: $text.to_string(),
                    args: args.to_vec(),
                }))
            }
        )*
    };
}

effects! {
    ask_user = "ask-user";
    assert = "assert";
    list_files = "list-files";
    now = "now";
    prompt = "prompt";
    random_int = "random-int";
    read_file = "read-file";
    retract = "retract";
    send = "send!";
    shell = "shell";
    sleep = "sleep";
    sleep_until = "sleep-until";
    stop = "stop";
    uuid = "uuid";
    write_file = "write-file";
}
