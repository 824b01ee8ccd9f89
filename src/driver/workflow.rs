//! Running a file's workflow: choose it, read its roles, run the file's top-level forms,
//! compile it, confirm the capabilities it declares, then create the run in the store and
//! follow it in the durable engine (or hand it to a background process with `--detach`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use duet_lang::frontend::Checked;
use duet_runtime::durable::{
    self, EventKind, NewRun, Observer, Ports, Resumption, Stopped, SystemClock,
};
use duet_runtime::effects::{Capabilities, Capability, Workspace};
use duet_runtime::workflow::roles;

use super::events::Reporter;
use super::script::{Exit, Setup, run_reported};
use super::terminal::{Terminal, confirm_grant};
use super::{Session, store};

/// Runs the chosen workflow of `checked` (already checked without errors). The file's
/// top-level forms run in `session` first (what they define stays there); the run gets a
/// copy of the session's machine.
pub fn run(
    session: &mut Session,
    checked: &Checked,
    name: &str,
    setup: Setup,
    report: &mut Reporter,
) -> Exit {
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
                return Exit::Rejected;
            }
        },
        None if workflows.len() > 1 => {
            report.error(format!(
                "`{name}` has {} workflows ({}); choose one with `--workflow NAME`",
                workflows.len(),
                names()
            ));
            return Exit::Rejected;
        }
        None => 0,
    };
    let roles = match roles::roles(&workflows[index], &setup.agents) {
        Ok(roles) => roles,
        Err(e) => {
            report.error(e);
            return Exit::Rejected;
        }
    };
    let fid = session.load(checked);
    // The file's top-level forms run first; what they print is the program's output too.
    if !run_reported(session, fid, report) {
        return Exit::Failed;
    }
    let compiled = session.compile_workflow(checked, index);
    let (mut capabilities, workspace) = match setup.effects {
        Some(effects) => effects,
        None => match super::served::current_dir().and_then(Workspace::new) {
            Ok(w) => (Capabilities::default(), w.with_forbidden(&setup.store)),
            Err(e) => {
                report.error(format!(
                    "cannot use the current directory as the workspace: {e}"
                ));
                return Exit::Rejected;
            }
        },
    };
    confirm_capabilities(
        &compiled.name,
        &compiled.capabilities,
        &mut capabilities,
        report,
    );
    let dir = &setup.store;
    let store = match store::open(dir, store::STORE_PATIENCE) {
        Ok(store) => store,
        Err(e) => {
            report.error(e);
            return Exit::Rejected;
        }
    };
    let clock = Arc::new(SystemClock);
    let mut terminal = Terminal::new(setup.live_questions);
    let mut ports = Ports {
        observer: report,
        answers: &mut terminal,
        clock: clock.clone(),
    };
    let new = NewRun {
        vm: session.vm().clone(),
        workflow: compiled,
        roles,
        capabilities,
        workspace,
        source: std::fs::canonicalize(name).ok(),
        budget_microusd: setup.budget_microusd,
    };
    let id = match durable::create(&store, new, Some(dir.display().to_string()), &mut ports) {
        Ok(id) => id,
        Err(e) => {
            report.error(format!("cannot record the run: {e}"));
            return Exit::Failed;
        }
    };
    if let Some(host) = super::served::host().filter(|h| h.lasting()) {
        // The daemon follows the run; this command reports it, or with `--detach` not.
        if !setup.detach {
            drop(ports);
            return host.follow(
                id,
                Resumption::Start,
                durable::Changes::default(),
                super::served::answers(),
                report,
            );
        }
        return match host.start(id) {
            Ok(()) => {
                report.event(durable::RunEvent {
                    kind: EventKind::Detached {
                        pid: std::process::id(),
                        log: super::detach::daemon_log(dir).display().to_string(),
                    },
                    run: Some(id.to_string()),
                    turn: None,
                    at: duet_runtime::effects::now_ms(),
                });
                Exit::Waiting
            }
            Err(e) => {
                report.error(e);
                Exit::Failed
            }
        };
    }
    if setup.detach {
        let reason = "starting in the background".to_string();
        if let Err(e) = durable::mark_waiting(&store, id, reason, clock.as_ref()) {
            report.error(format!("cannot record the run: {e}"));
            return Exit::Failed;
        }
        // The background process takes the store's lock (from a foreground `duet` serving
        // this command, once it lets go of it).
        drop(store);
        return super::detach::hand_over(dir, id, report);
    }
    // Served by a foreground `duet`, or serving others while following here. A host that
    // handles Ctrl-C itself (the REPL, with its runs in a store of its own) follows here.
    let (host, _serving) = match setup.interrupt {
        None => super::served::following_host(&store),
        Some(_) => (None, None),
    };
    if let Some(host) = host {
        drop(ports);
        return host.follow(
            id,
            Resumption::Start,
            durable::Changes::default(),
            super::served::answers(),
            report,
        );
    }
    let _lease = super::lease::hold(dir, id);
    let stop = durable::StopSignal::default();
    let _watch = setup
        .interrupt
        .map(|flag| Interrupted::watch(flag, stop.clone()));
    let followed = durable::follow_until(
        &store,
        id,
        Resumption::Start,
        &durable::Changes::default(),
        &mut ports,
        &stop,
    );
    outcome(followed, report)
}

