//! The skeleton index, after syndicate-rs's `skeleton.rs`, adapted to
//! duet's patterns and made prunable.
//!
//! A pattern's *skeleton* is the list of classes its groups require, at their paths, in
//! pre-order (record label, sequence length, map). The index is a trie over skeletons: a node
//! stands for a skeleton prefix and caches every distinct assertion that satisfies it. At a
//! node, observers are grouped by their *constant positions* (literal paths, plus the paths
//! that must merely exist), then by the *constant values* at those positions (a leaf, which
//! caches the assertions with those values), then by their *capture paths* (an endpoint
//! group, which keeps the bag of capture tuples and the observers sharing it).
//!
//! Inserting or removing an assertion walks only the nodes whose skeleton it satisfies,
//! and at each node looks its constants up in a map, so its cost does not grow with
//! observers of other labels or shapes, nor with observers that differ only in their
//! constants. Adding an observer may scan the assertions cached at its node.
//!
//! Unlike syndicate-rs, which never prunes its nodes, nodes and constant-position groups are
//! reference counted by the observers that use them and removed with the last one, so
//! transient shapes (per-run labels) leave nothing behind. Paths are absolute from the root
//! rather than syndicate's pop-count selectors.

use std::collections::{BTreeMap, BTreeSet};

use super::index::{Index, ObsId};
use super::pattern::{Analysis, Class, Path, Pattern, class_of, project};
use super::term::Term;

/// The skeleton index.
#[derive(Default)]
pub struct SkeletonIndex {
    root: Node,
}

#[derive(Default)]
struct Node {
    /// Distinct assertions satisfying this node's skeleton prefix.
    cached: BTreeSet<Term>,
    /// Observer groups ending at this node, by constant positions.
    groups: BTreeMap<Positions, PosGroup>,
    /// Children: the path examined next, then the class found there.
    edges: BTreeMap<Path, BTreeMap<Class, Node>>,
    /// Observers whose skeleton passes through or ends at this node.
    users: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Positions {
    const_paths: Vec<Path>,
    required: Vec<Path>,
}

#[derive(Default)]
struct PosGroup {
    users: usize,
    leaves: BTreeMap<Vec<Term>, Leaf>,
}

#[derive(Default)]
struct Leaf {
    cached: BTreeSet<Term>,
    endpoints: BTreeMap<Vec<Path>, Endpoints>,
}

#[derive(Default)]
struct Endpoints {
    captures: BTreeMap<Term, usize>,
    observers: BTreeSet<ObsId>,
}

impl Positions {
    fn of(a: &Analysis) -> Positions {
        Positions {
            const_paths: a.const_paths.clone(),
            required: a.required.clone(),
        }
    }

    /// The constant values of `v` at these positions, if its required paths exist.
    fn key(&self, v: &Term) -> Option<Vec<Term>> {
        if !self.required.iter().all(|p| project(v, p).is_some()) {
            return None;
        }
        self.const_paths
            .iter()
            .map(|p| project(v, p).cloned())
            .collect()
    }
}

fn captures(v: &Term, paths: &[Path]) -> Option<Term> {
    paths
        .iter()
        .map(|p| project(v, p).cloned())
        .collect::<Option<Vec<_>>>()
        .map(Term::vector)
}

fn child_class(v: &Term, path: &Path) -> Option<Class> {
    project(v, path).and_then(class_of)
}

impl Node {
    fn insert(&mut self, v: &Term, gained: &mut Vec<(ObsId, Term)>) {
        self.cached.insert(v.clone());
        for (pos, group) in &mut self.groups {
            let Some(key) = pos.key(v) else { continue };
            let leaf = group.leaves.entry(key).or_default();
            leaf.cached.insert(v.clone());
            for (paths, ep) in &mut leaf.endpoints {
                let Some(t) = captures(v, paths) else {
                    continue;
                };
                let n = ep.captures.entry(t.clone()).or_insert(0);
                *n += 1;
                if *n == 1 {
                    gained.extend(ep.observers.iter().map(|o| (*o, t.clone())));
                }
            }
        }
        for (path, classes) in &mut self.edges {
            if let Some(c) = child_class(v, path)
                && let Some(child) = classes.get_mut(&c)
            {
                child.insert(v, gained);
            }
        }
    }

    fn remove(&mut self, v: &Term, lost: &mut Vec<(ObsId, Term)>) {
        self.cached.remove(v);
        for (pos, group) in &mut self.groups {
            let Some(key) = pos.key(v) else { continue };
            let Some(leaf) = group.leaves.get_mut(&key) else {
                continue;
            };
            leaf.cached.remove(v);
            for (paths, ep) in &mut leaf.endpoints {
                let Some(t) = captures(v, paths) else {
                    continue;
                };
                if let Some(n) = ep.captures.get_mut(&t) {
                    *n -= 1;
                    if *n == 0 {
                        ep.captures.remove(&t);
                        lost.extend(ep.observers.iter().map(|o| (*o, t.clone())));
                    }
                }
            }
            if leaf.cached.is_empty() && leaf.endpoints.is_empty() {
                group.leaves.remove(&key);
            }
        }
        for (path, classes) in &mut self.edges {
            if let Some(c) = child_class(v, path)
                && let Some(child) = classes.get_mut(&c)
            {
                child.remove(v, lost);
            }
        }
    }

