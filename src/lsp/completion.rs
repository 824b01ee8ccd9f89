//! Completion: names in scope at the cursor, globals, builtins, special forms and constants;
//! state names right after `(goto `, role names right after `(prompt `, and `:keyword`
//! options where a form takes them.
//!
//! Scope at the cursor comes from the module's locals and the lossless tree, without
//! re-expanding: each local the expander created records where it is bound and how
//! (parameter, `let`, `loop`, `catch`, pattern, `fn` name). From the binding's place in the
//! tree follows the region where it is visible — the rest of the `fn`/`defn` after its
//! parameter vector, the rest of the `let`/`loop` after the binding's value, the `catch`
//! form, the arm of a `match`, an `on-…` handler, or the forms after an `await` in its body.
//! A local is offered when the cursor is inside its region; of several with one name, the
//! innermost. Because both the locals and the tree come from the current text (the reader
//! recovers from unclosed forms), this works while the user is in the middle of typing.

use duet_lang::builtins::BUILTINS;
use duet_lang::core::{DefinitionKind, LocalKind};
use duet_lang::expand::{AGENT_KINDS, ROLE_OPTIONS, is_internal};
use duet_lang::span::TextRange;
use duet_lang::special_forms;
use duet_lang::syntax::lexer::TokenKind;
use duet_lang::syntax::tree::{NodeKind, SyntaxElement, SyntaxNode};
use lsp_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent,
    MarkupKind, Range, TextEdit,
};

use super::analysis::{Analysis, MAIN};
use super::hover;
use super::syntax;

/// Completion items at byte `offset`; `None` where nothing should be offered (inside a
/// string or comment, or after a space that opens no special context).
pub fn completion(
    a: &Analysis,
    offset: usize,
    trigger: Option<&str>,
) -> Option<Vec<CompletionItem>> {
    let text = a.text();
    let path = syntax::ancestors_at(&a.tree, offset);
    let innermost = *path.last()?;
    if in_string_or_comment(innermost, offset) {
        return None;
    }
    // The word being typed: the atom the cursor is in or just after. Items replace all of
    // it, so completing in the middle of a name does not leave its tail behind.
    let word = syntax::atom_at(&a.tree, offset).filter(|t| (t.range.start as usize) < offset);
    let prefix_start = word.map_or(offset, |t| t.range.start as usize);
    let prefix = &text[prefix_start..offset];
    let replace = a.range(word.map_or(TextRange::empty(offset), |t| t.range));
    let argument = innermost
        .forms()
        .filter(|f| (f.range().end as usize) < offset)
        .count();

    if innermost.kind == NodeKind::List && argument == 1 {
        match syntax::head(innermost, text) {
            Some("goto") => return Some(states(a, &path, replace)),
            Some("prompt") => return Some(roles(a, &path, replace)),
            _ => {}
        }
    }
    if let Some(items) = role_declaration(a, &path, argument, prefix, replace) {
        return Some(items);
    }
    if prefix.starts_with(':') {
        return Some(keywords(a, &path, replace, prefix_start));
    }
    if trigger == Some(" ") {
        return None;
    }

    let mut items = Vec::new();
    let mut add = |label: &str, kind, detail: Option<String>, doc: Option<String>, rank: u8| {
        items.push(item(label, kind, detail, doc, rank, replace));
    };
    for (name, kind) in locals_in_scope(a, &path, offset) {
        let detail = match kind {
            LocalKind::Param => "parameter",
            LocalKind::Let => "local",
            LocalKind::Loop => "loop variable",
            LocalKind::Catch => "caught error",
            LocalKind::Pattern => "pattern variable",
            LocalKind::FnName => "function",
        };
        add(
            &name,
            CompletionItemKind::VARIABLE,
            Some(detail.into()),
            None,
            0,
        );
    }
    let module = a.module();
    if let Some(w) = a.workflow_at(offset) {
        let wf = &module.workflows[w];
        for var in &wf.vars {
            add(
                &var.name,
                CompletionItemKind::VARIABLE,
                Some("workflow variable".into()),
                None,
                1,
            );
        }
        for role in &wf.roles {
            add(
                &role.name,
                CompletionItemKind::CLASS,
                Some("role".into()),
                Some(format!("```duet\n{}\n```", a.slice(role.span))),
                1,
            );
        }
    }
    for d in &module.definitions {
        let (kind, detail) = match (d.kind, hover::lambda_of(module, &d.name)) {
            (DefinitionKind::Macro, _) => (CompletionItemKind::FUNCTION, "macro".to_string()),
            (_, Some(lambda)) => (
                CompletionItemKind::FUNCTION,
                hover::call_shape(&d.name, &hover::params_text(module, lambda)),
            ),
            _ => (CompletionItemKind::VARIABLE, "global".to_string()),
        };
        let doc = hover::lambda_of(module, &d.name).and_then(|l| l.doc.clone());
        add(&d.name, kind, Some(detail), doc, 2);
    }
    for b in BUILTINS.iter().filter(|b| !is_internal(b.name)) {
        add(
            b.name,
            CompletionItemKind::FUNCTION,
            Some(hover::builtin_signature(b)),
            Some(b.doc.to_string()),
            3,
        );
    }
    for name in duet_lang::expand::SPECIAL_FORMS {
        let (shape, doc) = special_forms::describe(name).unwrap_or(("", ""));
        add(
            name,
            CompletionItemKind::KEYWORD,
            Some(shape.to_string()),
            Some(doc.to_string()),
            4,
        );
    }
    for name in special_forms::CONSTANTS {
        add(name, CompletionItemKind::CONSTANT, None, None, 4);
    }
    // One item per label: the first added (innermost local, then workflow, then global) wins.
    let mut seen = std::collections::HashSet::new();
    items.retain(|i| seen.insert(i.label.clone()));
    Some(items)
}

