//! The editors' vocabularies (Vim, Emacs, the VS Code TextMate grammar) are generated from
//! the one source in the binary, `duet_lang::vocabulary` (the special forms and the builtin
//! table): this test regenerates each and fails when a file differs, naming the words that
//! are missing or extra. `DUET_BLESS=1 cargo test --test editor_vocabulary` rewrites the
//! files; review the diff.

use std::path::{Path, PathBuf};

use duet_lang::vocabulary::{self, Class};

const BEGIN: &str = "BEGIN GENERATED VOCABULARY";
const END: &str = "END GENERATED VOCABULARY";

fn editors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("editors")
}

fn words(class: Class) -> Vec<&'static str> {
    vocabulary::classes()
        .into_iter()
        .find(|(c, _)| *c == class)
        .map(|(_, w)| w)
        .unwrap_or_default()
}

/// `items` after `first`, wrapped before column 79 with each further line starting `indent`.
fn wrapped(first: &str, items: &[String], indent: &str, close: &str) -> String {
    let mut out = String::new();
    let mut line = first.to_string();
    for (i, item) in items.iter().enumerate() {
        let last = i + 1 == items.len();
        let piece = if last {
            format!("{item}{close}")
        } else {
            item.clone()
        };
        let separator = if line.ends_with(['[', '(']) || line == indent {
            ""
        } else {
            " "
        };
        if line.len() + separator.len() + piece.len() > 78 && line != indent {
            out.push_str(line.trim_end());
            out.push('\n');
            line = format!("{indent}{piece}");
        } else {
            line.push_str(separator);
            line.push_str(&piece);
        }
    }
    out.push_str(&line);
    out.push('\n');
    out
}

const CLASSES: [(Class, &str, &str, &str); 4] = [
    (
        Class::SpecialForm,
        "special_forms",
        "duet-special-forms",
        "Core special forms of Duet.",
    ),
    (
        Class::Workflow,
        "workflow_forms",
        "duet-workflow-forms",
        "Workflow, dataspace and concurrency forms of Duet.",
    ),
    (
        Class::Effect,
        "effects",
        "duet-effect-forms",
        "Effects: forms whose result comes from outside and is journaled.",
    ),
    (
        Class::Builtin,
        "builtins",
        "duet-builtins",
        "Functions of the Duet prelude.",
    ),
];

fn vim_block() -> String {
    let mut out = String::new();
    for (class, name, _, _) in CLASSES {
        let items: Vec<String> = words(class)
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let comma = if i + 1 < words(class).len() { "," } else { "" };
                format!("'{w}'{comma}")
            })
            .collect();
        out.push_str(&wrapped(
            &format!("let s:{name} = ["),
            &items,
            "      \\ ",
            "]",
        ));
    }
    out
}

fn emacs_block() -> String {
    let mut out = String::new();
    for (i, (class, _, name, doc)) in CLASSES.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("(defconst {name}\n"));
        let items: Vec<String> = words(*class).iter().map(|w| format!("\"{w}\"")).collect();
        out.push_str(&wrapped("  '(", &items, "    ", ")"));
        out.push_str(&format!("  \"{doc}\")\n"));
    }
    out
}

/// The TextMate `match` of a class: its words in head position, longest first.
fn textmate_match(class: Class) -> String {
    let mut ws = words(class);
    ws.sort_by(|a, b| b.len().cmp(&a.len()).then(b.cmp(a)));
    let alternatives: Vec<String> = ws
        .iter()
        .map(|w| {
            w.chars()
                .map(|c| {
                    if "\\^$.|?*+()[]{}".contains(c) {
                        format!("\\{c}")
                    } else {
                        c.to_string()
                    }
                })
                .collect()
        })
        .collect();
    format!(
        "(?<=\\()(?:{})(?=[\\s()\\[\\]{{}}\";,]|$)",
        alternatives.join("|")
    )
}

