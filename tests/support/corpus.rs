//! The run corpus (`tests/run/*.lisp`): its files, and the limits and effects each asks for.
//! Shared by the corpus and snapshot tests.
use std::fs;
use std::path::PathBuf;

use duet::driver::Limits;

/// Every program of the corpus, sorted.
pub fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir("tests/run")
        .expect("tests/run exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "lisp"))
        .collect();
    files.sort();
    files
}

/// The limits a program asks for in its leading comments (`;; max-steps: N`,
/// `;; max-depth: N`, `;; max-memory: NM`).
pub fn limits(text: &str) -> Limits {
    let mut limits = Limits::default();
    for line in text.lines().take_while(|l| l.starts_with(";;")) {
        if let Some(n) = line.strip_prefix(";; max-steps: ") {
            limits.max_steps = n.trim().parse().expect("a number of steps");
        }
        if let Some(n) = line.strip_prefix(";; max-depth: ") {
            limits.max_frames = n.trim().parse().expect("a depth");
        }
        if let Some(n) = line.strip_prefix(";; max-memory: ") {
            let megabytes = n.trim().strip_suffix('M').expect("a size like 64M");
            limits.max_memory = megabytes.parse::<usize>().expect("a size like 64M") << 20;
        }
    }
    limits
}

/// Effects for a program: the capabilities its leading `;; allow: CAP …` comment grants,
/// in the workspace `tests/run`.
#[allow(dead_code)]
pub fn effects(
    text: &str,
) -> (
    duet_runtime::effects::Capabilities,
    duet_runtime::effects::Workspace,
) {
    let mut capabilities = duet_runtime::effects::Capabilities::default();
    for line in text.lines().take_while(|l| l.starts_with(";;")) {
        if let Some(caps) = line.strip_prefix(";; allow: ") {
            for cap in caps.split_whitespace() {
                capabilities.grant(cap.parse().expect("a capability"));
            }
        }
    }
    let workspace = duet_runtime::effects::Workspace::new("tests/run").expect("tests/run exists");
    (capabilities, workspace)
}
