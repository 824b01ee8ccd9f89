//! Running a file's workflow: compile it, run the file's top-level forms, then drive the
//! workflow on the actor runtime until it ends or waits for something outside.

use duet_lang::frontend::Checked;
use duet_runtime::effects::{Capabilities, Workspace};
use duet_runtime::workflow::Ending;
use duet_runtime::workflow::host::{Run, Stop};
use duet_sam::Term;
use serde_json::json;

use super::Session;
use super::events::Reporter;
use super::script::{Outcome, Setup};

/// Runs the chosen workflow of `checked` (already checked without errors).
pub fn run(
    mut session: Session,
    checked: &Checked,
    name: &str,
    setup: Setup,
    report: &mut Reporter,
) -> Outcome {
    let workflows = &checked.module.workflows;
    let names = || -> String {
        let names: Vec<String> = workflows.iter().map(|w| format!("`{}`", w.name)).collect();
        names.join(", ")
    };
    let index = match &setup.workflow {
        Some(wanted) => match workflows.iter().position(|w| &w.name == wanted) {
            Some(i) => i,
            None => {
                report.error(format!(
                    "`{name}` has no workflow `{wanted}`; it has {}",
                    names()
                ));
                return Outcome::Rejected;
            }
        },
        None if workflows.len() > 1 => {
            report.error(format!(
                "`{name}` has {} workflows ({}); choose one with `--workflow NAME`",
                workflows.len(),
                names()
            ));
            return Outcome::Rejected;
        }
        None => 0,
    };
    let workflow = &workflows[index];
    let roles = match super::roles::roles(workflow, &setup.agents) {
        Ok(roles) => roles,
        Err(e) => {
            report.error(e);
            return Outcome::Rejected;
        }
    };
    let fid = session.load(checked);
    // The file's top-level forms run first; what they print is the program's output too.
    if !session.run_reported(fid, report) {
        return Outcome::Failed;
    }
    let compiled = session.compile_workflow(checked, index);
    let (capabilities, workspace) = match setup.effects {
        Some(effects) => effects,
        None => match std::env::current_dir().and_then(Workspace::new) {
            Ok(w) => (Capabilities::default(), w),
            Err(e) => {
                report.error(format!(
                    "cannot use the current directory as the workspace: {e}"
                ));
                return Outcome::Rejected;
            }
        },
    };
    let mut capabilities = capabilities;
    confirm_capabilities(
        &compiled.name,
        &compiled.capabilities,
        &mut capabilities,
        report,
    );
    if let Some(dir) = &setup.store {
        return super::durable::start(
            dir,
            session.into_vm(),
            compiled,
            roles,
            capabilities,
            workspace,
            setup.detach,
            report,
        );
    }
    // In memory (the test corpus): no store, no run id.
    report.report(
        format!("run: workflow `{}` started", workflow.name),
        json!({"event": "started", "workflow": workflow.name}),
    );
    let mut run = Run::start(session.into_vm(), compiled, roles, capabilities);
    let stop = run.drive(&workspace, &mut |output| {
        report.outputs(std::slice::from_ref(output))
    });
    let (line, event, outcome) = match stop {
        Stop::Ended(Ending::Completed(Term::Nil)) => (
            "run: completed".to_string(),
            json!({"event": "ended", "status": "completed"}),
            Outcome::Done,
        ),
        Stop::Ended(Ending::Completed(result)) => (
            format!("run: completed with {result}"),
            json!({"event": "ended", "status": "completed", "result": result.to_string()}),
            Outcome::Done,
        ),
        Stop::Ended(Ending::Cancelled(result)) => (
            format!("run: cancelled ({result})"),
            json!({"event": "ended", "status": "cancelled", "result": result.to_string()}),
            Outcome::Done,
        ),
        Stop::Ended(Ending::Failed(message)) => (
            format!("error: the run failed: {message}"),
            json!({"event": "ended", "status": "failed", "error": message}),
            Outcome::Failed,
        ),
        Stop::Waiting(why) => (
            format!("run: suspended: {why}"),
            json!({"event": "suspended", "reason": why}),
            Outcome::Waiting,
        ),
    };
    report.report(line, event);
    outcome
}

/// A workflow's `(capabilities …)` declaration asks for capabilities; those `--allow` did
/// not grant are granted only when the person at the terminal says yes. Without a terminal
/// they stay denied, and the run is told how to grant them.
fn confirm_capabilities(
    workflow: &str,
    declared: &[String],
    granted: &mut Capabilities,
    report: &mut Reporter,
) {
    let wanted: Vec<&String> = declared.iter().filter(|c| !granted.allows(c)).collect();
    if wanted.is_empty() {
        return;
    }
    let list = wanted
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    use std::io::IsTerminal;
    let yes = std::io::stdin().is_terminal() && {
        eprint!("workflow `{workflow}` asks for {list}; grant for this run? [y/N] ");
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).is_ok()
            && matches!(line.trim().to_lowercase().as_str(), "y" | "yes")
    };
    if yes {
        for c in wanted {
            // Declarations were checked against the capability names.
            let _ = granted.grant(c);
        }
        return;
    }
    let flags = wanted
        .iter()
        .map(|c| format!("--allow {c}"))
        .collect::<Vec<_>>()
        .join(" ");
    report.report(
        format!(
            "note: workflow `{workflow}` asks for {list}, not granted; run with {flags} to grant"
        ),
        json!({"event": "capabilities-denied", "workflow": workflow, "capabilities": wanted}),
    );
}
