//! A question for a person (`ask-user`, or a role a `human` plays): its text, the answers
//! it offers, and whether several of them may be chosen (`:multi true`). One place decides
//! which answers are taken, for the terminal, `duet answer` and replay alike.

use serde::{Deserialize, Serialize};

/// What separates the options chosen in an answer to a question taking several.
pub const SEPARATOR: char = ',';

/// A question for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonQuestion {
    /// The question.
    pub text: String,
    /// The answers offered; empty for any answer.
    pub options: Vec<String>,
    /// Whether the answer may choose several of `options`, separated by commas.
    pub several: bool,
}

impl PersonQuestion {
    /// The answer as it is journaled, or why it is not taken (for people: it ends so that
    /// "; answer again" or the like can follow). With several, the options chosen are
    /// journaled once each, in the order offered, separated by `", "`.
    pub fn accept(&self, answer: &str) -> Result<String, String> {
        if self.options.is_empty() {
            return Ok(answer.to_string());
        }
        if !self.several {
            return match self.options.iter().any(|o| o == answer) {
                true => Ok(answer.to_string()),
                false => Err(format!(
                    "`{answer}` is not one of the answers offered ({})",
                    self.options.join(", ")
                )),
            };
        }
        let chosen: Vec<&str> = answer
            .split(SEPARATOR)
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        if let Some(other) = chosen
            .iter()
            .find(|c| !self.options.iter().any(|o| o == *c))
        {
            return Err(format!(
                "`{other}` is not one of the answers offered ({}); choose one or more, separated by commas",
                self.options.join(", ")
            ));
        }
        if chosen.is_empty() {
            return Err(format!(
                "no answer was chosen; choose one or more of {}, separated by commas",
                self.options.join(", ")
            ));
        }
        let ordered: Vec<&str> = self
            .options
            .iter()
            .map(String::as_str)
            .filter(|o| chosen.contains(o))
            .collect();
        Ok(ordered.join(", "))
    }

    /// The options an answer (as [`PersonQuestion::accept`] journals it) chose, for a question
    /// taking several.
    pub fn chosen(answer: &str) -> Vec<String> {
        answer
            .split(SEPARATOR)
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// How the answers offered are shown to a person: `one of: a, b` or `one or more of:
    /// a, b (separated by commas)`; `None` when any answer goes.
    pub fn offer(&self, show: impl Fn(&str) -> String) -> Option<String> {
        if self.options.is_empty() {
            return None;
        }
        let options: Vec<String> = self.options.iter().map(|o| show(o)).collect();
        Some(match self.several {
            true => format!(
                "one or more of: {} (separated by commas)",
                options.join(", ")
            ),
            false => format!("one of: {}", options.join(", ")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question(options: &[&str], several: bool) -> PersonQuestion {
        PersonQuestion {
            text: "which?".into(),
            options: options.iter().map(|o| o.to_string()).collect(),
            several,
        }
    }

    #[test]
    fn one_answer_must_be_offered() {
        let q = question(&["yes", "no"], false);
        assert_eq!(q.accept("yes"), Ok("yes".into()));
        assert!(q.accept("maybe").unwrap_err().contains("(yes, no)"));
        assert!(q.accept("yes, no").is_err());
        assert_eq!(
            question(&[], false).accept("anything, at all"),
            Ok("anything, at all".into())
        );
    }

    #[test]
    fn several_answers_are_journaled_in_the_order_offered() {
        let q = question(&["lint", "test", "docs"], true);
        assert_eq!(q.accept("docs , lint"), Ok("lint, docs".into()));
        assert_eq!(q.accept("test,test"), Ok("test".into()));
        assert_eq!(PersonQuestion::chosen("lint, docs"), vec!["lint", "docs"]);
        assert!(q.accept("lint, deploy").unwrap_err().contains("`deploy`"));
        assert!(
            q.accept(" , ")
                .unwrap_err()
                .contains("no answer was chosen")
        );
    }
}
