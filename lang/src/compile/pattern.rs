//! Patterns to their compiled form. The values a pattern compares against (`x`,
//! `:equals v`) become arguments, evaluated before the match in the order returned.

use super::Compiler;
use super::analysis::walk_pattern;
use super::expr::constant;
use crate::core::{Expr, Pattern, PatternKind};
use crate::ir::{self, Constant, Instr};

impl Compiler {
    /// Compiles `pattern` against the current function's slots; returns its index and the
    /// expressions to pass as its arguments.
    pub(super) fn pattern<'p>(&mut self, pattern: &'p Pattern) -> (u32, Vec<&'p Expr>) {
        let mut values = Vec::new();
        let compiled = self.pattern_in(pattern, &mut values);
        self.program.patterns.push(compiled);
        ((self.program.patterns.len() - 1) as u32, values)
    }

    fn pattern_in<'p>(&mut self, pattern: &'p Pattern, values: &mut Vec<&'p Expr>) -> ir::Pattern {
        match &pattern.kind {
            PatternKind::Wildcard => ir::Pattern::Any,
            PatternKind::Bind(id) => ir::Pattern::Bind(self.top().slot(*id)),
            PatternKind::Literal(d) => ir::Pattern::Literal(self.constant(constant(d))),
            PatternKind::Value(e) => {
                values.push(e);
                ir::Pattern::Arg((values.len() - 1) as u16)
            }
            PatternKind::Record(label, fields) => {
                let label = self.constant(Constant::Symbol(label.clone()));
                let fields = fields.iter().map(|f| self.pattern_in(f, values)).collect();
                ir::Pattern::Record(label, fields)
            }
            PatternKind::RecordField(label, index, e) => {
                let label = self.constant(Constant::Symbol(label.clone()));
                values.push(e);
                ir::Pattern::RecordField(label, *index as u32, (values.len() - 1) as u16)
            }
            PatternKind::Sequence(items) => {
                ir::Pattern::Sequence(items.iter().map(|p| self.pattern_in(p, values)).collect())
            }
            PatternKind::Map(pairs) => ir::Pattern::Map(
                pairs
                    .iter()
                    .map(|(k, p)| (self.constant(constant(k)), self.pattern_in(p, values)))
                    .collect(),
            ),
        }
    }

    /// After a pattern bound its variables: puts the boxed ones in cells.
    pub(super) fn box_pattern_binds(&mut self, pattern: &Pattern) {
        let mut binds = Vec::new();
        walk_pattern(pattern, &mut |p| {
            if let PatternKind::Bind(id) = p.kind {
                binds.push(id);
            }
        });
        for id in binds {
            if self.boxed.contains(&id) {
                let slot = self.top().slot(id);
                self.emit(Instr::MakeCell(slot));
            }
        }
    }
}
