//! Caveats: the language that *attenuates* a capability, after syndicate's. A [`Cap`]
//! is a reference plus a list of caveats; every value asserted or sent through it is run
//! through the list first, and may come out rewritten or not at all.
//!
//! **Caveats.**
//!
//! - [`Caveat::Rewrite`] `<rewrite P T>`: if `P` matches, the value becomes `T` instantiated
//!   from `P`'s bindings; otherwise it is rejected.
//! - [`Caveat::Alts`] `<or [<rewrite …> …]>`: the first alternative whose pattern matches
//!   wins; if none does, the value is rejected.
//! - [`Caveat::Reject`] `<reject P>`: the value is rejected if `P` matches, and passes
//!   unchanged otherwise.
//! - [`Caveat::Unknown`]: any other term. It **fails closed**: it rejects everything, so a
//!   caveat this kernel does not understand can never widen authority.
//!
//! **Order.** [`rewrite`] applies a list **right to left**: the newest caveat is last in the
//! list and is applied first, and each caveat sees the output of the one before. A cap made
//! by attenuating with `[r1]` and then with `[r2]` holds `[r1, r2]`, so a value goes through
//! `r2`, then `r1`: the newer holder's restriction is applied to what it sends, then the
//! older one's to the result.
//!
//! **Patterns** ([`CaveatPattern`]) are stricter than dataspace patterns
//! ([`super::Pattern`]): records and sequences must have **exactly** the listed arity, there
//! are type tests, conjunction and negation. Bindings are numbered in pre-order, depth first:
//! a `bind` before the bindings inside it, `and` and compound parts left to right, `dict`
//! entries in ascending key order (the [`Term`] total order). `arr` matches a list or a
//! vector (they are one kind for equality).
//!
//! **Templates** ([`Template`]): `<ref n>` (binding `n`), `<lit v>`, and compound `rec`,
//! `arr` (builds a vector) and `dict`. syndicate's `<attenuate T [Caveat …]>`, which wraps
//! a captured embedded ref in further caveats, is **not supported**: an embedded ref here is
//! a plain [`super::Ref`] in a [`Term`], which has no room for caveats, so there is nothing
//! to build. A caveat that uses it decodes as [`Caveat::Unknown`] and rejects everything.
//!
//! **Validation** ([`Caveat::check`], run by [`Cap::attenuate`]) refuses a template that
//! refers to a binding its pattern does not make, and a `bind` under `not` (a `not` only
//! succeeds when its pattern fails, so such a binding could never be used). An unchecked
//! caveat (built by hand or deserialised) still fails closed: a missing binding rejects the
//! value.
//!
//! **Term encoding** ([`Caveat::from_term`]), after syndicate's `sturdy.prs`: patterns `<_>`,
//! `<bind P>`, the bare symbols `Boolean Double SignedInteger String Symbol Embedded`,
//! `<lit v>`, `<and [P …]>`, `<not P>`, `<rec label [P …]>`, `<arr [P …]>`, `<dict {k P …}>`;
//! templates `<ref n>`, `<lit v>`, `<rec label [T …]>`, `<arr [T …]>`, `<dict {k T …}>`.
//! Record labels are symbols (duet records have symbol labels). [`Term`] has no byte
//! strings, so there is no `ByteString` test; like `attenuate`, it makes the caveat
//! unknown.
//!
//! [`Cap`]: super::cap::Cap
//! [`Cap::attenuate`]: super::cap::Cap::attenuate

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::term::{Term, arc_str};

/// A type test in a caveat pattern: matches any value of one kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TypeTest {
    /// `true` or `false`.
    Boolean,
    /// A float.
    Double,
    /// An integer.
    SignedInteger,
    /// A string.
    String,
    /// A symbol.
    Symbol,
    /// An embedded reference ([`Term::Ref`]).
    Embedded,
}

