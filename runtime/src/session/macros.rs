//! Running macros at expansion time on the session's VM. Before a macro first runs, the
//! function definitions that precede it in the module are evaluated (only `defn`s and `def`s
//! of `fn`s: pure definitions), so a macro can call helpers defined above it, as in
//! Clojure. Other top-level forms do not run at expansion time.

use std::collections::BTreeMap;

use duet_lang::compile::Compiler;
use duet_lang::core::{Expr, ExprKind, Macro, Module};
use duet_lang::expand::MacroHost;
use duet_lang::source::SourceMap;
use duet_lang::syntax::datum::Datum;
use duet_vm::value::Value;
use duet_vm::{Step, Vm};

use super::convert;

/// The [`MacroHost`] of a session.
pub struct MacroRunner<'s> {
    /// The session's compiler.
    pub compiler: &'s mut Compiler,
    /// The session's VM.
    pub vm: &'s mut Vm,
    /// How many top-level forms of the module were already looked at for definitions.
    pub seen: usize,
    /// Macros compiled so far, by name (kept by the session across inputs).
    pub compiled: &'s mut BTreeMap<String, Value>,
}

impl MacroRunner<'_> {
    /// Compiles `body` as a chunk and runs it to its value.
    fn evaluate(
        &mut self,
        sources: &SourceMap,
        module: &Module,
        body: Vec<Expr>,
    ) -> Result<Value, String> {
        let chunk = Module {
            body,
            locals: module.locals.clone(),
            ..Module::default()
        };
        let fid = self.compiler.compile_chunk(&chunk, sources);
        self.vm
            .update_program(self.compiler.program().clone())
            .map_err(|e| e.to_string())?;
        self.vm.start(0, fid);
        self.finish(None)
    }

    /// Runs fiber 0 to the end of its host call.
    fn finish(&mut self, first: Option<Step>) -> Result<Value, String> {
        let mut step = first.unwrap_or_else(|| self.vm.run(0, u64::MAX));
        loop {
            match step {
                Step::Done(v) => return Ok(v),
                Step::Paused => {}
                Step::Error(e) => return Err(e.message),
                Step::Request(_) => {
                    let error = self.vm.machine.ctx.error_value(
                        "effect",
                        "a macro cannot perform effects (print, prompt, shell, …) while the program is being expanded",
                        Value::Nil,
                    );
                    self.vm.resume_with_error(0, error);
                }
            }
            step = self.vm.run(0, u64::MAX);
        }
    }
}

impl MacroHost for MacroRunner<'_> {
    fn expand(
        &mut self,
        sources: &SourceMap,
        module: &Module,
        mac: &Macro,
        call: &Datum,
        max_forms: usize,
    ) -> Result<Datum, String> {
        let args = call.as_list().map_or(&[][..], |items| &items[1..]);
        let definitions: Vec<Expr> = module.body[self.seen.min(module.body.len())..]
            .iter()
            .filter(|e| matches!(&e.kind, ExprKind::Def(_, v) if matches!(v.kind, ExprKind::Fn(_))))
            .cloned()
            .collect();
        self.seen = module.body.len();
        if !definitions.is_empty() {
            self.evaluate(sources, module, definitions)?;
        }
        let closure = match self.compiled.get(&mac.name) {
            Some(&c) => c,
            None => {
                let literal = Expr {
                    kind: ExprKind::Fn(Box::new(mac.lambda.clone())),
                    span: mac.span,
                };
                let c = self.evaluate(sources, module, vec![literal])?;
                // Keep the closure alive across collections.
                self.vm.machine.ctx.pinned.push(c);
                self.compiled.insert(mac.name.clone(), c);
                c
            }
        };
        let mut spans = convert::Spans::new();
        let values: Vec<Value> = args
            .iter()
            .map(|a| convert::to_value(&mut self.vm.machine.ctx, a, &mut spans))
            .collect();
        // Pinned until the expansion is converted, so no recorded object's slot is reused.
        let pinned = self.vm.machine.ctx.pinned.len();
        self.vm.machine.ctx.pinned.extend(&values);
        let first = self.vm.call(0, closure, &values);
        let expansion = self.finish(first).and_then(|result| {
            convert::to_datum(&self.vm.machine.ctx, result, call.span, &spans, max_forms)
        });
        self.vm.machine.ctx.pinned.truncate(pinned);
        expansion
    }
}
