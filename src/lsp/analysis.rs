//! One analysis of one document: the front end's result (`check_source`), the lossless tree
//! of the document, its line index, and an index of every name occurrence (declarations and
//! references) that hover, go-to-definition, references, rename and semantic tokens share.

use std::collections::BTreeMap;
use std::path::Path;

use duet_lang::core::{LocalId, Module};
use duet_lang::expand::Loader;
use duet_lang::frontend::{self, Checked, FsLoader, NoLoader};
use duet_lang::span::{FileId, Span, TextRange};
use duet_lang::syntax::reader;
use duet_lang::syntax::tree::SyntaxNode;
use lsp_types::{Location, Position, Range, Uri};

use super::convert::{self, LineIndex};

/// The document is always the first file of its analysis.
pub const MAIN: FileId = FileId(0);

/// What a name means: the thing that declarations and references point at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Symbol {
    /// A local variable.
    Local(LocalId),
    /// A top-level definition (function, value or macro).
    Global(String),
    /// A builtin function.
    Builtin(&'static str),
    /// A role of a workflow.
    Role { workflow: usize, index: usize },
    /// A workflow variable.
    WorkflowVar { workflow: usize, index: usize },
    /// A state of a workflow.
    State { workflow: usize, index: usize },
    /// A workflow itself.
    Workflow(usize),
}

impl From<&duet_lang::core::Target> for Symbol {
    fn from(target: &duet_lang::core::Target) -> Self {
        use duet_lang::core::Target;
        match target {
            Target::Local(id) => Symbol::Local(*id),
            Target::Global(name) => Symbol::Global(name.clone()),
            Target::Builtin(name) => Symbol::Builtin(name),
            &Target::Role { workflow, index } => Symbol::Role { workflow, index },
            &Target::WorkflowVar { workflow, index } => Symbol::WorkflowVar { workflow, index },
            &Target::State { workflow, index } => Symbol::State { workflow, index },
        }
    }
}

/// A place where a name is written.
#[derive(Debug, Clone)]
pub struct Occurrence {
    /// Where.
    pub span: Span,
    /// What it names.
    pub symbol: Symbol,
    /// True where the name is declared (bound or defined), false where it is used.
    pub declaration: bool,
}

/// Everything known about one version of a document.
#[derive(Debug)]
pub struct Analysis {
    /// The document's URI.
    pub uri: Uri,
    /// Files, module and diagnostics; the document is file [`MAIN`].
    pub checked: Checked,
    /// The lossless tree of the document.
    pub tree: SyntaxNode,
    /// Line starts of the document.
    pub index: LineIndex,
    /// The span of each workflow's name, by workflow index (when it was found).
    pub workflow_names: Vec<Option<Span>>,
    /// Every occurrence of a name in every file, sorted by file and position.
    pub occurrences: Vec<Occurrence>,
}

impl Analysis {
    /// Analyses `text`, the contents of the document at `uri`. Imports resolve relative to
    /// the document's path for `file://` URIs; other documents cannot import files.
    pub fn new(uri: &Uri, text: &str) -> Self {
        Self::with_overlay(uri, text, &BTreeMap::new())
    }

    /// Like [`Analysis::new`], with the imported files named in `overlay` (by the name the
    /// analysis gives them) read as the text given there instead of from disk: how the
    /// program would be after an edit of several files.
    pub fn with_overlay(uri: &Uri, text: &str, overlay: &BTreeMap<String, String>) -> Self {
        let checked = match convert::uri_to_path(uri) {
            Some(path) => {
                let name = path.to_string_lossy().into_owned();
                let mut loader = Overlay {
                    inner: FsLoader,
                    overlay,
                };
                frontend::check_source(&name, text, &mut loader, None)
            }
            None => {
                let mut loader = Overlay {
                    inner: NoLoader,
                    overlay,
                };
                frontend::check_source(uri.as_str(), text, &mut loader, None)
            }
        };
        let tree = reader::read(MAIN, text).root;
        let index = LineIndex::new(text);
        let workflow_names = workflow_names(&checked, &tree);
        let occurrences = occurrences(&checked.module, &workflow_names);
        Analysis {
            uri: uri.clone(),
            checked,
            tree,
            index,
            workflow_names,
            occurrences,
        }
    }

    /// The module.
    pub fn module(&self) -> &Module {
        &self.checked.module
    }

    /// The document's text.
    pub fn text(&self) -> &str {
        &self.checked.sources.get(MAIN).text
    }

    /// The text of a span in any file.
    pub fn slice(&self, span: Span) -> &str {
        let file = self.checked.sources.get(span.file);
        file.text.get(span.range.as_range()).unwrap_or("")
    }

    /// The byte offset of a position in the document.
    pub fn offset(&self, position: Position) -> usize {
        self.index.offset(self.text(), position).offset
    }