impl TypeTest {
    /// Whether `v` is of this kind.
    pub fn test(self, v: &Term) -> bool {
        matches!(
            (self, v),
            (TypeTest::Boolean, Term::Bool(_))
                | (TypeTest::Double, Term::Float(_))
                | (TypeTest::SignedInteger, Term::Int(_))
                | (TypeTest::String, Term::Str(_))
                | (TypeTest::Symbol, Term::Symbol(_))
                | (TypeTest::Embedded, Term::Ref(_))
        )
    }

    fn from_name(name: &str) -> Option<TypeTest> {
        Some(match name {
            "Boolean" => TypeTest::Boolean,
            "Double" => TypeTest::Double,
            "SignedInteger" => TypeTest::SignedInteger,
            "String" => TypeTest::String,
            "Symbol" => TypeTest::Symbol,
            "Embedded" => TypeTest::Embedded,
            _ => return None,
        })
    }
}

/// A caveat pattern (see the module documentation for how it differs from a dataspace
/// pattern).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CaveatPattern {
    /// `<_>`: anything.
    Discard,
    /// `<bind P>`: capture the value, then match `P`.
    Bind(Box<CaveatPattern>),
    /// A value of this kind.
    Type(TypeTest),
    /// `<lit v>`: a value equal to `v` (compared whole).
    Lit(Term),
    /// `<and [P …]>`: every pattern matches.
    And(Vec<CaveatPattern>),
    /// `<not P>`: `P` does not match. No bindings are allowed under it.
    Not(Box<CaveatPattern>),
    /// `<rec label [P …]>`: a record with this label and exactly these fields.
    Rec {
        /// The label's symbol name.
        #[serde(with = "arc_str")]
        label: Arc<str>,
        /// One pattern per field.
        fields: Vec<CaveatPattern>,
    },
    /// `<arr [P …]>`: a list or vector of exactly these elements.
    Arr(Vec<CaveatPattern>),
    /// `<dict {k P …}>`: a map holding each key, whose value matches; other keys are
    /// allowed.
    Dict(BTreeMap<Term, CaveatPattern>),
}

impl CaveatPattern {
    /// `<bind P>`.
    pub fn bind(p: CaveatPattern) -> CaveatPattern {
        CaveatPattern::Bind(Box::new(p))
    }

    /// `<rec label [P …]>`.
    pub fn rec(label: &str, fields: Vec<CaveatPattern>) -> CaveatPattern {
        CaveatPattern::Rec {
            label: Arc::from(label),
            fields,
        }
    }

    /// The bindings, in order, if `v` matches.
    pub fn matches(&self, v: &Term) -> Option<Vec<Term>> {
        let mut bindings = Vec::new();
        self.match_into(v, &mut bindings).then_some(bindings)
    }

    fn match_into(&self, v: &Term, bindings: &mut Vec<Term>) -> bool {
        match self {
            CaveatPattern::Discard => true,
            CaveatPattern::Bind(p) => {
                bindings.push(v.clone());
                p.match_into(v, bindings)
            }
            CaveatPattern::Type(t) => t.test(v),
            CaveatPattern::Lit(x) => x == v,
            CaveatPattern::And(ps) => ps.iter().all(|p| p.match_into(v, bindings)),
            CaveatPattern::Not(p) => {
                // Checked caveats have no bindings here; unchecked ones must not leak any.
                let mark = bindings.len();
                let inner = p.match_into(v, bindings);
                bindings.truncate(mark);
                !inner
            }
            CaveatPattern::Rec { label, fields } => match v {
                Term::Record(r) if r.label == *label && r.fields.len() == fields.len() => fields
                    .iter()
                    .zip(&r.fields)
                    .all(|(p, x)| p.match_into(x, bindings)),
                _ => false,
            },
            CaveatPattern::Arr(ps) => match v.as_seq() {
                Some(xs) if xs.len() == ps.len() => {
                    ps.iter().zip(xs).all(|(p, x)| p.match_into(x, bindings))
                }
                _ => false,
            },
            CaveatPattern::Dict(entries) => match v {
                Term::Map(m) => entries
                    .iter()
                    .all(|(k, p)| m.get(k).is_some_and(|x| p.match_into(x, bindings))),
                _ => false,
            },
        }
    }

