//! Property tests for the formatter: on generated Lisp-ish source (nested forms, atoms,
//! strings with escapes and line breaks, keywords, comments of every kind, blank lines and
//! random whitespace), formatting is idempotent and never changes what the text reads as.

use duet_lang::format::format_source;
use duet_lang::span::FileId;
use duet_lang::syntax::datum::{Datum, DatumKind, data};
use duet_lang::syntax::reader::read;
use proptest::prelude::*;

/// Reads `text` into data, panicking on read errors.
fn read_data(text: &str) -> Vec<Datum> {
    let parse = read(FileId(0), text);
    assert!(parse.errors.is_empty(), "read errors in {text:?}");
    let (data, errors) = data(FileId(0), text, &parse.root);
    // Generated maps may repeat a key: an error for `duet check`, not for reading.
    let errors: Vec<_> = errors
        .into_iter()
        .filter(|d| d.code.id != "E0113")
        .collect();
    assert!(errors.is_empty(), "read errors in {text:?}: {errors:?}");
    data
}

/// Structural equality of data, ignoring spans.
fn same(a: &Datum, b: &Datum) -> bool {
    use DatumKind::*;
    match (&a.kind, &b.kind) {
        (Nil, Nil) | (Error, Error) => true,
        (Bool(x), Bool(y)) => x == y,
        (Int(x), Int(y)) => x == y,
        (Float(x), Float(y)) => x.to_bits() == y.to_bits(),
        (Str(x), Str(y)) | (Keyword(x), Keyword(y)) | (Symbol(x), Symbol(y)) => x == y,
        (List(x), List(y)) | (Vector(x), Vector(y)) => same_all(x, y),
        (Map(x), Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((k1, v1), (k2, v2))| same(k1, k2) && same(v1, v2))
        }
        _ => false,
    }
}

fn same_all(a: &[Datum], b: &[Datum]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
}

fn symbol() -> BoxedStrategy<String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "defn", "defmacro", "fn", "workflow", "state", "let", "loop", "when", "unless",
            "if", "match", "case", "catch", "on-asserted", "def", "do", "try", "finally",
            "cond", "enter", "action", "spawn", "parallel", "race", "roles", "quote", "+",
            "->json", "ready?", "?x", "_", "&", "名前", "héllo", "record", "await", "goto",
        ])
        .prop_map(str::to_string),
        2 => "[a-z][a-z0-9?!*-]{0,14}",
        1 => "[a-z]{10,30}",
    ]
    .boxed()
}

fn string_literal() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a",
        "word",
        " ",
        "\\n",
        "\\t",
        "\\\"",
        "\\\\",
        "\\u{1F600}",
        "é",
        "✓",
        "x\n",
        "\r\n",
        ";",
        "(",
        "#|",
        "  ",
    ]);
    prop::collection::vec(piece, 0..8).prop_map(|p| format!("\"{}\"", p.concat()))
}

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => symbol(),
        1 => (-1000i64..1000).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec!["3.14", "-0.5", "1e9", "2.5e-3", "nil", "true", "false"])
            .prop_map(str::to_string),
        2 => "[a-z][a-z-]{0,10}".prop_map(|k| format!(":{k}")),
        2 => string_literal(),
    ]
}

/// Whitespace and comments between forms; each one is valid wherever whitespace is.
fn messy_gap() -> BoxedStrategy<&'static str> {
    prop::sample::select(vec![
        " ",
        " ",
        " ",
        " ",
        "  ",
        "\n",
        "\n",
        "\n  ",
        "\n\n",
        "\n\n\n    ",
        "\t",
        "\r\n",
        " ; trailing comment\n",
        "\n;; own line\n",
        "\n  ; indented\n   ",
        " #| block |# ",
        " #| two\n  lines |# ",
        " #;(skipped form) ",
        " #;\n  [x y] ",
        "\n        ",
    ])
    .boxed()
}

/// Gaps without line breaks: the formatter has to do all the breaking.
fn one_line_gap() -> BoxedStrategy<&'static str> {
    prop::sample::select(vec![
        " ",
        " ",
        " ",
        " ",
        "  ",
        "\t",
        " #| c |# ",
        " #;skip ",
    ])
    .boxed()
}

/// Gaps of hand-written code: mostly spaces, some line breaks with odd indentation.
fn code_gap() -> BoxedStrategy<&'static str> {
    prop::sample::select(vec![
        " ",
        " ",
        " ",
        " ",
        " ",
        " ",
        "\n  ",
        "\n    ",
        "\n ",
        "\n\n  ",
        "\n            ",
        " ; why\n  ",
    ])
    .boxed()
}

