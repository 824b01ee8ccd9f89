//! The lossless syntax tree. Every byte of the source belongs to exactly one token, tokens
//! sit in the tree in source order, and comments and whitespace are tokens like any other,
//! so [`SyntaxNode::write_text`] gives back the input byte for byte. The formatter and the
//! language server work on this tree; the expander works on [`crate::syntax::datum`]s read
//! from it.

use crate::span::TextRange;
use crate::syntax::lexer::{Token, TokenKind};

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// The whole file.
    Root,
    /// `( … )`
    List,
    /// `[ … ]`
    Vector,
    /// `{ … }`
    Map,
    /// `'x`
    Quote,
    /// `` `x ``
    Quasiquote,
    /// `,x`
    Unquote,
    /// `,@x`
    UnquoteSplicing,
    /// `#;x`, a form that is read and then ignored.
    DatumComment,
    /// Tokens the reader could not make sense of (nesting past the limit).
    Error,
}

impl NodeKind {
    /// The closer that ends a delimited node, if this is one.
    pub fn closer(self) -> Option<TokenKind> {
        match self {
            NodeKind::List => Some(TokenKind::RParen),
            NodeKind::Vector => Some(TokenKind::RBracket),
            NodeKind::Map => Some(TokenKind::RBrace),
            _ => None,
        }
    }

    /// The prefix nodes that wrap exactly one following form.
    pub fn is_prefix(self) -> bool {
        matches!(
            self,
            NodeKind::Quote
                | NodeKind::Quasiquote
                | NodeKind::Unquote
                | NodeKind::UnquoteSplicing
                | NodeKind::DatumComment
        )
    }
}

/// A child of a node: a nested node or a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyntaxElement {
    /// A nested node.
    Node(SyntaxNode),
    /// A token, trivia included.
    Token(Token),
}

impl SyntaxElement {
    /// The bytes the element covers.
    pub fn range(&self) -> TextRange {
        match self {
            SyntaxElement::Node(n) => n.range,
            SyntaxElement::Token(t) => t.range,
        }
    }

    /// The node, if this is one.
    pub fn as_node(&self) -> Option<&SyntaxNode> {
        match self {
            SyntaxElement::Node(n) => Some(n),
            SyntaxElement::Token(_) => None,
        }
    }

    /// The token, if this is one.
    pub fn as_token(&self) -> Option<Token> {
        match self {
            SyntaxElement::Node(_) => None,
            SyntaxElement::Token(t) => Some(*t),
        }
    }

    /// True for whitespace and comments (a `#;` datum comment counts as a comment).
    pub fn is_trivia(&self) -> bool {
        match self {
            SyntaxElement::Token(t) => t.kind.is_trivia(),
            SyntaxElement::Node(n) => n.kind == NodeKind::DatumComment,
        }
    }
}

/// A node: its kind, the bytes it covers, and its children in source order. Delimited nodes
/// start with their opener token and end with their closer token when it is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxNode {
    /// What it is.
    pub kind: NodeKind,
    /// The bytes it covers, from its first token to its last.
    pub range: TextRange,
    /// Tokens and nodes, in order.
    pub children: Vec<SyntaxElement>,
}

impl SyntaxNode {
    /// Appends the exact source text of the node to `out`.
    pub fn write_text(&self, source: &str, out: &mut String) {
        out.push_str(&source[self.range.as_range()]);
    }

    /// Concatenates the text of every token in the node, in order. Equal to the source slice
    /// of [`SyntaxNode::range`] for a well-formed tree; the property tests check exactly that.
    pub fn token_text(&self, source: &str) -> String {
        let mut out = String::with_capacity(self.range.len());
        self.visit_tokens(&mut |t| out.push_str(&source[t.range.as_range()]));
        out
    }

    /// Calls `f` on every token below the node, in source order.
    pub fn visit_tokens(&self, f: &mut impl FnMut(Token)) {
        // An explicit stack, not recursion: trees from hostile input can be deep.
        let mut stack = vec![self.children.iter()];
        while let Some(top) = stack.last_mut() {
            match top.next() {
                Some(SyntaxElement::Token(t)) => f(*t),
                Some(SyntaxElement::Node(n)) => stack.push(n.children.iter()),
                None => {
                    stack.pop();
                }
            }
        }
    }

    /// The children that are neither whitespace, comments nor delimiters: the forms inside a
    /// list, vector or map, or the one form of a prefix node.
    pub fn forms(&self) -> impl Iterator<Item = &SyntaxElement> {
        self.children.iter().filter(|c| match c {
            SyntaxElement::Token(t) => !t.kind.is_trivia() && !is_structural(t.kind),
            SyntaxElement::Node(n) => n.kind != NodeKind::DatumComment,
        })
    }

    /// Whether a delimited node has its closer.
    pub fn is_closed(&self) -> bool {
        match self.kind.closer() {
            Some(closer) => {
                self.children.len() >= 2
                    && matches!(self.children.last(), Some(SyntaxElement::Token(t)) if t.kind == closer)
            }
            None => true,
        }
    }
}

/// Delimiters and prefixes: tokens that shape the tree rather than being forms.
fn is_structural(kind: TokenKind) -> bool {
    use TokenKind::*;
    matches!(
        kind,
        LParen
            | RParen
            | LBracket
            | RBracket
            | LBrace
            | RBrace
            | Quote
            | Quasiquote
            | Unquote
            | UnquoteSplicing
            | DatumComment
    )
}