    /// How many bindings a match makes; an error if there is a binding under `not`.
    pub fn binding_count(&self) -> Result<usize, String> {
        self.count(false)
    }

    fn count(&self, under_not: bool) -> Result<usize, String> {
        fn sum<'a>(
            ps: impl IntoIterator<Item = &'a CaveatPattern>,
            under_not: bool,
        ) -> Result<usize, String> {
            ps.into_iter()
                .try_fold(0, |n, p| Ok(n + p.count(under_not)?))
        }
        match self {
            CaveatPattern::Discard | CaveatPattern::Type(_) | CaveatPattern::Lit(_) => Ok(0),
            CaveatPattern::Bind(_) if under_not => {
                Err("a caveat pattern binds under `not`, where a binding can never be used".into())
            }
            CaveatPattern::Bind(p) => Ok(1 + p.count(under_not)?),
            CaveatPattern::Not(p) => p.count(true).map(|_| 0),
            CaveatPattern::And(ps) | CaveatPattern::Arr(ps) => sum(ps, under_not),
            CaveatPattern::Rec { fields, .. } => sum(fields, under_not),
            CaveatPattern::Dict(entries) => sum(entries.values(), under_not),
        }
    }

    /// Decodes the term encoding (module documentation); `None` if `t` is not a pattern
    /// this kernel knows.
    pub fn from_term(t: &Term) -> Option<CaveatPattern> {
        if let Term::Symbol(name) = t {
            return TypeTest::from_name(name).map(CaveatPattern::Type);
        }
        let r = t.as_record()?;
        Some(match (&*r.label, &r.fields[..]) {
            ("_", []) => CaveatPattern::Discard,
            ("bind", [p]) => CaveatPattern::bind(CaveatPattern::from_term(p)?),
            ("lit", [v]) => CaveatPattern::Lit(v.clone()),
            ("and", [ps]) => CaveatPattern::And(seq_of(ps, CaveatPattern::from_term)?),
            ("not", [p]) => CaveatPattern::Not(Box::new(CaveatPattern::from_term(p)?)),
            ("rec", [Term::Symbol(label), ps]) => CaveatPattern::Rec {
                label: label.clone(),
                fields: seq_of(ps, CaveatPattern::from_term)?,
            },
            ("arr", [ps]) => CaveatPattern::Arr(seq_of(ps, CaveatPattern::from_term)?),
            ("dict", [m]) => CaveatPattern::Dict(dict_of(m, CaveatPattern::from_term)?),
            _ => return None,
        })
    }
}

/// A caveat template: builds the rewritten value from a pattern's bindings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Template {
    /// `<ref n>`: binding `n` (0-based, in binding order).
    Ref(usize),
    /// `<lit v>`: the value `v`.
    Lit(Term),
    /// `<rec label [T …]>`: a record.
    Rec {
        /// The label's symbol name.
        #[serde(with = "arc_str")]
        label: Arc<str>,
        /// One template per field.
        fields: Vec<Template>,
    },
    /// `<arr [T …]>`: a vector.
    Arr(Vec<Template>),
    /// `<dict {k T …}>`: a map with these keys.
    Dict(BTreeMap<Term, Template>),
}

impl Template {
    /// `<rec label [T …]>`.
    pub fn rec(label: &str, fields: Vec<Template>) -> Template {
        Template::Rec {
            label: Arc::from(label),
            fields,
        }
    }

    /// The value built from `bindings`; `None` if it refers to a binding that is not there.
    pub fn instantiate(&self, bindings: &[Term]) -> Option<Term> {
        let all = |ts: &[Template]| {
            ts.iter()
                .map(|t| t.instantiate(bindings))
                .collect::<Option<Vec<_>>>()
        };
        Some(match self {
            Template::Ref(n) => bindings.get(*n)?.clone(),
            Template::Lit(v) => v.clone(),
            Template::Rec { label, fields } => Term::Record(Arc::new(super::term::Record {
                label: label.clone(),
                fields: all(fields)?,
            })),
            Template::Arr(ts) => Term::vector(all(ts)?),
            Template::Dict(entries) => Term::map(
                entries
                    .iter()
                    .map(|(k, t)| Some((k.clone(), t.instantiate(bindings)?)))
                    .collect::<Option<Vec<_>>>()?,
            ),
        })
    }

