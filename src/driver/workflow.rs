//! Running a file's workflow: compile it, run the file's top-level forms, then drive the
//! workflow on the actor runtime until it ends or waits for something outside.

use std::io::Write;

use duet_lang::frontend::Checked;
use duet_runtime::effects::{Capabilities, Workspace};
use duet_runtime::workflow::host::{Run, Stop};
use duet_runtime::workflow::{Ending, Output};

use super::Session;
use super::script::{Outcome, Setup};

/// Runs the chosen workflow of `checked` (already checked without errors).
pub fn run(
    mut session: Session,
    checked: &Checked,
    name: &str,
    setup: Setup,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Outcome {
    let workflows = &checked.module.workflows;
    let index = match &setup.workflow {
        Some(wanted) => match workflows.iter().position(|w| &w.name == wanted) {
            Some(i) => i,
            None => {
                let names: Vec<String> =
                    workflows.iter().map(|w| format!("`{}`", w.name)).collect();
                let _ = writeln!(
                    err,
                    "error: `{name}` has no workflow `{wanted}`; it has {}",
                    names.join(", ")
                );
                return Outcome::Rejected;
            }
        },
        None if workflows.len() > 1 => {
            let names: Vec<String> = workflows.iter().map(|w| format!("`{}`", w.name)).collect();
            let _ = writeln!(
                err,
                "error: `{name}` has {} workflows ({}); choose one with `--workflow NAME`",
                workflows.len(),
                names.join(", ")
            );
            return Outcome::Rejected;
        }
        None => 0,
    };
    let workflow = &workflows[index];
    let roles = match super::roles::roles(workflow, &setup.agents) {
        Ok(roles) => roles,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return Outcome::Rejected;
        }
    };
    let fid = session.load(checked);
    if let Err(e) = session.run(fid, out, err) {
        let _ = write!(err, "{}", session.render_error(&e, false));
        return Outcome::Failed;
    }
    let compiled = session.compile_workflow(checked, index);
    let (capabilities, workspace) = match setup.effects {
        Some(effects) => effects,
        None => match std::env::current_dir().and_then(Workspace::new) {
            Ok(w) => (Capabilities::default(), w),
            Err(e) => {
                let _ = writeln!(
                    err,
                    "error: cannot use the current directory as the workspace: {e}"
                );
                return Outcome::Rejected;
            }
        },
    };
    if let Some(dir) = &setup.store {
        return super::durable::start(
            dir,
            session.into_vm(),
            compiled,
            roles,
            capabilities,
            workspace,
            out,
            err,
        );
    }
    let _ = writeln!(err, "run: workflow `{}` started", workflow.name);
    let mut run = Run::start(session.into_vm(), compiled, roles, capabilities);
    let stop = run.drive(&workspace, &mut |output| match output {
        Output::Print(text) => {
            let _ = out.write_all(text.as_bytes());
        }
        Output::Log(text) => {
            let _ = writeln!(err, "log: {text}");
        }
    });
    let _ = out.flush();
    match stop {
        Stop::Ended(Ending::Completed(result)) => {
            match result {
                duet_runtime::sam::Term::Nil => {
                    let _ = writeln!(err, "run: completed");
                }
                result => {
                    let _ = writeln!(err, "run: completed with {result}");
                }
            }
            Outcome::Done
        }
        Stop::Ended(Ending::Cancelled(result)) => {
            let _ = writeln!(err, "run: cancelled ({result})");
            Outcome::Done
        }
        Stop::Ended(Ending::Failed(message)) => {
            let _ = writeln!(err, "error: the run failed: {message}");
            Outcome::Failed
        }
        Stop::Waiting(why) => {
            let _ = writeln!(err, "run: suspended: {why}");
            Outcome::Waiting
        }
    }
}
