//! A shape and one sentence for every special form, for hover and completion. The list of
//! names is the expander's `SPECIAL_FORMS`; a test checks that each has an entry here.

/// `(shape, description)` of a special form, or `None` if `name` is not one.
pub fn describe(name: &str) -> Option<(&'static str, &'static str)> {
    let entry = match name {
        "action" => (
            "(action body…)",
            "Inside a `state`: forms evaluated when the state runs.",
        ),
        "and" => (
            "(and form…)",
            "Evaluates forms left to right; the first falsy value, or the last value.",
        ),
        "await" => (
            "(await pattern :timeout duration?)",
            "Waits until an assertion matching the pattern is present and returns it (nil after the timeout). In a body, the pattern's `?x` variables stay bound for the forms after it.",
        ),
        "capabilities" => (
            "(capabilities cap…)",
            "Inside a `workflow`: the capabilities it asks for (`network`, `shell`, `workspace/read`, `workspace/write`).",
        ),
        "case" => (
            "(case value v1 e1 (v2 v3) e2 :else default)",
            "Compares a value with literal values; the expression of the first match, or the `:else` default.",
        ),
        "catch" => (
            "(catch e handler…)",
            "The last part of a `try` but `finally`: runs the handler with the thrown value bound to `e`.",
        ),
        "cond" => (
            "(cond test1 e1 test2 e2 … :else e)",
            "The expression after the first truthy test; `:else` as the last test gives a default.",
        ),
        "def" => (
            "(def name value)",
            "Defines a global; directly inside a `workflow`, declares a workflow variable.",
        ),
        "defmacro" => (
            "(defmacro name [params] body…)",
            "Defines a macro: a function from the call's unevaluated forms to the code that replaces it.",
        ),
        "defn" => (
            "(defn name \"doc\"? [a b & rest] body…)",
            "Defines a global function, with an optional docstring.",
        ),
        "do" => (
            "(do body…)",
            "Evaluates forms in order; the value of the last (nil when empty).",
        ),
        "enter" => (
            "(enter body…)",
            "Inside a `state`: forms run on every entry into the state.",
        ),
        "finally" => (
            "(finally cleanup…)",
            "The last part of a `try`: runs however the body ends.",
        ),
        "fn" => (
            "(fn name? [params] body…)",
            "A function; a name binds the function inside its own body.",
        ),
        "goto" => (
            "(goto state)",
            "Leaves the current state at once and enters the named state of the workflow.",
        ),
        "if" => (
            "(if test then else?)",
            "`then` when the test is truthy (anything but nil and false), else `else` or nil.",
        ),
        "import" => (
            "(import \"path.lisp\") / (import std/NAME)",
            "Loads the definitions of a file (relative to this one) or a standard library module.",
        ),
        "isolated" => (
            "(isolated body…)",
            "Runs the body in a private copy of the run's workspace (agents, `shell` and files inside act on it) and returns the attempt `<attempt ID VALUE>`: read it with `attempt-value`, `attempt-files`, `attempt-diff`; `adopt` applies its changes.",
        ),
        "let" => (
            "(let [name value …] body…)",
            "Binds locals in order (each sees the ones before it) and evaluates the body.",
        ),
        "loop" => (
            "(loop [name value …] body… (recur …))",
            "Binds locals and evaluates the body; `recur` in tail position starts it again with new values.",
        ),
        "match" => (
            "(match value pattern expr …)",
            "The expression of the first pattern that matches the value (nil if none); `?x` in a pattern binds `x`.",
        ),
        "on-asserted" => (
            "(on-asserted pattern body…)",
            "A handler, for the enclosing facet's lifetime, run each time a matching assertion appears.",
        ),
        "on-message" => (
            "(on-message pattern body…)",
            "A handler, for the enclosing facet's lifetime, run for each matching message.",
        ),
        "on-retracted" => (
            "(on-retracted pattern body…)",
            "A handler, for the enclosing facet's lifetime, run each time a matching assertion is withdrawn.",
        ),
        "or" => (
            "(or form…)",
            "Evaluates forms left to right; the first truthy value, or the last value.",
        ),
        "parallel" => (
            "(parallel e…)",
            "Runs each expression concurrently; a vector of the results in argument order.",
        ),
        "poll" => (
            "(poll expr :every duration :timeout duration?)",
            "Re-evaluates the expression, sleeping durably between tries, until it is truthy.",
        ),
        "quasiquote" => (
            "`form",
            "A template: the form as data, with `,x` and `,@xs` filled in.",
        ),
        "quote" => ("'form", "The form itself, as data, unevaluated."),
        "race" => (
            "(race e…)",
            "Runs each expression concurrently; the first result wins and the rest are stopped.",
        ),
        "record" => (
            "(record label field…)",
            "A record value `<label field …>`; in a pattern, matches records with that label.",
        ),
        "recur" => (
            "(recur value…)",
            "Jumps back to the nearest `loop` or function with new values; only in tail position.",
        ),
        "roles" => (
            "(roles (name :agent-kind kind …) …)",
            "Inside a `workflow`: declares the agents it talks to.",
        ),
        "set!" => (
            "(set! name value)",
            "Assigns a local, a global or a workflow variable.",
        ),
        "spawn" => (
            "(spawn body…)",
            "Runs the body concurrently in a child facet and returns the facet.",
        ),
        "state" => (
            "(state name body…)",
            "Inside a `workflow`: a state. Runs start in the first state declared.",
        ),
        "terminal" => (
            "(terminal :completed|:failed|:cancelled result?)",
            "Ends the workflow with a status (completed when omitted) and an optional result.",
        ),
        "try" => (
            "(try body… (catch e handler…)? (finally cleanup…)?)",
            "Evaluates the body; a thrown value goes to `catch`; `finally` always runs.",
        ),
        "unless" => (
            "(unless test body…)",
            "Evaluates the body when the test is falsy.",
        ),
        "unquote" => (",form", "Inside a quasiquote: the value of the form."),
        "unquote-splicing" => (
            ",@form",
            "Inside a quasiquote: the elements of the form's value, spliced in.",
        ),
        "when" => (
            "(when test body…)",
            "Evaluates the body when the test is truthy.",
        ),
        "workflow" => (
            "(workflow name (roles …) (def var value) (state name …) …)",
            "A workflow: roles, variables, capabilities and states; runs start in the first state.",
        ),
        _ => return None,
    };
    Some(entry)
}

/// The literal constants, completed and highlighted as keywords.
pub const CONSTANTS: &[&str] = &["true", "false", "nil"];

#[cfg(test)]
mod tests {
    use crate::expand::SPECIAL_FORMS;

    #[test]
    fn every_special_form_is_described() {
        for name in SPECIAL_FORMS {
            assert!(super::describe(name).is_some(), "{name}");
        }
    }
}
