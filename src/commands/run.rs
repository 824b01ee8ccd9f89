//! `duet run FILE`: check a program and run it. A file without a workflow is a script: its
//! top-level forms are evaluated in order, in memory, touching no store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use duet::driver::{Limits, script};
use duet_lang::frontend::FsLoader;
use duet_runtime::effects::{Capabilities, Workspace};

use crate::output;

/// Arguments of `duet run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The program to run.
    file: PathBuf,
    /// Stop the program after this many steps (calls and loop iterations).
    #[arg(long, value_name = "N", default_value_t = duet_vm::DEFAULT_BUDGET)]
    max_steps: u64,
    /// Fail when calls nest deeper than this.
    #[arg(long, value_name = "N", default_value_t = duet_vm::DEFAULT_MAX_FRAMES)]
    max_depth: usize,
    /// Raise a `:memory` error when the program's data needs more than this, in bytes or
    /// with a unit: 512M, 4G.
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    max_memory: usize,
    /// Grant a capability: shell, workspace/read, workspace/write, network (repeatable).
    #[arg(long = "allow", value_name = "CAPABILITY")]
    allow: Vec<String>,
    /// Which workflow to run when the file defines several.
    #[arg(long, value_name = "NAME")]
    workflow: Option<String>,
    /// Play ROLE with agent KIND instead of the declared one (repeatable), e.g. planner=echo.
    #[arg(long = "agent", value_name = "ROLE=KIND")]
    agent: Vec<String>,
    /// Play every role with agent KIND, e.g. `--agents echo` to dry-run offline.
    #[arg(long, value_name = "KIND")]
    agents: Option<String>,
    /// The store workflows run in (default: `$DUET_STORE`, else `.duet` here).
    #[arg(long, value_name = "DIR")]
    store: Option<std::path::PathBuf>,
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
    let limits = Limits {
        max_steps: args.max_steps,
        max_frames: args.max_depth,
        max_memory: args.max_memory,
    };
    let mut capabilities = Capabilities::default();
    for cap in &args.allow {
        match cap.parse() {
            Ok(cap) => capabilities.grant(cap),
            Err(e) => {
                output::error(&e);
                return ExitCode::from(2);
            }
        }
    }
    let store = store_dir(args.store.as_deref());
    // The store is never part of the workspace, wherever it lies (`.duet` by default).
    let workspace = match duet::driver::served::current_dir().and_then(Workspace::new) {
        Ok(w) => w.with_forbidden(&store),
        Err(e) => {
            output::error(&format!(
                "cannot use the current directory as the workspace: {e}"
            ));
            return ExitCode::from(2);
        }
    };
    let mut agents: Vec<(String, String)> = Vec::new();
    if let Some(kind) = &args.agents {
        agents.push(("*".into(), kind.clone()));
    }
    for pair in &args.agent {
        match pair.split_once('=') {
            Some((role, kind)) if !role.is_empty() && !kind.is_empty() => {
                agents.push((role.into(), kind.into()))
            }
            _ => {
                output::error(&format!(
                    "`--agent {pair}` should be ROLE=KIND, e.g. `--agent planner=echo`"
                ));
                return ExitCode::from(2);
            }
        }
    }
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
            limits,
            effects: Some((capabilities, workspace)),
            workflow: args.workflow.clone(),
            agents,
            store,
            json: args.json,
            detach: args.detach,
            budget_microusd,
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

/// A size in bytes: a number, optionally followed by K, M or G (powers of 1024).
fn parse_size(text: &str) -> Result<usize, String> {
    let trimmed = text.trim();
    let (digits, unit) = match trimmed.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => trimmed.split_at(i),
        None => (trimmed, ""),
    };
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        _ => {
            return Err(format!(
                "`{text}` is not a size; write bytes, or e.g. 512M or 4G"
            ));
        }
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size; write bytes, or e.g. 512M or 4G"))?;
    n.checked_mul(1 << shift)
        .filter(|&bytes| bytes > 0)
        .ok_or_else(|| format!("`{text}` is not a size this machine can use"))
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_units() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("4g"), Ok(4 << 30));
        assert_eq!(parse_size("2KiB"), Ok(2048));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5T").is_err());
    }
}
