//! Workflows to code. Each state becomes a function of no arguments whose body is the
//! state's body; `goto` and `terminal` leave it as requests to the runtime, and returning
//! from it means falling through to the next state. Roles and workflow variables become
//! globals (`%role:N`, `%var:N`) that an initialisation chunk defines: a role's value is
//! the record `<role NAME {:agent-kind KIND …}>`.

use serde::{Deserialize, Serialize};

use super::Compiler;
use super::builder::FnBuilder;
use crate::core::{Expr, Module, Workflow};
use crate::ir::{Constant, Instr};
use crate::source::SourceMap;

/// A compiled workflow: where its code is in the program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompiledWorkflow {
    /// Its name.
    pub name: String,
    /// The function that defines its roles and variables.
    pub init: u32,
    /// One function per state, in declaration order, with the state's name.
    pub states: Vec<(String, u32)>,
    /// Role names in declaration order.
    pub roles: Vec<String>,
    /// Workflow variable names in declaration order (variable `i` lives in global
    /// [`var_global`]`(i)`): what `--reload` carries over by name.
    pub vars: Vec<String>,
    /// Capabilities it declares.
    pub capabilities: Vec<String>,
}

/// The global a role's value lives in.
pub fn role_global(index: usize) -> String {
    format!("%role:{index}")
}

/// The global a workflow variable lives in.
pub fn var_global(index: usize) -> String {
    format!("%var:{index}")
}

impl Compiler {
    /// Compiles workflow `index` of `module` (whose top-level forms were compiled before as
    /// a chunk, so its globals exist).
    pub fn compile_workflow(
        &mut self,
        module: &Module,
        sources: &SourceMap,
        index: usize,
    ) -> CompiledWorkflow {
        let wf: &Workflow = &module.workflows[index];
        self.begin_chunk(module, sources);

        self.stack
            .push(FnBuilder::new(format!("{} (roles and variables)", wf.name)));
        self.at(wf.span);
        for (i, role) in wf.roles.iter().enumerate() {
            self.at(role.span);
            let label = self.constant(Constant::Symbol("role".into()));
            self.emit(Instr::Const(label));
            let name = self.constant(Constant::Str(role.name.clone()));
            self.emit(Instr::Const(name));
            let hash_map = self.builtin("hash-map");
            for (key, value) in &role.options {
                let k = self.constant(Constant::Keyword(key.clone()));
                self.emit(Instr::Const(k));
                self.expr(value, false);
            }
            self.emit(Instr::CallBuiltin(hash_map, (role.options.len() * 2) as u8));
            self.emit(Instr::Record(2));
            let g = self.global(&role_global(i));
            self.emit(Instr::DefGlobal(g));
        }
        for (i, var) in wf.vars.iter().enumerate() {
            self.at(var.span);
            self.expr(&var.init, false);
            let g = self.global(&var_global(i));
            self.emit(Instr::DefGlobal(g));
        }
        self.emit(Instr::Nil);
        self.emit(Instr::Return);
        let builder = self.stack.pop().expect("the init builder");
        let init = self.add_function(builder);

        let states = wf
            .states
            .iter()
            .map(|state| {
                self.stack
                    .push(FnBuilder::new(format!("{} / {}", wf.name, state.name)));
                self.at(state.span);
                self.state_body(&state.body);
                self.emit(Instr::Return);
                let builder = self.stack.pop().expect("the state's builder");
                (state.name.clone(), self.add_function(builder))
            })
            .collect();
        CompiledWorkflow {
            name: wf.name.clone(),
            init,
            states,
            roles: wf.roles.iter().map(|r| r.name.clone()).collect(),
            vars: wf.vars.iter().map(|v| v.name.clone()).collect(),
            capabilities: wf.capabilities.iter().map(|(c, _)| c.clone()).collect(),
        }
    }

    fn state_body(&mut self, body: &[Expr]) {
        self.body(body, false);
    }
}
