//! `GET /v1/runs/ID/events`: a run's events as Server-Sent Events. Each run event is one
//! SSE event whose `id:` is its sequence number and whose `data:` is its `--json` line. The
//! stream's own notices carry no `id:` (so a reconnecting client's `Last-Event-ID` stays the
//! last run event it got); their `data:` is a JSON object whose `event` is
//! - `events-missing`: events the client asked for are no longer kept (or were numbered by
//!   an earlier daemon); the run's turns are at `GET /v1/runs/ID/history`;
//! - `stream-behind`: the client fell too far behind and the stream closes; reconnecting
//!   with `Last-Event-ID: resume_after` goes on from there, losing nothing still kept;
//! - `stream-end`: the run has ended; nothing more will come.
//!
//! The events waiting when the stream is polled go out together, as one piece of the body:
//! a client that keeps up gets each as it comes; one a little behind catches up in a few
//! writes instead of one per event.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use duet_store::RunId;
use serde_json::json;

use super::events::{Closed, Live, Numbered, STREAM_BUFFER, Subscription};

/// How often a stream with nothing to send looks whether its run was ended by a command
/// that did not go through its follower (`duet stop` of a run waiting for an answer).
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// After how many quiet checks a comment keeps the connection open (15 s).
const KEEP_ALIVE_CHECKS: u32 = 15;

/// The most events sent as one piece of the body.
const BATCH: usize = 256;

/// How long a burst of events (several waiting at once) gathers before it is sent.
const GATHER: Duration = Duration::from_millis(1);

/// Looks whether the run has ended with no one following it, and if so ends its streams.
pub type Settle = Box<dyn Fn() + Send + Sync>;

/// Where a stream is.
struct Feed {
    run: RunId,
    settle: Settle,
    /// What is to be sent before the live events, as SSE text.
    queued: VecDeque<String>,
    live: Option<Live>,
    /// The sequence number of the last run event sent.
    last: u64,
    done: bool,
}

/// The response streaming `subscription`, run `run`'s events after event `after`; `settle`
/// is called when it has had nothing to send for a while.
pub fn response(run: RunId, after: u64, subscription: Subscription, settle: Settle) -> Response {
    let Subscription {
        backlog,
        missing,
        live,
    } = subscription;
    let mut queued = VecDeque::new();
    if let Some(first) = missing {
        queued.push_back(notice(json!({
            "event": "events-missing",
            "run": run.to_string(),
            "after": after,
            "first_kept": first,
            "history": format!("/v1/runs/{run}/history"),
            "message": format!(
                "the daemon does not keep the events of run {run} after event {after} that \
                 came before event {first} (it keeps the newest of each run, and numbers \
                 them anew each time it starts); GET /v1/runs/{run}/history has its turns"
            ),
        })));
    }
    let last = backlog.last().map_or(after, |(n, _)| *n);
    queued.extend(backlog.iter().map(event));
    if live.is_none() {
        queued.push_back(end(run));
    }
    let feed = Feed {
        run,
        settle,
        queued,
        live,
        last,
        done: false,
    };
    let body = futures_util::stream::unfold(feed, |mut feed| async move {
        let piece = feed.next().await?;
        Some((Ok::<_, Infallible>(piece), feed))
    });
    (
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

impl Feed {
    /// The next piece of the body: the events waiting (up to [`BATCH`]), a notice, or a
    /// keep-alive comment; `None` at the stream's end.
    async fn next(&mut self) -> Option<String> {
        if !self.queued.is_empty() {
            let n = self.queued.len().min(BATCH);
            return Some(self.queued.drain(..n).collect());
        }
        if self.done {
            return None;
        }
        let live = self.live.as_mut()?;
        let mut quiet = 0;
        loop {
            match tokio::time::timeout(IDLE_CHECK, live.events.recv()).await {
                Ok(Some(first)) => {
                    let mut piece = event(&first);
                    self.last = first.0;
                    let mut count = 1 + drain(live, &mut piece, &mut self.last, BATCH - 1);
                    // Several were waiting: a burst; let it gather a moment, then send it.
                    if count > 1 && count < BATCH {
                        tokio::time::sleep(GATHER).await;
                        count += drain(live, &mut piece, &mut self.last, BATCH - count);
                    }
                    debug_assert!(count <= BATCH);
                    return Some(piece);
                }
                Ok(None) => break,
                Err(_) => {
                    (self.settle)();
                    quiet += 1;
                    if quiet == KEEP_ALIVE_CHECKS {
                        return Some(":\n\n".into());
                    }
                }
            }
        }
        self.done = true;
        match live.closed.get() {
            Some(Closed::Ended) => Some(end(self.run)),
            Some(Closed::Lagged) => Some(notice(json!({
                "event": "stream-behind",
                "run": self.run.to_string(),
                "resume_after": self.last,
                "message": format!(
                    "this stream fell {STREAM_BUFFER} events behind run {} and is closed; \
                     reconnect with `Last-Event-ID: {}` to go on from there",
                    self.run, self.last
                ),
            }))),
            // The daemon is stopping.
            None => None,
        }
    }
}

/// Appends to `piece` up to `most` of the events waiting in `live`, noting the last one's
/// number in `last`; how many.
fn drain(live: &mut Live, piece: &mut String, last: &mut u64, most: usize) -> usize {
    let mut count = 0;
    while count < most {
        let Ok(next) = live.events.try_recv() else {
            break;
        };
        piece.push_str(&event(&next));
        *last = next.0;
        count += 1;
    }
    count
}

/// A run event as SSE text (a `--json` line holds no line break).
fn event((n, line): &Numbered) -> String {
    format!("id: {n}\ndata: {line}\n\n")
}

/// The stream's own notice `body`, stamped with the time, as SSE text.
fn notice(mut body: serde_json::Value) -> String {
    body["at"] = json!(duet_runtime::effects::now_ms());
    format!("data: {body}\n\n")
}

fn end(run: RunId) -> String {
    notice(json!({
        "event": "stream-end",
        "run": run.to_string(),
        "message": format!("run {run} has ended; no more events will come"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_notices_are_sse_text() {
        assert_eq!(
            event(&(7, r#"{"event":"log"}"#.into())),
            "id: 7\ndata: {\"event\":\"log\"}\n\n"
        );
        let run: RunId = "r3".parse().unwrap();
        let end = end(run);
        assert!(
            end.starts_with("data: {\"event\":\"stream-end\",\"run\":\"r3\""),
            "{end}"
        );
        assert!(
            end.ends_with("}\n\n") && end.matches('\n').count() == 2,
            "{end}"
        );
    }
}
