//! Fuzzing the checker as `duet check` runs it: random programs that define and call macros
//! (self-recursive, exponential, quoting, building deep or wide code), with hidden
//! characters, duplicate map keys, long argument lists and unbalanced delimiters mixed in,
//! are read, expanded on a real session's VM, resolved, linted and rendered; those that
//! check clean are compiled and run under small limits. Nothing may panic or overflow the
//! stack, and the human report stays small. (Property tests rather than cargo-fuzz, so they
//! run on stable in `cargo test`.)

use duet::driver::{Limits, Session};
use duet_lang::frontend::NoLoader;
use duet_lang::render;
use proptest::prelude::*;

/// A macro body: what `(defmacro NAME [a b] BODY)` returns, built from its parameters.
fn macro_body() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "a",
        "b",
        "`(+ ,a ,b)",
        "`(m1 ,a ,b)",
        "`(m2 ,b ,a)",
        "`(do (m1 ,a ,b) (m2 ,a ,b))",
        "(if (= a 0) 1 `(+ (m1 ,(- a 1) ,b) (m1 ,(- a 1) ,b)))",
        "(if (number? a) (if (> a 0) `(m2 ,(- a 1) [,b]) b) a)",
        "'(m1 1 2)",
        "(list 'm3 a)",
        "(cons '+ (range (if (number? a) (mod a 300) 3)))",
        "(reduce (fn [acc _] (list 'do acc)) b (range 50))",
        "(let [x `(f ,a)] [x x x x])",
        "(throw (error \"no\"))",
        "(println a)",
        "{:k a :k b}",
        "(str a b)",
        "(gensym)",
        "nil",
        "(nth a 5)",
    ])
    .prop_map(str::to_string)
}

/// An expression of the program.
fn expr() -> impl Strategy<Value = String> {
    let leaf = prop::sample::select(vec![
        "0",
        "1",
        "7",
        "-3",
        "2.5",
        "\"s\"",
        ":k",
        "nil",
        "x",
        "(m1 1 2)",
        "(m1 x 0)",
        "(m2 0 x)",
        "(m3 x)",
        "(f x)",
        "ab\u{200B}c",
        "[1 2]",
        "{:a 1 :a 2}",
        "{1 1 1.0 2}",
        "(/ -9223372036854775808 -1)",
        "(sort [3 (/ 0.0 0.0) 1 2.5])",
        "(m1 1 2)",
        "(m2 3 (m1 0 0))",
        "(m3 4)",
        "(undefined 1)",
        "(",
        ")",
    ])
    .prop_map(str::to_string);
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            (
                prop::sample::select(vec!["m1", "m2", "m3", "+", "list", "println", "do", "f"]),
                prop::collection::vec(inner.clone(), 0..5)
            )
                .prop_map(|(head, args)| format!("({head} {})", args.join(" "))),
            prop::collection::vec(inner.clone(), 0..5).prop_map(|xs| format!("[{}]", xs.join(" "))),
            (inner.clone(), inner.clone()).prop_map(|(k, v)| format!("{{:key {k} :value {v}}}")),
            (inner.clone(), inner.clone(), inner)
                .prop_map(|(a, b, c)| format!("(cond {a} {b} :else {c})")),
        ]
    })
}

fn program() -> impl Strategy<Value = String> {
    (
        macro_body(),
        macro_body(),
        macro_body(),
        prop::collection::vec(expr(), 1..6),
        0usize..400,
    )
        .prop_map(|(b1, b2, b3, exprs, many)| {
            let long: Vec<String> = (0..many).map(|i| i.to_string()).collect();
            format!(
                "(defn f [x] x)\n(defmacro m1 [a b] {b1})\n(defmacro m2 [a b] {b2})\n(defmacro m3 [a & b] {b3})\n(def x 1)\n{}\n(println (+ {}))\n",
                exprs.join("\n"),
                long.join(" ")
            )
        })
}

/// Checks `text` in a fresh session as `duet check` does, renders the result, and runs it
/// under small limits when it checks clean.
fn check_and_run(text: &str) -> Result<(), TestCaseError> {
    let limits = Limits {
        max_steps: 200_000,
        max_memory: 32 << 20,
        ..Limits::default()
    };
    let mut session = Session::new(limits);
    let checked = session.check("fuzz.lisp", text.as_bytes(), &mut NoLoader);
    let human = render::human(
        &checked.diagnostics,
        &checked.sources,
        render::Style { color: false },
    );
    prop_assert!(
        human.len() <= 60 * 4_000,
        "{} bytes of diagnostics",
        human.len()
    );
    for d in &checked.diagnostics {
        render::json(d, &checked.sources);
    }
    if !checked.has_errors() {
        let fid = session.load(&checked);
        let _ = session.run(fid, &mut std::io::sink(), &mut std::io::sink());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn checking_and_running_macro_soup_never_panics(text in program()) {
        // As in the binary: the checker recurses over code as deep as its limits allow.
        let result = std::thread::Builder::new()
            .stack_size(256 << 20)
            .spawn(move || check_and_run(&text).map_err(|e| (e, text)))
            .expect("a thread")
            .join()
            .expect("no panic");
        if let Err((e, text)) = result {
            return Err(TestCaseError::fail(format!("{e}\nprogram:\n{text}")));
        }
    }
}
