//! Navigating the lossless syntax tree by offset: the nodes around the cursor, the token
//! under it, the head of a list.

use duet_lang::span::TextRange;
use duet_lang::syntax::lexer::{Token, TokenKind};
use duet_lang::syntax::tree::{NodeKind, SyntaxElement, SyntaxNode};

/// The end of a node's inside: just before its closer when it has one.
pub fn inner_end(node: &SyntaxNode) -> usize {
    if node.kind.closer().is_some() && node.is_closed() {
        node.range.end as usize - 1
    } else {
        node.range.end as usize
    }
}

/// Whether `offset` is inside `node`: after its opener and at or before its closer.
fn inside(node: &SyntaxNode, offset: usize) -> bool {
    let start = node.range.start as usize;
    match node.kind {
        NodeKind::Root => true,
        NodeKind::List | NodeKind::Vector | NodeKind::Map => {
            offset > start && offset <= inner_end(node)
        }
        _ => offset > start && offset <= node.range.end as usize,
    }
}

/// The nodes that contain `offset`, outermost (the root) first.
pub fn ancestors_at(root: &SyntaxNode, offset: usize) -> Vec<&SyntaxNode> {
    let mut out = vec![root];
    let mut node = root;
    'descend: loop {
        for child in &node.children {
            if let SyntaxElement::Node(n) = child
                && inside(n, offset)
            {
                out.push(n);
                node = n;
                continue 'descend;
            }
        }
        return out;
    }
}

/// The nodes that contain the token starting at `offset`, outermost first: the path from
/// the root to the token's parent.
pub fn ancestors_of_token(root: &SyntaxNode, offset: usize) -> Vec<&SyntaxNode> {
    let mut out = vec![root];
    let mut node = root;
    'descend: loop {
        for child in &node.children {
            if let SyntaxElement::Node(n) = child
                && n.range.start as usize <= offset
                && offset < n.range.end as usize
            {
                out.push(n);
                node = n;
                continue 'descend;
            }
        }
        return out;
    }
}

/// The atom token that `offset` touches (inside it or at its end), if any.
pub fn atom_at(root: &SyntaxNode, offset: usize) -> Option<Token> {
    let parent = *ancestors_at(root, offset).last()?;
    let mut found = None;
    for child in &parent.children {
        if let SyntaxElement::Token(t) = child
            && t.kind == TokenKind::Atom
            && (t.range.start as usize) <= offset
            && offset <= t.range.end as usize
        {
            found = Some(*t);
            if offset < t.range.end as usize {
                break;
            }
        }
    }
    found
}

/// The text of an atom element.
pub fn atom_text<'t>(element: &SyntaxElement, text: &'t str) -> Option<&'t str> {
    match element {
        SyntaxElement::Token(t) if t.kind == TokenKind::Atom => text.get(t.range.as_range()),
        _ => None,
    }
}

/// The head symbol of a list node, e.g. `state` for `(state …)`.
pub fn head<'t>(node: &SyntaxNode, text: &'t str) -> Option<&'t str> {
    if node.kind != NodeKind::List {
        return None;
    }
    atom_text(node.forms().next()?, text)
}

/// The form at position `index` among a node's forms.
pub fn form(node: &SyntaxNode, index: usize) -> Option<&SyntaxElement> {
    node.forms().nth(index)
}

/// The index among `node`'s forms of the form that contains `range`.
pub fn form_index_containing(node: &SyntaxNode, range: TextRange) -> Option<usize> {
    node.forms()
        .position(|f| f.range().start <= range.start && range.end <= f.range().end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use duet_lang::span::FileId;
    use duet_lang::syntax::reader;

    #[test]
    fn finds_the_atom_and_the_enclosing_list() {
        let text = "(goto review) (let [x 1] x)";
        let root = reader::read(FileId(0), text).root;
        let at = atom_at(&root, 8).unwrap();
        assert_eq!(&text[at.range.as_range()], "review");
        let path = ancestors_at(&root, 6);
        assert_eq!(head(path.last().unwrap(), text), Some("goto"));
        // At the end of an atom still counts.
        assert_eq!(
            &text[atom_at(&root, 12).unwrap().range.as_range()],
            "review"
        );
        // Between forms there is no atom.
        assert!(atom_at(&root, 13).is_none());
        let path = ancestors_at(&root, 20);
        assert_eq!(path.last().unwrap().kind, NodeKind::Vector);
    }

    #[test]
    fn an_unclosed_list_extends_to_the_end() {
        let text = "(goto ";
        let root = reader::read(FileId(0), text).root;
        let path = ancestors_at(&root, text.len());
        assert_eq!(head(path.last().unwrap(), text), Some("goto"));
    }
}
