//! The state graph of a workflow: states no run can reach, and states from which a run can
//! never finish.

use super::exits;
use super::walk::each_expr;
use crate::codes;
use crate::core::{ExprKind, Workflow};
use crate::diagnostic::Diagnostic;

/// Warns about unreachable states and states with no way to finish.
pub fn state_graph(wf: &Workflow, out: &mut Vec<Diagnostic>) {
    let n = wf.states.len();
    if n == 0 {
        return;
    }
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut finishes = vec![false; n];
    for (i, state) in wf.states.iter().enumerate() {
        for expr in &state.body {
            each_expr(expr, &mut |e| match e.kind {
                ExprKind::Goto(j) => successors[i].push(j),
                ExprKind::Terminal(..) => finishes[i] = true,
                _ => {}
            });
        }
        let falls_through = !state.body.iter().any(exits);
        if falls_through {
            if i + 1 < n {
                successors[i].push(i + 1);
            } else {
                finishes[i] = true;
            }
        }
    }

    let mut reachable = vec![false; n];
    let mut stack = vec![0];
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut reachable[i], true) {
            stack.extend(&successors[i]);
        }
    }

    // Backwards from the states that finish, over the reversed edges: linear in states and
    // gotos.
    let mut predecessors: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, next) in successors.iter().enumerate() {
        for &j in next {
            predecessors[j].push(i);
        }
    }
    let mut can_finish = finishes.clone();
    let mut stack: Vec<usize> = (0..n).filter(|&i| finishes[i]).collect();
    while let Some(j) = stack.pop() {
        for &i in &predecessors[j] {
            if !std::mem::replace(&mut can_finish[i], true) {
                stack.push(i);
            }
        }
    }

    for (i, state) in wf.states.iter().enumerate() {
        if !reachable[i] {
            out.push(
                Diagnostic::new(
                    codes::UNREACHABLE_STATE,
                    state.name_span,
                    format!("state `{}` is never entered", state.name),
                )
                .with_label("no `goto` leads here, and no earlier state falls through to it")
                .with_help(format!(
                    "add `(goto {})` where it should run, or remove the state",
                    state.name
                )),
            );
        } else if !can_finish[i] {
            out.push(
                Diagnostic::new(
                    codes::NO_EXIT,
                    state.name_span,
                    format!("a run that enters state `{}` can never finish", state.name),
                )
                .with_label("no path from here reaches a `terminal` or the end of the workflow")
                .with_help("add `(terminal)` on some path, or a `goto` to a state that finishes"),
            );
        }
    }
}
