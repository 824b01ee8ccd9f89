//! `--reload` for `duet resume` and `duet fork`: the run continues in its workflow file's
//! current code (LANGUAGE.md §8; `duet_runtime::durable::reload`).

use std::sync::Arc;

use duet::driver::events::Reporter;
use duet::driver::reload::new_code;
use duet::driver::script::Exit;
use duet_runtime::durable::{self, EngineError, NewCode, Reloaded, SystemClock};
use duet_store::{RunId, Store};

use crate::output;

/// Why a reload did not happen, once reported.
pub enum Refused {
    /// The file does not read or check, or the run's state cannot be carried.
    Usage,
    /// The store failed.
    Failed,
}

impl Refused {
    /// How the command ends.
    pub fn exit(&self) -> Exit {
        match self {
            Refused::Usage => Exit::Rejected,
            Refused::Failed => Exit::Failed,
        }
    }

    /// The command's exit status: 2 for a usage error, 1 for a failure.
    pub fn exit_code(&self) -> u8 {
        self.exit().exit_code()
    }
}

/// Run `id`'s workflow file compiled as it is now; what is wrong with it is reported on
/// `report`.
pub fn compile(store: &Store, id: RunId, report: &mut Reporter) -> Result<NewCode, Refused> {
    let (source, workflow) = durable::source_of(store, id).map_err(|e| refused(report, e))?;
    let Some(source) = source else {
        report.error(format!(
            "run {id} records no workflow file to reload (it was started by an earlier duet); continue it with `duet resume {id}`"
        ));
        return Err(Refused::Usage);
    };
    new_code(&source, &workflow, report, output::stderr_color()).ok_or(Refused::Usage)
}

/// Journals run `id`'s continuing in `code` at the head of its current branch; why it
/// cannot is reported on `report`, and then nothing is written.
pub fn continue_in(
    store: &Store,
    id: RunId,
    code: NewCode,
    report: &mut Reporter,
) -> Result<Reloaded, Refused> {
    durable::reload(store, id, code, Arc::new(SystemClock)).map_err(|e| refused(report, e))
}

/// Reports engine error `e`: a usage error or a failure.
fn refused(report: &mut Reporter, e: EngineError) -> Refused {
    report.error(e.to_string());
    if e.is_usage() {
        Refused::Usage
    } else {
        Refused::Failed
    }
}

/// The line that tells a person where the run continues.
pub fn said(id: RunId, reloaded: &Reloaded) -> String {
    format!(
        "run: {id} continues in its file's current code after turn {} on branch {}, re-entering state `{}`",
        reloaded.turn, reloaded.branch, reloaded.state
    )
}
