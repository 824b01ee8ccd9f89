//! Where answers to a run's questions come from (`ask-user`, a role a `human` plays). The
//! terminal asks the person; `duet answer RUN TEXT` gives one answer up front; with no one to
//! ask, the run suspends and waits for `duet answer`.
//!
//! A source that can pose a question while other effects run (a [`Poser`]: the terminal)
//! has its questions posed as soon as the run asks them, so a question raced against a
//! timer is really asked, and whichever comes first wins. A question withdrawn before it
//! is answered (the timer won) takes nothing: what the person types next goes to the next
//! live question, or is refused as stale.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::effects::PersonQuestion;

/// A source of answers to questions.
pub trait Answers {
    /// The answer to `question`, or `None` when there is no one to ask now; the run then
    /// suspends until `duet answer`. An answer the question does not take is refused by the
    /// engine, and the question asked again.
    fn ask(&mut self, question: &PersonQuestion) -> Option<String>;

    /// A way to pose questions while the run's other effects go on, if this source has one.
    fn poser(&mut self) -> Option<Arc<dyn Poser>> {
        None
    }
}

/// An answer to come: `None` when no one will answer (the input ended).
pub type Answer = Pin<Box<dyn Future<Output = Option<String>> + Send>>;

/// Poses questions concurrently with the run's other effects.
pub trait Poser: Send + Sync {
    /// Shows `question` and waits for the answer. Dropping the future before it is ready
    /// withdraws the question and consumes nothing.
    fn pose(&self, question: PersonQuestion) -> Answer;
}

/// No one to ask: every question suspends the run.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOneToAsk;

impl Answers for NoOneToAsk {
    fn ask(&mut self, _question: &PersonQuestion) -> Option<String> {
        None
    }
}

/// Answers given in advance, in order (tests; a scripted session).
impl Answers for std::collections::VecDeque<String> {
    fn ask(&mut self, _question: &PersonQuestion) -> Option<String> {
        self.pop_front()
    }
}
