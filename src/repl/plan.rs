//! What an input needs: the REPL's session alone, or a workflow run. Prompting a role,
//! asking a person, waiting on the dataspace and running things concurrently only exist
//! inside a run (their results are journaled), so an input that does any of it is
//! evaluated as a one-state workflow run; everything else stays in the session, where
//! definitions persist between inputs.
//!
//! The decision is made on the input as read, before it is checked: a name that needs a
//! run, a role declared for the session, or a function defined at the prompt whose body
//! uses one of those sends the input to a run. A function that reaches such a name only
//! through a value it is given (a closure passed in) is not seen; calling it in the session
//! ends with the error that says it needs a workflow run.

use std::collections::BTreeSet;

use duet_lang::span::FileId;
use duet_lang::syntax::datum::{self, Datum, DatumKind};
use duet_lang::syntax::reader;

/// Names whose evaluation needs a workflow run.
const RUN_ONLY: &[&str] = &[
    "adopt",
    "ask-user",
    "assert",
    "attempt-diff",
    "await",
    "conversation",
    "forget",
    "isolated",
    "on-asserted",
    "on-message",
    "on-retracted",
    "parallel",
    "prompt",
    "race",
    "retract",
    "send!",
    "spawn",
];

/// The forms that define names at top level.
const DEFINING: &[&str] = &["def", "defn", "defmacro"];

/// How an input is evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// In the session: definitions persist.
    Session,
    /// `(roles …)`: the roles the session's prompts are asked of from now on.
    Roles,
    /// The input defines a workflow: it runs, as `duet run` runs a file's.
    Workflow,
    /// An expression that needs a run: evaluated as a one-state workflow run.
    Run,
}

/// Decides how inputs are evaluated, remembering what earlier ones defined.
#[derive(Debug, Default)]
pub struct Planner {
    /// Role names and functions defined at the prompt whose bodies need a run.
    needs_run: BTreeSet<String>,
}

impl Planner {
    /// How to evaluate `text`. A definition whose body needs a run is evaluated in the
    /// session, and the names it defines are remembered as needing one.
    pub fn plan(&mut self, text: &str) -> Plan {
        let forms = read(text);
        if forms.iter().any(|f| f.head_symbol() == Some("workflow")) {
            return Plan::Workflow;
        }
        if let [only] = forms.as_slice()
            && only.head_symbol() == Some("roles")
        {
            return Plan::Roles;
        }
        let needs = forms.iter().any(|f| self.mentions(f));
        let defining = !forms.is_empty()
            && forms
                .iter()
                .all(|f| f.head_symbol().is_some_and(|h| DEFINING.contains(&h)));
        if defining {
            if needs {
                self.needs_run.extend(forms.iter().filter_map(defined_name));
            }
            return Plan::Session;
        }
        if needs { Plan::Run } else { Plan::Session }
    }

    /// Roles now declared: prompts to them need a run.
    pub fn declare_roles(&mut self, names: impl IntoIterator<Item = String>) {
        self.needs_run.extend(names);
    }

    /// Forgets what earlier inputs defined (`:reset`).
    pub fn reset(&mut self) {
        self.needs_run.clear();
    }

    /// Whether `form` names something that needs a run (quoted data aside).
    fn mentions(&self, form: &Datum) -> bool {
        match &form.kind {
            DatumKind::Symbol(name) => {
                RUN_ONLY.contains(&name.as_str()) || self.needs_run.contains(name)
            }
            DatumKind::List(_) if form.head_symbol() == Some("quote") => false,
            DatumKind::List(items) | DatumKind::Vector(items) => {
                items.iter().any(|i| self.mentions(i))
            }
            DatumKind::Map(pairs) => pairs
                .iter()
                .any(|(k, v)| self.mentions(k) || self.mentions(v)),
            _ => false,
        }
    }
}

/// The names `(roles (NAME …) …)` declares.
pub fn role_names(roles: &str) -> Vec<String> {
    read(roles)
        .first()
        .and_then(Datum::as_list)
        .map(|items| {
            items
                .iter()
                .skip(1)
                .filter_map(|role| role.as_list()?.first()?.as_symbol().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The text of the first `(roles …)` form inside the first workflow of `text`, if any.
pub fn workflow_roles(text: &str) -> Option<String> {
    read(text)
        .iter()
        .find(|f| f.head_symbol() == Some("workflow"))?
        .as_list()?
        .iter()
        .find(|f| f.head_symbol() == Some("roles"))
        .map(|roles| text[roles.span.range.start as usize..roles.span.range.end as usize].into())
}

/// The top-level forms of `text` (what cannot be read is left to the check to report).
fn read(text: &str) -> Vec<Datum> {
    let file = FileId(0);
    let parse = reader::read(file, text);
    datum::data(file, text, &parse.root).0
}

/// The name `(def NAME …)`, `(defn NAME …)` or `(defmacro NAME …)` defines.
fn defined_name(form: &Datum) -> Option<String> {
    form.as_list()?.get(1)?.as_symbol().map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_code_stays_in_the_session() {
        let mut planner = Planner::default();
        assert_eq!(planner.plan("(+ 1 2)"), Plan::Session);
        assert_eq!(planner.plan("(defn f [x] (* x 2))"), Plan::Session);
        assert_eq!(planner.plan("(shell \"ls\")"), Plan::Session);
        assert_eq!(planner.plan("'(prompt writer \"hi\")"), Plan::Session);
    }

    #[test]
    fn prompts_questions_and_concurrency_need_a_run() {
        let mut planner = Planner::default();
        assert_eq!(planner.plan("(ask-user \"ok?\")"), Plan::Run);
        assert_eq!(
            planner.plan("(parallel (+ 1 1) (+ 2 2))"),
            Plan::Run,
            "parallel"
        );
        assert_eq!(
            planner.plan("(roles (w :agent-kind \"echo\"))"),
            Plan::Roles
        );
        planner.declare_roles(role_names("(roles (w :agent-kind \"echo\"))"));
        assert_eq!(planner.plan("(str (:text {:text w}))"), Plan::Run);
    }

    #[test]
    fn functions_that_prompt_are_remembered() {
        let mut planner = Planner::default();
        assert_eq!(
            planner.plan("(defn ask [r q] (prompt r q))"),
            Plan::Session,
            "the definition itself runs in the session"
        );
        assert_eq!(planner.plan("(ask 1 2)"), Plan::Run);
        planner.reset();
        assert_eq!(planner.plan("(ask 1 2)"), Plan::Session);
    }

    #[test]
    fn workflows_run_and_lend_their_roles() {
        let text = "(workflow w (roles (a :agent-kind \"echo\") (b :agent-kind \"echo\")) (state s (terminal)))";
        assert_eq!(Planner::default().plan(text), Plan::Workflow);
        let roles = workflow_roles(text).expect("roles");
        assert!(roles.starts_with("(roles (a"), "{roles}");
        assert_eq!(role_names(&roles), vec!["a".to_string(), "b".to_string()]);
    }
}
