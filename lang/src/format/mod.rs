//! `duet fmt`: the code formatter.
//!
//! [`format_source`] reads the text into the lossless tree ([`crate::syntax::reader`]),
//! refuses it if it has read errors, builds a document from the tree ([`printer`], using the
//! rules in [`rules`] and the comment handling in [`trivia`]) and lays the document out in
//! [`WIDTH`] columns ([`layout`], over the algebra in [`doc`]).
//!
//! # Conventions
//!
//! Indentation follows cljfmt's rule kinds (see [`rules`]): `inner 0` for definitions,
//! `block N` for binding and body forms, the default rule for calls, and alignment under the
//! first element for data. In calls, a keyword argument and the value after it stay on one
//! line (`:timeout "5m"`). Comments stay where they were (trailing comments on their line,
//! own-line comments on their own line at the code's indentation, block and datum comments
//! verbatim among the forms). At most one blank line is kept between forms, lines have no
//! trailing whitespace, a non-empty file ends with exactly one newline and an empty one stays
//! empty. Top-level forms each start a line. CRLF line ends become LF (except inside string
//! literals, which are printed exactly as written, newlines and trailing spaces included).
//! Widths count characters (Unicode scalar values).
//!
//! # Line breaks: the user's are kept, the formatter only adds
//!
//! The formatter combines cljfmt's "fix indentation, keep the layout" with width-aware line
//! breaking in the style of Gleam's "Strictly Pretty" printer:
//!
//! * A form written on one line stays on one line if it fits in 80 columns; if it does not, it
//!   is broken by its rule (`(if c` / then / else, arguments under the first argument, one
//!   binding pair per line, …).
//! * A form the user already broke over several lines keeps every line break the user wrote
//!   (except right after an opener and right before a closer, which Lisp style never has, and
//!   runs of blank lines, which become one). Only the indentation is fixed. Where the user did
//!   not break a line that is now too long, the formatter breaks it before the first element
//!   that no longer fits. In broken `cond`/`case`/`match` forms, binding vectors and maps,
//!   every pair starts a line.
//! * As in cljfmt, a `block N` form whose user put more than N arguments on the head's line
//!   (`(try (risky)` / `(catch …)`) is indented like a call: later lines under the first
//!   argument. If argument N+1 no longer fits on the head's line, it moves to the next line
//!   and the form is indented as a block after all; the decision is made while laying out
//!   ([`doc::Indent::Hanging`]), so the next run sees the same shape.
//!
//! So the formatter never joins lines the user split: `(defn greet [name]` followed by a body
//! on the next line stays that way even though the whole definition would fit on one line.
//! This is what lets the language reference's seed program (`examples/ping-pong.lisp`) be a
//! fixed point, and it is idempotent: a break the formatter adds is a
//! user line break the next time, and with more certain breaks every "does it fit" question
//! gets the same answer (see [`layout`]).
//!
//! Two rules exist for that seed program, which the formatter must leave byte for byte:
//!
//! * **A call keeps a sensible continuation indentation of the user's.** The seed breaks
//!   `(record agent-request "req-1"` and indents the next argument to column 16, under neither
//!   the first argument (column 28) nor any other cljfmt position, so no fixed rule reproduces
//!   it. When the first argument of a call stays on the head's line, all the call's
//!   continuation lines start at one column: that of the first continuation line the user
//!   wrote, taken relative to the indentation of the line the call starts on (so it moves with
//!   the code around it), if it is at least 2 more than that indentation and at most the first
//!   argument's column; otherwise, or if the user wrote none, the column of the first
//!   argument. Special forms and data are always indented exactly by their rules.
//! * **A space before a closing delimiter is kept**, as one space, when the user wrote
//!   whitespace there on the same line and the form keeps a line break the user wrote between
//!   two of its elements (the seed has `(record agent-request "req-2"` / `"…" )))`). Elsewhere
//!   whitespace before a closer is removed: `( a b )` becomes `(a b)`. Line breaks before a
//!   closer are always removed.

pub mod doc;
pub mod layout;
pub mod printer;
pub mod rules;
pub mod trivia;

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::span::FileId;
use crate::syntax::datum::data;
use crate::syntax::reader::read;
use crate::syntax::tree::SyntaxNode;

/// The target line width.
pub const WIDTH: usize = 80;

/// Formats Duet source text.
///
/// Returns the formatted text, or the read errors if the text has any (unbalanced
/// delimiters, unterminated strings or comments, bad escapes, numbers or keywords, maps with
/// an odd number of forms): a file that does not read is never reformatted. A duplicate map
/// key or a hidden character in a name is an error for `duet check`, but not one that keeps
/// the file from being laid out. The diagnostics carry [`FileId`]`(0)`, so render them with a
/// source map holding just this text.
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let file = FileId(0);
    let parse = read(file, text);
    if !parse.errors.is_empty() {
        return Err(parse.errors);
    }
    let (_, errors) = data(file, text, &parse.root);
    let layout_safe = [codes::DUPLICATE_KEY.id, codes::HIDDEN_CHARACTER.id];
    if errors
        .iter()
        .any(|d| d.is_error() && !layout_safe.contains(&d.code.id))
    {
        return Err(errors);
    }
    Ok(format_tree(text, &parse.root))
}

