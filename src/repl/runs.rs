//! Workflow runs started at the prompt: a workflow typed or loaded runs as `duet run` runs
//! a file's, and an expression that prompts a role, asks a person or waits runs as a
//! one-state workflow whose result is the expression's value. Runs go to a store of their
//! own that lives as long as the REPL (a temporary directory, removed at the end), or to
//! `--store DIR` to keep them for `duet history` and the rest.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use duet::driver::events::Reporter;
use duet::driver::script::{Exit, Setup};
use duet::driver::{Limits, Session};
use duet_lang::frontend::Checked;
use duet_runtime::effects::{Capabilities, Workspace};

/// Where the REPL's runs go and what they may do.
pub struct RunPlace {
    /// The store the runs are recorded in.
    pub store: PathBuf,
    /// The temporary directory holding `store`, removed when the REPL ends; `None` for a
    /// store the person named.
    temporary: Option<tempfile::TempDir>,
    limits: Limits,
    capabilities: Capabilities,
    workspace: Workspace,
    agents: Vec<(String, String)>,
    interrupt: Arc<AtomicBool>,
}

impl RunPlace {
    /// Runs go to `store`, or with `None` to a store in a new temporary directory.
    pub fn new(
        store: Option<PathBuf>,
        limits: Limits,
        capabilities: Capabilities,
        agents: Vec<(String, String)>,
        interrupt: Arc<AtomicBool>,
    ) -> Result<RunPlace, String> {
        let (store, temporary) = match store {
            Some(store) => (store, None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("duet-repl-")
                    .tempdir()
                    .map_err(|e| format!("cannot make a temporary store for the REPL's runs: {e}; name one with --store DIR"))?;
                (dir.path().join("store"), Some(dir))
            }
        };
        let workspace = crate::commands::settings::RunSettings::workspace(&store)?;
        Ok(RunPlace {
            store,
            temporary,
            limits,
            capabilities,
            workspace,
            agents,
            interrupt,
        })
    }

    /// Whether the store disappears with the REPL.
    pub fn is_temporary(&self) -> bool {
        self.temporary.is_some()
    }

    /// What the session's own effects (`shell`, files, clocks) may do.
    pub fn effects(&self) -> (Capabilities, Workspace) {
        (self.capabilities.clone(), self.workspace.clone())
    }

    /// Runs the workflow of `checked` (checked without errors) from `session`; with
    /// `brief`, its start and states are not shown (an expression's run).
    pub fn run(&self, session: &mut Session, checked: &Checked, name: &str, brief: bool) -> Exit {
        let setup = Setup {
            limits: self.limits,
            effects: Some(self.effects()),
            workflow: None,
            agents: self.agents.clone(),
            store: self.store.clone(),
            json: false,
            detach: false,
            budget_microusd: None,
            live_questions: false,
            interrupt: Some(Arc::clone(&self.interrupt)),
            process_ends: false,
        };
        let mut out = std::io::stdout();
        let mut err = std::io::stderr();
        let mut report = Reporter::new(false, &mut out, &mut err);
        if brief {
            report = report.brief();
        }
        duet::driver::run_workflow(session, checked, name, setup, &mut report)
    }
}

/// The source of a one-state workflow `name` whose result is the value of `code`, its
/// prompts asked of `roles` (a `(roles …)` form).
pub fn wrapped(name: &str, roles: Option<&str>, code: &str) -> String {
    format!(
        "(workflow {name} {}\n  (state main (terminal :completed (do\n{code}\n))))\n",
        roles.unwrap_or("")
    )
}
