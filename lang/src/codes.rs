//! The registry of diagnostic codes. A code never changes meaning once released; retired
//! codes stay reserved. `duet check --explain CODE` prints the explanation.

use crate::diagnostic::Severity;

/// A diagnostic code: stable id, severity, a short name and an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    /// `E0101`, `W0001`, …
    pub id: &'static str,
    /// Errors stop a program from running; warnings do not.
    pub severity: Severity,
    /// A kebab-case name, e.g. `unclosed-delimiter`.
    pub name: &'static str,
    /// A paragraph for `--explain`: what it means and how to fix it.
    pub explanation: &'static str,
}

macro_rules! codes {
    ($($konst:ident = $id:literal $sev:ident $name:literal $explanation:literal;)*) => {
        $(
            #[doc = $explanation]
            pub const $konst: Code = Code {
                id: $id,
                severity: Severity::$sev,
                name: $name,
                explanation: $explanation,
            };
        )*
        /// Every code, in id order.
        pub const ALL: &[Code] = &[$($konst),*];
    };
}

codes! {
    NOT_UTF8 = "E0100" Error "not-utf8"
        "The file is not valid UTF-8. Duet source must be UTF-8; re-save the file with that encoding.";
    UNCLOSED_DELIMITER = "E0101" Error "unclosed-delimiter"
        "An opening `(`, `[` or `{` has no matching closer. When a `(` starts a line at or left of the column of a form opened on an earlier line and still open (at the first column: a new top-level form; further in: a sibling of the form above), the indentation says that form should have been closed: the diagnostic points where its closer is probably missing, just before that line, and the forms after it are read as written. Otherwise it points at the opener; add the closer where the form should end.";
    UNEXPECTED_CLOSER = "E0102" Error "unexpected-closing-delimiter"
        "A `)`, `]` or `}` closes nothing that is open. Remove it, or add the opener it was meant to close.";
    MISMATCHED_DELIMITER = "E0103" Error "mismatched-delimiter"
        "A closer does not match the innermost open delimiter, e.g. `(let [a 1) …)`. Close the inner form first.";
    UNTERMINATED_STRING = "E0104" Error "unterminated-string"
        "A string literal has no closing `\"`. Strings may span lines, so the quote that opens the string running to the end of the file is often the closing quote of an earlier string: the diagnostic points at the first string with a line inside it that starts with `(` (code, not text), and nothing after it is reported, since code was read as text there.";
    UNTERMINATED_COMMENT = "E0105" Error "unterminated-block-comment"
        "A `#|` block comment has no matching `|#`. Block comments nest, so every `#|` inside needs its own `|#`.";
    BAD_ESCAPE = "E0106" Error "bad-escape"
        "A string contains a backslash escape that does not exist. The escapes are \\n \\t \\r \\\\ \\\" and \\u{HEX}; write \\\\ for a backslash.";
    ODD_MAP = "E0107" Error "odd-map"
        "A map literal `{…}` must hold key/value pairs, so it needs an even number of forms.";
    BAD_NUMBER = "E0108" Error "bad-number"
        "An atom starts like a number but is not one. Numbers look like 42, -7, 3.14, -0.5, 1e9 or 2.5e-3; integers must fit in 64 bits.";
    BAD_HASH = "E0109" Error "bad-hash-syntax"
        "`#` starts only `#|` block comments and `#;` datum comments.";
    MISSING_FORM = "E0110" Error "missing-form"
        "A prefix such as `'`, `` ` ``, `,`, `,@` or `#;` must be followed by a form.";
    BAD_KEYWORD = "E0111" Error "bad-keyword"
        "A keyword is `:` followed by a name, like `:timeout`.";
    TOO_DEEP = "E0112" Error "nesting-too-deep"
        "Forms are nested more deeply than the reader allows (256 levels), or code more deeply than the compiler allows (100,000 levels, which only a `cond` or `case` with about that many clauses reaches). Split the expression into named parts, or look values up in a map.";
    DUPLICATE_KEY = "E0113" Error "duplicate-map-key"
        "A map literal has the same constant key twice, e.g. `{:k 1 :k 2}`. A map holds one value per key, so one of the entries would be lost: remove it.";
    HIDDEN_CHARACTER = "E0114" Error "hidden-character-in-name"
        "A name (a symbol or keyword) contains a character that cannot be seen: a zero-width space or joiner, a bidirectional control, a non-breaking or other space, a control character. Two names that look the same would then be different names. Delete the character; strings may contain any character.";

    BAD_SPECIAL_FORM = "E0201" Error "malformed-special-form"
        "A special form is not written the way it must be, e.g. `(let [a] …)` or `(if)`. The message says what the form expects.";
    RECUR_NOT_TAIL = "E0202" Error "recur-not-in-tail-position"
        "`recur` jumps back to the nearest `loop` or function, so it must be the last thing that form evaluates.";
    RECUR_ARITY = "E0203" Error "recur-arity"
        "`recur` must pass exactly as many values as its `loop` has bindings or its function has parameters.";
    UNKNOWN_OPTION = "E0204" Error "unknown-option"
        "A keyword option is not one the form or builtin accepts.";
    IMPORT_FAILED = "E0205" Error "import-failed"
        "An `import` names a file that cannot be read, or a standard library module that does not exist.";
    IMPORT_CYCLE = "E0206" Error "import-cycle"
        "Files import each other in a cycle. Move the shared definitions into a file that both import.";
    MISPLACED_FORM = "E0207" Error "misplaced-form"
        "A form is used where it has no meaning, e.g. `goto` outside a state or `state` outside a workflow.";
    MACRO_FAILED = "E0208" Error "macro-expansion-failed"
        "A macro raised an error or produced something that is not code while it was being expanded.";
    MACRO_LIMIT = "E0209" Error "macro-expansion-limit"
        "Macro expansion went past a limit: macro calls nested more than 256 deep (usually a macro that expands into a call of itself without a base case), code nested more than 1,000 deep once macros are expanded, or more than 1,000,000 forms produced by the macros of one program. Give the recursion a base case, or build the repetition at run time with `loop` or `map` instead of in the expansion.";
    TOO_MANY_LOCALS = "E0210" Error "too-many-locals"
        "A function (or a file's top level) binds more than 60,000 local variables, more than a call frame can address. Split it into smaller functions, or keep the values in a vector or map.";
    BAD_DURATION = "E0211" Error "bad-duration"
        "A duration written in the program does not read: `sleep`, a `:timeout` of `prompt`, `shell` or `await`, and `poll`'s `:every` and `:timeout` take text like \"500ms\", \"30s\", \"5m\", \"6h\" or \"14d\", or a whole number of milliseconds. Caught when the program is checked, not when the run reaches it.";

    UNKNOWN_IDENTIFIER = "E0301" Error "unknown-identifier"
        "A name is used that is not defined here: not a local, a global, a role or a builtin.";
    ARITY = "E0302" Error "arity"
        "A function or form is called with the wrong number of arguments.";
    DUPLICATE_DEFINITION = "E0303" Error "duplicate-definition"
        "A top-level name is defined twice. Rename one, or use `set!` to change the value.";
    BAD_ASSIGNMENT = "E0304" Error "bad-assignment"
        "`set!` can assign locals, globals and workflow variables, not builtins, roles or undefined names.";

    UNKNOWN_STATE = "E0401" Error "unknown-state"
        "A `goto` names a state the workflow does not declare.";
    UNKNOWN_ROLE = "E0402" Error "unknown-role"
        "A `prompt` names a role the workflow does not declare in its `roles`.";
    DUPLICATE_STATE = "E0403" Error "duplicate-state"
        "Two states of one workflow have the same name.";
    DUPLICATE_ROLE = "E0404" Error "duplicate-role"
        "Two roles of one workflow have the same name.";
    DUPLICATE_WORKFLOW = "E0405" Error "duplicate-workflow"
        "Two workflows have the same name.";
    EMPTY_WORKFLOW = "E0406" Error "workflow-without-states"
        "A workflow needs at least one `state`; the first one declared is where it starts.";
    BAD_ROLE_OPTION = "E0407" Error "bad-role-option"
        "A role option has a value of the wrong kind, or `:agent-kind` names a kind that does not exist. Role options are literals, read when the run starts: `:agent-kind`, `:model`, `:system`, `:endpoint`, `:api-key-env`, `:command` and `:cwd` are strings; `:args` and `:tools` vectors of strings; `:max-tokens` a positive integer; `:memory` `:conversation` (the default) or `:none`; `:temperature` a number; `:timeout` a duration like \"10m\" or milliseconds. The kinds are echo, human, openai, anthropic, ollama, claude-code and codex.";

    UNUSED_BINDING = "W0001" Warning "unused-binding"
        "A local binding is never used. Remove it, or start its name with `_` to say it is unused on purpose.";
    UNREACHABLE_STATE = "W0002" Warning "unreachable-state"
        "No `goto` and no fall-through from an earlier state leads to this state, so it never runs.";
    NO_EXIT = "W0003" Warning "state-cannot-finish"
        "From this state no path leads to a `terminal` or to the end of the workflow, so a run that enters it can never finish.";
    SHADOWS_BUILTIN = "W0004" Warning "shadows-builtin"
        "A definition or local has the name of a builtin, which hides the builtin in its scope.";
    UNREACHABLE_CODE = "W0005" Warning "unreachable-code"
        "A form follows a `goto` or `terminal`, which leave the state at once, so it never runs.";
    SHADOWS_NAME = "W0006" Warning "shadows-name"
        "A workflow variable has the name of a role of the same workflow or of a global definition, or a role has the name of a global. Inside the workflow the name then means the variable (or the role): the role or global cannot be reached there, and a use meant for it silently reads the variable. Rename one of them.";
    UNKNOWN_LABEL = "W0007" Warning "unknown-record-label"
        "An `await` or `on-…` handler waits for a record whose label nothing makes: no `(record LABEL …)` in the program builds one, and the runtime only asserts `agent-response` and `agent-error` (an agent's answer). Such a wait can only end by its timeout; usually the label is misspelt.";
}

/// The code with id `id` (case-insensitive), if there is one.
pub fn lookup(id: &str) -> Option<Code> {
    ALL.iter().copied().find(|c| c.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_ordered() {
        for pair in ALL.windows(2) {
            assert!(
                pair[0].id < pair[1].id,
                "{} then {}",
                pair[0].id,
                pair[1].id
            );
        }
        assert_eq!(lookup("e0301"), Some(UNKNOWN_IDENTIFIER));
        assert_eq!(lookup("E9999"), None);
    }

    #[test]
    fn severity_matches_the_prefix() {
        for code in ALL {
            let expected = if code.id.starts_with('E') {
                Severity::Error
            } else {
                Severity::Warning
            };
            assert_eq!(code.severity, expected, "{}", code.id);
        }
    }
}