/// Joins forms with generated gaps.
fn joined(forms: Vec<String>, gaps: Vec<&'static str>) -> String {
    let mut out = String::new();
    for (i, f) in forms.iter().enumerate() {
        if i > 0 {
            out.push_str(gaps.get(i).copied().unwrap_or(" "));
        }
        out.push_str(f);
    }
    out
}

fn form(gap: fn() -> BoxedStrategy<&'static str>) -> impl Strategy<Value = String> {
    atom().prop_recursive(4, 64, 8, move |inner| {
        let elements = (
            prop::collection::vec(inner.clone(), 0..8),
            prop::collection::vec(gap(), 8),
            prop::sample::select(vec!["", "", "", " ", "\n  "]),
        );
        prop_oneof![
            4 => elements.clone().prop_map(|(f, g, end)| format!("({}{end})", joined(f, g))),
            1 => elements.clone().prop_map(|(f, g, end)| format!("[{}{end}]", joined(f, g))),
            1 => elements.prop_map(|(mut f, g, end)| {
                if f.len() % 2 == 1 {
                    f.pop();
                }
                format!("{{{}{end}}}", joined(f, g))
            }),
            1 => (prop::sample::select(vec!["'", "`", ",", ",@"]), inner)
                .prop_map(|(p, f)| format!("{p}{f}")),
        ]
    })
}

/// A call to a special form or function with long-ish names and nested calls: code that
/// needs breaking at 80 columns.
fn code(gap: fn() -> BoxedStrategy<&'static str>) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        3 => "[a-z]{3,12}(-[a-z]{3,10}){0,2}",
        1 => string_literal(),
        1 => "[a-z-]{2,12}".prop_map(|k| format!(":{k}")),
        1 => (0i64..100000).prop_map(|n| n.to_string()),
    ];
    leaf.prop_recursive(5, 80, 6, move |inner| {
        let args = (
            symbol(),
            prop::collection::vec(inner.clone(), 0..6),
            prop::collection::vec(gap(), 8),
        );
        prop_oneof![
            5 => args.clone().prop_map(|(head, mut f, g)| {
                f.insert(0, head);
                format!("({})", joined(f, g))
            }),
            1 => args.clone().prop_map(|(_, f, g)| format!("[{}]", joined(f, g))),
            1 => args.prop_map(|(_, mut f, g)| {
                if f.len() % 2 == 1 {
                    f.pop();
                }
                format!("{{{}}}", joined(f, g))
            }),
        ]
    })
}

fn program() -> impl Strategy<Value = String> {
    let forms = prop_oneof![
        2 => prop::collection::vec(form(messy_gap), 0..6),
        1 => prop::collection::vec(form(one_line_gap), 0..6),
        2 => prop::collection::vec(code(one_line_gap), 0..4),
        2 => prop::collection::vec(code(code_gap), 0..4),
    ];
    (
        forms,
        prop::collection::vec(messy_gap(), 6),
        prop::sample::select(vec!["", "\n", "\n\n\n", "  ", " ; end\n"]),
    )
        .prop_map(|(forms, gaps, end)| joined(forms, gaps) + end)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn formatting_is_idempotent_and_keeps_meaning(text in program()) {
        let once = format_source(&text).expect("generated programs read cleanly");
        let twice = format_source(&once).expect("formatted output reads cleanly");
        prop_assert_eq!(&twice, &once, "not idempotent; input {:?}", text);
        let before = read_data(&text);
        let after = read_data(&once);
        prop_assert!(same_all(&before, &after), "meaning changed:\n{}\n---\n{}", text, once);
        if !once.is_empty() {
            prop_assert!(once.ends_with('\n') && !once.ends_with("\n\n"));
        }
        prop_assert!(!once.contains("\n\n\n"), "two blank lines in\n{}", once);
    }

    #[test]
    fn no_trailing_whitespace_outside_strings(text in program()) {
        let once = format_source(&text).expect("generated programs read cleanly");
        // Lines that end inside a string literal may keep their trailing spaces.
        let mut in_string = false;
        let mut escaped = false;
        let mut in_comment = false;
        let mut line_end_ws = false;
        let mut prev = ' ';
        for c in once.chars() {
            let hash = prev == '#';
            prev = c;
            if c == '\n' {
                prop_assert!(in_string || !line_end_ws, "trailing whitespace in\n{}", once);
                in_comment = false;
            }
            line_end_ws = c == ' ' || c == '\t' || c == '\r';
            if in_comment {
                continue;
            }
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
            } else if c == '"' {
                in_string = true;
            } else if c == ';' && !hash {
                in_comment = true;
            }
        }
    }
}

#[test]
fn meaning_check_sees_differences() {
    let a = read_data("(a [b] {:c 1})");
    let b = read_data("(a [b] {:c 2})");
    assert!(!same_all(&a, &b));
    let c = read_data("(a\n  [b]\n  {:c 1})");
    assert!(same_all(&a, &c));
}