/// Formats a tree read from `text` without read errors. Trees with errors are printed on a
/// best-effort basis with their erroneous parts verbatim.
pub fn format_tree(text: &str, root: &SyntaxNode) -> String {
    let mut printer = printer::Printer::new(text);
    let doc = printer.root(root);
    let mut out = layout::layout(&doc, WIDTH, printer.marks(), text.len() + 64);
    let end = out.trim_end_matches([' ', '\t', '\n', '\r']).len();
    out.truncate(end);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        let out = format_source(text).unwrap_or_else(|e| panic!("{e:?}"));
        let again = format_source(&out).unwrap();
        assert_eq!(again, out, "not idempotent for {text:?}");
        out
    }

    #[test]
    fn a_prefix_chain_broken_by_whitespace_formats_once() {
        // Found by the `formatter` fuzz target: the chain was printed joined, but the lines
        // after a comment in it were indented from its second half, and from its start the
        // next time.
        assert_eq!(fmt("``\n ``;c\n;d\nx\n"), "````;c\n;d\nx\n");
        assert_eq!(fmt("' '\n x"), "''x\n");
    }

    /// The language reference's seed program (`examples/ping-pong.lisp`), byte for byte.
    const SEED: &str = r#"(workflow ping-pong
  (roles
    (planner :agent-kind "claude-code")
    (implementer :agent-kind "claude-code"))

  (state start
    (enter (log "Planner drafts the task"))
    (action (assert (record agent-request "req-1"
                "Draft a plan for adding OAuth to the CLI")))
    (await (record agent-response :field 0 :equals "req-1"))
    (goto implement))

  (state implement
    (action (assert (record agent-request "req-2"
                "Please expand this into actionable steps" )))
    (await (record agent-response :field 0 :equals "req-2"))
    (terminal)))
"#;

    #[test]
    fn the_seed_program_is_a_fixed_point() {
        assert_eq!(fmt(SEED), SEED);
    }

    #[test]
    fn the_reference_example_is_a_fixed_point() {
        let text =
            "(defn greet [name]\n  (let [msg (str \"hi \" name)]\n    (println msg)\n    msg))\n";
        assert_eq!(fmt(text), text);
    }

    #[test]
    fn empty_and_blank_files() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("  \n\n"), "");
        assert_eq!(fmt("x"), "x\n");
    }

    #[test]
    fn refuses_read_errors() {
        assert!(format_source("(a").is_err());
        assert!(format_source("{:a}").is_err());
        assert!(format_source("\"\\q\"").is_err());
        // Errors of meaning, not of reading, do not stop the layout.
        assert_eq!(fmt("{:k 1   :k 2}"), "{:k 1 :k 2}\n");
        assert_eq!(fmt("(def  a\u{200B}b 1)"), "(def a\u{200B}b 1)\n");
    }

    #[test]
    fn breaks_long_calls() {
        let long = format!(
            "(f {} {} {})",
            "a".repeat(30),
            "b".repeat(30),
            "c".repeat(30)
        );
        assert_eq!(
            fmt(&long),
            format!(
                "(f {}\n   {}\n   {})\n",
                "a".repeat(30),
                "b".repeat(30),
                "c".repeat(30)
            )
        );
    }

    #[test]
    fn reindents_special_forms() {
        assert_eq!(
            fmt("(when ok\n(println 1)\n      (println 2))"),
            "(when ok\n  (println 1)\n  (println 2))\n"
        );
    }

    #[test]
    fn block_forms_broken_only_before_the_closer() {
        // Found by the property tests: the `let` ends up on one line, so it must be laid
        // out as a one-line form the first time too.
        let text = "(defn #| c |# \"aawordaa\" :aaaaa--aa) #| block |# (do defn (let a?a-a-!!- 3.14\n  ) #| c |# defn)";
        fmt(text);
        assert_eq!(fmt("(try (a) (b)\n)"), "(try (a) (b))\n");
        let text = "(match aaa (aa-0 #| c |# :a-aa (defn aaa-aaa) #| c |# aaaaaaa-aaa #| c |# aaaaaaaaa) (enter aaa-aaaaaaa-aaaaaaaaaa #| c |# \"\\u{1F600}wordaax\n\"))";
        fmt(text);
    }

    #[test]
    fn block_fallback_aligns_under_the_first_argument() {
        let text = "(try (risky)\n     (catch e (log e)))\n";
        assert_eq!(fmt(text), text);
        assert_eq!(
            fmt("(try (risky)\n  (catch e 1))"),
            text.replace("(log e)", "1")
        );
        // When argument N+1 no longer fits on the head's line, it is a block after all.
        let x = "x".repeat(76);
        assert_eq!(
            fmt(&format!("(do ({x}) (a)\n(b))")),
            format!("(do\n  ({x})\n  (a)\n  (b))\n")
        );
        assert_eq!(fmt("(do (a) (b)\n(c))"), "(do (a) (b)\n    (c))\n");
    }

    #[test]
    fn prefix_chains_format_up_to_the_depth_limit() {
        let text = format!("({}x)", "'".repeat(200));
        let parse = read(FileId(0), &text);
        assert!(parse.errors.is_empty());
        assert_eq!(format_tree(&text, &parse.root), format!("{text}\n"));
        let too_deep = format!("({}x)", "'".repeat(5000));
        let errors = format_source(&too_deep).expect_err("nesting past the limit is a read error");
        assert_eq!(errors[0].code.id, "E0112");
    }

    #[test]
    fn unquote_of_an_at_symbol_keeps_its_space() {
        assert_eq!(fmt("`(a , @x)"), "`(a , @x)\n");
    }
}