    /// An error if the template refers to a binding at or beyond `available`.
    pub fn check(&self, available: usize) -> Result<(), String> {
        match self {
            Template::Ref(n) if *n >= available => Err(format!(
                "a caveat template refers to binding {n}, but its pattern makes {available} \
                 binding(s)"
            )),
            Template::Ref(_) | Template::Lit(_) => Ok(()),
            Template::Rec { fields: ts, .. } | Template::Arr(ts) => {
                ts.iter().try_for_each(|t| t.check(available))
            }
            Template::Dict(entries) => entries.values().try_for_each(|t| t.check(available)),
        }
    }

    /// Decodes the term encoding (module documentation); `None` if `t` is not a template
    /// this kernel knows.
    pub fn from_term(t: &Term) -> Option<Template> {
        let r = t.as_record()?;
        Some(match (&*r.label, &r.fields[..]) {
            ("ref", [Term::Int(n)]) => Template::Ref(usize::try_from(*n).ok()?),
            ("lit", [v]) => Template::Lit(v.clone()),
            ("rec", [Term::Symbol(label), ts]) => Template::Rec {
                label: label.clone(),
                fields: seq_of(ts, Template::from_term)?,
            },
            ("arr", [ts]) => Template::Arr(seq_of(ts, Template::from_term)?),
            ("dict", [m]) => Template::Dict(dict_of(m, Template::from_term)?),
            _ => return None,
        })
    }
}

/// `<rewrite P T>`: a pattern and the template its bindings fill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rewrite {
    /// What the value must match.
    pub pattern: CaveatPattern,
    /// What it becomes.
    pub template: Template,
}

impl Rewrite {
    /// A checked rewrite (see [`Rewrite::check`]).
    pub fn new(pattern: CaveatPattern, template: Template) -> Result<Rewrite, String> {
        let r = Rewrite { pattern, template };
        r.check()?;
        Ok(r)
    }

    /// An error if the pattern binds under `not` or the template refers to a binding the
    /// pattern does not make.
    pub fn check(&self) -> Result<(), String> {
        self.template.check(self.pattern.binding_count()?)
    }

    /// The rewritten value, or `None` if the pattern does not match.
    pub fn apply(&self, v: &Term) -> Option<Term> {
        self.template.instantiate(&self.pattern.matches(v)?)
    }

    fn from_term(t: &Term) -> Option<Rewrite> {
        match t.record_fields("rewrite")? {
            [p, tpl] => Some(Rewrite {
                pattern: CaveatPattern::from_term(p)?,
                template: Template::from_term(tpl)?,
            }),
            _ => None,
        }
    }
}

/// One caveat (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Caveat {
    /// `<rewrite P T>`: rewrite what matches, reject the rest.
    Rewrite(Rewrite),
    /// `<or [<rewrite …> …]>`: the first rewrite that matches; reject if none does.
    Alts(Vec<Rewrite>),
    /// `<reject P>`: reject what matches, pass the rest unchanged.
    Reject(CaveatPattern),
    /// A caveat this kernel does not understand, kept as written. It rejects everything.
    Unknown(Term),
}

impl Caveat {
    /// An error if a pattern binds under `not` or a template refers to a binding its
    /// pattern does not make. [`Caveat::Unknown`] is valid: it fails closed when applied.
    pub fn check(&self) -> Result<(), String> {
        match self {
            Caveat::Rewrite(r) => r.check(),
            Caveat::Alts(rs) => rs.iter().try_for_each(Rewrite::check),
            Caveat::Reject(p) => p.binding_count().map(|_| ()),
            Caveat::Unknown(_) => Ok(()),
        }
    }

