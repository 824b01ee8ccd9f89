//! Terms and patterns: equality, total order, hashing, printing, parsing, encodings.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use duet_sam::pattern::{Class, Step};
use duet_sam::{ActorId, Pattern, Ref, Term};
use proptest::collection::vec;
use proptest::prelude::*;

fn t(s: &str) -> Term {
    Term::parse(s).unwrap()
}

fn hash(v: &Term) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

#[test]
fn equality_has_no_coercions() {
    assert_ne!(t("1"), t("1.0"));
    assert_ne!(t("\"a\""), t("a"));
    assert_ne!(t("a"), t(":a"));
    assert_ne!(t("nil"), t("()"));
    assert_ne!(t("-0.0"), t("0.0"));
    assert_eq!(Term::Float(f64::NAN), Term::Float(f64::NAN));
    assert_eq!(
        t("(1 2)"),
        t("[1 2]"),
        "lists and vectors are both sequences, as in `=`"
    );
    assert_eq!(hash(&t("(1 2)")), hash(&t("[1 2]")));
    assert_eq!(
        t("{:a 1 :b 2}"),
        t("{:b 2 :a 1}"),
        "map equality ignores order"
    );
    assert_eq!(hash(&t("{:a 1 :b 2}")), hash(&t("{:b 2 :a 1}")));
    assert_ne!(t("<a 1>"), t("<a 1 2>"));
    assert_ne!(t("<a 1>"), t("<b 1>"));
}

#[test]
fn total_order_between_kinds() {
    let ordered = [
        "nil", "false", "true", "-1.5", "2.0", "-3", "7", "\"a\"", "\"b\"", "a", "b", ":a", "<a>",
        "<a 1>", "<b>", "[]", "[1]", "(1 2)", "{}", "{:a 1}",
    ];
    for w in ordered.windows(2) {
        assert!(t(w[0]) < t(w[1]), "{} < {}", w[0], w[1]);
    }
    let r = Term::Ref(Ref {
        actor: ActorId(0),
        oid: 0,
    });
    assert!(t("{:z 9}") < r);
}

#[test]
fn printing_is_duets() {
    for s in [
        "<agent-request \"req-1\" \"Draft a plan\">",
        "{:a 1 :b 2}",
        "[1 2]",
        "(1 2)",
        "<x [1 (2 3)] {\"k\" nil} :kw sym true 1.5>",
        "\"esc\\n\\\"q\\\"\"",
    ] {
        assert_eq!(t(s).to_string(), s);
    }
    assert_eq!(
        t("{:b 2 :a 1}").to_string(),
        "{:b 2 :a 1}",
        "insertion order kept"
    );
    assert_eq!(t("3.0").to_string(), "3.0");
    assert_eq!(
        Term::Ref(Ref {
            actor: ActorId(2),
            oid: 5
        })
        .to_string(),
        "#<ref 2/5>"
    );
}

#[test]
fn repeated_map_keys_keep_the_last_value() {
    assert_eq!(t("{:a 1 :a 2}"), t("{:a 2}"));
}

#[test]
fn pattern_analysis() {
    let p = Pattern::parse("<task ?id@\"id-1\" <status ?s _> {:k _}>").unwrap();
    let a = p.analyse();
    assert_eq!(
        a.skeleton,
        vec![
            (vec![], Class::Record("task".into())),
            (vec![Step::Index(1)], Class::Record("status".into())),
            (vec![Step::Index(2)], Class::Map),
        ]
    );
    assert_eq!(a.const_paths, vec![vec![Step::Index(0)]]);
    assert_eq!(a.const_values, vec![t("\"id-1\"")]);
    assert_eq!(
        a.capture_paths,
        vec![vec![Step::Index(0)], vec![Step::Index(1), Step::Index(0)]]
    );
    assert_eq!(
        a.required,
        vec![
            vec![Step::Index(1), Step::Index(0)],
            vec![Step::Index(1), Step::Index(1)],
            vec![Step::Index(2), Step::Key(t(":k"))],
        ]
    );
    assert_eq!(p.arity(), 2);
}

#[test]
fn bind_is_undone_when_its_pattern_fails() {
    let p = Pattern::parse("[?a ?b@1]").unwrap();
    let mut caps = vec![t("kept")];
    assert!(!p.match_into(&t("[0 2]"), &mut caps));
    assert_eq!(caps, vec![t("kept")]);
}

fn term() -> impl Strategy<Value = Term> {
    let atom = prop_oneof![
        (-3i64..3).prop_map(Term::Int),
        prop_oneof![Just(0.0), Just(-0.0), Just(1.5), Just(f64::NAN)].prop_map(Term::Float),
        "[a-c]{0,2}".prop_map(|s| Term::str(&s)),
        "[a-c]{1,2}".prop_map(|s| Term::sym(&s)),
        "[a-c]{1,2}".prop_map(|s| Term::kw(&s)),
        any::<bool>().prop_map(Term::Bool),
        Just(Term::Nil),
    ];
    atom.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            ("[a-c]", vec(inner.clone(), 0..3)).prop_map(|(l, f)| Term::record(&l, f)),
            vec(inner.clone(), 0..3).prop_map(Term::vector),
            vec(inner.clone(), 0..3).prop_map(Term::list),
            vec((inner.clone(), inner), 0..3).prop_map(Term::map),
        ]
    })
}

fn pattern() -> impl Strategy<Value = Pattern> {
    let leaf = prop_oneof![
        Just(Pattern::Discard),
        Just(Pattern::bind()),
        term().prop_map(Pattern::Lit)
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            (
                "[a-c]",
                proptest::collection::btree_map(0usize..3, inner.clone(), 0..3)
            )
                .prop_map(|(l, fields)| Pattern::Record {
                    label: l.as_str().into(),
                    fields
                }),
            vec(inner.clone(), 0..3).prop_map(Pattern::Seq),
            proptest::collection::btree_map(term(), inner.clone(), 0..2).prop_map(Pattern::Map),
            inner.prop_map(|p| Pattern::Bind(Box::new(p))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn order_equality_and_hash_agree(a in term(), b in term()) {
        prop_assert_eq!(a == b, a.cmp(&b) == std::cmp::Ordering::Equal);
        prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
        if a == b {
            prop_assert_eq!(hash(&a), hash(&b));
        }
    }

    #[test]
    fn print_parse_and_serde_round_trip(a in term()) {
        let printed = a.to_string();
        if !printed.contains("NaN") {
            let back = Term::parse(&printed).unwrap();
            prop_assert_eq!(&back, &a);
            prop_assert_eq!(back.to_string(), printed);
        }
        let bytes = postcard::to_stdvec(&a).unwrap();
        let back: Term = postcard::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&back, &a);
        prop_assert_eq!(postcard::to_stdvec(&back).unwrap(), bytes);
    }

    #[test]
    fn pattern_term_encoding_round_trips(p in pattern()) {
        prop_assert_eq!(Pattern::from_term(&p.to_term()), Some(p.clone()));
    }

    #[test]
    fn capture_count_is_the_arity(p in pattern(), v in term()) {
        if let Some(caps) = p.matches(&v) {
            prop_assert_eq!(caps.len(), p.arity());
        }
    }
}