fn item(
    label: &str,
    kind: CompletionItemKind,
    detail: Option<String>,
    doc: Option<String>,
    rank: u8,
    replace: Range,
) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail,
        documentation: doc.filter(|d| !d.is_empty()).map(|value| {
            Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value,
            })
        }),
        sort_text: Some(format!("{rank}{label}")),
        text_edit: Some(CompletionTextEdit::Edit(TextEdit {
            range: replace,
            new_text: label.to_string(),
        })),
        ..CompletionItem::default()
    }
}

fn in_string_or_comment(node: &SyntaxNode, offset: usize) -> bool {
    node.children.iter().any(|c| match c {
        SyntaxElement::Token(t) => {
            let (start, end) = (t.range.start as usize, t.range.end as usize);
            match t.kind {
                TokenKind::String | TokenKind::BlockComment => start < offset && offset < end,
                TokenKind::UnterminatedString
                | TokenKind::UnterminatedBlockComment
                | TokenKind::LineComment => start < offset && offset <= end,
                _ => false,
            }
        }
        SyntaxElement::Node(_) => false,
    })
}

/// The `(workflow …)` list around the cursor.
fn enclosing_workflow<'t>(a: &Analysis, path: &[&'t SyntaxNode]) -> Option<&'t SyntaxNode> {
    path.iter()
        .rev()
        .find(|n| syntax::head(n, a.text()) == Some("workflow"))
        .copied()
}

/// The lists directly inside `node` whose head is `head`.
fn children_with_head<'t>(
    node: &'t SyntaxNode,
    text: &'t str,
    head: &'t str,
) -> impl Iterator<Item = &'t SyntaxNode> + 't {
    node.forms()
        .filter_map(|f| f.as_node())
        .filter(move |n| syntax::head(n, text) == Some(head))
}

/// The states of the enclosing workflow, read from the tree so that they are there even
/// when the workflow does not check. While a form above is left open (`(goto ` being typed),
/// the states after it are read inside that form: every `(state NAME …)` list anywhere in
/// the workflow counts, in source order, each name once.
fn states(a: &Analysis, path: &[&SyntaxNode], replace: Range) -> Vec<CompletionItem> {
    let text = a.text();
    let Some(workflow) = enclosing_workflow(a, path) else {
        return Vec::new();
    };
    let mut names: Vec<&str> = Vec::new();
    let mut stack: Vec<&SyntaxNode> = vec![workflow];
    while let Some(node) = stack.pop() {
        let lists = node.forms().filter_map(|f| f.as_node());
        let before = stack.len();
        for list in lists {
            if syntax::head(list, text) == Some("state")
                && let Some(name) = syntax::form(list, 1).and_then(|n| syntax::atom_text(n, text))
                && !names.contains(&name)
            {
                names.push(name);
            }
            stack.push(list);
        }
        stack[before..].reverse();
    }
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let detail = if i == 0 { "state (start)" } else { "state" };
            item(
                name,
                CompletionItemKind::ENUM_MEMBER,
                Some(detail.into()),
                None,
                0,
                replace,
            )
        })
        .collect()
}

