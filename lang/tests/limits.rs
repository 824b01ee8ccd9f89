//! Limits that keep hostile programs from exhausting the checker: macro expansion depth and
//! size, and how deeply expanded code may nest. The macros here run on a host written in
//! Rust that returns canned expansions, so the limits are tested without a VM. The checker
//! recurses over code as deep as its limits allow, so (as in the `duet` binary, which runs
//! on a 1 GiB stack) these run on a thread with a large stack.

use duet_lang::codes;
use duet_lang::compile::Compiler;
use duet_lang::core::{Macro, Module};
use duet_lang::expand::{MAX_EXPANSION_FORMS, MAX_EXPR_DEPTH, MacroHost};
use duet_lang::frontend::{Checked, NoLoader, check_source};
use duet_lang::source::SourceMap;
use duet_lang::syntax::datum::{Datum, DatumKind};

/// Expands `(m N)` into `(do (do … (m N-1)))` with `wrap` levels of `do`, or into a vector
/// of `copies` such calls when `copies` is set, and `(m 0)` into `1`; any other macro into a
/// call of itself (`(x)` → `(x)`).
struct Host {
    wrap: usize,
    copies: usize,
    calls: usize,
}

impl MacroHost for Host {
    fn expand(
        &mut self,
        _sources: &SourceMap,
        _module: &Module,
        mac: &Macro,
        call: &Datum,
        max_forms: usize,
    ) -> Result<Datum, String> {
        self.calls += 1;
        let at = |kind| Datum::new(kind, call.span);
        let sym = |name: &str| at(DatumKind::Symbol(name.into()));
        if mac.name != "m" {
            return Ok(call.clone());
        }
        let n = match call
            .as_list()
            .and_then(|items| items.get(1))
            .map(|d| &d.kind)
        {
            Some(DatumKind::Int(n)) => *n,
            _ => return Err("expected a count".into()),
        };
        if n == 0 {
            return Ok(at(DatumKind::Int(1)));
        }
        let mut form = at(DatumKind::List(vec![sym("m"), at(DatumKind::Int(n - 1))]));
        if self.copies > 0 {
            if 3 * self.copies + 1 > max_forms {
                return Err(format!(
                    "{} {max_forms} forms",
                    duet_lang::expand::TOO_LARGE
                ));
            }
            return Ok(at(DatumKind::Vector(vec![form; self.copies])));
        }
        for _ in 0..self.wrap {
            form = at(DatumKind::List(vec![sym("do"), form]));
        }
        Ok(form)
    }
}

fn check(text: &str, host: &mut Host) -> Checked {
    check_source("test.lisp", text, &mut NoLoader, Some(host))
}

/// Runs `f` on a thread with a 256 MiB stack.
fn on_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(f)
        .expect("a thread")
        .join()
        .expect("the test passes");
}

fn codes_of(checked: &Checked) -> Vec<&'static str> {
    checked.diagnostics.iter().map(|d| d.code.id).collect()
}

#[test]
fn a_macro_that_expands_into_itself_stops_with_one_error_at_the_call() {
    on_big_stack(|| {
        let mut host = Host {
            wrap: 0,
            copies: 0,
            calls: 0,
        };
        let checked = check("(defmacro x [] '(x))\n(println (x))", &mut host);
        assert_eq!(codes_of(&checked), vec![codes::MACRO_LIMIT.id]);
        let d = &checked.diagnostics[0];
        assert_eq!(d.message, "macro `x` expanded more than 256 levels deep");
        assert_eq!(checked.sources.slice(d.span), "(x)");
        assert_eq!(
            checked
                .sources
                .get(d.span.file)
                .line_col(d.span.range.start as usize),
            (2, 10)
        );
        assert!(host.calls <= 257, "{} expansions", host.calls);
    });
}

#[test]
fn code_nested_too_deeply_by_macros_is_an_error_not_a_stack_overflow() {
    on_big_stack(|| {
        // 50 nested expansions of 30 levels each: 1,500 levels, past the limit of 1,000.
        let mut host = Host {
            wrap: 30,
            copies: 0,
            calls: 0,
        };
        let checked = check("(defmacro m [n] n)\n(println (m 50))", &mut host);
        assert_eq!(codes_of(&checked), vec![codes::MACRO_LIMIT.id]);
        assert!(
            checked.diagnostics[0]
                .message
                .contains("nested more than 1000 levels deep"),
            "{}",
            checked.diagnostics[0].message
        );
    });
}

#[test]
fn code_nested_just_under_the_limit_checks_lints_and_compiles() {
    on_big_stack(|| {
        // 30 expansions of 30 levels: about 930 levels, under the limit. Every pass over the
        // core forms (lints, the compiler, dropping them) must cope on a test thread's stack.
        let mut host = Host {
            wrap: 30,
            copies: 0,
            calls: 0,
        };
        let checked = check("(defmacro m [n] n)\n(println (m 30))", &mut host);
        assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
        const { assert!(30 * 31 < MAX_EXPR_DEPTH) };
        let mut compiler = Compiler::new();
        compiler.compile_chunk(&checked.module, &checked.sources);
    });
}

#[test]
fn expansion_that_grows_exponentially_stops_at_the_size_limit() {
    on_big_stack(|| {
        // `(m 12)` expands into eight `(m 11)`s, and so on: 8^12 forms in all.
        let mut host = Host {
            wrap: 0,
            copies: 8,
            calls: 0,
        };
        let checked = check("(defmacro m [n] n)\n(def v (m 12))", &mut host);
        assert_eq!(codes_of(&checked), vec![codes::MACRO_LIMIT.id]);
        let d = &checked.diagnostics[0];
        assert!(
            d.message.contains("produce more than 1000000 forms"),
            "{}",
            d.message
        );
        assert_eq!(checked.sources.slice(d.span), "(m 12)");
        // It stopped once a million forms were produced (every expansion produces at least
        // one), not after 8^12 expansions.
        assert!(host.calls <= MAX_EXPANSION_FORMS, "{}", host.calls);
    });
}
