//! What a program may do and use wherever it runs: its limits, the capabilities granted and
//! the agents that play its roles. `duet run` and `duet repl` take the same flags for them
//! (each says for itself where its runs are stored).

use clap::Args;
use duet::driver::Limits;
use duet_runtime::effects::{Capabilities, Workspace};

/// The flags `duet run` and `duet repl` share.
#[derive(Debug, Args)]
pub struct RunSettings {
    /// Stop the program after this many steps (calls and loop iterations).
    #[arg(long, value_name = "N", default_value_t = duet_vm::DEFAULT_BUDGET)]
    pub max_steps: u64,
    /// Fail when calls nest deeper than this.
    #[arg(long, value_name = "N", default_value_t = duet_vm::DEFAULT_MAX_FRAMES)]
    pub max_depth: usize,
    /// Raise a `:memory` error when the program's data needs more than this, in bytes or
    /// with a unit: 512M, 4G.
    #[arg(long, value_name = "SIZE", default_value = "2G", value_parser = parse_size)]
    pub max_memory: usize,
    /// Grant a capability: shell, workspace/read, workspace/write, network (repeatable).
    #[arg(long = "allow", value_name = "CAPABILITY")]
    pub allow: Vec<String>,
    /// Play ROLE with agent KIND instead of the declared one (repeatable), e.g. planner=echo.
    #[arg(long = "agent", value_name = "ROLE=KIND")]
    pub agent: Vec<String>,
    /// Play every role with agent KIND, e.g. `--agents echo` to dry-run offline.
    #[arg(long, value_name = "KIND")]
    pub agents: Option<String>,
}

impl RunSettings {
    /// The step, depth and memory limits.
    pub fn limits(&self) -> Limits {
        Limits {
            max_steps: self.max_steps,
            max_frames: self.max_depth,
            max_memory: self.max_memory,
        }
    }

    /// The capabilities `--allow` grants, or why one is not a capability.
    pub fn capabilities(&self) -> Result<Capabilities, String> {
        let mut capabilities = Capabilities::default();
        for cap in &self.allow {
            capabilities.grant(cap.parse()?);
        }
        Ok(capabilities)
    }

    /// The `(role, kind)` pairs `--agents` and `--agent` give, `*` standing for every
    /// role, or why one is not `ROLE=KIND`.
    pub fn agents(&self) -> Result<Vec<(String, String)>, String> {
        let mut agents: Vec<(String, String)> = Vec::new();
        if let Some(kind) = &self.agents {
            agents.push(("*".into(), kind.clone()));
        }
        for pair in &self.agent {
            match pair.split_once('=') {
                Some((role, kind)) if !role.is_empty() && !kind.is_empty() => {
                    agents.push((role.into(), kind.into()))
                }
                _ => {
                    return Err(format!(
                        "`--agent {pair}` should be ROLE=KIND, e.g. `--agent planner=echo`"
                    ));
                }
            }
        }
        Ok(agents)
    }

    /// The current directory as the workspace, with `store` out of its reach (the store is
    /// never part of the workspace, wherever it lies: `.duet` by default).
    pub fn workspace(store: &std::path::Path) -> Result<Workspace, String> {
        duet::driver::served::current_dir()
            .and_then(Workspace::new)
            .map(|w| w.with_forbidden(store))
            .map_err(|e| format!("cannot use the current directory as the workspace: {e}"))
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
