//! The pattern language, shared by `await`, `match` and the `on-…` handlers. Variables a
//! pattern binds (`?x`) go into the innermost scope.

use super::Expander;
use crate::codes;
use crate::core::{LocalKind, Pattern, PatternKind};
use crate::diagnostic::Diagnostic;
use crate::syntax::datum::{Datum, DatumKind};

const PATTERN_HELP: &str = "patterns are `_`, `?x`, literals, variables, `'sym`, `(record LABEL p…)`, `(record LABEL :field N :equals V)`, `[p …]` and `{:k p …}`";

impl Expander<'_, '_> {
    /// Expands a pattern, binding its `?x` variables in the innermost scope.
    pub(crate) fn pattern(&mut self, d: &Datum) -> Pattern {
        let mut bound = Vec::new();
        self.pattern_in(d, &mut bound)
    }

    fn pattern_in(&mut self, d: &Datum, bound: &mut Vec<String>) -> Pattern {
        let span = d.span;
        let kind = match &d.kind {
            DatumKind::Symbol(s) if s == "_" => PatternKind::Wildcard,
            DatumKind::Symbol(s) if s.starts_with('?') => {
                let name = &s[1..];
                if name.is_empty() {
                    self.bad_pattern(d, "`?` needs a name: write `?x`");
                    PatternKind::Wildcard
                } else if bound.iter().any(|b| b == name) {
                    self.error(
                        Diagnostic::new(codes::BAD_SPECIAL_FORM, span, format!("`?{name}` is bound twice in this pattern"))
                            .with_label("bound again here")
                            .with_help(format!("use a different name, or match the earlier value with `{name}` after the pattern")),
                    );
                    PatternKind::Wildcard
                } else {
                    bound.push(name.to_string());
                    PatternKind::Bind(self.bind_local(name, span, LocalKind::Pattern))
                }
            }
            DatumKind::Symbol(s) if self.resolve(s).is_none() && self.macro_named(s).is_none() => {
                // Most likely meant to bind: say so, and bind it, so the uses after the
                // pattern are not reported too.
                self.error(
                    Diagnostic::new(
                        codes::UNKNOWN_IDENTIFIER,
                        span,
                        format!("unknown identifier `{s}` in a pattern"),
                    )
                    .with_label("a plain name matches the value of an existing variable")
                    .with_help(format!(
                        "write `?{s}` to bind the value to `{s}`, or `_` to match anything"
                    )),
                );
                bound.push(s.to_string());
                PatternKind::Bind(self.bind_local(s, span, LocalKind::Pattern))
            }
            DatumKind::Symbol(s) => PatternKind::Value(Box::new(self.variable(s, span))),
            DatumKind::List(items) => match items.first().and_then(Datum::as_symbol) {
                Some("quote") if items.len() == 2 => PatternKind::Literal(items[1].clone()),
                Some("record") => self.record_pattern(d, &items[1..], bound),
                _ => {
                    self.bad_pattern(d, "a list is not a pattern");
                    PatternKind::Wildcard
                }
            },
            DatumKind::Vector(items) => {
                PatternKind::Sequence(items.iter().map(|i| self.pattern_in(i, bound)).collect())
            }
            DatumKind::Map(pairs) => {
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    if !super::forms::is_constant(k) {
                        self.bad_pattern(k, "map pattern keys must be literals");
                        continue;
                    }
                    let p = self.pattern_in(v, bound);
                    out.push((k.clone(), p));
                }
                PatternKind::Map(out)
            }
            DatumKind::Error => PatternKind::Wildcard,
            _ => PatternKind::Literal(d.clone()),
        };
        Pattern { kind, span }
    }

    fn record_pattern(
        &mut self,
        d: &Datum,
        args: &[Datum],
        bound: &mut Vec<String>,
    ) -> PatternKind {
        let Some(label) = args.first().and_then(Datum::as_symbol) else {
            self.bad_pattern(d, "`record` in a pattern needs a label symbol first");
            return PatternKind::Wildcard;
        };
        let rest = &args[1..];
        if rest.first().and_then(Datum::as_keyword) == Some("field") {
            let shape = rest.len() == 4 && rest[2].as_keyword() == Some("equals");
            let index = match rest.get(1).map(|d| &d.kind) {
                Some(DatumKind::Int(i)) if *i >= 0 => Some(*i as usize),
                _ => None,
            };
            let (true, Some(index)) = (shape, index) else {
                self.bad_pattern(
                    d,
                    "write `(record LABEL :field N :equals VALUE)` with N a field index from 0",
                );
                return PatternKind::Wildcard;
            };
            let value = self.expr(&rest[3], false);
            return PatternKind::RecordField(label.to_string(), index, Box::new(value));
        }
        let fields = rest.iter().map(|f| self.pattern_in(f, bound)).collect();
        PatternKind::Record(label.to_string(), fields)
    }

    fn bad_pattern(&mut self, d: &Datum, label: &str) {
        self.error(
            Diagnostic::new(
                codes::BAD_SPECIAL_FORM,
                d.span,
                "this is not a valid pattern",
            )
            .with_label(label)
            .with_help(PATTERN_HELP),
        );
    }
}
