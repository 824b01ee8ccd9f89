//! Questions at a client's terminal: a run followed for a `duet run`, `resume` or `answer`
//! whose standard input is a terminal asks its questions there, as without a daemon. The
//! question goes to the client as an `ask` reply; from then on the client sends what is
//! typed at its terminal as `typed` lines on the same connection, read here by a thread of
//! their own into the same [`Lines`] the terminal of a command without a daemon feeds, so
//! a line typed while no question waits is refused as stale the same way.

use std::io::BufReader;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use duet::driver::terminal::Lines;
use duet_runtime::durable::Poser;
use tokio::sync::mpsc::unbounded_channel;

use super::protocol::{self, Reply, Typed};
use super::server::Connection;

/// Poses questions to the person at `connection`'s terminal; `reader` reads what they type.
pub(super) fn poser(reader: BufReader<UnixStream>, connection: Arc<Connection>) -> Arc<dyn Poser> {
    let (send, typed) = unbounded_channel();
    let mut reader = reader;
    // Ends when the client goes (its end of the connection closes).
    let _ = std::thread::Builder::new()
        .name("typed".into())
        .spawn(move || {
            loop {
                let line = match protocol::receive::<Typed>(&mut reader) {
                    Ok(Some(typed)) => typed.line,
                    // The client has gone or garbled its line: no one answers any more.
                    Ok(None) | Err(_) => None,
                };
                let ended = line.is_none();
                if send.send(line).is_err() || ended {
                    return;
                }
            }
        });
    Lines::remote(
        typed,
        Arc::new(move |text, question| {
            let text = text.to_string();
            connection.say(match question {
                true => Reply::Ask { text },
                false => Reply::Err { text },
            });
        }),
    )
}
