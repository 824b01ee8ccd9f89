//! The events the daemon keeps of each run for the HTTP API's event streams: every event of a
//! run it follows gets the next sequence number of that run in this daemon's epoch
//! (`epoch * ID_SPAN + 1, + 2, …`, see [`super::epoch`]), and the newest
//! [`EVENTS_KEPT`] are kept so a client that reconnects with `Last-Event-ID` misses none. A
//! stream subscribes with a bounded channel: the run's follower never waits for it; a
//! subscriber whose channel is full is dropped and its stream ends saying where to resume.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use duet_store::RunId;
use tokio::sync::mpsc::{self, error::TrySendError};

use super::epoch::ID_SPAN;

/// How many of a run's newest events are kept.
pub const EVENTS_KEPT: usize = 4096;

/// How many ended runs' events are kept (the runs that ended longest ago are forgotten).
pub const ENDED_RUNS_KEPT: usize = 64;

/// How many events a stream may have waiting to be sent before it is dropped as too slow.
pub const STREAM_BUFFER: usize = 1024;

/// One event of a run: its sequence number and its `--json` line.
pub type Numbered = (u64, Arc<str>);

/// Why a subscription's channel closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The run ended: nothing more will come.
    Ended,
    /// The stream fell [`STREAM_BUFFER`] events behind and was dropped.
    Lagged,
}

/// A stream's live feed: the events after its backlog, until the channel closes; then
/// `closed` says why (unset: the daemon is stopping).
pub struct Live {
    /// The events as they come.
    pub events: mpsc::Receiver<Numbered>,
    /// Why the channel closed, once it has.
    pub closed: Arc<OnceLock<Closed>>,
}

/// What a stream starting after event `after` gets.
pub struct Subscription {
    /// The kept events after `after`, oldest first.
    pub backlog: Vec<Numbered>,
    /// The events it asked for that are no longer kept (or were never seen by this daemon):
    /// `Some(first)` when the backlog starts at `first` but events before it, after `after`,
    /// are missing (`first` is one past the newest when none is kept).
    pub missing: Option<u64>,
    /// The events to come; `None` when the run has ended (the stream ends after its backlog).
    pub live: Option<Live>,
}

struct Subscriber {
    sender: mpsc::Sender<Numbered>,
    closed: Arc<OnceLock<Closed>>,
}

impl Subscriber {
    fn close(self, why: Closed) {
        let _ = self.closed.set(why);
    }
}

/// One run's kept events.
struct Kept {
    /// The sequence number of its newest event (the epoch's base: none yet).
    newest: u64,
    events: VecDeque<Numbered>,
    subscribers: Vec<Subscriber>,
    ended: bool,
}

impl Kept {
    /// The sequence number of the oldest kept event, or one past the newest when none is.
    fn first(&self) -> u64 {
        self.events.front().map_or(self.newest + 1, |(n, _)| *n)
    }
}

/// The events kept of every run, and the streams that follow them.
#[derive(Default)]
pub struct EventLog {
    /// The sequence number before this daemon's first event of any run.
    base: u64,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    runs: BTreeMap<RunId, Kept>,
    /// Runs that ended, longest ago first.
    ended: VecDeque<RunId>,
}

impl Kept {
    fn new(base: u64) -> Kept {
        Kept {
            newest: base,
            events: VecDeque::new(),
            subscribers: Vec::new(),
            ended: false,
        }
    }
}

impl EventLog {
    /// The log of the daemon whose HTTP API started as epoch `epoch`.
    pub fn new(epoch: u64) -> EventLog {
        EventLog {
            base: epoch * ID_SPAN,
            inner: Mutex::default(),
        }
    }

    /// Whether `id` is one this daemon could have given (not one of an earlier epoch's).
    fn ours(&self, id: u64) -> bool {
        id > self.base && id - self.base < ID_SPAN
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `line`, run `id`'s next event, and sends it to the run's streams. Never waits:
    /// a stream whose buffer is full is dropped (it is told to resume from what it has).
    pub fn record(&self, id: RunId, line: Arc<str>) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        let kept = inner.runs.entry(id).or_insert_with(|| Kept::new(self.base));
        if kept.ended {
            // Followed again (after `back` or `fork`): it is live once more.
            kept.ended = false;
            inner.ended.retain(|r| *r != id);
        }
        kept.newest += 1;
        let event = (kept.newest, line);
        if kept.events.len() == EVENTS_KEPT {
            kept.events.pop_front();
        }
        kept.events.push_back(event.clone());
        let mut kept_subscribers = Vec::with_capacity(kept.subscribers.len());
        for subscriber in kept.subscribers.drain(..) {
            match subscriber.sender.try_send(event.clone()) {
                Ok(()) => kept_subscribers.push(subscriber),
                Err(TrySendError::Full(_)) => subscriber.close(Closed::Lagged),
                Err(TrySendError::Closed(_)) => {}
            }
        }
        kept.subscribers = kept_subscribers;
    }