fn scope(class: Class) -> &'static str {
    match class {
        Class::SpecialForm => "keyword.control.special.duet",
        Class::Workflow => "keyword.control.workflow.duet",
        Class::Effect => "keyword.control.effect.duet",
        Class::Builtin => "support.function.builtin.duet",
    }
}

/// `text` with the lines between the markers replaced by `block`.
fn between_markers(text: &str, block: &str, file: &str) -> String {
    let begin = text
        .find(BEGIN)
        .unwrap_or_else(|| panic!("{file} has no `{BEGIN}` line"));
    let start = text[begin..]
        .find('\n')
        .map(|i| begin + i + 1)
        .expect("a line end");
    let end = text[start..]
        .find(END)
        .map(|i| start + i)
        .unwrap_or_else(|| panic!("{file} has no `{END}` line"));
    let end = text[..end].rfind('\n').map_or(start, |i| i + 1);
    format!("{}{block}{}", &text[..start], &text[end..])
}

/// The grammar with the `match` of each class's pattern regenerated: the `"match"` line
/// right before the pattern's `"name"` line.
fn textmate(text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for (class, ..) in CLASSES {
        let name = format!("\"name\": \"{}\"", scope(class));
        let m = (0..lines.len().saturating_sub(1))
            .find(|&i| {
                lines[i].trim_start().starts_with("\"match\": ") && lines[i + 1].contains(&name)
            })
            .unwrap_or_else(|| panic!("the grammar has no pattern named {}", scope(class)));
        let indent: String = lines[m].chars().take_while(|c| *c == ' ').collect();
        let json = serde_json::to_string(&textmate_match(class)).expect("a JSON string");
        lines[m] = format!("{indent}\"match\": {json},");
    }
    let mut out = lines.join("\n");
    if text.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Compares (or with `DUET_BLESS=1` rewrites) one generated file.
fn check(relative: &str, generate: impl Fn(&str) -> String, failures: &mut Vec<String>) {
    let path = editors().join(relative);
    let text = std::fs::read_to_string(&path).expect("the editor file is readable");
    let expected = generate(&text);
    if expected == text {
        return;
    }
    if std::env::var_os("DUET_BLESS").is_some() {
        std::fs::write(&path, &expected).expect("write the editor file");
        return;
    }
    let line = text
        .lines()
        .zip(expected.lines())
        .position(|(a, b)| a != b)
        .map_or_else(|| "the end".to_string(), |i| format!("line {}", i + 1));
    failures.push(format!(
        "editors/{relative} differs from the vocabulary at {line}"
    ));
}

#[test]
fn editor_vocabularies_match_the_builtin_table() {
    let mut failures = Vec::new();
    check(
        "vim/syntax/duet.vim",
        |t| between_markers(t, &vim_block(), "duet.vim"),
        &mut failures,
    );
    check(
        "emacs/duet-mode.el",
        |t| between_markers(t, &emacs_block(), "duet-mode.el"),
        &mut failures,
    );
    check(
        "vscode/syntaxes/duet.tmLanguage.json",
        textmate,
        &mut failures,
    );
    assert!(
        failures.is_empty(),
        "{}\nthe builtins or special forms changed: run `DUET_BLESS=1 cargo test --test editor_vocabulary` and review the diff",
        failures.join("\n")
    );
}

#[test]
fn the_vocabulary_holds_the_builtins_editors_used_to_miss() {
    // 28 builtins were missing in all three editors, among them these.
    let builtins = words(Class::Builtin);
    for name in ["=", "<", "nil?", "even?", "println", "map"] {
        assert!(builtins.contains(&name), "{name} in {builtins:?}");
    }
    let generated = vim_block() + &emacs_block() + &textmate_match(Class::Builtin);
    for needle in ["'nil?'", "\"even?\"", "|nil\\?|", "|<=|"] {
        assert!(generated.contains(needle), "{needle} in {generated}");
    }
}
