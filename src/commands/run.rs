//! `duet run FILE`: check a program and run it. A file without a workflow is a script: its
//! top-level forms are evaluated in order, in memory, touching no store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use duet::driver::{Limits, script};
use duet_lang::frontend::FsLoader;

use super::settings::RunSettings;
use crate::output;

/// Arguments of `duet run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The program to run.
    file: PathBuf,
    /// Limits, capabilities and agents.
    #[command(flatten)]
    pub settings: RunSettings,
    /// The store workflows run in (default: `$DUET_STORE`, else `.duet` here).
    #[arg(long, value_name = "DIR")]
    store: Option<std::path::PathBuf>,
    /// Which workflow to run when the file defines several.
    #[arg(long, value_name = "NAME")]
    workflow: Option<String>,
    /// Report a workflow run as JSON events, one a line, on standard output (the program's
    /// own output included, as `output` events).
    #[arg(long)]
    json: bool,
    /// Start the run, report its id and continue it in the background (exit 3); its
    /// reports go to STORE/logs/RUN.log.
    #[arg(long)]
    detach: bool,
    /// The most the run may spend on agents, in US dollars: the first agent call after the
    /// costs reach it fails with a catchable `:budget` error instead of being made.
    #[arg(long = "budget-usd", value_name = "USD")]
    budget_usd: Option<f64>,
}

/// The store directory: `--store`, else `$DUET_STORE`, else `.duet` in the current directory.
/// A command the daemon serves works in the daemon's store.
pub fn store_dir(given: Option<&std::path::Path>) -> std::path::PathBuf {
    if let Some(store) = duet::driver::served::store() {
        return store.dir().to_path_buf();
    }
    given
        .map(std::path::Path::to_path_buf)
        .or_else(|| std::env::var_os("DUET_STORE").map(std::path::PathBuf::from))
        .unwrap_or_else(|| {
            std::path::PathBuf::from(duet_runtime::effects::workspace::DEFAULT_STORE)
        })
}

/// Runs `duet run`. Exit status: 0 done, 1 the program failed, 2 it could not be read or
/// checked (nothing ran).
pub fn run(args: &RunArgs) -> ExitCode {
    let file = duet::driver::served::path(&args.file);
    let name = file.to_string_lossy().into_owned();
    let bytes = match duet_lang::frontend::read_source(&file) {
        Ok(bytes) => bytes,
        Err(message) => {
            output::error(&message);
            return ExitCode::from(2);
        }
    };
    let settings = &args.settings;
    let store = store_dir(args.store.as_deref());
    let setup = settings
        .capabilities()
        .and_then(|capabilities| Ok((capabilities, RunSettings::workspace(&store)?)))
        .and_then(|effects| Ok((effects, settings.agents()?)));
    let ((capabilities, workspace), agents) = match setup {
        Ok(setup) => setup,
        Err(message) => {
            output::error(&message);
            return ExitCode::from(2);
        }
    };
    let budget_microusd = match args.budget_usd.map(microusd).transpose() {
        Ok(budget) => budget,
        Err(message) => {
            output::error(&message);
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::BufWriter::new(output::stdout());
    let outcome = script::run(
        &name,
        &bytes,
        script::Setup {
            limits: settings.limits(),
            effects: Some((capabilities, workspace)),
            workflow: args.workflow.clone(),
            agents,
            store,
            json: args.json,
            detach: args.detach,
            budget_microusd,
            live_questions: true,
            interrupt: None,
            process_ends: true,
        },
        &mut FsLoader,
        &mut out,
        &mut output::stderr(),
        output::stderr_color(),
    );
    if let Err(e) = out.flush() {
        output::error(&format!("cannot write to standard output: {e}"));
        return ExitCode::from(1);
    }
    ExitCode::from(outcome.exit_code())
}

/// Whether `duet run` of these arguments runs a workflow durably in the store (a file that
/// checks and defines one): only such runs go to a daemon; a script touches no store.
/// A command the daemon serves reads the file relative to its client's directory.
pub fn durable(args: &RunArgs) -> bool {
    let file = duet::driver::served::path(&args.file);
    let Ok(bytes) = duet_lang::frontend::read_source(&file) else {
        return false;
    };
    let mut session = duet::driver::Session::new(Limits::default());
    let checked = session.check(&file.to_string_lossy(), &bytes, &mut FsLoader);
    !checked.has_errors() && !checked.module.workflows.is_empty()
}

/// `--budget-usd USD` in micro-dollars, or why it is not an amount.
pub fn microusd(usd: f64) -> Result<u64, String> {
    if usd.is_finite() && usd >= 0.0 {
        Ok((usd * 1e6).round() as u64)
    } else {
        Err(format!(
            "`--budget-usd {usd}` is not an amount of dollars; give one like `--budget-usd 2.50`"
        ))
    }
}