/// Inside a role declaration `(NAME :option value …)` in `roles`: the options not given yet
/// where an option goes, the agent kinds after `:agent-kind`, and nothing else (no generic
/// names: role options are literals). `None` elsewhere.
fn role_declaration(
    a: &Analysis,
    path: &[&SyntaxNode],
    argument: usize,
    prefix: &str,
    replace: Range,
) -> Option<Vec<CompletionItem>> {
    let text = a.text();
    let role = *path.last()?;
    let roles = *path.get(path.len().checked_sub(2)?)?;
    if role.kind != NodeKind::List
        || syntax::head(roles, text) != Some("roles")
        || enclosing_workflow(a, &path[..path.len() - 1]).is_none()
        || argument == 0
    {
        return None;
    }
    let words: Vec<&str> = role
        .forms()
        .map(|f| text.get(f.range().as_range()).unwrap_or(""))
        .collect();
    if argument % 2 == 1 {
        let given: Vec<&str> = words
            .iter()
            .skip(1)
            .step_by(2)
            .filter_map(|w| w.strip_prefix(':'))
            .collect();
        let items = ROLE_OPTIONS
            .iter()
            .filter(|o| !given.contains(o) || prefix.strip_prefix(':') == Some(**o))
            .map(|o| {
                item(
                    &format!(":{o}"),
                    CompletionItemKind::PROPERTY,
                    None,
                    None,
                    0,
                    replace,
                )
            })
            .collect();
        return Some(items);
    }
    let items = match words.get(argument - 1).copied() {
        Some(":agent-kind") => AGENT_KINDS
            .iter()
            .map(|k| {
                item(
                    &format!("\"{k}\""),
                    CompletionItemKind::ENUM_MEMBER,
                    Some("agent kind".into()),
                    None,
                    0,
                    replace,
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(items)
}

/// The roles of the enclosing workflow, read from the tree.
fn roles(a: &Analysis, path: &[&SyntaxNode], replace: Range) -> Vec<CompletionItem> {
    let text = a.text();
    let Some(workflow) = enclosing_workflow(a, path) else {
        return Vec::new();
    };
    children_with_head(workflow, text, "roles")
        .flat_map(|r| r.forms().skip(1).filter_map(|f| f.as_node()))
        .filter_map(|role| {
            let name = syntax::head(role, text)?;
            let declaration = text.get(role.range.as_range())?;
            Some(item(
                name,
                CompletionItemKind::CLASS,
                Some("role".into()),
                Some(format!("```duet\n{declaration}\n```")),
                0,
                replace,
            ))
        })
        .collect()
}

/// `:keyword` options that fit where the cursor is, or else every keyword in the document.
fn keywords(
    a: &Analysis,
    path: &[&SyntaxNode],
    replace: Range,
    typed: usize,
) -> Vec<CompletionItem> {
    let text = a.text();
    let innermost = path.last().copied();
    let parent_head = path
        .len()
        .checked_sub(2)
        .and_then(|i| syntax::head(path[i], text));
    let head = innermost.and_then(|n| syntax::head(n, text));
    let mut options: Vec<String> = match (parent_head, head) {
        (Some("roles"), _) => ROLE_OPTIONS.iter().map(|o| o.to_string()).collect(),
        (_, Some("terminal")) => vec!["completed".into(), "failed".into(), "cancelled".into()],
        (_, Some("await")) => vec!["timeout".into()],
        (_, Some("poll")) => vec!["every".into(), "timeout".into()],
        (_, Some("cond" | "case")) => vec!["else".into()],
        (_, Some("record")) => vec!["field".into(), "equals".into()],
        (_, Some(name)) => duet_lang::builtins::lookup(name)
            .map(|b| b.options.iter().map(|o| o.to_string()).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    if options.is_empty() {
        let mut seen = std::collections::BTreeSet::from(["else".to_string()]);
        a.tree.visit_tokens(&mut |t| {
            if t.kind == TokenKind::Atom {
                let word = &text[t.range.as_range()];
                if let Some(k) = word.strip_prefix(':')
                    && !k.is_empty()
                    && t.range.start as usize != typed
                {
                    seen.insert(k.to_string());
                }
            }
        });
        options = seen.into_iter().collect();
    }
    options
        .iter()
        .map(|o| {
            item(
                &format!(":{o}"),
                CompletionItemKind::PROPERTY,
                None,
                None,
                0,
                replace,
            )
        })
        .collect()
}

/// The locals visible at `offset`, innermost binding of each name first, with their kind.
fn locals_in_scope(a: &Analysis, path: &[&SyntaxNode], offset: usize) -> Vec<(String, LocalKind)> {
    let Some(toplevel) = path.get(1) else {
        return Vec::new();
    };
    let top = toplevel.range;
    let mut visible: Vec<(usize, String, LocalKind)> = a
        .module()
        .locals
        .iter()
        .filter(|l| {
            l.span.file == MAIN
                && !l.name.contains(' ')
                && top.start <= l.span.range.start
                && l.span.range.end as usize <= offset
                && l.span.range.end <= top.end
        })
        .filter(|l| {
            scope_of(a, l.kind, l.span.range)
                .is_some_and(|(start, end)| start <= offset && offset <= end)
        })
        .map(|l| (l.span.range.start as usize, l.name.clone(), l.kind))
        .collect();
    // Innermost (latest bound) first, then one per name.
    visible.sort_by_key(|x| std::cmp::Reverse(x.0));
    let mut seen = std::collections::HashSet::new();
    visible
        .into_iter()
        .filter(|(_, name, _)| seen.insert(name.clone()))
        .map(|(_, name, kind)| (name, kind))
        .collect()
}

/// The byte region where a local bound at `binding` is visible.
pub fn scope_of(a: &Analysis, kind: LocalKind, binding: TextRange) -> Option<(usize, usize)> {
    let text = a.text();
    let path = syntax::ancestors_of_token(&a.tree, binding.start as usize);
    let parent = *path.last()?;
    let grand = path.len().checked_sub(2).map(|i| path[i]);
    let end = binding.end as usize;
    match kind {
        LocalKind::Param => {
            let function = grand?;
            Some((parent.range.end as usize, syntax::inner_end(function)))
        }
        LocalKind::FnName | LocalKind::Catch => Some((end, syntax::inner_end(parent))),
        LocalKind::Let | LocalKind::Loop => {
            let form = grand?;
            let index = syntax::form_index_containing(parent, binding)?;
            let start = syntax::form(parent, index + 1).map_or(end, |v| v.range().end as usize);
            Some((start, syntax::inner_end(form)))
        }
        LocalKind::Pattern => {
            let i = path.iter().rposition(|n| {
                matches!(
                    syntax::head(n, text),
                    Some("match" | "await" | "on-asserted" | "on-retracted" | "on-message")
                )
            })?;
            let form = path[i];
            match syntax::head(form, text)? {
                "match" => {
                    let arm = syntax::form_index_containing(form, binding)?;
                    let body = syntax::form(form, arm + 1)?.range();
                    Some((body.start as usize, body.end as usize))
                }
                "await" => {
                    let body = path.get(i.checked_sub(1)?)?;
                    Some((form.range.end as usize, syntax::inner_end(body)))
                }
                _ => Some((end, syntax::inner_end(form))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn labels_at(text: &str, marker: &str) -> Vec<String> {
        let offset = text.find(marker).unwrap() + marker.len();
        let uri = lsp_types::Uri::from_str("untitled:t").unwrap();
        let a = Analysis::new(&uri, text);
        completion(&a, offset, None)
            .unwrap_or_default()
            .into_iter()
            .filter(|i| i.sort_text.as_deref().is_some_and(|s| s.starts_with('0')))
            .map(|i| i.label)
            .collect()
    }

    #[test]
    fn let_bindings_are_visible_after_their_value() {
        let text = "(defn f [a b] (let [x 1 y (+ x 1)] (+ x y)))";
        assert_eq!(labels_at(text, "(+ x y"), vec!["y", "x", "b", "a"]);
        // Inside the value of `y`, only `x` and the parameters.
        assert_eq!(labels_at(text, "(+ "), vec!["x", "b", "a"]);
        // In the parameter vector, nothing yet.
        assert!(labels_at(text, "[a").is_empty());
    }

    #[test]
    fn pattern_variables_after_await_and_in_match_arms() {
        let text = "(workflow w (state s (await (record r ?v)) (println v) (terminal)))\n(defn g [m] (match m [?a] a ?b b))";
        assert_eq!(labels_at(text, "(println "), vec!["v"]);
        assert_eq!(labels_at(text, "[?a] "), vec!["a", "m"]);
        assert_eq!(labels_at(text, "?b "), vec!["b", "m"]);
    }

    #[test]
    fn goto_offers_states_and_prompt_roles() {
        let text = "(workflow w (roles (alice :agent-kind \"echo\")) (state one (goto )) (state two (prompt  \"hi\")))";
        assert_eq!(labels_at(text, "(goto "), vec!["one", "two"]);
        assert_eq!(labels_at(text, "(prompt "), vec!["alice"]);
    }

    #[test]
    fn states_are_offered_while_the_workflow_is_still_open() {
        let text = "(workflow w\n  (state a (goto b))\n  (state b (goto ";
        assert_eq!(labels_at(text, "(state b (goto "), vec!["a", "b"]);
    }

    #[test]
    fn no_completion_inside_strings() {
        let text = "(println \"abc\")";
        let uri = lsp_types::Uri::from_str("untitled:t").unwrap();
        let a = Analysis::new(&uri, text);
        assert!(completion(&a, 11, None).is_none());
    }
}
