//! `duet store check` and `duet store salvage`: looking after the store itself.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use duet::driver::store::{STORE_PATIENCE, open};

use super::run::store_dir;
use crate::output::{self, errln, outln};

/// Arguments of `duet store`.
#[derive(Debug, Args)]
pub struct StoreCommand {
    #[command(subcommand)]
    action: StoreAction,
    /// The store (default: `$DUET_STORE`, else `.duet` here).
    #[arg(long, value_name = "DIR", global = true)]
    store: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum StoreAction {
    /// Read and check every record of the store; list every problem found.
    Check,
    /// Copy every run, turn, snapshot and blob that can still be read into a new store at
    /// DEST, leaving the damaged store as it is; say what could not be saved.
    Salvage {
        /// The new store's directory (must not exist).
        dest: PathBuf,
    },
}

impl StoreCommand {
    /// Whether this is `duet store check` (which a daemon serving the store runs).
    pub fn checks(&self) -> bool {
        matches!(self.action, StoreAction::Check)
    }
}

/// Runs `duet store …`. Exit status: 0 nothing wrong (check) or everything saved (salvage),
/// 1 problems found, the store cannot be opened, or records lost; 2 salvage cannot start
/// (its scratch or destination cannot be used).
pub fn run(args: &StoreCommand) -> ExitCode {
    let dir = store_dir(args.store.as_deref());
    match &args.action {
        StoreAction::Check => check(&dir),
        StoreAction::Salvage { dest } => salvage(&dir, dest),
    }
}

fn check(dir: &std::path::Path) -> ExitCode {
    // The same name whether a daemon serving the store runs the check or this process does.
    let canonical = std::fs::canonicalize(dir);
    let dir = canonical.as_deref().unwrap_or(dir);
    let store = match open(dir, STORE_PATIENCE) {
        Ok(store) => store,
        Err(e) => {
            output::error(&e);
            errln!(
                "  `duet store salvage NEW-DIR --store {}` copies what can still be read",
                dir.display()
            );
            return ExitCode::from(1);
        }
    };
    match store.check() {
        Ok(report) if report.problems.is_empty() => {
            outln!(
                "store {}: {} records, all intact",
                dir.display(),
                report.records
            );
            ExitCode::SUCCESS
        }
        Ok(report) => {
            for problem in &report.problems {
                outln!("{problem}");
            }
            output::error(&format!(
                "the store {} has {} damaged records of {}; `duet store salvage NEW-DIR` copies \
                 everything else into a new store",
                dir.display(),
                report.problems.len(),
                report.records
            ));
            ExitCode::from(1)
        }
        Err(e) => {
            output::error(&e.to_string());
            ExitCode::from(1)
        }
    }
}

fn salvage(dir: &std::path::Path, dest: &std::path::Path) -> ExitCode {
    if dest.exists() {
        output::error(&format!(
            "cannot salvage into {}: it already exists; name a new directory",
            dest.display()
        ));
        return ExitCode::from(2);
    }
    let scratch = match tempfile_dir() {
        Ok(scratch) => scratch,
        Err(e) => {
            output::error(&format!("cannot make a scratch directory: {e}"));
            return ExitCode::from(2);
        }
    };
    let result = duet_store::salvage(dir, dest, &scratch);
    let _ = std::fs::remove_dir_all(&scratch);
    match result {
        Ok(report) => {
            if let Some(why) = &report.recovered_from {
                errln!(
                    "note: the store could not be opened as it is ({why}); a copy was read, repaired as follows"
                );
            }
            for piece in &report.set_aside {
                errln!("set aside: {piece}");
            }
            for problem in &report.lost {
                outln!("lost: {problem}");
            }
            errln!(
                "salvage: {} records copied into {}, {} lost; the store {} is unchanged",
                report.copied,
                dest.display(),
                report.lost.len(),
                dir.display()
            );
            ExitCode::from(
                if report.lost.is_empty() && report.recovered_from.is_none() {
                    0
                } else {
                    1
                },
            )
        }
        Err(e) => {
            output::error(&e.to_string());
            ExitCode::from(1)
        }
    }
}

/// A fresh scratch directory under the system's temporary directory.
fn tempfile_dir() -> std::io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("duet-salvage-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
