//! The daemon's protocol: one JSON object a line over the Unix socket `STORE/daemon.sock`.
//! A client sends one [`Request`] and reads [`Reply`] lines until the connection ends or an
//! `exit` reply comes. A command the daemon serves writes to the client's standard output
//! and error as `out` and `err` replies, in order, and ends with `exit`.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The socket's name in the store.
pub const SOCKET: &str = "daemon.sock";

/// What a client asks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "kebab-case")]
pub enum Request {
    /// Who the daemon is and what it follows: answered by [`Reply::Daemon`].
    Status,
    /// Run the `duet` command `args` (the words after `duet`) as if in `cwd`.
    Command {
        /// The command's words.
        args: Vec<String>,
        /// The client's current directory.
        cwd: PathBuf,
        /// Whether the client's standard error takes colour.
        color: bool,
        /// Whether the client's standard output is a terminal.
        stdout_terminal: bool,
        /// The client's environment variables that commands read (`DUET_AGENT`).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        env: BTreeMap<String, String>,
        /// Whether the client's standard input is a terminal: a run's questions are then
        /// asked there ([`Reply::Ask`], answered by [`Typed`] lines).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        stdin_terminal: bool,
    },
    /// Stop the daemon, leaving every run resumable; answered by [`Reply::Exit`] once its
    /// runs are stopped.
    Shutdown,
}

/// What the daemon says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "kebab-case")]
pub enum Reply {
    /// The daemon's state.
    Daemon {
        /// Its process id.
        pid: u32,
        /// The store it serves.
        store: PathBuf,
        /// When it started (ms since the epoch).
        since: u64,
        /// The runs it follows.
        following: Vec<String>,
        /// The address its HTTP API listens on, when it serves one (`--http`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        http: Option<std::net::SocketAddr>,
        /// Whether it is a foreground `duet` serving commands while it follows its own run
        /// (it stops when the run ends), not a daemon.
        #[serde(default)]
        foreground: bool,
    },
    /// Text for the client's standard output.
    Out {
        /// The text.
        text: String,
    },
    /// Text for the client's standard error.
    Err {
        /// The text.
        text: String,
    },
    /// The command now follows this run's events: a client that stops listening leaves it
    /// going.
    Following {
        /// The run.
        run: String,
    },
    /// A question for the person at the client's terminal, with the prompt for the answer:
    /// shown on standard error, and what is typed at the terminal from then on is sent back
    /// as [`Typed`] lines.
    Ask {
        /// The question as shown.
        text: String,
    },
    /// The command ended with this exit status.
    Exit {
        /// The status.
        code: u8,
    },
}

/// A line typed at the client's terminal, after a question was asked there (`None`: the
/// input ended, Ctrl-D).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Typed {
    /// The line, without its newline.
    pub line: Option<String>,
}

/// Writes `value` as one line.
pub fn send(to: &mut impl Write, value: &impl Serialize) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    line.push(b'\n');
    to.write_all(&line)?;
    to.flush()
}

/// Reads one line as a `T`; `None` at the end of the stream.
pub fn receive<T: for<'de> Deserialize<'de>>(
    from: &mut impl BufRead,
) -> std::io::Result<Option<T>> {
    let mut line = String::new();
    if from.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    serde_json::from_str(&line)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_replies_are_one_line_each() {
        let request = Request::Command {
            args: vec!["status".into(), "r1".into()],
            cwd: "/tmp".into(),
            color: false,
            stdout_terminal: false,
            env: BTreeMap::from([("DUET_AGENT".to_string(), "echo".to_string())]),
            stdin_terminal: true,
        };
        let mut buffer = Vec::new();
        send(&mut buffer, &request).unwrap();
        send(&mut buffer, &Reply::Exit { code: 3 }).unwrap();
        let text = String::from_utf8(buffer.clone()).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.starts_with(r#"{"request":"command","args":["status","r1"]"#));
        let mut reader = std::io::Cursor::new(buffer);
        assert_eq!(receive::<Request>(&mut reader).unwrap(), Some(request));
        assert_eq!(
            receive::<Reply>(&mut reader).unwrap(),
            Some(Reply::Exit { code: 3 })
        );
        assert_eq!(receive::<Reply>(&mut reader).unwrap(), None);
    }

    #[test]
    fn a_garbled_line_is_an_error() {
        let mut reader = std::io::Cursor::new(b"{\"request\":\"dance\"}\n".to_vec());
        assert!(receive::<Request>(&mut reader).is_err());
    }
}
