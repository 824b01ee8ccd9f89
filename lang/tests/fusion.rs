//! The compiler fuses operations on locals into one instruction (`Local, Int, op`,
//! `Local, Local, op`, `Local, inc`), but never across a place a jump lands on.

use duet_lang::compile::Compiler;
use duet_lang::frontend::{NoLoader, check_source};
use duet_lang::ir::Instr;

/// The code of the function named `name` in `text`.
fn code_of(text: &str, name: &str) -> Vec<Instr> {
    let checked = check_source("test.lisp", text, &mut NoLoader, None);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let mut compiler = Compiler::new();
    compiler.compile_chunk(&checked.module, &checked.sources);
    let function = compiler
        .program()
        .functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("a function `{name}`"));
    function.code.clone()
}

#[test]
fn two_locals_compared_or_added_are_one_instruction() {
    let code = code_of("(defn f [a b] (if (< a b) (+ a b) (- b a)))", "f");
    assert!(code.contains(&Instr::LtLL(0, 1)), "{code:?}");
    assert!(code.contains(&Instr::AddLL(0, 1)), "{code:?}");
    assert!(code.contains(&Instr::SubLL(1, 0)), "{code:?}");
    assert!(
        !code.iter().any(|i| matches!(i, Instr::Local(_))),
        "{code:?}"
    );
    let code = code_of("(defn g [a b] [(* a 3) (* a b)])", "g");
    assert!(code.contains(&Instr::MulLI(0, 3)), "{code:?}");
    assert!(code.contains(&Instr::MulLL(0, 1)), "{code:?}");
}

#[test]
fn inc_and_dec_of_a_local_add_a_constant() {
    let code = code_of("(defn f [a b] [(inc a) (dec b) (inc (inc a))])", "f");
    assert!(code.contains(&Instr::AddLI(0, 1)), "{code:?}");
    assert!(code.contains(&Instr::SubLI(1, 1)), "{code:?}");
    // The outer `inc` works on a computed value: not fused.
    assert!(code.contains(&Instr::Inc), "{code:?}");
}

#[test]
fn a_jump_landing_between_the_operands_keeps_them_apart() {
    // The loop's start (where `recur` jumps) is the load of `b`: `a` and `b` stay apart.
    let code = code_of("(defn f [a b] (< a (loop [] b)))", "f");
    assert!(
        !code.iter().any(|i| matches!(i, Instr::LtLL(..))),
        "{code:?}"
    );
    // A jump landing on the operation itself: `(and …)` ends where `inc` begins.
    let code = code_of("(defn g [a b] (inc (and a b)))", "g");
    assert!(
        !code.iter().any(|i| matches!(i, Instr::AddLI(..))),
        "{code:?}"
    );
}

#[test]
fn a_branch_in_tail_position_returns_at_once() {
    let code = code_of("(defn f [n] (if (< n 2) n (f (- n 1))))", "f");
    // `n` is returned where the branch ends, not after a jump to a `Return`.
    assert!(code.contains(&Instr::ReturnLocal(0)), "{code:?}");
    assert!(
        !code.iter().any(|i| matches!(i, Instr::Jump(_))),
        "{code:?}"
    );
    // Not in tail position, the branches still meet after the `if`.
    let code = code_of("(defn g [n] (+ 1 (if (< n 2) n 3)))", "g");
    assert!(code.iter().any(|i| matches!(i, Instr::Jump(_))), "{code:?}");
    assert!(!code.contains(&Instr::ReturnLocal(0)), "{code:?}");
}

#[test]
fn an_assignment_whose_value_is_dropped_neither_copies_nor_pops_it() {
    let code = code_of("(defn f [n] (set! n (+ n 1)) n)", "f");
    assert!(!code.contains(&Instr::Dup), "{code:?}");
    assert!(!code.contains(&Instr::Pop), "{code:?}");
    // Its value used, it is kept.
    let code = code_of("(defn g [n] (+ 1 (set! n 2)))", "g");
    assert!(code.contains(&Instr::Dup), "{code:?}");
}