    /// Applies this caveat alone: the value it lets through (possibly rewritten), or `None`
    /// if it rejects `v`.
    pub fn apply(&self, v: Term) -> Option<Term> {
        match self {
            Caveat::Rewrite(r) => r.apply(&v),
            Caveat::Alts(rs) => rs.iter().find_map(|r| r.apply(&v)),
            Caveat::Reject(p) => p.matches(&v).is_none().then_some(v),
            Caveat::Unknown(_) => None,
        }
    }

    /// Decodes the term encoding (module documentation). Anything that is not a well-formed
    /// `rewrite`, `or` or `reject` becomes [`Caveat::Unknown`], which rejects everything.
    pub fn from_term(t: &Term) -> Caveat {
        let known = match t.as_record().map(|r| (&*r.label, &r.fields[..])) {
            Some(("rewrite", _)) => Rewrite::from_term(t).map(Caveat::Rewrite),
            Some(("or", [rs])) => seq_of(rs, Rewrite::from_term).map(Caveat::Alts),
            Some(("reject", [p])) => CaveatPattern::from_term(p).map(Caveat::Reject),
            _ => None,
        };
        known.unwrap_or_else(|| Caveat::Unknown(t.clone()))
    }
}

/// Runs `value` through `caveats` right to left (the newest, last, first), each caveat
/// seeing the previous one's output. `None` if any caveat rejects it.
pub fn rewrite(caveats: &[Caveat], value: Term) -> Option<Term> {
    caveats.iter().rev().try_fold(value, |v, c| c.apply(v))
}

/// Decodes every element of a list or vector.
fn seq_of<T>(t: &Term, decode: impl Fn(&Term) -> Option<T>) -> Option<Vec<T>> {
    t.as_seq()?.iter().map(decode).collect()
}