    /// The LSP range of a byte range in the document.
    pub fn range(&self, range: TextRange) -> Range {
        Range::new(
            self.index.position(self.text(), range.start as usize),
            self.index.position(self.text(), range.end as usize),
        )
    }

    /// The URI of a file of the analysis: the document itself, or an imported file on disk.
    /// Standard library modules have none.
    pub fn file_uri(&self, file: FileId) -> Option<Uri> {
        if file == MAIN {
            return Some(self.uri.clone());
        }
        let name = &self.checked.sources.get(file).name;
        if name.starts_with("std/") {
            return None;
        }
        convert::path_to_uri(Path::new(name))
    }

    /// Where a span is, in any file that has a URI.
    pub fn location(&self, span: Span) -> Option<Location> {
        if span.file == MAIN {
            return Some(Location::new(self.uri.clone(), self.range(span.range)));
        }
        let uri = self.file_uri(span.file)?;
        let file = self.checked.sources.get(span.file);
        let at = |offset: u32| {
            let (line, col) = file.line_utf16_col(offset as usize);
            Position::new(line as u32, col as u32)
        };
        Some(Location::new(
            uri,
            Range::new(at(span.range.start), at(span.range.end)),
        ))
    }

    /// The occurrence of a name at `offset` in the document: one that contains it, or else
    /// one that ends exactly there (a cursor just after a name).
    pub fn occurrence_at(&self, offset: usize) -> Option<&Occurrence> {
        let first = self.occurrences.partition_point(|o| o.span.file < MAIN);
        let main = &self.occurrences[first..];
        let main = &main[..main.partition_point(|o| o.span.file == MAIN)];
        let upto = main.partition_point(|o| o.span.range.start as usize <= offset);
        let candidates = &main[..upto];
        candidates
            .iter()
            .rev()
            .take(8)
            .find(|o| offset < o.span.range.end as usize)
            .or_else(|| {
                candidates
                    .iter()
                    .rev()
                    .take(8)
                    .find(|o| offset == o.span.range.end as usize)
            })
    }

    /// Every occurrence of `symbol`, in file and source order.
    pub fn occurrences_of<'a>(
        &'a self,
        symbol: &'a Symbol,
    ) -> impl Iterator<Item = &'a Occurrence> + 'a {
        self.occurrences.iter().filter(move |o| &o.symbol == symbol)
    }

    /// Where `symbol` is declared.
    pub fn declaration(&self, symbol: &Symbol) -> Option<Span> {
        let module = self.module();
        match symbol {
            Symbol::Local(id) => module.locals.get(id.0 as usize).map(|l| l.span),
            Symbol::Global(name) => module
                .definitions
                .iter()
                .find(|d| &d.name == name)
                .map(|d| d.span),
            Symbol::Builtin(_) => None,
            Symbol::Role { workflow, index } => module
                .workflows
                .get(*workflow)?
                .roles
                .get(*index)
                .map(|r| r.name_span),
            Symbol::WorkflowVar { workflow, index } => module
                .workflows
                .get(*workflow)?
                .vars
                .get(*index)
                .map(|v| v.span),
            Symbol::State { workflow, index } => module
                .workflows
                .get(*workflow)?
                .states
                .get(*index)
                .map(|s| s.name_span),
            Symbol::Workflow(index) => self.workflow_names.get(*index).copied().flatten(),
        }
    }

    /// The name of `symbol` as written where it is declared.
    pub fn name(&self, symbol: &Symbol) -> String {
        let module = self.module();
        let workflow = |w: &usize| module.workflows.get(*w);
        let name = match symbol {
            Symbol::Local(id) => module.locals.get(id.0 as usize).map(|l| l.name.clone()),
            Symbol::Global(name) => Some(name.clone()),
            Symbol::Builtin(name) => Some((*name).to_string()),
            Symbol::Role { workflow: w, index } => workflow(w)
                .and_then(|w| w.roles.get(*index))
                .map(|r| r.name.clone()),
            Symbol::WorkflowVar { workflow: w, index } => workflow(w)
                .and_then(|w| w.vars.get(*index))
                .map(|v| v.name.clone()),
            Symbol::State { workflow: w, index } => workflow(w)
                .and_then(|w| w.states.get(*index))
                .map(|s| s.name.clone()),
            Symbol::Workflow(w) => workflow(w).map(|w| w.name.clone()),
        };
        name.unwrap_or_default()
    }

    /// What `symbol` is, in words: "the role `planner`".
    pub fn describe(&self, symbol: &Symbol) -> String {
        let kind = match symbol {
            Symbol::Local(_) => "local",
            Symbol::Global(_) => "global",
            Symbol::Builtin(_) => "builtin",
            Symbol::Role { .. } => "role",
            Symbol::WorkflowVar { .. } => "workflow variable",
            Symbol::State { .. } => "state",
            Symbol::Workflow(_) => "workflow",
        };
        format!("the {kind} `{}`", self.name(symbol))
    }

    /// The workflow of the document whose form contains `offset`.
    pub fn workflow_at(&self, offset: usize) -> Option<usize> {
        self.module().workflows.iter().position(|w| {
            w.span.file == MAIN
                && w.span.range.start as usize <= offset
                && offset <= w.span.range.end as usize
        })
    }
}

