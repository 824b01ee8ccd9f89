//! Capabilities: what a run is allowed to do outside itself. Every effect that reaches the
//! outside names the capabilities it needs ([`super::Effect::needs`]); the runtime checks
//! them against what the person granted (`--allow`, or a confirmed `(capabilities …)`
//! declaration) before anything is performed.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One thing a run may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Capability {
    /// Reach hosts over the network.
    Network,
    /// Run commands (`shell`).
    Shell,
    /// Read files of the workspace.
    WorkspaceRead,
    /// Write files of the workspace.
    WorkspaceWrite,
}

impl Capability {
    /// Every capability, in the order they are listed to people.
    pub const ALL: [Capability; 4] = [
        Capability::Network,
        Capability::Shell,
        Capability::WorkspaceRead,
        Capability::WorkspaceWrite,
    ];

    /// The name people write after `--allow`.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Network => "network",
            Capability::Shell => "shell",
            Capability::WorkspaceRead => "workspace/read",
            Capability::WorkspaceWrite => "workspace/write",
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Capability {
    type Err = String;

    fn from_str(name: &str) -> Result<Capability, String> {
        Capability::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
                format!(
                    "`{name}` is not a capability; the capabilities are {}",
                    names.join(", ")
                )
            })
    }
}

/// The capabilities granted to a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities(BTreeSet<Capability>);

impl Capabilities {
    /// Grants `capability`.
    pub fn grant(&mut self, capability: Capability) {
        self.0.insert(capability);
    }

    /// Whether `capability` is granted.
    pub fn allows(&self, capability: Capability) -> bool {
        self.0.contains(&capability)
    }

    /// The capabilities granted, in [`Capability::ALL`] order.
    pub fn iter(&self) -> impl Iterator<Item = Capability> + '_ {
        self.0.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for c in Capability::ALL {
            assert_eq!(c.name().parse::<Capability>(), Ok(c));
        }
        let unknown = "root".parse::<Capability>().unwrap_err();
        assert!(unknown.contains("not a capability"), "{unknown}");
        assert!(unknown.contains("workspace/write"), "{unknown}");
    }
}
