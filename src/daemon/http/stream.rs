//! `GET /v1/runs/ID/events`: a run's events as Server-Sent Events. Each run event is one
//! SSE event whose `id:` is its sequence number and whose `data:` is its `--json` line. The
//! stream's own notices carry no `id:` (so a reconnecting client's `Last-Event-ID` stays the
//! last run event it got); their `data:` is a JSON object whose `event` is
//! - `events-missing`: events the client asked for are no longer kept (or were numbered by
//!   an earlier daemon); the run's turns are at `GET /v1/runs/ID/history`;
//! - `stream-behind`: the client fell too far behind and the stream closes; reconnecting
//!   with `Last-Event-ID: resume_after` goes on from there, losing nothing still kept;
//! - `stream-end`: the run has ended; nothing more will come.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::response::sse::Event;
use duet_store::RunId;
use futures_util::Stream;
use serde_json::json;

use super::events::{Closed, Live, Numbered, STREAM_BUFFER, Subscription};

/// How often a stream with nothing to send looks whether its run was ended by a command
/// that did not go through its follower (`duet stop` of a run waiting for an answer).
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Looks whether the run has ended with no one following it, and if so ends its streams.
pub type Settle = Box<dyn Fn() + Send + Sync>;

/// Where a stream is.
struct Feed {
    run: RunId,
    settle: Settle,
    /// What is to be sent before the live events.
    queued: VecDeque<Event>,
    live: Option<Live>,
    /// The sequence number of the last run event sent.
    last: u64,
    done: bool,
}

/// The SSE events of `subscription`, a stream of run `run`'s events after event `after`;
/// `settle` is called when it has had nothing to send for a while.
pub fn events(
    run: RunId,
    after: u64,
    subscription: Subscription,
    settle: Settle,
) -> impl Stream<Item = Result<Event, Infallible>> {
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
                "the daemon does not keep the events of run {run} after event {after} up to \
                 event {first} (it keeps the newest of each run, and numbers them afresh \
                 when it restarts); GET /v1/runs/{run}/history has its turns"
            ),
        })));
    }
    let last = backlog.last().map_or(after, |(n, _)| *n);
    queued.extend(backlog.into_iter().map(event));
    let ended = live.is_none();
    let mut feed = Feed {
        run,
        settle,
        queued,
        live,
        last,
        done: false,
    };
    if ended {
        feed.queued.push_back(end(run));
    }
    futures_util::stream::unfold(feed, |mut feed| async move {
        let next = feed.next().await?;
        Some((Ok(next), feed))
    })
}

impl Feed {
    async fn next(&mut self) -> Option<Event> {
        if let Some(event) = self.queued.pop_front() {
            return Some(event);
        }
        if self.done {
            return None;
        }
        let live = self.live.as_mut()?;
        loop {
            match tokio::time::timeout(IDLE_CHECK, live.events.recv()).await {
                Ok(Some(numbered)) => {
                    self.last = numbered.0;
                    return Some(event(numbered));
                }
                Ok(None) => break,
                Err(_) => (self.settle)(),
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

/// A run event as an SSE event.
fn event((n, line): Numbered) -> Event {
    Event::default().id(n.to_string()).data(&*line)
}

/// The stream's own notice `body`, stamped with the time.
fn notice(mut body: serde_json::Value) -> Event {
    body["at"] = json!(duet_runtime::effects::now_ms());
    Event::default().data(body.to_string())
}

fn end(run: RunId) -> Event {
    notice(json!({
        "event": "stream-end",
        "run": run.to_string(),
        "message": format!("run {run} has ended; no more events will come"),
    }))
}