    fn message(&self, v: &Term, out: &mut Vec<(ObsId, Term)>) {
        for (pos, group) in &self.groups {
            let Some(key) = pos.key(v) else { continue };
            let Some(leaf) = group.leaves.get(&key) else {
                continue;
            };
            for (paths, ep) in &leaf.endpoints {
                if ep.observers.is_empty() {
                    continue;
                }
                let Some(t) = captures(v, paths) else {
                    continue;
                };
                out.extend(ep.observers.iter().map(|o| (*o, t.clone())));
            }
        }
        for (path, classes) in &self.edges {
            if let Some(c) = child_class(v, path)
                && let Some(child) = classes.get(&c)
            {
                child.message(v, out);
            }
        }
    }

    /// Extends the trie along `skeleton` and registers the observer at its end.
    fn add(
        &mut self,
        skeleton: &[(Path, Class)],
        a: &Analysis,
        id: ObsId,
        initial: &mut Vec<Term>,
    ) {
        self.users += 1;
        match skeleton.split_first() {
            Some(((path, class), rest)) => {
                let Node { cached, edges, .. } = self;
                let classes = edges.entry(path.clone()).or_default();
                let child = classes.entry(class.clone()).or_insert_with(|| Node {
                    cached: cached
                        .iter()
                        .filter(|v| child_class(v, path).as_ref() == Some(class))
                        .cloned()
                        .collect(),
                    ..Node::default()
                });
                child.add(rest, a, id, initial);
            }
            None => {
                let Node { cached, groups, .. } = self;
                let pos = Positions::of(a);
                let group = groups.entry(pos).or_insert_with_key(|pos| {
                    let mut g = PosGroup::default();
                    for v in cached.iter() {
                        if let Some(key) = pos.key(v) {
                            g.leaves.entry(key).or_default().cached.insert(v.clone());
                        }
                    }
                    g
                });
                group.users += 1;
                let leaf = group.leaves.entry(a.const_values.clone()).or_default();
                let Leaf { cached, endpoints } = leaf;
                let ep = endpoints
                    .entry(a.capture_paths.clone())
                    .or_insert_with_key(|paths| {
                        let mut ep = Endpoints::default();
                        for v in cached.iter() {
                            if let Some(t) = captures(v, paths) {
                                *ep.captures.entry(t).or_insert(0) += 1;
                            }
                        }
                        ep
                    });
                ep.observers.insert(id);
                initial.extend(ep.captures.keys().cloned());
            }
        }
    }

    /// Unregisters an observer added along `skeleton`, pruning what it alone used.
    fn remove_observer(&mut self, skeleton: &[(Path, Class)], a: &Analysis, id: ObsId) {
        self.users = self.users.saturating_sub(1);
        match skeleton.split_first() {
            Some(((path, class), rest)) => {
                let Some(classes) = self.edges.get_mut(path) else {
                    return;
                };
                let Some(child) = classes.get_mut(class) else {
                    return;
                };
                child.remove_observer(rest, a, id);
                if child.users == 0 {
                    classes.remove(class);
                    if classes.is_empty() {
                        self.edges.remove(path);
                    }
                }
            }
            None => {
                let pos = Positions::of(a);
                let Some(group) = self.groups.get_mut(&pos) else {
                    return;
                };
                group.users = group.users.saturating_sub(1);
                if let Some(leaf) = group.leaves.get_mut(&a.const_values) {
                    if let Some(ep) = leaf.endpoints.get_mut(&a.capture_paths) {
                        ep.observers.remove(&id);
                        if ep.observers.is_empty() {
                            leaf.endpoints.remove(&a.capture_paths);
                        }
                    }
                    if leaf.cached.is_empty() && leaf.endpoints.is_empty() {
                        group.leaves.remove(&a.const_values);
                    }
                }
                if group.users == 0 {
                    self.groups.remove(&pos);
                }
            }
        }
    }

    fn count(&self) -> (usize, usize) {
        let mut nodes = 1;
        let mut leaves: usize = self.groups.values().map(|g| g.leaves.len()).sum();
        for classes in self.edges.values() {
            for child in classes.values() {
                let (n, l) = child.count();
                nodes += n;
                leaves += l;
            }
        }
        (nodes, leaves)
    }
}

impl SkeletonIndex {
    /// Number of trie nodes and of leaves (for tests of pruning and for tools).
    pub fn size(&self) -> (usize, usize) {
        self.root.count()
    }
}

impl Index for SkeletonIndex {
    fn insert(&mut self, v: &Term, gained: &mut Vec<(ObsId, Term)>) {
        self.root.insert(v, gained);
    }

    fn remove(&mut self, v: &Term, lost: &mut Vec<(ObsId, Term)>) {
        self.root.remove(v, lost);
    }

    fn message(&self, v: &Term, out: &mut Vec<(ObsId, Term)>) {
        self.root.message(v, out);
    }

    fn add_observer(&mut self, id: ObsId, pattern: &Pattern, initial: &mut Vec<Term>) {
        let a = pattern.analyse();
        self.root.add(&a.skeleton, &a, id, initial);
    }

    fn remove_observer(&mut self, id: ObsId, pattern: &Pattern) {
        let a = pattern.analyse();
        self.root.remove_observer(&a.skeleton, &a, id);
    }
}
