//! The engine's clock: the only way the wall clock reaches a durable run. It stamps journal
//! records and events, fixes the deadlines of timers (which are journaled, so the run's
//! state never depends on when it ran) and answers `(now)`. Tests set it by hand, so timers
//! fire at once at their deadline and nothing sleeps.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

/// A future that completes at a deadline.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Time as the engine sees it.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
    /// Completes once the clock reads `at` or later.
    fn sleep_until(&self, at: i64) -> Sleep;
}

/// The machine's clock; sleeps on tokio's timer.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        crate::effects::now_ms()
    }

    fn sleep_until(&self, at: i64) -> Sleep {
        let wait = at.saturating_sub(self.now_ms()).max(0) as u64;
        Box::pin(tokio::time::sleep(Duration::from_millis(wait)))
    }
}

/// A clock that moves only when told to, or when something sleeps: sleeping until a
/// deadline moves it there at once. Clones share one time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<AtomicI64>,
}

impl ManualClock {
    /// A clock reading `now`.
    pub fn new(now: i64) -> ManualClock {
        ManualClock {
            now: Arc::new(AtomicI64::new(now)),
        }
    }

    /// Sets the time.
    pub fn set(&self, now: i64) {
        self.now.store(now, Ordering::SeqCst);
    }

    /// Moves the time on by `ms`.
    pub fn advance(&self, ms: i64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }

    fn sleep_until(&self, at: i64) -> Sleep {
        self.now.fetch_max(at, Ordering::SeqCst);
        Box::pin(std::future::ready(()))
    }
}
