//! The new code for `--reload` (`duet resume RUN --reload`, `duet fork … --reload`): the
//! run's workflow file compiled as it is now, its top-level forms run, the same workflow
//! chosen by name. A file that no longer reads or checks is reported with its diagnostics,
//! and nothing is changed.

use std::path::Path;

use duet_lang::frontend::FsLoader;
use duet_lang::render;
use duet_runtime::durable::NewCode;
use duet_runtime::workflow::roles;

use super::events::Reporter;
use super::script::run_reported;
use super::{Limits, Session};

/// The workflow `name` of `file` compiled anew, or `None` once what is wrong was reported.
pub fn new_code(file: &Path, name: &str, report: &mut Reporter, color: bool) -> Option<NewCode> {
    let shown = file.display().to_string();
    let bytes = match duet_lang::frontend::read_source(file) {
        Ok(bytes) => bytes,
        Err(message) => {
            report.error(format!("cannot reload the run's workflow: {message}"));
            return None;
        }
    };
    let mut session = Session::new(Limits::default());
    let checked = session.check(&shown, &bytes, &mut FsLoader);
    if checked.has_errors() {
        let rendered = render::human(
            &checked.diagnostics,
            &checked.sources,
            render::Style { color },
        );
        report.rendered_error(&rendered);
        report.error(format!(
            "`{shown}` does not check, so the run cannot continue in it; fix it and reload again"
        ));
        return None;
    }
    let workflows = &checked.module.workflows;
    let Some(index) = workflows.iter().position(|w| w.name == name) else {
        let names: Vec<String> = workflows.iter().map(|w| format!("`{}`", w.name)).collect();
        report.error(format!(
            "`{shown}` no longer has the run's workflow `{name}` (it has {}); the run cannot continue in it",
            if names.is_empty() { "none".to_string() } else { names.join(", ") }
        ));
        return None;
    };
    let roles = match roles::roles(&workflows[index], &[]) {
        Ok(roles) => roles,
        Err(e) => {
            report.error(format!("`{shown}`: {e}"));
            return None;
        }
    };
    let fid = session.load(&checked);
    if !run_reported(&mut session, fid, report) {
        return None;
    }
    let workflow = session.compile_workflow(&checked, index);
    Some(NewCode {
        vm: session.into_vm(),
        workflow,
        roles,
    })
}
