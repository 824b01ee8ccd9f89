//! The indentation rules table: how each special form is laid out, in cljfmt's terms.
//!
//! | rule | forms | layout when broken |
//! |---|---|---|
//! | inner 0 | `defn defmacro fn workflow state` | name (and params) on the first line, every other form indented 2 from the open paren |
//! | block 1 | `let loop when unless if match case catch on-asserted on-retracted on-message def` | head and first argument on the first line, the rest indented 2 |
//! | block 0 | `do try finally cond enter action spawn isolated parallel race roles capabilities` | head alone on the first line, every form indented 2 |
//! | default | any other call | first argument on the head's line and the rest aligned under it; or, when the user put the first argument on its own line, everything indented 1 |
//!
//! As in cljfmt, a `block N` form with more than N arguments on its first line (as the user
//! wrote it) is laid out like a call instead. In calls, a keyword argument and its value stay
//! on one line.
//!
//! `cond` (after the head) and `case`/`match` (after the value) hold test/expression pairs,
//! and `let`/`loop` binding vectors hold name/value pairs: when broken, each pair gets a line.
//! Vectors, maps and quoted lists are data: elements aligned under the first element, maps
//! one key/value pair per line.

/// How a special form is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// cljfmt `inner 0`: the forms named by the header stay on the head's line, everything
    /// else is indented 2 from the open paren.
    Inner(Header),
    /// cljfmt `block N`: the head and `args` arguments on the first line, the rest indented 2.
    Block {
        /// How many arguments share the head's line.
        args: usize,
        /// Whether the forms after those arguments come in pairs (`cond`, `case`, `match`).
        pairs: bool,
        /// Whether the first argument, if a vector, is a binding vector (`let`, `loop`).
        bindings: bool,
    },
}

/// Which arguments of an `inner 0` form stay on the head's line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// The name: `(workflow NAME`, `(state NAME`.
    Name,
    /// The name, and the parameter vector if it comes right after it (no docstring):
    /// `(defn NAME [PARAMS]`.
    NameParams,
    /// An optional name and the parameter vector: `(fn [PARAMS]`, `(fn NAME [PARAMS]`.
    OptionalNameParams,
}

const fn block(args: usize) -> Rule {
    Rule::Block {
        args,
        pairs: false,
        bindings: false,
    }
}

/// The table. Heads not listed are ordinary calls.
const RULES: &[(&str, Rule)] = &[
    ("defn", Rule::Inner(Header::NameParams)),
    ("defmacro", Rule::Inner(Header::NameParams)),
    ("fn", Rule::Inner(Header::OptionalNameParams)),
    ("workflow", Rule::Inner(Header::Name)),
    ("state", Rule::Inner(Header::Name)),
    (
        "let",
        Rule::Block {
            args: 1,
            pairs: false,
            bindings: true,
        },
    ),
    (
        "loop",
        Rule::Block {
            args: 1,
            pairs: false,
            bindings: true,
        },
    ),
    ("when", block(1)),
    ("unless", block(1)),
    ("if", block(1)),
    (
        "match",
        Rule::Block {
            args: 1,
            pairs: true,
            bindings: false,
        },
    ),
    (
        "case",
        Rule::Block {
            args: 1,
            pairs: true,
            bindings: false,
        },
    ),
    ("catch", block(1)),
    ("on-asserted", block(1)),
    ("on-retracted", block(1)),
    ("on-message", block(1)),
    ("def", block(1)),
    ("do", block(0)),
    ("try", block(0)),
    ("finally", block(0)),
    (
        "cond",
        Rule::Block {
            args: 0,
            pairs: true,
            bindings: false,
        },
    ),
    ("enter", block(0)),
    ("action", block(0)),
    ("spawn", block(0)),
    ("isolated", block(0)),
    ("parallel", block(0)),
    ("race", block(0)),
    ("roles", block(0)),
    ("capabilities", block(0)),
];

/// The rule for a form whose head is the symbol `head`, if it is a special form.
pub fn rule(head: &str) -> Option<Rule> {
    RULES
        .iter()
        .find(|(name, _)| *name == head)
        .map(|(_, r)| *r)
}

/// Whether a form with head `head` takes its arguments as data (`quote`).
pub fn quotes_arguments(head: &str) -> bool {
    head == "quote"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_lookups() {
        assert_eq!(rule("defn"), Some(Rule::Inner(Header::NameParams)));
        assert_eq!(rule("when"), Some(block(1)));
        assert_eq!(rule("do"), Some(block(0)));
        assert_eq!(rule("println"), None);
        assert!(matches!(
            rule("let"),
            Some(Rule::Block { bindings: true, .. })
        ));
        assert!(matches!(
            rule("cond"),
            Some(Rule::Block {
                args: 0,
                pairs: true,
                ..
            })
        ));
    }

    #[test]
    fn every_form_listed_once() {
        for (i, (name, _)) in RULES.iter().enumerate() {
            assert!(RULES[i + 1..].iter().all(|(n, _)| n != name), "{name}");
        }
    }
}