/// Decodes every value of a map, keeping the keys.
fn dict_of<T>(t: &Term, decode: impl Fn(&Term) -> Option<T>) -> Option<BTreeMap<Term, T>> {
    t.as_map()?
        .sorted()
        .map(|(k, v)| Some((k.clone(), decode(v)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ActorId, Ref};

    fn t(s: &str) -> Term {
        Term::parse(s).unwrap()
    }

    fn pat(s: &str) -> CaveatPattern {
        CaveatPattern::from_term(&t(s)).unwrap_or_else(|| panic!("not a pattern: {s}"))
    }

    fn caveat(s: &str) -> Caveat {
        Caveat::from_term(&t(s))
    }

    /// The bindings of `pattern` against `value`, printed; `None` if it does not match.
    fn binds(pattern: &str, value: &Term) -> Option<String> {
        pat(pattern)
            .matches(value)
            .map(|bs| Term::vector(bs).to_string())
    }

    fn a_ref() -> Term {
        Term::Ref(Ref {
            actor: ActorId(3),
            oid: 1,
        })
    }

    #[test]
    fn discard_and_bind() {
        assert_eq!(binds("<_>", &t("<x 1>")), Some("[]".into()));
        assert_eq!(binds("<bind <_>>", &t("<x 1>")), Some("[<x 1>]".into()));
        // An outer bind comes before the binds inside it.
        assert_eq!(
            binds("<bind <rec x [<bind <_>>]>>", &t("<x 1>")),
            Some("[<x 1> 1]".into())
        );
        assert_eq!(binds("<bind <rec x [<_>]>>", &t("<y 1>")), None);
    }

    #[test]
    fn type_tests() {
        let values = [
            ("Boolean", t("true")),
            ("Double", t("1.5")),
            ("SignedInteger", t("1")),
            ("String", t(r#""s""#)),
            ("Symbol", t("s")),
            ("Embedded", a_ref()),
        ];
        for (name, _) in &values {
            for (kind, v) in &values {
                assert_eq!(binds(name, v).is_some(), name == kind, "{name} against {v}");
            }
            for other in [t("nil"), t(":s"), t("[]"), t("{}"), t("<s>")] {
                assert_eq!(binds(name, &other), None, "{name} against {other}");
            }
        }
        // ByteString has no Term counterpart: not a pattern this kernel knows.
        assert_eq!(CaveatPattern::from_term(&t("ByteString")), None);
    }

    #[test]
    fn lit_compares_whole_values() {
        assert!(binds("<lit <p 1 [2]>>", &t("<p 1 [2]>")).is_some());
        assert!(binds("<lit <p 1 [2]>>", &t("<p 1 (2)>")).is_some());
        assert!(binds("<lit <p 1 [2]>>", &t("<p 1 [2] 3>")).is_none());
        assert!(binds("<lit 1>", &t("1.0")).is_none());
        assert!(binds("<lit a>", &t(r#""a""#)).is_none());
    }

    #[test]
    fn and_needs_every_pattern() {
        let p = "<and [<bind SignedInteger> <not <lit 0>>]>";
        assert_eq!(binds(p, &t("5")), Some("[5]".into()));
        assert_eq!(binds(p, &t("0")), None);
        assert_eq!(binds(p, &t("x")), None);
        assert_eq!(binds("<and []>", &t("x")), Some("[]".into()));
    }

    #[test]
    fn not_inverts() {
        assert!(binds("<not String>", &t("1")).is_some());
        assert!(binds("<not String>", &t(r#""s""#)).is_none());
    }

    #[test]
    fn rec_has_exact_arity() {
        let p = "<rec read [<bind <_>> <_>]>";
        assert_eq!(binds(p, &t("<read 1 2>")), Some("[1]".into()));
        assert_eq!(binds(p, &t("<read 1>")), None);
        assert_eq!(binds(p, &t("<read 1 2 3>")), None);
        assert_eq!(binds(p, &t("<write 1 2>")), None);
        assert_eq!(binds("<rec read []>", &t("<read>")), Some("[]".into()));
    }

    #[test]
    fn arr_has_exact_arity_and_accepts_lists() {
        let p = "<arr [<bind <_>> <_>]>";
        assert_eq!(binds(p, &t("[1 2]")), Some("[1]".into()));
        assert_eq!(binds(p, &t("(1 2)")), Some("[1]".into()));
        assert_eq!(binds(p, &t("[1]")), None);
        assert_eq!(binds(p, &t("[1 2 3]")), None);
        assert_eq!(binds(p, &t("<v 1 2>")), None);
    }

    #[test]
    fn dict_requires_its_keys() {
        let p = "<dict {:b <bind <_>> :a <bind <_>>}>";
        // Bindings in ascending key order, whatever the map's order.
        assert_eq!(binds(p, &t("{:b 2 :a 1}")), Some("[1 2]".into()));
        assert_eq!(binds(p, &t("{:a 1 :b 2 :c 3}")), Some("[1 2]".into()));
        assert_eq!(binds(p, &t("{:a 1}")), None);
        assert_eq!(binds(p, &t("[:a 1 :b 2]")), None);
    }

    #[test]
    fn templates_build_values() {
        let r = caveat(
            "<rewrite <rec p [<bind <_>> <bind <_>>]> \
             <rec q [<ref 1> <lit k> <arr [<ref 0>]> <dict {:x <ref 0>}>]>>",
        );
        r.check().unwrap();
        assert_eq!(r.apply(t("<p 1 2>")), Some(t("<q 2 k [1] {:x 1}>")));
        assert_eq!(r.apply(t("<p 1>")), None, "no match rejects");
    }

    #[test]
    fn alts_take_the_first_match() {
        let c = caveat(
            "<or [<rewrite <rec a [<bind <_>>]> <lit first>> \
                  <rewrite <bind <_>> <lit second>>]>",
        );
        assert_eq!(c.apply(t("<a 1>")), Some(t("first")));
        assert_eq!(c.apply(t("<b 1>")), Some(t("second")));
        assert_eq!(caveat("<or []>").apply(t("x")), None);
    }

    #[test]
    fn reject_drops_matches_and_passes_the_rest() {
        let c = caveat("<reject <rec secret [<_>]>>");
        assert_eq!(c.apply(t("<secret 1>")), None);
        assert_eq!(c.apply(t("<public 1>")), Some(t("<public 1>")));
        assert_eq!(c.apply(t("<secret 1 2>")), Some(t("<secret 1 2>")));
    }

    #[test]
    fn unknown_caveats_reject_everything() {
        for src in [
            "<frobnicate>",
            "42",
            "<rewrite <_>>",
            "<rewrite <bind ByteString> <ref 0>>",
            "<rewrite <bind <_>> <attenuate <ref 0> []>>",
            "<or [<reject <_>>]>",
        ] {
            let c = caveat(src);
            assert_eq!(c, Caveat::Unknown(t(src)), "{src}");
            c.check().unwrap();
            for v in [t("1"), t("<x>"), t("nil")] {
                assert_eq!(c.apply(v), None, "{src}");
            }
        }
    }

    #[test]
    fn a_template_needs_its_bindings() {
        let err = caveat("<rewrite <rec p [<bind <_>>]> <ref 1>>")
            .check()
            .unwrap_err();
        assert!(
            err.contains("binding 1") && err.contains("makes 1"),
            "{err}"
        );
        caveat("<rewrite <rec p [<bind <_>>]> <ref 0>>")
            .check()
            .unwrap();
        let alts = caveat("<or [<rewrite <_> <lit 1>> <rewrite <_> <ref 0>>]>");
        assert!(alts.check().is_err(), "each alternative is checked");
        // Unchecked, it still fails closed.
        assert_eq!(alts.apply(t("x")), Some(t("1")));
        assert_eq!(
            caveat("<rewrite <_> <ref 0>>").apply(t("x")),
            None,
            "a missing binding rejects"
        );
    }

    #[test]
    fn no_bindings_under_not() {
        for src in [
            "<rewrite <not <bind <_>>> <lit 1>>",
            "<rewrite <and [<not <rec p [<bind <_>>]>>]> <lit 1>>",
            "<reject <not <not <bind String>>>>",
        ] {
            let err = caveat(src).check().unwrap_err();
            assert!(err.contains("`not`"), "{src}: {err}");
        }
        // A bind beside a not is fine.
        caveat("<rewrite <and [<bind <_>> <not String>]> <ref 0>>")
            .check()
            .unwrap();
        // Unchecked, the inner binding never surfaces.
        let unchecked = CaveatPattern::Not(Box::new(CaveatPattern::Rec {
            label: "p".into(),
            fields: vec![CaveatPattern::bind(CaveatPattern::Discard), pat("String")],
        }));
        assert_eq!(unchecked.matches(&t("<p 1 2>")), Some(vec![]));
    }

    #[test]
    fn rewrite_runs_newest_first() {
        let wrap = |l: &str| caveat(&format!("<rewrite <bind <_>> <rec {l} [<ref 0>]>>"));
        let list = [wrap("one"), wrap("two")];
        assert_eq!(rewrite(&list, t("v")), Some(t("<one <two v>>")));
        assert_eq!(rewrite(&[], t("v")), Some(t("v")));
        let mut rejecting = list.to_vec();
        rejecting.insert(1, caveat("<reject <rec two [<_>]>>"));
        assert_eq!(
            rewrite(&rejecting, t("v")),
            None,
            "the reject sees the newer rewrite's output"
        );
    }

    #[test]
    fn caveats_survive_serde() {
        let c = caveat(
            "<or [<rewrite <dict {:k <bind <and [Symbol <not <lit x>>]>>}> \
                  <rec ok [<ref 0> <lit 1.5>]>>]>",
        );
        assert!(matches!(c, Caveat::Alts(_)));
        let bytes = postcard::to_stdvec(&c).unwrap();
        let back: Caveat = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.apply(t("{:k y}")), Some(t("<ok y 1.5>")));
        assert_eq!(back.apply(t("{:k x}")), None);
    }
}
