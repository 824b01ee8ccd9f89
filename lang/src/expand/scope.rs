//! Lexical scopes and name resolution, with "did you mean" suggestions.

use crate::core::LocalId;

/// What a name refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// A local variable.
    Local(LocalId),
    /// A role of the enclosing workflow.
    Role(usize),
    /// A variable of the enclosing workflow.
    WorkflowVar(usize),
    /// A top-level definition.
    Global,
    /// A builtin function.
    Builtin(&'static str),
}

/// A stack of lexical frames; the innermost binding of a name wins.
#[derive(Debug, Default)]
pub struct Scopes {
    frames: Vec<Vec<(String, LocalId)>>,
    /// The bindings of each name in scope, innermost last, so a lookup does not walk every
    /// local in scope (a function may bind tens of thousands). Only looked up, never
    /// iterated.
    by_name: std::collections::HashMap<String, Vec<LocalId>>,
}

impl Scopes {
    /// Opens a frame.
    pub fn push(&mut self) {
        self.frames.push(Vec::new());
    }

    /// Closes the innermost frame.
    pub fn pop(&mut self) {
        for (name, _) in self.frames.pop().unwrap_or_default() {
            if let Some(ids) = self.by_name.get_mut(&name) {
                ids.pop();
                if ids.is_empty() {
                    self.by_name.remove(&name);
                }
            }
        }
    }

    /// Binds `name` in the innermost frame.
    pub fn bind(&mut self, name: &str, id: LocalId) {
        if self.frames.is_empty() {
            self.push();
        }
        if let Some(frame) = self.frames.last_mut() {
            frame.push((name.to_string(), id));
            self.by_name.entry(name.to_string()).or_default().push(id);
        }
    }

    /// The innermost local named `name`.
    pub fn lookup(&self, name: &str) -> Option<LocalId> {
        self.by_name.get(name).and_then(|ids| ids.last()).copied()
    }

    /// Every local name in scope, innermost first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.frames
            .iter()
            .rev()
            .flat_map(|f| f.iter().rev())
            .map(|(n, _)| n.as_str())
    }
}

/// The closest candidates to `name`, best first, at most three; only those close enough to
/// be a plausible typo.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    // A third of the name may be wrong; names of one or two characters are too short to
    // guess at.
    let limit = name.chars().count() / 3;
    if limit == 0 {
        return Vec::new();
    }
    let mut scored: Vec<(usize, String)> = candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::levenshtein(name, c), c.to_string()))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

/// "did you mean `a`?" or "did you mean one of `a`, `b`?", or nothing.
pub fn did_you_mean(suggestions: &[String]) -> Option<String> {
    match suggestions {
        [] => None,
        [one] => Some(format!("did you mean `{one}`?")),
        many => Some(format!(
            "did you mean one of {}?",
            many.iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_rank_by_distance() {
        assert_eq!(
            suggest("prinln", ["println", "print", "prn"]),
            vec!["println", "print"]
        );
        assert!(suggest("zzz", ["println"]).is_empty());
        assert_eq!(did_you_mean(&["a".into()]).unwrap(), "did you mean `a`?");
    }

    #[test]
    fn inner_bindings_shadow_outer() {
        let mut s = Scopes::default();
        s.push();
        s.bind("x", LocalId(0));
        s.push();
        s.bind("x", LocalId(1));
        assert_eq!(s.lookup("x"), Some(LocalId(1)));
        s.pop();
        assert_eq!(s.lookup("x"), Some(LocalId(0)));
        assert_eq!(s.lookup("y"), None);
    }
}
