//! Where answers to a run's questions come from (`ask-user`, a role a `human` plays). The
//! terminal asks the person; `duet answer RUN TEXT` gives one answer up front; with no one to
//! ask, the run suspends and waits for `duet answer`.

/// A source of answers to questions.
pub trait Answers {
    /// The answer to `question` (offered `options`, if any), or `None` when there is no one
    /// to ask now; the run then suspends until `duet answer`.
    fn ask(&mut self, question: &str, options: &[String]) -> Option<String>;
}

/// No one to ask: every question suspends the run.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOneToAsk;

impl Answers for NoOneToAsk {
    fn ask(&mut self, _question: &str, _options: &[String]) -> Option<String> {
        None
    }
}

/// Answers given in advance, in order (tests; a scripted session).
impl Answers for std::collections::VecDeque<String> {
    fn ask(&mut self, _question: &str, _options: &[String]) -> Option<String> {
        self.pop_front()
    }
}
