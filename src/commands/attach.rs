//! `duet attach RUN` (follow a run the daemon runs, from where it is) and `duet stop RUN`
//! (end a run as cancelled, stopping what it started).

use std::process::ExitCode;

use clap::Args;
use duet::driver::events::Reporter;
use duet::driver::script::Exit;
use duet::driver::served;
use duet_runtime::durable;
use duet_store::Status;

use super::run::store_dir;
use super::runs::{StoreArgs, with_run};
use crate::output::{self, errln};

/// Arguments of `duet attach`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// The run, e.g. `r1`.
    run: String,
    /// Report the run as JSON events, one a line, on standard output.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet attach RUN`: its events from where it is until it ends or waits. Exit status as
/// `duet run`'s; a run the daemon does not follow exits as its status says.
pub fn attach(args: &AttachArgs) -> ExitCode {
    let Some(host) = served::host() else {
        output::error(&format!(
            "no daemon serves {}; `duet daemon start` starts one, or `duet resume {}` follows \
             the run here",
            store_dir(args.store.store.as_deref()).display(),
            args.run
        ));
        return ExitCode::from(2);
    };
    with_run(&args.store, &args.run, |store, id| {
        let (mut out, mut err) = (output::stdout(), output::stderr());
        let mut report = Reporter::new(args.json, &mut out, &mut err);
        if let Some(exit) = host.attach(id, &mut report) {
            return Ok(exit);
        }
        drop(report);
        let run = store.run(id).map_err(|e| stored(id, e))?;
        errln!("run: {id} is not running in the daemon: {}", run.status);
        Ok(match run.status {
            Status::Completed | Status::Cancelled => Exit::Done,
            Status::Failed { .. } => Exit::Failed,
            Status::Running | Status::Waiting { .. } => Exit::Waiting,
        })
    })
}

/// Arguments of `duet stop`.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// The run, e.g. `r1`.
    run: String,
    #[command(flatten)]
    store: StoreArgs,
}

/// `duet stop RUN`: ends it as cancelled, stopping what it started. A run that has ended
/// already is left as it is.
pub fn stop(args: &StopArgs) -> ExitCode {
    with_run(&args.store, &args.run, |store, id| {
        if let Some(host) = served::host()
            && host.stop(id)
        {
            errln!("run: {id} stopped and recorded as cancelled");
            return Ok(Exit::Done);
        }
        let run = store.run(id).map_err(|e| stored(id, e))?;
        match run.status {
            Status::Running | Status::Waiting { .. } => {
                let now = duet_runtime::effects::now_ms().max(0) as u64;
                store
                    .set_status(id, Status::Cancelled, now)
                    .map_err(|e| stored(id, e))?;
                errln!("run: {id} recorded as cancelled");
            }
            ended => errln!("run: {id} has already ended ({ended}); nothing to stop"),
        }
        Ok(Exit::Done)
    })
}

/// A store error about run `id`, as the engine reports one.
fn stored(id: duet_store::RunId, e: duet_store::StoreError) -> durable::EngineError {
    durable::EngineError::Store {
        run: Some(id),
        source: Box::new(e),
    }
}
