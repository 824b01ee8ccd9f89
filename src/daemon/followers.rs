//! The threads the daemon follows its runs on: a fixed pool, each thread one current-thread
//! tokio runtime driving any number of runs as tasks of a `LocalSet`. A run waiting on a
//! timer, an agent or a person is a parked task — no thread, no stack of its own — so a
//! thousand sleeping runs cost a thousand small futures, not a thousand threads.
//!
//! Why a pool and not one runtime: a run's follower holds the ports of the command or
//! daemon following it (`&mut dyn Observer`, `&mut dyn Answers`), so its future is not
//! `Send` and cannot move between a multi-thread runtime's workers; it stays on the thread
//! it started on. And a run's turn blocks its thread while the journal is made durable
//! (fdatasync) and while a checkpoint runs `git`: with several threads, runs waking together
//! write at once and the store commits their turns in groups, where one thread would make
//! them wait for each other's syncs.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// A run to follow: made on the thread asking, turned into its future on a follower thread.
pub type Job = Box<dyn FnOnce() -> Pin<Box<dyn Future<Output = ()>>> + Send>;

/// The stack of a follower thread: a run's VM recurses as the command's main thread does,
/// and only the pages used are touched. The runs of a thread take turns on it.
const STACK: usize = 1 << 30;

/// How many follower threads a daemon keeps.
pub const THREADS: usize = 4;

/// The pool of follower threads.
pub struct Followers {
    queues: Vec<UnboundedSender<Job>>,
    next: AtomicUsize,
}

impl Followers {
    /// Starts `threads` follower threads.
    pub fn start(threads: usize) -> Result<Followers, String> {
        let mut queues = Vec::with_capacity(threads);
        for n in 0..threads.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start a runtime to follow runs on: {e}"))?;
            let (queue, mut jobs) = unbounded_channel::<Job>();
            std::thread::Builder::new()
                .name(format!("followers {n}"))
                .stack_size(STACK)
                .spawn(move || {
                    let local = tokio::task::LocalSet::new();
                    local.block_on(&runtime, async move {
                        while let Some(job) = jobs.recv().await {
                            tokio::task::spawn_local(job());
                        }
                    });
                })
                .map_err(|e| format!("cannot start a thread to follow runs on: {e}"))?;
            queues.push(queue);
        }
        Ok(Followers {
            queues,
            next: AtomicUsize::new(0),
        })
    }

    /// Follows `job` on the next thread in turn.
    pub fn follow(&self, job: Job) -> Result<(), String> {
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.queues.len();
        self.queues[n]
            .send(job)
            .map_err(|_| "the daemon's follower threads have stopped".to_string())
    }
}