/// A loader that reads the files of `overlay` from there, and every other file as `inner`
/// does.
struct Overlay<'o, L> {
    inner: L,
    overlay: &'o BTreeMap<String, String>,
}

impl<L: Loader> Loader for Overlay<'_, L> {
    fn load(&mut self, from: &str, path: &str) -> Result<(String, String), String> {
        let (name, text) = self.inner.load(from, path)?;
        match self.overlay.get(&name) {
            Some(edited) => Ok((name, edited.clone())),
            None => Ok((name, text)),
        }
    }
}

/// The name spans of the workflows: the second form of each top-level `(workflow NAME …)`
/// list, matched to the module's workflows by the span of the whole form.
fn workflow_names(checked: &Checked, tree: &SyntaxNode) -> Vec<Option<Span>> {
    let text = &checked.sources.get(MAIN).text;
    checked
        .module
        .workflows
        .iter()
        .map(|w| {
            if w.span.file != MAIN {
                return None;
            }
            let node = tree
                .children
                .iter()
                .filter_map(|c| c.as_node())
                .find(|n| n.range == w.span.range)?;
            let name = super::syntax::form(node, 1)?;
            super::syntax::atom_text(name, text)?;
            Some(Span::new(MAIN, name.range()))
        })
        .collect()
}

fn occurrences(module: &Module, workflow_names: &[Option<Span>]) -> Vec<Occurrence> {
    let mut out = Vec::with_capacity(module.references.len() + module.locals.len());
    let mut declare = |span: Span, symbol: Symbol| {
        out.push(Occurrence {
            span,
            symbol,
            declaration: true,
        })
    };
    for (i, local) in module.locals.iter().enumerate() {
        // The expander's hidden temporaries have names no one can write.
        if !local.name.contains(' ') {
            declare(local.span, Symbol::Local(LocalId(i as u32)));
        }
    }
    for d in &module.definitions {
        declare(d.span, Symbol::Global(d.name.clone()));
    }
    for (w, workflow) in module.workflows.iter().enumerate() {
        if let Some(Some(span)) = workflow_names.get(w) {
            declare(*span, Symbol::Workflow(w));
        }
        for (index, role) in workflow.roles.iter().enumerate() {
            declare(role.name_span, Symbol::Role { workflow: w, index });
        }
        for (index, var) in workflow.vars.iter().enumerate() {
            declare(var.span, Symbol::WorkflowVar { workflow: w, index });
        }
        for (index, state) in workflow.states.iter().enumerate() {
            declare(state.name_span, Symbol::State { workflow: w, index });
        }
    }
    out.extend(module.references.iter().map(|r| Occurrence {
        span: r.span,
        symbol: Symbol::from(&r.target),
        declaration: false,
    }));
    out.sort_by_key(|o| (o.span.file, o.span.range.start, !o.declaration));
    out.dedup_by(|a, b| a.span == b.span && a.symbol == b.symbol);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn analyse(text: &str) -> Analysis {
        Analysis::new(&Uri::from_str("untitled:test").unwrap(), text)
    }

    #[test]
    fn finds_references_and_declarations() {
        let text = "(defn f [x] (+ x 1))\n(f 2)";
        let a = analyse(text);
        let at = |needle: &str, nth: usize| {
            let offset = text.match_indices(needle).nth(nth).unwrap().0;
            a.occurrence_at(offset)
                .map(|o| (o.symbol.clone(), o.declaration))
        };
        assert_eq!(at("f", 1), Some((Symbol::Global("f".into()), true)));
        assert_eq!(at("(f", 0).map(|o| o.0), None);
        let x = at("x", 0).unwrap();
        assert!(x.1);
        assert_eq!(at("x", 1), Some((x.0.clone(), false)));
        assert_eq!(at("+", 0), Some((Symbol::Builtin("+"), false)));
        assert_eq!(a.occurrences_of(&x.0).count(), 2);
    }

    #[test]
    fn a_cursor_just_after_a_name_finds_it() {
        let text = "(def abc 1)\nabc";
        let a = analyse(text);
        let o = a.occurrence_at(text.len()).unwrap();
        assert_eq!(o.symbol, Symbol::Global("abc".into()));
        assert!(!o.declaration);
    }

    #[test]
    fn workflow_names_are_found() {
        let text = "(workflow w (state s (terminal)))";
        let a = analyse(text);
        assert_eq!(a.slice(a.declaration(&Symbol::Workflow(0)).unwrap()), "w");
        assert_eq!(a.workflow_at(15), Some(0));
    }
}