    /// Run `id` has ended: its streams end once they have sent what they hold, and its
    /// events are kept for later streams until [`ENDED_RUNS_KEPT`] runs ended after it.
    pub fn ended(&self, id: RunId) {
        let mut inner = self.lock();
        let kept = inner.runs.entry(id).or_insert_with(|| Kept::new(self.base));
        if kept.ended {
            return;
        }
        kept.ended = true;
        for subscriber in kept.subscribers.drain(..) {
            subscriber.close(Closed::Ended);
        }
        inner.ended.push_back(id);
        while inner.ended.len() > ENDED_RUNS_KEPT {
            if let Some(old) = inner.ended.pop_front() {
                inner.runs.remove(&old);
            }
        }
    }

    /// A stream of run `id`'s events after event `after` (0: from the first). `ended` says
    /// whether the store records the run as ended, for a run this log has not seen end. An
    /// `after` of an earlier daemon (another epoch) names nothing here: the stream gets every
    /// event kept, said to follow missing ones.
    pub fn subscribe(&self, id: RunId, after: u64, ended: bool) -> Subscription {
        let base = self.base;
        let foreign = after != 0 && !self.ours(after);
        let mut inner = self.lock();
        // Runs seen only by streams that have gone are forgotten.
        inner.runs.retain(|_, kept| {
            kept.subscribers.retain(|s| !s.sender.is_closed());
            kept.newest > base || !kept.subscribers.is_empty()
        });
        let kept = inner.runs.get(&id);
        let from = if foreign { base } else { after.max(base) };
        let backlog: Vec<Numbered> = kept
            .map(|kept| {
                kept.events
                    .iter()
                    .filter(|(n, _)| *n > from)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let first = kept.map_or(base + 1, Kept::first);
        let newest = kept.map_or(base, |k| k.newest);
        let missing = (foreign || from + 1 < first || from > newest).then_some(first);
        let has_ended = kept.map_or(ended, |k| k.ended || (k.newest == base && ended));
        if has_ended {
            return Subscription {
                backlog,
                missing,
                live: None,
            };
        }
        let (sender, events) = mpsc::channel(STREAM_BUFFER);
        let closed = Arc::new(OnceLock::new());
        inner
            .runs
            .entry(id)
            .or_insert_with(|| Kept::new(base))
            .subscribers
            .push(Subscriber {
                sender,
                closed: closed.clone(),
            });
        Subscription {
            backlog,
            missing,
            live: Some(Live { events, closed }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(n: u64) -> RunId {
        format!("r{n}").parse().expect("a run id")
    }

    fn line(n: u64) -> Arc<str> {
        format!("{{\"event\":\"log\",\"text\":\"{n}\"}}").into()
    }

    fn numbers(events: &[Numbered]) -> Vec<u64> {
        events.iter().map(|(n, _)| *n).collect()
    }

    #[test]
    fn events_are_numbered_per_run_and_a_stream_resumes_after_an_id() {
        let log = EventLog::default();
        for n in 1..=5 {
            log.record(run(1), line(n));
        }
        log.record(run(2), line(1));
        let resumed = log.subscribe(run(1), 3, false);
        assert_eq!(numbers(&resumed.backlog), [4, 5]);
        assert_eq!(&*resumed.backlog[0].1, &*line(4));
        assert_eq!(resumed.missing, None);
        let mut live = resumed.live.expect("a run going on streams on");
        log.record(run(1), line(6));
        let (n, text) = live.events.try_recv().expect("the next event");
        assert_eq!((n, &*text), (6, &*line(6)));
        assert_eq!(numbers(&log.subscribe(run(2), 0, false).backlog), [1]);
    }

    #[test]
    fn ids_of_an_earlier_daemon_get_every_kept_event_said_to_follow_missing_ones() {
        let log = EventLog::new(2);
        for n in 1..=3 {
            log.record(run(1), line(n));
        }
        let base = 2 * ID_SPAN;
        let ours = log.subscribe(run(1), base + 1, false);
        assert_eq!(numbers(&ours.backlog), [base + 2, base + 3]);
        assert_eq!(ours.missing, None);
        // The earlier daemon's 500th event is not this daemon's: nothing is skipped.
        for earlier in [ID_SPAN + 500, 500, 3 * ID_SPAN + 1] {
            let theirs = log.subscribe(run(1), earlier, false);
            assert_eq!(numbers(&theirs.backlog), [base + 1, base + 2, base + 3]);
            assert_eq!(theirs.missing, Some(base + 1), "after {earlier}");
        }
        // A run with no event yet in this epoch starts at the epoch's first id.
        let quiet = log.subscribe(run(2), ID_SPAN + 9, false);
        assert!(quiet.backlog.is_empty());
        assert_eq!(quiet.missing, Some(base + 1));
        log.record(run(2), line(1));
        let (n, _) = quiet
            .live
            .expect("live")
            .events
            .try_recv()
            .expect("its event");
        assert_eq!(n, base + 1);
    }

    #[test]
    fn an_id_older_than_what_is_kept_is_said_to_be_missing() {
        let log = EventLog::default();
        let total = EVENTS_KEPT as u64 + 10;
        for n in 1..=total {
            log.record(run(1), line(n));
        }
        let late = log.subscribe(run(1), 3, false);
        assert_eq!(late.missing, Some(11));
        assert_eq!(late.backlog.first().map(|(n, _)| *n), Some(11));
        assert_eq!(late.backlog.len(), EVENTS_KEPT);
        // An id newer than any this daemon numbered comes from another daemon's life.
        let foreign = log.subscribe(run(1), total + 5, false);
        assert_eq!(foreign.missing, Some(11));
        assert!(foreign.backlog.is_empty());
        // A resume from an id still kept misses nothing.
        assert_eq!(log.subscribe(run(1), 10, false).missing, None);
    }

    #[test]
    fn a_stream_that_falls_behind_is_dropped_without_slowing_the_run() {
        let log = EventLog::default();
        let Live { mut events, closed } = log.subscribe(run(1), 0, false).live.expect("live");
        let total = STREAM_BUFFER as u64 + 50;
        for n in 1..=total {
            log.record(run(1), line(n));
        }
        assert_eq!(closed.get(), Some(&Closed::Lagged));
        let mut got = Vec::new();
        while let Ok((n, _)) = events.try_recv() {
            got.push(n);
        }
        assert_eq!(got, (1..=STREAM_BUFFER as u64).collect::<Vec<_>>());
        // What it missed is kept for its next stream.
        let again = log.subscribe(run(1), STREAM_BUFFER as u64, false);
        assert_eq!(
            numbers(&again.backlog).first(),
            Some(&(STREAM_BUFFER as u64 + 1))
        );
        assert_eq!(again.backlog.len(), 50);
    }

    #[test]
    fn an_ended_run_replays_what_is_kept_and_ends_its_streams() {
        let log = EventLog::default();
        let Live {
            events: _kept_open,
            closed,
        } = log.subscribe(run(1), 0, false).live.expect("live");
        log.record(run(1), line(1));
        log.ended(run(1));
        assert_eq!(closed.get(), Some(&Closed::Ended));
        let after = log.subscribe(run(1), 0, false);
        assert_eq!(numbers(&after.backlog), [1]);
        assert!(after.live.is_none());
        // A run the store says ended that this daemon never saw: nothing kept, no stream.
        let unseen = log.subscribe(run(9), 0, true);
        assert!(unseen.backlog.is_empty() && unseen.live.is_none());
        assert_eq!(unseen.missing, None);
        assert_eq!(log.subscribe(run(9), 4, true).missing, Some(1));
    }

    #[test]
    fn only_the_latest_ended_runs_are_kept() {
        let log = EventLog::default();
        for n in 1..=ENDED_RUNS_KEPT as u64 + 1 {
            log.record(run(n), line(1));
            log.ended(run(n));
        }
        assert!(log.subscribe(run(1), 0, true).backlog.is_empty());
        assert_eq!(log.subscribe(run(2), 0, true).backlog.len(), 1);
    }

    #[test]
    fn a_run_followed_again_after_it_ended_streams_again() {
        let log = EventLog::default();
        log.record(run(1), line(1));
        log.ended(run(1));
        log.record(run(1), line(2));
        let again = log.subscribe(run(1), 1, false);
        assert_eq!(numbers(&again.backlog), [2]);
        assert!(again.live.is_some());
    }
}