/// The exit outcome of following a run; an engine error is reported to `report` as an
/// `error` event.
pub fn outcome(followed: Result<Stopped, durable::EngineError>, report: &mut dyn Observer) -> Exit {
    let exit = match &followed {
        Ok(Stopped::Ended(duet_runtime::workflow::Ending::Failed(_))) => Exit::Failed,
        Ok(Stopped::Ended(_)) => Exit::Done,
        Ok(Stopped::Waiting) => Exit::Waiting,
        Err(e) if e.is_usage() => Exit::Rejected,
        Err(_) => Exit::Failed,
    };
    if let Err(e) = followed {
        report.event(durable::RunEvent {
            kind: EventKind::Error {
                message: e.to_string(),
            },
            run: None,
            turn: None,
            at: duet_runtime::effects::now_ms(),
        });
    }
    exit
}

/// Watches a Ctrl-C flag while a run is followed, and stops following once it is set; the
/// watch ends when this is dropped.
struct Interrupted {
    done: Arc<AtomicBool>,
}

impl Interrupted {
    /// How often the flag is looked at.
    const EVERY: std::time::Duration = std::time::Duration::from_millis(25);

    fn watch(flag: Arc<AtomicBool>, stop: durable::StopSignal) -> Interrupted {
        // A Ctrl-C pressed before the run started is not meant for it.
        flag.store(false, Ordering::SeqCst);
        let done = Arc::new(AtomicBool::new(false));
        let finished = Arc::clone(&done);
        std::thread::spawn(move || {
            while !finished.load(Ordering::SeqCst) {
                if flag.swap(false, Ordering::SeqCst) {
                    stop.stop();
                    return;
                }
                std::thread::sleep(Self::EVERY);
            }
        });
        Interrupted { done }
    }
}

impl Drop for Interrupted {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
    }
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
    // Declarations were checked against the capability names (`duet check`).
    let wanted: Vec<Capability> = declared
        .iter()
        .filter_map(|c| c.parse().ok())
        .filter(|c| !granted.allows(*c))
        .collect();
    if wanted.is_empty() {
        return;
    }
    let names: Vec<String> = wanted.iter().map(|c| c.to_string()).collect();
    if confirm_grant(workflow, &names.join(", ")) {
        for c in wanted {
            granted.grant(c);
        }
        return;
    }
    report.report(EventKind::CapabilitiesDenied {
        workflow: workflow.to_string(),
        capabilities: names,
    });
}
