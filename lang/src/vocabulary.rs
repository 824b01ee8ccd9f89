//! The names an editor highlights in head position, in classes, from one source: the
//! expander's special forms and the builtin table. The editor packages (`editors/`) are
//! generated from [`classes`] (a test fails when they drift; `DUET_BLESS=1` regenerates
//! them), and the language server's completion reads the same tables, so a new builtin or
//! special form reaches every editor by itself.

use crate::builtins::BUILTINS;
use crate::expand::{SPECIAL_FORMS, is_internal};

/// How an editor shows a name in head position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Core special forms: `if`, `let`, `defn`, …
    SpecialForm,
    /// Workflow, dataspace and concurrency forms: `state`, `await`, `assert`, `spawn`, …
    Workflow,
    /// Effects, whose result comes from outside and is journaled: `prompt`, `shell`, …
    Effect,
    /// Every other builtin function: `map`, `str`, `+`, …
    Builtin,
}

/// The workflow, dataspace and concurrency forms (special forms and builtins).
pub const WORKFLOW: &[&str] = &[
    "action",
    "assert",
    "await",
    "capabilities",
    "enter",
    "goto",
    "isolated",
    "on-asserted",
    "on-message",
    "on-retracted",
    "parallel",
    "race",
    "record",
    "retract",
    "roles",
    "send!",
    "spawn",
    "state",
    "stop",
    "terminal",
    "workflow",
];

/// The effects (special forms and builtins).
pub const EFFECTS: &[&str] = &[
    "adopt",
    "ask-user",
    "attempt-diff",
    "list-files",
    "now",
    "poll",
    "prompt",
    "random-int",
    "read-file",
    "shell",
    "sleep",
    "sleep-until",
    "uuid",
    "write-file",
];

/// Builtins written as core forms in the language reference, shown as special forms.
pub const CORE_BUILTINS: &[&str] = &["error", "gensym", "throw"];

/// The class of `name`, if it is a special form or a builtin programs can call.
pub fn class_of(name: &str) -> Option<Class> {
    let known = SPECIAL_FORMS.contains(&name)
        || BUILTINS
            .iter()
            .any(|b| b.name == name && !is_internal(b.name));
    if !known {
        return None;
    }
    Some(if WORKFLOW.contains(&name) {
        Class::Workflow
    } else if EFFECTS.contains(&name) {
        Class::Effect
    } else if SPECIAL_FORMS.contains(&name) || CORE_BUILTINS.contains(&name) {
        Class::SpecialForm
    } else {
        Class::Builtin
    })
}

/// The names of each class, sorted: every special form and every builtin but the internal
/// `%…` ones, each in exactly one class.
pub fn classes() -> Vec<(Class, Vec<&'static str>)> {
    let mut names: Vec<&'static str> = SPECIAL_FORMS
        .iter()
        .copied()
        .chain(BUILTINS.iter().map(|b| b.name))
        .filter(|n| !is_internal(n))
        .collect();
    names.sort_unstable();
    names.dedup();
    [
        Class::SpecialForm,
        Class::Workflow,
        Class::Effect,
        Class::Builtin,
    ]
    .into_iter()
    .map(|class| {
        let members = names
            .iter()
            .copied()
            .filter(|n| class_of(n) == Some(class))
            .collect();
        (class, members)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_exists_and_every_name_has_one_class() {
        for name in WORKFLOW.iter().chain(EFFECTS).chain(CORE_BUILTINS) {
            assert!(
                class_of(name).is_some(),
                "`{name}` is neither a special form nor a builtin"
            );
        }
        let all: Vec<&str> = classes().into_iter().flat_map(|(_, n)| n).collect();
        for b in BUILTINS.iter().filter(|b| !is_internal(b.name)) {
            assert_eq!(
                all.iter().filter(|n| **n == b.name).count(),
                1,
                "{}",
                b.name
            );
        }
        assert!(all.iter().all(|n| !n.starts_with('%')));
        assert_eq!(class_of("%to-list"), None);
        assert_eq!(class_of("if"), Some(Class::SpecialForm));
        assert_eq!(class_of("even?"), Some(Class::Builtin));
    }
}
