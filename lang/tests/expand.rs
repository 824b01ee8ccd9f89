//! The expander's output: the core forms that the compiler will consume.

use duet_lang::core::{ExprKind, Module, PatternKind, Status};
use duet_lang::frontend::{NoLoader, check_source};
use duet_lang::syntax::datum::DatumKind;

fn expand(text: &str) -> Module {
    let checked = check_source("test.lisp", text, &mut NoLoader, None);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    checked.module
}

fn callee_name(kind: &ExprKind) -> Option<&'static str> {
    match kind {
        ExprKind::Call(f, _) => match f.kind {
            ExprKind::Builtin(name) => Some(name),
            _ => None,
        },
        _ => None,
    }
}

#[test]
fn definitions_may_be_used_before_they_appear() {
    let m = expand("(println (twice 2))\n(defn twice [x] (* 2 x))");
    assert_eq!(m.body.len(), 2);
    let ExprKind::Call(_, args) = &m.body[0].kind else {
        panic!("{:?}", m.body[0])
    };
    let ExprKind::Call(f, _) = &args[0].kind else {
        panic!()
    };
    assert_eq!(f.kind, ExprKind::Global("twice".into()));
    let ExprKind::Def(name, value) = &m.body[1].kind else {
        panic!()
    };
    assert_eq!(name, "twice");
    let ExprKind::Fn(lambda) = &value.kind else {
        panic!()
    };
    assert_eq!(lambda.name.as_deref(), Some("twice"));
    assert_eq!(lambda.params.len(), 1);
}

#[test]
fn sugar_lowers_to_core_forms() {
    let m = expand(
        "(def x 1) (when x 1 2) (unless x 3) (cond (= x 1) :a :else :b) (case x 1 :one (2 3) :few :else :many)",
    );
    assert!(matches!(m.body[1].kind, ExprKind::If(_, _, None)));
    assert!(matches!(m.body[2].kind, ExprKind::If(_, _, Some(_))));
    let ExprKind::If(_, _, Some(otherwise)) = &m.body[3].kind else {
        panic!()
    };
    assert!(
        matches!(&otherwise.kind, ExprKind::Const(d) if d.kind == DatumKind::Keyword("b".into()))
    );
    let ExprKind::Let(bindings, body) = &m.body[4].kind else {
        panic!()
    };
    assert_eq!(bindings.len(), 1);
    let ExprKind::If(test, _, _) = &body[0].kind else {
        panic!()
    };
    assert!(matches!(&test.kind, ExprKind::Or(tests) if tests.len() == 1));
}

#[test]
fn quasiquote_builds_lists_and_splices() {
    let m = expand("(def xs [1 2]) `(a ,xs ,@xs) `[x ,xs] `(no unquote)");
    assert_eq!(callee_name(&m.body[1].kind), Some("concat"));
    assert_eq!(callee_name(&m.body[2].kind), Some("apply"));
    assert!(matches!(m.body[3].kind, ExprKind::Const(_)));
}

#[test]
fn constant_collections_stay_constant() {
    let m = expand("[1 2 {:a \"b\"}] (def y 2) [1 y]");
    assert!(matches!(m.body[0].kind, ExprKind::Const(_)));
    assert_eq!(callee_name(&m.body[2].kind), Some("vector"));
}

#[test]
fn workflow_states_roles_and_await_bindings() {
    let m = expand(
        r#"(workflow w
  (roles (a :agent-kind "echo") (b :agent-kind "echo"))
  (def tries 0)
  (state start
    (await (record agent-response "r1" ?reply))
    (println reply tries)
    (set! tries (inc tries))
    (goto done))
  (state done
    (prompt b "hi")
    (terminal :failed "no")))"#,
    );
    let wf = &m.workflows[0];
    assert_eq!(wf.roles.len(), 2);
    assert_eq!(wf.vars[0].name, "tries");
    let start = &wf.states[0].body;
    let ExprKind::Await {
        pattern,
        timeout: None,
    } = &start[0].kind
    else {
        panic!("{:?}", start[0])
    };
    let PatternKind::Record(label, fields) = &pattern.kind else {
        panic!()
    };
    assert_eq!(label, "agent-response");
    let PatternKind::Bind(reply) = fields[1].kind else {
        panic!()
    };
    let ExprKind::Call(_, args) = &start[1].kind else {
        panic!()
    };
    assert_eq!(args[0].kind, ExprKind::Local(reply));
    assert_eq!(args[1].kind, ExprKind::WorkflowVar(0));
    assert!(matches!(start[2].kind, ExprKind::SetWorkflowVar(0, _)));
    assert_eq!(start[3].kind, ExprKind::Goto(1));
    let done = &wf.states[1].body;
    let ExprKind::Call(_, args) = &done[0].kind else {
        panic!()
    };
    assert_eq!(args[0].kind, ExprKind::Role(1));
    assert!(matches!(
        done[1].kind,
        ExprKind::Terminal(Status::Failed, Some(_))
    ));
}

#[test]
fn closures_and_recur() {
    let m = expand(
        "(defn count-down [n] (if (= n 0) :done (recur (dec n)))) (let [f (fn self [x] (self x))] f)",
    );
    let ExprKind::Def(_, value) = &m.body[0].kind else {
        panic!()
    };
    let ExprKind::Fn(lambda) = &value.kind else {
        panic!()
    };
    let ExprKind::If(_, _, Some(recur)) = &lambda.body[0].kind else {
        panic!()
    };
    assert!(matches!(&recur.kind, ExprKind::Recur(args) if args.len() == 1));
    let ExprKind::Let(bindings, _) = &m.body[1].kind else {
        panic!()
    };
    let ExprKind::Fn(inner) = &bindings[0].1.kind else {
        panic!()
    };
    let own = inner.self_local.expect("a named fn binds itself");
    assert_eq!(m.locals[own.0 as usize].name, "self");
    assert_eq!(inner.name.as_deref(), Some("self"));
}

#[test]
fn macros_without_an_evaluator_stay_unexpanded() {
    let m = expand("(defmacro twice [x] `(do ,x ,x)) (twice (println 1))");
    assert_eq!(m.macros.len(), 1);
    assert!(
        matches!(&m.body[0].kind, ExprKind::Unexpanded(name, args) if name == "twice" && args.len() == 1)
    );
}

#[test]
fn names_resolve_to_their_definitions() {
    use duet_lang::core::{DefinitionKind, Target};
    let text = "(defn f [x] (+ x 1))\n(workflow w\n  (roles (a :agent-kind \"echo\"))\n  (state s (prompt a (str (f 1))) (goto t))\n  (state t (terminal)))";
    let m = expand(text);
    let at = |needle: &str, nth: usize| {
        let offset = text.match_indices(needle).nth(nth).expect("needle").0 as u32;
        m.references
            .iter()
            .find(|r| r.span.range.start == offset)
            .map(|r| r.target.clone())
    };
    assert!(matches!(at("x", 1), Some(Target::Local(_))));
    assert_eq!(at("+", 0), Some(Target::Builtin("+")));
    assert_eq!(at("f 1", 0), Some(Target::Global("f".into())));
    assert_eq!(
        at("a (str", 0),
        Some(Target::Role {
            workflow: 0,
            index: 0
        })
    );
    assert_eq!(
        at("t))", 0),
        Some(Target::State {
            workflow: 0,
            index: 1
        })
    );
    assert_eq!(m.definitions[0].name, "f");
    assert_eq!(m.definitions[0].kind, DefinitionKind::Function);
    assert_eq!(
        m.workflows[0].roles[0].name_span.range.start as usize,
        text.find("a :agent").unwrap()
    );
}
