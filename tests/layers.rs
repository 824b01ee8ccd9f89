//! The layering of `docs/architecture.md`, checked on the dependency graph cargo resolves: the pure
//! layers never pull in the async runtime, the HTTP client or the store, and the front end
//! knows nothing of the runtime crates.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

/// Crates the pure layers (`duet-vm`, `duet-sam`) must not depend on, even indirectly.
const IMPURE: &[&str] = &["tokio", "reqwest", "fjall"];
/// The runtime's crates, which `duet-lang` must not depend on.
const RUNTIME: &[&str] = &["duet-vm", "duet-sam", "duet-store", "duet-runtime"];

/// The platform this test runs on, as rustc names it.
fn host() -> String {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

/// Normal (non-dev, non-build) dependencies by package name, from `cargo metadata`, on
/// this platform (other platforms' crates need not be downloaded).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline", "--locked"])
        .args(["--filter-platform", &host()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    let names: BTreeMap<&str, &str> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let mut graph = BTreeMap::new();
    for node in metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
    {
        let name = names[node["id"].as_str().unwrap()].to_string();
        let deps: BTreeSet<String> = node["deps"]
            .as_array()
            .expect("deps")
            .iter()
            .filter(|dep| {
                dep["dep_kinds"]
                    .as_array()
                    .expect("dep kinds")
                    .iter()
                    .any(|kind| kind["kind"].is_null())
            })
            .map(|dep| names[dep["pkg"].as_str().unwrap()].to_string())
            .collect();
        graph.entry(name).or_insert_with(BTreeSet::new).extend(deps);
    }
    graph
}

/// Every crate `root` depends on, directly or not.
fn reachable(graph: &BTreeMap<String, BTreeSet<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![root.to_string()];
    while let Some(name) = todo.pop() {
        for dep in graph.get(&name).into_iter().flatten() {
            if seen.insert(dep.clone()) {
                todo.push(dep.clone());
            }
        }
    }
    seen
}

#[test]
fn the_pure_layers_reach_no_async_runtime_http_or_store() {
    let graph = graph();
    for layer in ["duet-vm", "duet-sam"] {
        assert!(graph.contains_key(layer), "{layer} is not in the workspace");
        let reached = reachable(&graph, layer);
        let bad: Vec<&&str> = IMPURE.iter().filter(|c| reached.contains(**c)).collect();
        assert!(bad.is_empty(), "{layer} depends on {bad:?}");
    }
}

#[test]
fn the_kernel_knows_nothing_of_duet() {
    let reached = reachable(&graph(), "duet-sam");
    let duet: Vec<&String> = reached.iter().filter(|c| c.starts_with("duet")).collect();
    assert!(duet.is_empty(), "duet-sam depends on {duet:?}");
}

#[test]
fn the_front_end_knows_nothing_of_the_runtime() {
    let reached = reachable(&graph(), "duet-lang");
    let bad: Vec<&&str> = RUNTIME.iter().filter(|c| reached.contains(**c)).collect();
    assert!(bad.is_empty(), "duet-lang depends on {bad:?}");
}

#[test]
fn the_graph_is_read_for_real() {
    // The checks above would pass on an empty graph; make sure they look at the real one.
    let graph = graph();
    assert!(reachable(&graph, "duet-runtime").contains("tokio"));
    assert!(reachable(&graph, "duet-store").contains("fjall"));
    assert!(reachable(&graph, "duet-vm").contains("duet-lang"));
}
