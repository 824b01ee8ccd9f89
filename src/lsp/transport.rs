//! JSON-RPC over stdin/stdout with `Content-Length` framing, feeding an `lsp_server`
//! [`Connection`].
//!
//! `lsp_server`'s own stdio transport ends its reader thread at the first malformed message,
//! which would take the whole server down. This one reads the same framing but survives bad
//! input: a header it cannot use is logged and skipped, a body that is not JSON gets a
//! `ParseError` response (id `null`, as JSON-RPC says), and JSON that is not a request,
//! response or notification gets `InvalidRequest` when it has an id. Messages go to the main
//! loop over an unbounded channel, so the loop can see whether more input is already waiting.

use std::io::{self, BufRead, Read, Write};
use std::thread::{self, JoinHandle};

use crossbeam_channel::{Receiver, Sender, unbounded};
use lsp_server::{Connection, ErrorCode, Message};
use serde_json::{Value, json};

use super::log;

/// Bodies larger than this are skipped rather than held in memory.
const MAX_BODY: usize = 256 << 20;

/// A connection on stdin/stdout, and the writer thread to join before exiting so that every
/// queued message is written.
pub fn stdio() -> (Connection, JoinHandle<()>) {
    let (to_loop, receiver) = unbounded::<Message>();
    let (sender, to_writer) = unbounded::<Message>();
    thread::Builder::new()
        .name("lsp-reader".into())
        .spawn(move || {
            let stdin = io::stdin();
            read_loop(&mut stdin.lock(), &to_loop, &mut |text| write_frame(text));
        })
        .expect("spawn the reader thread");
    let writer = thread::Builder::new()
        .name("lsp-writer".into())
        .spawn(move || write_loop(&to_writer))
        .expect("spawn the writer thread");
    (Connection { sender, receiver }, writer)
}

fn write_loop(messages: &Receiver<Message>) {
    for message in messages {
        let stdout = io::stdout();
        if let Err(e) = message.write(&mut stdout.lock()) {
            log(&format!("cannot write to the client: {e}"));
            return;
        }
    }
}

/// Writes one framed JSON text to stdout; for replies the reader makes itself.
fn write_frame(text: &str) {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let _ = write!(out, "Content-Length: {}\r\n\r\n{text}", text.len());
    let _ = out.flush();
}

/// Reads messages until end of input or an `exit` notification, passing each to `to_loop`
/// and answering malformed ones through `reply`.
pub fn read_loop(input: &mut impl BufRead, to_loop: &Sender<Message>, reply: &mut dyn FnMut(&str)) {
    loop {
        let body = match read_frame(input) {
            Ok(Some(Some(body))) => body,
            Ok(Some(None)) => continue,
            Ok(None) => return,
            Err(e) => {
                log(&format!("cannot read from the client: {e}"));
                return;
            }
        };
        match decode(&body) {
            Ok(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if to_loop.send(message).is_err() || exit {
                    return;
                }
            }
            Err(Some(error)) => reply(&error.to_string()),
            Err(None) => {}
        }
    }
}

/// One frame: `Ok(None)` at end of input, `Ok(Some(None))` for a frame that had to be
/// skipped, `Ok(Some(Some(body)))` otherwise.
fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Option<Vec<u8>>>> {
    let mut length: Option<Result<usize, String>> = None;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        if input.read_until(b'\n', &mut line)? == 0 {
            if saw_header {
                log("input ended inside a message header");
            }
            return Ok(None);
        }
        let line = String::from_utf8_lossy(&line);
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !saw_header {
                continue;
            }
            break;
        }
        saw_header = true;
        match line.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                length = Some(value.trim().parse().map_err(|_| value.trim().to_string()));
            }
            Some(_) => {}
            None => log(&format!("ignoring a malformed header line: {line:?}")),
        }
    }
    let length = match length {
        Some(Ok(n)) => n,
        Some(Err(bad)) => {
            log(&format!("ignoring a message with Content-Length {bad:?}"));
            return Ok(Some(None));
        }
        None => {
            log("ignoring a message without Content-Length");
            return Ok(Some(None));
        }
    };
    if length > MAX_BODY {
        log(&format!("skipping a message of {length} bytes"));
        io::copy(&mut input.take(length as u64), &mut io::sink())?;
        return Ok(Some(None));
    }
    let mut body = vec![0; length];
    match input.read_exact(&mut body) {
        Ok(()) => Ok(Some(Some(body))),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
            log("input ended inside a message body");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// A message from a body, or the error response to send back (if any).
fn decode(body: &[u8]) -> Result<Message, Option<Value>> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            log(&format!("a message is not JSON: {e}"));
            return Err(Some(error(
                Value::Null,
                ErrorCode::ParseError,
                &format!("parse error: {e}"),
            )));
        }
    };
    match serde_json::from_value::<Message>(value.clone()) {
        Ok(message) => Ok(message),
        Err(e) => {
            log(&format!("not a JSON-RPC message ({e}): {value}"));
            let id = value.get("id").cloned().unwrap_or(Value::Null);
            let is_response = value.get("result").is_some() || value.get("error").is_some();
            if !is_response && (id.is_null() || id.is_number() || id.is_string()) {
                Err(Some(error(
                    id,
                    ErrorCode::InvalidRequest,
                    &format!("invalid request: {e}"),
                )))
            } else {
                Err(None)
            }
        }
    }
}

fn error(id: Value, code: ErrorCode, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code as i32, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn run(input: &str) -> (Vec<Message>, Vec<String>) {
        let (tx, rx) = unbounded();
        let mut replies = Vec::new();
        read_loop(&mut input.as_bytes(), &tx, &mut |r| {
            replies.push(r.to_string())
        });
        drop(tx);
        (rx.iter().collect(), replies)
    }

    #[test]
    fn reads_messages_and_survives_garbage() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = [
            frame(good),
            "garbage line\r\n\r\n".into(),
            frame("{not json"),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":3}"#),
            "Content-Length: nope\r\n\r\n".into(),
            frame(good),
            frame(r#"{"jsonrpc":"2.0","method":"exit"}"#),
            frame(good),
        ]
        .concat();
        let (messages, replies) = run(&input);
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert_eq!(replies.len(), 2, "{replies:?}");
        assert!(replies[0].contains("-32700") && replies[0].contains("\"id\":null"));
        assert!(replies[1].contains("-32600") && replies[1].contains("\"id\":7"));
    }

    #[test]
    fn a_truncated_body_ends_input() {
        let (messages, _) = run("Content-Length: 100\r\n\r\n{}");
        assert!(messages.is_empty());
    }
}
